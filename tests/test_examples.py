"""Every example command of the README and of each script's docstring is one the script takes;
and those that answer from a saved model, read a file or draw what --inspect shows run as
written: through the script's main(), in a folder of their own with the files they name,
--dry-run added where they train (one batch). (The others differ from these in training flags
only, which the first test checks.)"""

import ast
import importlib
import os
import re
import shlex
import shutil

import numpy as np
import pytest
import tensorflow as tf

from conftest import MNIST_SAMPLE, ROOT

SCRIPTS = ["count_ones", "sign_sum_diy_lstm", "aesop_next_word", "mnist_rows"]
COMMAND = re.compile(rf"python ((?:{'|'.join(SCRIPTS)})\.py[^`#\n]*)")


def examples():
    """Each example once: a list of (script, argv), the commands of one line (joined by &&) in
    order."""
    texts = [(ROOT / "README.md").read_text()]
    texts += [
        ast.get_docstring(ast.parse((ROOT / f"{script}.py").read_text())) for script in SCRIPTS
    ]
    found = {}
    for text in texts:
        for line in re.sub(
            r"\\\n\s*", " ", text
        ).splitlines():  # a command continued with \ is one line
            parts = [COMMAND.search(part) for part in line.split("&&")]
            chain = [shlex.split(match.group(1)) for match in parts if match]
            if chain:
                found[" && ".join(shlex.join(words) for words in chain)] = [
                    (w[0][:-3], w[1:]) for w in chain
                ]
    return found


EXAMPLES = examples()
QUICK = {
    "--load",
    "--inspect",
    "--text",
}  # a saved model's answers, --inspect's pictures, a file to read


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The folder a user runs the examples in, with the files they name; returns argv as the
    shell gives it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        "builtins.input", lambda prompt: exec("raise EOFError")
    )  # --interactive: Ctrl-D at once
    (tmp_path / "docs").mkdir()
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    shutil.copy(MNIST_SAMPLE, mnist / "mnist.npz")
    digit = np.load(MNIST_SAMPLE)["x_test"][0]
    (tmp_path / "my_digit.png").write_bytes(tf.io.encode_png(digit[..., None]).numpy())
    (tmp_path / "my_story.txt").write_text(
        "the cat sat on the mat and the dog sat on the log . " * 3
    )
    return lambda argv: [
        str(mnist) if arg in ("~/mnist", "../shared/data/mnist") else arg for arg in argv
    ]


@pytest.mark.parametrize("script, argv", [step for chain in EXAMPLES.values() for step in chain])
def test_every_example_is_a_command_the_script_takes(script, argv, folder):
    importlib.import_module(script).parse_args(
        folder(argv)
    )  # a wrong flag or value: SystemExit, the test fails


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """For examples that --load a file they did not save: a model of each script, one batch
    trained."""
    return tmp_path_factory.mktemp("models")


@pytest.mark.parametrize(
    "example", [key for key, chain in EXAMPLES.items() if QUICK & {*chain[-1][1]}]
)
def test_an_example_that_reads_a_model_or_a_file_runs_as_written(example, folder, models):
    for script, argv in EXAMPLES[example]:
        argv = folder(argv)
        if "--load" in argv and not os.path.exists(argv[argv.index("--load") + 1]):
            model = models / f"{script}.keras"
            if not model.exists():
                importlib.import_module(script).main(["--dry-run", "--save", str(model)])
            shutil.copy(model, argv[argv.index("--load") + 1])
        trains = "--load" not in argv
        assert isinstance(importlib.import_module(script).main(argv + ["--dry-run"] * trains), dict)
