"""What every script's tests share: a run as a user makes it, a bad input as a user types it, and
a run stopped by Ctrl-C, by a crash or by kill -9."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MNIST_SAMPLE = ROOT / "data" / "mnist_sample.npz"  # 2,000 training and 1,000 test digits
# The keys every script's --json writes (the benchmark reads them).
JSON_KEYS = {
    "script",
    "recipe",
    "metric",
    "value",
    "examples",
    "epochs",
    "train_seconds",
    "total_seconds",
}


@pytest.fixture(autouse=True)
def own_temporary_folder(tmp_path, monkeypatch):
    """Each test's temporary files (the scripts' tempfile.gettempdir()) in its own folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.fixture(autouse=True)
def mnist_download_is_the_sample(monkeypatch):
    """No test downloads: Keras' MNIST downloader returns the repository's sample (2,000 training
    and 1,000 test digits), as a cached download would, and on CI as here."""
    import keras

    with np.load(MNIST_SAMPLE) as sample:
        arrays = [sample[key] for key in ("x_train", "y_train", "x_test", "y_test")]
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: (arrays[:2], arrays[2:]))


@pytest.fixture
def run(tmp_path):
    """run(main, *argv): the script's main() with --json, and that file read back."""

    def run(main, *argv):
        path = tmp_path / f"metrics-{len(list(tmp_path.glob('metrics-*.json')))}.json"
        returned = main([*argv, "--json", str(path)])
        written = json.loads(path.read_text())
        assert JSON_KEYS <= set(written) and written["value"] == returned["value"]
        return written

    return run


@pytest.fixture
def fails(capsys):
    """fails(main, argv, message): exit status 2 and one line on stderr that says what is wrong."""

    def fails(main, argv, message):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.count("\n") == 1, err

    return fails


def without_timings(metrics):
    """A run's metrics less what the clock decides: what the same seed must repeat exactly."""
    return {key: value for key, value in metrics.items() if "seconds" not in key}


@pytest.fixture
def stop_after(monkeypatch):
    """stop_after(script, callback_class, epochs): the user presses Ctrl-C as epoch `epochs` ends,
    as the script's signal thread would say so (tests/test_every_script.py sends the signal)."""

    def stop_after(script, callback_class, epochs=2):
        on_epoch_end = callback_class.on_epoch_end
        monkeypatch.setattr(script, "STOP", threading.Event())  # this test's, not the next one's

        def interrupt(self, epoch, logs):
            on_epoch_end(self, epoch, logs)
            if epoch + 1 == epochs:
                script.STOP.set()

        monkeypatch.setattr(callback_class, "on_epoch_end", interrupt)

    return stop_after


@pytest.fixture
def kill_after(tmp_path):
    """kill_after(script, argv, epochs): the script in a process of its own, as a user starts it,
    killed with SIGKILL (no clean-up runs) once its backup holds `epochs` finished epochs;
    returns the epochs it holds."""

    def kill_after(script, argv, epochs=2):
        log = tmp_path / f"{script}.log"
        with open(log, "w") as output:
            process = subprocess.Popen(
                [sys.executable, str(ROOT / script), *argv],
                cwd=tmp_path,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "TMPDIR": str(tmp_path)},
            )
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline and process.poll() is None:
                for path in tmp_path.glob("lstm-backups/*/backup.json"):
                    try:
                        done = json.loads(path.read_text())["epoch"]
                    except ValueError:  # caught half written
                        continue
                    if done >= epochs:
                        os.kill(process.pid, signal.SIGKILL)
                        process.wait()
                        return done
                time.sleep(0.01)
        finally:
            process.kill()
        raise AssertionError(
            f"{script} ended or hung before epoch {epochs}:\n{log.read_text()[-3000:]}"
        )

    return kill_after


@pytest.fixture
def figures(monkeypatch):
    """figures(script): the figures the script draws, by the name of the PNG each goes to (still
    written)."""
    drawn = {}

    def figures(script):
        publish = script.publish

        def keep(path, write, replace):
            if hasattr(write, "__self__"):  # a figure's savefig: a picture
                drawn[pathlib.Path(path).name] = write.__self__
            return publish(path, write, replace)

        monkeypatch.setattr(script, "publish", keep)
        return drawn

    return figures


def explains(figure, path, title, symbols=None, names=(), signed=True):
    """What a reader of a figure relies on: the PNG decodes; the title names the input; one axis
    has the input's symbols as its tick labels; the things it names (units, words, digits) are in
    it; a colour bar where values are signed."""
    from matplotlib.image import imread

    assert imread(path).shape[2] in (3, 4)
    assert title in figure.get_suptitle(), figure.get_suptitle()
    seen = [figure.get_suptitle()]
    for ax in figure.axes:
        seen += [
            ax.get_title(),
            ax.get_xlabel(),
            ax.get_ylabel(),
            *(text.get_text() for text in ax.texts),
        ]
        seen += [label.get_text() for label in ax.get_xticklabels() + ax.get_yticklabels()]
        seen += [
            text.get_text() for text in (ax.get_legend().get_texts() if ax.get_legend() else [])
        ]
    if symbols is not None:
        assert any(
            [label.get_text() for label in ax.get_xticklabels()] == list(symbols)
            for ax in figure.axes
        )
    missing = [name for name in names if not any(name in text for text in seen)]
    assert not missing, (missing, seen)
    assert any(ax.get_label() == "<colorbar>" for ax in figure.axes) == signed
