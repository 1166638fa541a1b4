"""benchmarks/reproduce.py: the table it writes from the scripts' --json output (the runs
themselves are what the benchmark is for, minutes each; here only what it makes of them)."""

import datetime
import importlib.util
import json
import pathlib

spec = importlib.util.spec_from_file_location(
    "reproduce", pathlib.Path(__file__).parent.parent / "benchmarks" / "reproduce.py"
)
reproduce = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reproduce)


def metrics(recipe, value, wall, capped=False, seed=0):
    return dict(
        script="count_ones.py",
        recipe=recipe,
        metric="test_error",
        value=value,
        examples=1_038_576,
        epochs=800 if recipe == "article" else 16,
        train_seconds=wall - 5,
        total_seconds=wall - 4,
        wall_seconds=wall,
        peak_mb=1900,
        tensorflow="2.21.0",
        capped=capped,
        settings=dict(seed=seed),
        command=f"python count_ones.py --recipe {recipe}",
    )


def test_the_table_gives_each_run_its_figure_the_speed_up_and_the_targets(tmp_path):
    runs = [
        metrics("article", 0.001, 200.0),
        metrics("fast", 0.0006, 20.0),
        metrics("fast", 0.0012, 14.0, seed=1),
    ]
    reproduce.write_results(
        runs,
        "python benchmarks/reproduce.py",
        started=datetime.datetime(2026, 11, 22),
        folder=tmp_path,
        minutes=7.5,
    )
    table = (tmp_path / "results.md").read_text()
    assert (
        "| `count_ones.py` | article | 0.1% error after 5000 epochs | error 0.100% | "
        "1,038,576 | 800 epochs |" in table
    )
    assert (
        "| error 0.060% | 1,038,576 | 16 epochs | 15.0 | 16.0 | 20.0 | 1900 | 10.0x faster |"
        in table
    )
    assert "| `count_ones.py` | fast, seed 1 | | error 0.120% |" in " ".join(table.split())
    assert (
        "| count_ones.py fast, seed 0: seconds by its own clock | at most 8 s | 16 s | "
        "missed by 8 s |" in table
    )
    assert (
        "| count_ones.py fast, seed 1: held-out error | at most 0.1 % | 0.12 % | missed by 0.02 % |"
        in table
    )
    assert "| the whole benchmark | at most 6 min | 7.5 min | missed by 1.5 min |" in table
    assert "- `python count_ones.py --recipe fast`" in table and "TensorFlow 2.21.0" in table
    assert json.loads((tmp_path / "results.json").read_text())["runs"] == runs


def test_a_capped_article_run_is_marked_and_gives_no_speed_up_or_target(tmp_path):
    runs = [metrics("article", 0.05, 50.0, capped=True), metrics("fast", 0.0006, 20.0)]
    reproduce.write_results(
        runs,
        "python benchmarks/reproduce.py --quick",
        started=datetime.datetime(2026, 11, 22),
        folder=tmp_path,
    )
    table = (tmp_path / "results.md").read_text()
    assert "error 5.000% (capped by --quick)" in table and "faster" not in table
    assert "held-out error | at most 0.1 %" in table and "the whole benchmark" not in table
    assert "reproduce.py --quick" in table
