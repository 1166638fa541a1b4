"""mnist_rows.py: the readers on tiny files, every corrupt file, no network, and runs on the
sample (Keras' download, in the tests: conftest)."""

import gzip
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

import mnist_rows
from conftest import MNIST_SAMPLE, explains

main = mnist_rows.main
SHARED = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mnist"
QUICK = ["--epochs", "1", "--batch-size", "64"]  # one pass over the sample's 1,834 training images
SAMPLE = str(MNIST_SAMPLE)


def write_idx(folder, images=3, labels=3, gz=True, magic=(2051, 2049), cut=0):
    """The four IDX files of a tiny MNIST, with ways to spoil them."""
    rng = np.random.default_rng(0)
    for split in ("train", "t10k"):
        x = rng.integers(0, 256, (images, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, labels, dtype=np.uint8)
        for name, header, body in (
            (f"{split}-images-idx3-ubyte", [magic[0], images, 28, 28], x),
            (f"{split}-labels-idx1-ubyte", [magic[1], labels], y),
        ):
            data = b"".join(n.to_bytes(4, "big") for n in header) + body.tobytes()
            data = data[: len(data) - cut]
            path = folder / (name + (".gz" if gz else ""))
            path.write_bytes(gzip.compress(data) if gz else data)


# The readers, and every way a file can be wrong.


@pytest.mark.parametrize("gz", [True, False])
def test_idx_files_gzipped_or_not(tmp_path, gz):
    write_idx(tmp_path, gz=gz)
    data = mnist_rows.load_mnist(str(tmp_path))
    assert data["x_train"].shape == (3, 28, 28) and data["y_test"].shape == (3,)
    assert data["x_train"].dtype == np.uint8


def test_keras_npz(tmp_path):
    x, y = np.zeros((4, 28, 28), np.uint8), np.arange(4, dtype=np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=x[:2], y_test=y[:2])
    data = mnist_rows.load_mnist(str(tmp_path))
    assert data["x_test"].shape == (2, 28, 28) and list(data["y_train"]) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "spoil, message",
    [
        (dict(magic=(2049, 2049)), "cannot reshape array of size 2360 into shape (3,)"),
        (dict(cut=5), "cannot reshape array of size 2347 into shape (3,28,28)"),
        (dict(labels=2), "train images (3, 28, 28), labels (2,): 2+ of 28x28"),
    ],
)
def test_corrupt_idx_files(tmp_path, fails, spoil, message):
    write_idx(tmp_path, **spoil)
    fails(main, ["--data-dir", str(tmp_path)], message)


def test_missing_and_broken_files(tmp_path, fails):
    write_idx(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    fails(
        main,
        ["--data-dir", str(tmp_path)],
        "FileNotFoundError: [Errno 2] No such file or directory",
    )
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    fails(main, ["--data-dir", str(tmp_path)], "not MNIST's files (EOFError: Compressed file ended")
    (tmp_path / "mnist.npz").write_bytes(b"not a zip")
    fails(main, ["--data-dir", str(tmp_path)], "not MNIST's files (ValueError")
    fails(
        main,
        ["--data-dir", str(tmp_path / "nowhere")],
        "nowhere: not MNIST's files (FileNotFoundError",
    )


@pytest.mark.parametrize(
    "spoil, message",
    [
        (
            dict(y_train=np.array([3, 10, 1, 2])),
            "train images of uint8, labels [ 1  2  3 10]: give images of uint8 0-255 or floats "
            "0-1, labels 0-9",
        ),
        (
            dict(x_test=np.full((2, 28, 28), 255.0)),  # floats are 0-1, as the model reads them
            "test images of float64, labels [0 1]: give images of uint8 0-255 or floats 0-1",
        ),
        (
            dict(x_test=np.zeros((0, 28, 28), np.uint8), y_test=np.zeros(0, np.uint8)),
            "test images (0, 28, 28), labels (0,): 1+ of 28x28",
        ),
    ],
)
def test_values_outside_mnist_are_refused_before_training(tmp_path, fails, spoil, message):
    x, y = np.zeros((4, 28, 28), np.uint8), np.arange(4, dtype=np.uint8)
    np.savez(
        tmp_path / "mnist.npz",
        **{**dict(x_train=x, y_train=y, x_test=x[:2], y_test=y[:2]), **spoil},
    )
    fails(main, ["--data-dir", str(tmp_path)], message)


def test_offline_trains_on_the_sample_beside_the_script_and_copied_alone_says_what_to_pass(
    run, fails, monkeypatch, capsys, tmp_path
):
    def no_network():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    metrics = run(main, *QUICK, "--dry-run")
    assert "could not download MNIST (OSError: no network): training on the sample" in (
        capsys.readouterr().out
    )
    assert metrics["data"] == SAMPLE
    monkeypatch.setattr(mnist_rows, "SAMPLE", str(tmp_path / "no" / "mnist_sample.npz"))
    fails(
        main, QUICK, "could not download MNIST (OSError: no network); --help says what --data-dir"
    )
    data, _ = mnist_rows.mnist_data(SAMPLE)  # what to pass: the sample in data/, say
    assert data["x_train"].shape == (2000, 28, 28) and data["x_test"].shape == (1000, 28, 28)
    assert set(data["y_train"]) == set(data["y_test"]) == set(range(10))  # every digit present


def test_floats_from_0_to_1_are_digits_too(run, tmp_path):
    with np.load(SAMPLE) as sample:
        floats = {key: sample[key] / (255 if key.startswith("x") else 1) for key in sample}
    np.savez(tmp_path / "floats.npz", **floats)
    metrics = run(main, *QUICK, "--dry-run", "--data-dir", str(tmp_path / "floats.npz"))
    assert metrics["examples"] == 1000 and metrics["value"] > 0.1


@pytest.mark.skipif(
    not SHARED.is_dir(), reason="the full MNIST of ../shared/data/mnist is not here"
)
def test_the_full_set_has_the_label_counts_of_its_readme():
    data = mnist_rows.load_mnist(str(SHARED))
    readme = " ".join((SHARED / "README.md").read_text().split())
    for split in ("train", "test"):
        counts = " ".join(str(n) for n in np.bincount(data[f"y_{split}"]))
        assert f"{split} `[{counts}]`" in readme
    (x_train, _), (x_validation, _), (x_test, _) = mnist_rows.split(data)
    assert (len(x_train), len(x_validation), len(x_test)) == (
        55_000,
        5_000,
        10_000,
    )  # the article's split


# Runs on the sample, as a user without network makes them.


def test_a_run_on_the_sample_writes_its_errors_logs_and_what_it_reads_row_by_row(
    run, tmp_path, capsys, figures
):
    png, rows_png = tmp_path / "errors.png", tmp_path / "rows.png"
    drawn = figures(mnist_rows)
    metrics = run(
        main,
        *QUICK,
        "--errors-png",
        str(png),
        "--log-dir",
        str(tmp_path / "runs"),
        "--inspect",
        "0",
        "--inspect-png",
        str(rows_png),
    )
    assert (
        metrics["metric"] == "accuracy"
        and metrics["examples"] == 1000
        and metrics["data"] == "keras.datasets.mnist"
    )
    assert 0.2 < metrics["value"] < 1  # one epoch on 1,834 images: well above chance
    wrong = metrics["examples"] - metrics["right"]
    explains(
        drawn["errors.png"],
        png,
        f"The {wrong:,} test digits the model got wrong, of 1,000",
        signed=False,
        names=["true 7, said", "%)"],
    )
    assert sum(bool(ax.images) for ax in drawn["errors.png"].axes) == min(wrong, 100)
    assert list((tmp_path / "runs").iterdir())
    rows = metrics[
        "rows_to_answer"
    ]  # --inspect: the test image 0 read row by row, and all test images
    assert 1 <= rows["median"] <= rows["p90"] <= rows["p99"] <= 28
    out = capsys.readouterr().out
    assert "Test image 0 (a 7), read row by row" in out
    table = [
        line.split()
        for line in out.splitlines()
        if line[:4].strip().isdigit() and line.rstrip().endswith("%")
    ]
    assert [int(row[0]) for row in table] == list(range(1, 29)) and all(
        0 <= int(row[1]) <= 9 for row in table
    )
    guesses = [row[1] for row in table]
    explains(
        drawn["rows.png"],
        rows_png,
        "Test image 0 (a 7), read row by row",
        names=guesses,
        signed=False,
    )


def test_the_article_recipe_counts_steps(run, capsys):
    metrics = run(main, "--recipe", "article", "--epochs", "20")
    out = capsys.readouterr().out
    assert "For iter   10  Accuracy" in out and "For iter   20  Accuracy" in out
    assert "on the first 128 test images" in out and metrics["steps"] == 20


def test_ctrl_c_still_saves_and_the_model_reads_a_digit_of_ones_own(
    run, tmp_path, fails, stop_after
):
    path = str(tmp_path / "mnist.keras")
    digit = mnist_rows.load_mnist(SAMPLE)["x_test"][0]  # a 7
    paper = (200 - digit.astype(np.int64) * 200 // 255).astype(np.uint8)  # dark ink on grey paper
    drawn = np.repeat(
        np.kron(paper, np.ones((2, 2), np.uint8))[..., None], 3, axis=-1
    )  # RGB, 56x56
    image = tmp_path / "seven.png"
    image.write_bytes(tf.io.encode_png(drawn).numpy())
    assert (
        np.abs(mnist_rows.read_image(str(image), "--predict")[0] - digit / 255).mean() < 0.05
    )  # resized, inverted, stretched back
    stop_after(mnist_rows, mnist_rows.EpochsDone, epochs=1)  # Ctrl-C: it still evaluates, saves
    trained = run(
        main,
        "--epochs",
        "3",
        "--batch-size",
        "64",
        "--save",
        path,
        "--predict",
        str(image),
        "--inspect",
        str(image),
    )  # a file, after training
    assert (
        trained["epochs"] == 1
        and trained["examples"] == 1000
        and not list(tmp_path.glob("lstm-backups/*"))
    )
    loaded = main(["--load", path, "--predict", str(image)])
    assert 0 <= loaded["prediction"] <= 9 and sum(loaded["probabilities"]) == pytest.approx(
        1, abs=1e-4
    )
    assert loaded["prediction"] == trained["prediction"]
    # ... and with --load: the test image of a number (over the test set), a file (no dataset)
    rows = main(["--load", path, "--inspect", "3"])["rows_to_answer"]
    assert rows == trained["rows_to_answer"]
    keras.datasets.mnist.load_data = None  # (the fixture puts it back) no dataset is read
    assert main(["--load", path, "--inspect", str(image)])["rows_to_answer"] is None
    again = run(main, "--load", path, "--epochs", "0")
    assert again["epochs"] == 1 and again["examples"] == 1000  # the epochs it holds
    not_image = tmp_path / "notes.txt"
    not_image.write_text("a seven")
    fails(main, ["--load", path, "--predict", str(not_image)], "not an image TensorFlow can read")
    fails(main, ["--load", path, "--predict", str(tmp_path / "missing.png")], "no such file")
    fails(main, ["--load", path, "--hidden", "64"], "--hidden 64 does not fit")
    fails(main, [*QUICK, "--save", path], "the file exists; pass --overwrite")
    fails(
        main, [*QUICK, "--predict", str(not_image)], "not an image TensorFlow can read"
    )  # before any training
    fails(
        main,
        [*QUICK, "--inspect", str(tmp_path / "missing.png")],
        f"--inspect {tmp_path / 'missing.png'}: no such file",
    )
    fails(
        main,
        ["--load", path, "--inspect", "1000"],
        "give a test image from 0 to 999, or a file",
    )
    fails(
        main,
        ["--load", path, "--inspect-png", str(tmp_path / "rows.png")],
        "give --inspect IMAGE too",
    )


def test_images_as_drawing_programs_save_them(tmp_path, fails):
    """A black digit on a transparent background (RGBA), a GIF, a BMP: each read as the digit it
    holds; an image too small, or of one shade, refused in one line."""
    from PIL import Image

    digit = mnist_rows.load_mnist(SAMPLE)["x_test"][0]  # a 7, light on black
    black_ink = np.stack([np.zeros_like(digit)] * 3 + [digit], axis=-1)  # alpha holds the digit
    Image.fromarray(black_ink, "RGBA").save(tmp_path / "drawn.png")
    Image.fromarray(255 - digit).save(tmp_path / "drawn.gif")  # dark ink on white paper
    Image.fromarray(255 - digit).convert("RGB").save(tmp_path / "drawn.bmp")
    for name in ("drawn.png", "drawn.gif", "drawn.bmp"):
        read = mnist_rows.read_image(str(tmp_path / name), "--predict")[0]
        assert np.abs(read - digit / 255).mean() < 0.05, name
    Image.fromarray(digit[:1, :1]).save(tmp_path / "dot.png")
    Image.fromarray(np.full((28, 28), 255, np.uint8)).save(tmp_path / "blank.png")
    fails(main, ["--predict", str(tmp_path / "dot.png")], "1x1 pixels, 0% contrast: not a digit")
    fails(
        main, ["--predict", str(tmp_path / "blank.png")], "28x28 pixels, 0% contrast: not a digit"
    )
    fails(main, ["--inspect", "²"], "--inspect ²: no such file")  # a digit to str, not to int
