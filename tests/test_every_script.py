"""What the four scripts do alike, each tried as a user runs it: a run killed with --save leaves
a model to go on from; a closed pipe or another Keras backend; --json to standard output; two
runs in one log folder; a picture asked without matplotlib; two Ctrl-C."""

import importlib.util
import json
import os
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
from conftest import MNIST_SAMPLE, ROOT

SCRIPTS = [count_ones, sign_sum_diy_lstm, aesop_next_word, mnist_rows]


# Checkpoint and publish are the same text in the four: two scripts, the smallest model and MNIST's
@pytest.mark.parametrize("script", [count_ones, mnist_rows], ids=lambda script: script.__name__)
def test_a_run_killed_with_sigkill_leaves_its_last_whole_epoch_and_goes_on_from_it(
    script, tmp_path
):
    """--save after every epoch, written whole: kill -9 at any moment leaves a model that
    --load takes, and nothing in the temporary folder."""
    argv = TINY[script.__name__]
    path = tmp_path / "m.keras"
    (tmp_path / "tmp").mkdir()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / f"{script.__name__}.py"), *argv, "--save", str(path)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
    )
    try:
        deadline = time.monotonic() + 120
        while not path.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        process.kill()
    ours = [p for p in (tmp_path / "tmp").iterdir() if not p.name.startswith("__autograph")]
    assert path.exists() and not ours  # (TensorFlow's autograph leaves its own files there)
    model, saved = script.load_model(str(path))  # whole: the model and its settings read back
    assert saved["epoch"] >= 1 and model.count_params() > 0  # (going on: the Ctrl-C test)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.__name__)
def test_a_closed_pipe_ends_quietly_and_any_keras_backend_runs_on_tensorflow(script, tmp_path):
    """`python script.py | head -1` with KERAS_BACKEND=jax (not even installed here)."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / f"{script.__name__}.py"), *TINY[script.__name__], "--dry-run"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    first = process.stdout.readline()  # head -1: the first line, then the pipe closes
    process.stdout.close()
    err = process.stderr.read().decode()
    process.wait(timeout=120)
    assert first and "Traceback" not in err and process.returncode in (0, -signal.SIGPIPE), err


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.__name__)
def test_json_to_standard_output_alone_and_two_runs_in_one_log_folder(script, tmp_path, capsys):
    argv = [*TINY[script.__name__], "--dry-run", "--log-dir", str(tmp_path / "runs")]
    capsys.readouterr()
    script.main([*argv, "--json", "-"])
    out, err = capsys.readouterr()
    assert json.loads(out)["script"] == f"{script.__name__}.py" and "TensorBoard" in err
    script.main([*argv, "--json", os.devnull])  # a device is written as it is, not refused
    assert len(list((tmp_path / "runs").iterdir())) == 2  # within a second: each its own folder
    with pytest.raises(SystemExit):  # a trailing slash names a folder: refused before training
        script.main([*argv, "--json", str(tmp_path / "figures.json") + "/"])


TINY = {  # each script's run of a few epochs, a second or two an epoch
    "count_ones": ["--length", "10", "--train-size", "256", "--epochs", "8", "--batch-size", "16"],
    "sign_sum_diy_lstm": ["--train-lengths", "1-4", "--epochs", "15"],
    "aesop_next_word": ["--hidden", "32", "--epochs", "8", "--batch-size", "16"],
    "mnist_rows": ["--epochs", "2", "--data-dir", str(MNIST_SAMPLE)],
}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.__name__)
def test_a_picture_without_matplotlib_says_what_to_install(script, fails, tmp_path, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "matplotlib" else find_spec(name)
    )
    fails(
        script.main,
        ["--inspect-png", str(tmp_path / "inside.png")],
        "--inspect-png draws with matplotlib, which is not installed: pip install matplotlib",
    )


def test_a_model_whose_name_was_taken_while_it_trained_is_saved_beside_it(
    tmp_path, monkeypatch, capsys
):
    path = tmp_path / "m.keras"
    compile_model = sign_sum_diy_lstm.compile_model

    def another_run_saves_first(*args):
        # after this run's checks, before its first epoch's save: a second run of another seed
        path.write_bytes(b"another run's model")
        return compile_model(*args)

    monkeypatch.setattr(sign_sum_diy_lstm, "compile_model", another_run_saves_first)
    sign_sum_diy_lstm.main(["--train-lengths", "1-3", "--epochs", "2", "--save", str(path)])
    assert path.read_bytes() == b"another run's model"  # left alone ...
    assert (
        f"{path} appeared while this run worked: left alone; this run's is "
        f"{tmp_path / 'm-2.keras'}" in capsys.readouterr().out
    )
    assert sign_sum_diy_lstm.main(["--load", str(tmp_path / "m-2.keras"), "--predict", "+-+"])[
        "prediction"
    ] in range(-3, 4)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.__name__)
def test_help_gives_each_recipe_its_real_values(script, capsys):
    """--help is built from RECIPES, never typed: each recipe's rate and batch in --recipe's
    text (where it gives numbers), and its epochs, batch and rate as the defaults of those flags."""
    with pytest.raises(SystemExit):
        script.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    start = text.index("--recipe {article,fast}", text.index("options:"))  # --recipe's help
    recipes = text[start : text.index("--epochs EPOCHS", start)]
    article, fast = recipes.split("'fast':") if "'fast':" in recipes else ("", "")
    for recipe, said in ((script.RECIPES["article"], article), (script.RECIPES["fast"], fast)):
        if re.search(r"\d", recipes):  # where --recipe's help gives numbers, they are the recipe's
            assert f"{recipe['lr']:g}" in said
            assert not recipe["batch_size"] or re.search(
                rf"\b(batch|batches of|of) {recipe['batch_size']}\b", said
            )
    for name, recipe in script.RECIPES.items():
        for key in ("epochs", "batch_size", "lr"):
            value = recipe[key]
            assert f"{name} {value:g}" in text or f"{name} {value or 'all'}" in text, (name, key)


def started(script, argv, folder):
    """The script in a process of its own, as a user starts it, its output read back."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / f"{script.__name__}.py"), *argv],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(folder)},
    )


def wait_for(test, process, seconds=120):
    """Polls `test()` every millisecond until it holds, or the process ends, or time runs out."""
    deadline = time.monotonic() + seconds
    while not test() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    return test()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.__name__)
def test_ctrl_c_ends_the_epoch_saves_it_and_goes_on_as_never_stopped(script, tmp_path, capsys):
    """Ctrl-C in the middle of an epoch: that epoch ends and is saved, the run evaluates and exits
    0; --load PATH --save PATH then ends with the figures of a run never stopped."""
    argv, path = TINY[script.__name__], tmp_path / "m.keras"
    process = started(script, [*argv, "--save", str(path)], tmp_path)
    assert wait_for(path.exists, process)  # epoch 1 is saved: Ctrl-C within epoch 2
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0 and "Ctrl-C: this epoch ends, then the run" in err, err
    assert "Traceback" not in err and f"Saved the model to {path}" in out
    resumed = script.main([*argv, "--load", str(path), "--save", str(path)])
    out = capsys.readouterr().out
    if script is mnist_rows:  # stopped in the last of its two epochs: none left to go on with
        return
    assert "Going on from epoch" in out, out
    if script is aesop_next_word:  # (its tiny run is the costliest to repeat: the others do)
        return
    never_stopped = script.main(argv)
    assert resumed["value"] == never_stopped["value"]
    assert resumed["epochs"] == never_stopped["epochs"]


@pytest.mark.parametrize(
    "script, signals",
    # on_signals is the same text in the four (tests/test_skeleton.py): two of them suffice
    [(count_ones, [signal.SIGINT, signal.SIGINT]), (sign_sum_diy_lstm, [signal.SIGTERM])],
    ids=lambda x: getattr(x, "__name__", None),
)
def test_two_ctrl_c_or_sigterm_end_the_run_and_leave_no_half_written_file(
    script, signals, tmp_path
):
    """Two Ctrl-C 50 ms apart, or SIGTERM, while the model is being saved: the process ends at
    once (status 130, or 143), with no temporary file left beside the model."""
    argv = [*TINY[script.__name__], "--save", str(tmp_path / "m.keras")]
    process = started(script, argv, tmp_path)
    assert wait_for(lambda: list(tmp_path.glob("m.*.tmp.keras")), process)
    for number in signals:
        process.send_signal(number)
        time.sleep(
            0.05
        )  # as fast as fingers go (the kernel merges two signals sent at one instant)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 128 + signals[0] and "Traceback" not in err, err
    if signals[0] == signal.SIGINT:
        assert err.rstrip().endswith(f"{script.__name__}.py: stopped by Ctrl-C")
    assert not list(tmp_path.glob("*.tmp.keras"))


def test_a_broken_environment_a_full_disk_and_an_ascii_terminal_end_in_one_line(tmp_path):
    """MPLBACKEND naming no backend (Keras imports matplotlib), standard output on a full disk:
    one line and status 2; a story in a language an ASCII terminal cannot show: told, escaped."""
    env = {**os.environ, "MPLBACKEND": "nonsense", "PYTHONIOENCODING": "ascii"}
    argv = [sys.executable, str(ROOT / "count_ones.py"), *TINY["count_ones"], "--dry-run"]
    with open("/dev/full", "w") as full:
        ended = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, text=True, env=env)
    assert ended.returncode == 2 and ended.stderr.endswith("error: No space left on device\n")
    (tmp_path / "fr.txt").write_text("le chat dort près du feu et la souris dort " * 8)
    argv = [sys.executable, str(ROOT / "aesop_next_word.py"), "--text", str(tmp_path / "fr.txt")]
    story = subprocess.run(
        [*argv, "--hidden", "8", "--epochs", "2", "--generate", "dort près du"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert story.returncode == 0 and "dort pr\\xe8s du" in story.stdout, story.stderr[-2000:]
