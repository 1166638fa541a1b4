"""What every script's tests share: a run as a user makes it, and a bad input as a user types it."""
import json

import pytest

# The keys every script's --json writes (the benchmark reads them).
JSON_KEYS = {"script", "recipe", "metric", "value", "examples", "epochs", "train_seconds", "total_seconds"}


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
def ctrl_c(monkeypatch):
    """ctrl_c(callback_class): the user presses Ctrl-C as the second epoch ends."""
    def ctrl_c(callback_class):
        def interrupt(self, epoch, logs):
            self.epochs_done = epoch + 1
            if epoch == 1:
                raise KeyboardInterrupt
        monkeypatch.setattr(callback_class, "on_epoch_end", interrupt)
    return ctrl_c
