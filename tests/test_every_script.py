"""What the four scripts do alike: a backup belongs to one living run (across two processes), and
a run that is gone leaves its backup to the next run of the same command; a picture asked without
matplotlib is a one-line error before any training."""

import argparse
import hashlib
import importlib.util
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import pytest

import aesop_next_word
import count_ones
import mnist_rows
import sign_sum_diy_lstm
from conftest import ROOT

SCRIPTS = [count_ones, sign_sum_diy_lstm, aesop_next_word, mnist_rows]
COMMAND = argparse.Namespace(seed=4)  # the same command in both processes
DATA = {
    "aesop_next_word": (["a", "fable"],),
    "mnist_rows": ({},),
}  # the text, the digits: part of a command
HOLDER = f"""
import argparse, sys
import {", ".join(script.__name__ for script in SCRIPTS)}
held = [script.backup(argparse.Namespace(seed=4), *{DATA}.get(script.__name__, ()))[0]
        for script in ({", ".join(s.__name__ for s in SCRIPTS)})]
print(*(callback.folder for callback in held), sep="\\n", flush=True)
sys.stdin.read()  # the locks held until the test kills this process
"""


def start(script):
    """What a run of COMMAND does first: take a backup, and the epoch it resumes from."""
    return script.backup(COMMAND, *DATA.get(script.__name__, ()))


def test_a_second_run_of_one_command_keeps_its_own_backup_and_resumes_only_a_dead_runs(
    tmp_path, capsys
):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        held = [
            holder.stdout.readline().strip() for _ in SCRIPTS
        ]  # the first run of each script, still living
        for script, folder in zip(SCRIPTS, held):
            assert folder.endswith("-1") and os.path.dirname(folder) == str(
                tmp_path / "lstm-backups"
            )
            os.makedirs(folder)  # it has trained 3 epochs, and backed them up whole
            (pathlib.Path(folder) / "epoch-3.weights.h5").write_bytes(b"the weights")
            (pathlib.Path(folder) / "backup.json").write_text(
                json.dumps(
                    {
                        "epoch": 3,
                        "weights": "epoch-3.weights.h5",
                        "sha256": hashlib.sha256(b"the weights").hexdigest(),
                    }
                )
            )
            capsys.readouterr()
            second, first_epoch = start(
                script
            )  # the same command, started while the first still runs
            assert second.folder == folder[:-2] + "-2" and first_epoch == 0
            assert (
                f"Another run of this same command is running (its backup: {folder})"
                in capsys.readouterr().out
            )
            script.release(second)
            assert not os.path.exists(second.folder + ".lock")  # it ended: nothing of it is left
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # the first runs die: the OS lets go of their locks
        holder.wait()
    for script, folder in zip(SCRIPTS, held):
        third, first_epoch = start(script)
        assert third.folder == folder and first_epoch == 3
        assert (
            "Resuming from epoch 3, where a run of this same command stopped"
            in capsys.readouterr().out
        )
        third.lock.close()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.__name__)
def test_a_picture_without_matplotlib_says_what_to_install(script, fails, tmp_path, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "matplotlib" else find_spec(name)
    )
    fails(
        script.main,
        ["--curve-png", str(tmp_path / "curve.png")],
        "--curve-png draws with matplotlib, which is not installed: pip install matplotlib",
    )


def test_a_model_whose_name_was_taken_while_it_trained_is_saved_beside_it(
    tmp_path, monkeypatch, capsys
):
    path = tmp_path / "m.keras"
    train = sign_sum_diy_lstm.train

    def another_run_saves_first(*args):
        done = train(*args)
        path.write_bytes(
            b"another run's model"
        )  # as a second run of another seed saves, while this one trains
        return done

    monkeypatch.setattr(sign_sum_diy_lstm, "train", another_run_saves_first)
    sign_sum_diy_lstm.main(["--train-lengths", "1-3", "--epochs", "2", "--save", str(path)])
    assert path.read_bytes() == b"another run's model"  # left alone ...
    assert (
        f"--save {path} appeared while this run worked: left alone, and "
        f"this run's written to {tmp_path / 'm-2.keras'}" in capsys.readouterr().out
    )
    assert sign_sum_diy_lstm.main(["--load", str(tmp_path / "m-2.keras"), "--predict", "+-+"])[
        "prediction"
    ] in range(-3, 4)


def test_a_second_ctrl_c_stops_at_once(tmp_path):
    """The first Ctrl-C stops training and starts the evaluation of 4 million strings; the second
    ends it all."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "count_ones.py"), "--length", "22", "--epochs", "50"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    for line in process.stdout:  # the first epoch is done
        if line.startswith("train_input"):
            break
    while not list(tmp_path.glob("lstm-backups/*/backup.json")):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    for line in process.stdout:
        if line.startswith("Interrupted after epoch"):
            break
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err
    assert err.rstrip().splitlines()[-1] == "count_ones.py: stopped by Ctrl-C"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.__name__)
def test_help_gives_each_recipe_its_real_values(script, capsys):
    """--help is built from RECIPES, never typed: each recipe's rate and batch in --recipe's
    text, and its epochs, batch and rate as the defaults of those flags."""
    with pytest.raises(SystemExit):
        script.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    start = text.index("'article':")  # --recipe's help, after the usage lines
    recipes = text[start : text.index("--epochs EPOCHS", start)]
    article, fast = recipes.split("'fast':")
    for recipe, said in ((script.RECIPES["article"], article), (script.RECIPES["fast"], fast)):
        assert f"{recipe['lr']:g}" in said
        assert not recipe["batch_size"] or re.search(
            rf"\b(batch|batches of|of) {recipe['batch_size']}\b", said
        )
    for name, recipe in script.RECIPES.items():
        for key in ("epochs", "batch_size", "lr"):
            value = recipe[key]
            assert f"{name} {value:g}" in text or f"{name} {value or 'all'}" in text, (name, key)
