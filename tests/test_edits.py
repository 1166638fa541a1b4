"""A learner's edits: the script copied alone into an empty folder, a line or two changed as the
article or the README suggests, then run with --inspect and --predict (aesop: its story; MNIST:
--inspect of a test image), in-process (TensorFlow is imported once). Each must train, name what it
built, and answer, with no traceback."""

import importlib.util
import shutil

import keras
import pytest

from conftest import ROOT

EDITS = {  # script: (what the learner changes: (old, new) pairs, the flags to run it with)
    "count_ones": (
        [("LENGTH = 20", "LENGTH = 16"), ("keras.layers.LSTM(hidden)", "keras.layers.GRU(hidden)")],
        ["--train-size", "256", "--epochs", "1", "--hidden", "8"],
        ["--inspect", "0110100110010110", "--predict", "0110100110010110"],
        "GRU(8)",
        "counting_unit",
    ),
    "sign_sum_diy_lstm": (  # a peephole: the forget gate sees the conveyor, edited in one place
        [
            (
                'self.W_o, self.b_o = default_weights_and_bias("o")',
                'self.W_o, self.b_o = default_weights_and_bias("o")\n        '
                'self.p_f = self.add_weight(name="p_f", shape=(self.units,), initializer="zeros")',
            ),
            ("def f_t(self, ht_minus_1_and_xt):", "def f_t(self, ht_minus_1_and_xt, Conveyor):"),
            ("self.W_f) + self.b_f)", "self.W_f) + self.b_f + self.p_f * Conveyor)"),
            ("self.f_t(ht_minus_1_and_xt),", "self.f_t(ht_minus_1_and_xt, Conveyor),"),
        ],
        ["--train-lengths", "1-3", "--epochs", "2"],
        ["--inspect", "+-I0+", "--predict", "+-I0+"],
        "DiyLSTM(24), 2,737 parameters",  # 2,713 and the peephole's 24
        "units",
    ),
    "aesop_next_word": (  # four words of context, which the article asks about
        [("N_INPUT = 3", "N_INPUT = 4")],
        ["--epochs", "2", "--hidden", "16"],
        ["--inspect", "the old mouse got"],  # and the story from the default start
        "windows of 4",
        "candidates",
    ),
    "mnist_rows": (  # a GRU reads the rows
        [
            (
                "keras.layers.LSTM(num_units, unit_forget_bias=True, unroll=True)",
                "keras.layers.GRU(num_units, unroll=True)",
            )
        ],
        ["--data-dir", str(ROOT / "data" / "mnist_sample.npz"), "--dry-run", "--hidden", "8"],
        ["--inspect", "3"],
        "GRU(8)",
        "rows_to_answer",
    ),
}


def edited_copy(script, changes, folder):
    """The script copied alone into `folder`, each (old, new) replaced once, imported from there."""
    path = folder / f"{script}.py"
    shutil.copy(ROOT / f"{script}.py", path)
    text = path.read_text()
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} is not one line of {script}.py"
        text = text.replace(old, new)
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(f"edited_{script}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("script", EDITS)
def test_an_edited_copy_trains_inspects_and_predicts(script, tmp_path, capsys, monkeypatch):
    changes, settings, questions, built, inspected = EDITS[script]
    monkeypatch.chdir(tmp_path)
    registered = keras.saving.get_custom_objects()  # the copy's DiyLSTM takes the original's name:
    for name, known in list(registered.items()):  # put the original back for the other tests
        monkeypatch.setitem(registered, name, known)
    module = edited_copy(script, changes, tmp_path)
    metrics = module.main([*settings, *questions])
    out = capsys.readouterr().out
    assert built in out and "Traceback" not in out and metrics[inspected], out
    if script == "aesop_next_word":  # the story from the default start, four words now
        assert metrics["story"].startswith("had a general council")
