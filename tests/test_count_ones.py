"""count_ones.py: the article's data facts, the model, and every way a user can call it.

Runs go through main(argv) in this process, on 8-bit strings (256 in all) so that each takes a
second or two."""

import re

import keras
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import count_ones
from conftest import explains

TINY = ["--length", "8", "--train-size", "128"]  # 128 strings train, 128 are held out
main = count_ones.main


# The data: every string once, labelled with its count of ones.


def test_every_string_once_labelled_with_its_count():
    train_input, train_output, test_codes, test_output = count_ones.make_data(10, 100, seed=0)
    assert train_input.shape == (100, 10, 1) and train_input.dtype == np.float32
    train_codes = (train_input[..., 0] * 2 ** np.arange(9, -1, -1)).sum(axis=1).astype(int)
    codes = np.concatenate([train_codes, test_codes])
    assert sorted(codes) == list(range(2**10))  # all 2**10 strings, train and held out disjoint
    assert list(train_output) == [bin(c).count("1") for c in train_codes]
    assert list(test_output) == [bin(c).count("1") for c in test_codes]


def test_the_article_string_and_its_bits():
    bits = count_ones.to_bits([int("01010010011011100110", 2)], 20)
    assert bits.shape == (1, 20, 1) and bits.sum() == 10  # the article says 11; it has 10
    assert bits[0, :, 0].tolist() == [int(c) for c in "01010010011011100110"]


def test_class_numbers_give_the_loss_of_the_articles_one_hot_rows():
    counts = np.array([4, 0, 20])
    assert count_ones.one_hot(counts, 20).tolist()[0] == [0, 0, 0, 0, 1] + [0] * 16
    prediction = np.random.default_rng(0).dirichlet(np.ones(21), size=3).astype(np.float32)
    sparse = keras.losses.SparseCategoricalCrossentropy(reduction="sum")(counts, prediction)
    one_hot = keras.losses.CategoricalCrossentropy(reduction="sum")(
        count_ones.one_hot(counts, 20), prediction
    )
    assert float(sparse) == pytest.approx(float(one_hot), rel=1e-6)


def test_the_class_gap_of_a_10000_string_split():
    """With seed 1, no training string has 0, 1, 18, 19 or 20 ones: 232 held-out strings are
    doomed."""
    _, train_output, _, test_output = count_ones.make_data(20, 10_000, seed=1)
    missing, doomed = count_ones.missing_classes(train_output, test_output, 20)
    assert list(missing) == [0, 1, 18, 19, 20] and doomed == 1 + 20 + 190 + 20 + 1 == 232


def test_reading_the_tree_of_prefixes_equals_reading_each_string():
    model = count_ones.build_model(8, hidden=6, article_init=True)
    every_string = count_ones.to_bits(np.arange(2**8), 8)
    expected = np.argmax(model.predict_on_batch(every_string), axis=-1)
    assert np.array_equal(count_ones.every_string_classifier(model, 8)().numpy(), expected)


# Runs, as a user makes them.


def test_a_short_run_learns(run):
    """(That the same seed repeats a run exactly, the test of a crashed run shows: every run it
    makes is equal.)"""
    first = run(main, *TINY, "--epochs", "30", "--batch-size", "16")
    assert first["script"] == "count_ones.py" and first["metric"] == "test_error"
    assert first["examples"] == 128 and first["epochs"] >= 1
    assert first["value"] < 0.5  # guessing the commonest class (4 ones) is 73% wrong


def test_save_then_load_predicts_the_same(run, tmp_path, capsys):
    path = str(tmp_path / "ones.keras")
    trained = run(main, *TINY, "--epochs", "2", "--save", path, "--predict", "01101001")
    capsys.readouterr()
    loaded = count_ones.main(["--load", path, "--predict", "01101001"])
    assert loaded["prediction"] == trained["prediction"]
    assert loaded["probabilities"] == pytest.approx(trained["probabilities"], abs=1e-6)
    assert "01101001 has 4 ones" in capsys.readouterr().out
    again = run(main, *TINY, "--load", path, "--epochs", "0")  # evaluate only: the same error
    assert again["value"] == trained["value"] and again["epochs"] == 2  # the epochs it holds
    capsys.readouterr()
    dry = main(["--load", path, "--dry-run", "--json", "/dev/stdout"])  # its own held-out strings
    assert dry["value"] == trained["value"] and dry["examples"] == trained["examples"]
    assert capsys.readouterr().out.rstrip().endswith("}")  # the JSON, after the run's lines


def test_inspect_after_training_and_from_a_saved_model(run, tmp_path, capsys, figures):
    path, png = tmp_path / "ones.keras", tmp_path / "inside.png"
    drawn = figures(count_ones)
    trained = run(
        main,
        *TINY,
        "--epochs",
        "20",
        "--batch-size",
        "16",
        "--save",
        str(path),
        "--inspect",
        "01101001",
    )
    unit, r, r_all = trained["counting_unit"].values()
    assert (
        0 <= unit < 24 and -1 <= r <= 1 and abs(r) <= r_all + 1e-6
    )  # all units do at least as well as one
    capsys.readouterr()
    loaded = main(["--load", str(path), "--inspect", "01101001", "--inspect-png", str(png)])
    assert loaded["counting_unit"] == trained["counting_unit"]
    rows = [
        line.split() for line in capsys.readouterr().out.splitlines() if line[:4].strip().isdigit()
    ]
    assert [(row[1], row[2]) for row in rows] == [
        (b, str("01101001"[: k + 1].count("1"))) for k, b in enumerate("01101001")
    ]
    explains(
        drawn["inside.png"],
        png,
        "as it reads 01101001",
        symbols="01101001",
        names=[f"{unit} counts", f"Unit {unit} counts: r = {r:+.3f}", "probability"],
    )


def test_ctrl_c_still_evaluates_and_saves(run, tmp_path, stop_after):
    stop_after(count_ones, count_ones.HeldOutCheck, epochs=2)
    path = tmp_path / "ones.keras"
    metrics = run(main, *TINY, "--epochs", "50", "--save", str(path))
    assert metrics["epochs"] == 2 and metrics["examples"] == 128 and path.exists()
    assert not list(
        tmp_path.glob("lstm-backups/*")
    )  # Ctrl-C ends the run: no backup is left to resume


def test_dry_run_and_tensorboard_logs(run, tmp_path):
    metrics = run(main, *TINY, "--dry-run", "--log-dir", str(tmp_path / "runs"))
    assert metrics["epochs"] == 1
    (run_dir,) = (tmp_path / "runs").iterdir()
    events = EventAccumulator(str(run_dir / "train"))
    events.Reload()
    assert {"epoch_loss", "epoch_accuracy", "epoch_heldout_error"} <= set(events.Tags()["tensors"])


# Bad input: one line, exit status 2, nothing on disk harmed.


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--predict", "0101001001101110011"], "exactly 20 characters, each 0 or 1"),
        (
            ["--predict", "0101001001101110011x"],
            "argument --predict: '0101001001101110011x': give a string of 0s and 1s",
        ),
        (["--length", "8", "--train-size", "256"], "give under 256, all the strings of 8 bits"),
        (["--length", "30"], "argument --length: '30': give a whole number from 1 to 24"),
        (["--epochs", "-1"], "argument --epochs: '-1': give a whole number from 0 to 100,000"),
        (["--lr", "0"], "argument --lr: '0': give a number above 0"),
        (["--lr", "fast"], "argument --lr: 'fast': give a number above 0"),
        (
            ["--batch-size", "0"],
            "argument --batch-size: '0': give a whole number from 1 to 1,000,000",
        ),
        (["--hidden", "0"], "argument --hidden: '0': give a whole number from 1 to 1,024"),
        (["--balance", "-1"], "argument --balance: '-1': give a number from 0 to 10"),
        (["--target-error", "1"], "argument --target-error: '1': give a fraction from 0 up to 1"),
        (["--recipe", "fastest"], "invalid choice: 'fastest'"),
        (["--inspect", "0110"], "--inspect 0110: give a string of exactly 20 characters"),
        (["--inspect-png", "inside.png"], "give --inspect BITS too"),
        (["--load", "no/such/model.keras"], "No such file or directory"),
        (["--save", "model.h5"], "--save model.h5: give a file name ending in .keras"),
        (["--save", "no/such/folder/model.keras"], "cannot write in"),
    ],
)
def test_bad_flags(fails, argv, message):
    fails(main, argv, message)


def test_paths_that_cannot_be_written_are_refused_before_training(fails, tmp_path):
    a_file, a_folder = tmp_path / "runs.txt", tmp_path / "folder.json"
    a_file.write_text("not a folder")
    a_folder.mkdir()
    fails(
        main,
        ["--log-dir", str(a_file)],
        f"--log-dir {a_file}: give a folder, not a file",
    )
    fails(
        main,
        ["--json", str(a_folder)],
        f"--json {a_folder}: give a file name or - for standard output",
    )
    fails(
        main,
        ["--log-dir", str(tmp_path / "no" / "runs")],
        "cannot write in",
    )


def test_bad_model_files(fails, tmp_path):
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"not a zip file")
    fails(main, ["--load", str(corrupt)], "not a model saved by count_ones.py")
    foreign = tmp_path / "foreign.keras"  # a Keras model, but not one of ours
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]).save(foreign)
    fails(main, ["--load", str(foreign)], "not a model saved by count_ones.py")


def test_a_model_that_does_not_fit_the_flags_and_an_existing_file(run, fails, tmp_path):
    path = tmp_path / "ones.keras"
    run(main, *TINY, "--dry-run", "--save", str(path))
    saved = path.read_bytes()
    fails(main, ["--load", str(path), "--hidden", "32"], "--hidden 32 does not fit")
    fails(main, ["--load", str(path), "--predict", "0110"], "exactly 8 characters")
    fails(main, [*TINY, "--save", str(path)], "the file exists; pass --overwrite")
    assert path.read_bytes() == saved


def test_class_weights_favour_the_rare_classes_and_average_one():
    _, train_output, _, _ = count_ones.make_data(20, 10_000, seed=1)
    weights = count_ones.class_weights(train_output, 20, balance=0.5)
    assert weights[train_output].mean() == pytest.approx(1.0)
    assert weights[3] > 5 * weights[10] and weights[0] == 0.0  # seed 1 has no string of 0 ones
    assert set(count_ones.class_weights(train_output, 20, balance=0.0)) <= {0.0, 1.0}


def test_help_gives_every_flag_its_default(capsys):
    with pytest.raises(SystemExit) as exit_:
        count_ones.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    options = re.findall(
        r"^  (-[-\w]+)", out, flags=re.M
    )  # each option's help starts on such a line
    for flag in (
        "--epochs",
        "--batch-size",
        "--lr",
        "--hidden",
        "--seed",
        "--log-dir",
        "--save",
        "--load",
        "--dry-run",
        "--json",
        "--predict",
        "--recipe",
        "--target-error",
    ):
        assert flag in options
    assert out.count("default") >= len(options) - 1  # all but -h/--help
    assert "the recipe's: article 0.001, fast 0.03" in " ".join(
        out.split()
    )  # --lr: each recipe's real value
