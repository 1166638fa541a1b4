"""benchmarks/reproduce.py and seeds.py: the tables they write from the scripts' --json output
(the runs themselves are what the benchmarks are for, minutes each; here only what they make of
them)."""

import datetime
import importlib.util
import json
import pathlib
import sys

import pytest


def load(name):
    """A benchmark script as a module (benchmarks/ is no package)."""
    path = pathlib.Path(__file__).parent.parent / "benchmarks" / f"{name}.py"
    sys.path.insert(0, str(path.parent))  # seeds.py imports reproduce.py beside it
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reproduce, seeds = load("reproduce"), load("seeds")


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


def test_seeds_reads_its_seed_list_and_refuses_a_bad_one():
    assert seeds.seed_list("0-3,7") == [0, 1, 2, 3, 7] and seeds.seed_list("4") == [4]
    with pytest.raises(Exception):
        seeds.seed_list("-1")


def test_seeds_tabulates_every_seed_and_a_run_cut_short_keeps_the_seeds_it_finished(tmp_path):
    started, cut = [], []

    def run(script, recipe, extra, log_dir, shown, env):  # as reproduce.run, without a process
        seed = int(extra[extra.index("--seed") + 1])
        if seed == 2 and not cut:
            cut.append(seed)
            raise InterruptedError  # the first time at seed 2: the run is cut short
        started.append(seed)
        assert env["ONEDNN_MAX_CPU_ISA"] == "AVX2"
        return metrics("fast", 0.0005 + 0.0003 * seed, 10.0 + seed, seed=seed)

    argv = ["count_ones.py", "--seeds", "0-3", "--isa", "avx2", "--folder", str(tmp_path)]
    with pytest.raises(InterruptedError):
        seeds.main(argv, run=run)
    assert started == [0, 1]  # ... and what it finished is kept:
    runs = seeds.main(argv, run=run)
    assert started == [0, 1, 2, 3] and [r["seed"] for r in runs] == [0, 1, 2, 3]
    table = (tmp_path / "count_ones-fast-avx2.md").read_text()
    assert "| test_error 0.050% / 0.095% / 0.140% | 2 of 4 seeds at the mark |" in table
    assert "| 10.0 / 11.5 / 13.0 |" in table and "| 3 | 0.140% | **no** |" in table
    assert "ONEDNN_MAX_CPU_ISA=AVX2 python count_ones.py --recipe fast" in table
