"""The sweeps that chose the fast recipes: a script run over a grid of flags and seeds, each run as
a user starts it.

    python benchmarks/sweep.py count_ones.py --grid "--lr 0.02 0.03" --grid "--balance 0 0.5"
    --seeds 0 1 2
    python benchmarks/sweep.py mnist_rows.py --grid "--epochs 8 9" --seeds 0 --extra "--data-dir
    ../shared/data/mnist"

Each run is the script in a new process with --json; the table (one row a run: the flags, the
figure, epochs, seconds) is printed as the runs end and written to benchmarks/sweeps/, named
after the script and the time, with the command that made it."""

import argparse
import datetime
import itertools
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run a script over a grid of flags and seeds; write the table."
    )
    parser.add_argument(
        "script", help="count_ones.py, sign_sum_diy_lstm.py, aesop_next_word.py or mnist_rows.py"
    )
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar='"--FLAG V1 V2 ..."',
        help="a flag and the values to try; several --grid give every combination (default: none)",
    )
    parser.add_argument(
        "--seeds", nargs="+", default=["0"], help="seeds to run each combination with (default: 0)"
    )
    parser.add_argument(
        "--extra", default="", help="flags added to every run, e.g. --data-dir DIR (default: none)"
    )
    args = parser.parse_args(argv)
    grids = [shlex.split(grid) for grid in args.grid]
    combinations = [
        [word for (flag, *_), value in zip(grids, values) for word in (flag, value)]
        for values in itertools.product(*(values for _, *values in grids))
    ]
    started, folder = datetime.datetime.now(), tempfile.mkdtemp(prefix="sweep-")
    command = shlex.join(
        ["python", "benchmarks/sweep.py", *(sys.argv[1:] if argv is None else argv)]
    )
    rows = [
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M}.",
        "",
        "| flags | seed | figure | epochs | script s | wall s |",
        "|---|---|---|---|---|---|",
    ]
    print("\n".join(rows), flush=True)
    for k, (flags, seed) in enumerate(itertools.product(combinations, args.seeds)):
        path = os.path.join(folder, f"{k}.json")
        command = [
            sys.executable,
            args.script,
            *flags,
            *shlex.split(args.extra),
            "--seed",
            seed,
            "--json",
            path,
        ]
        begun = time.perf_counter()
        with open(os.path.join(folder, f"{k}.log"), "w") as log:
            code = subprocess.call(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        if code:
            raise SystemExit(
                f"sweep.py: {' '.join(command[1:])} failed with status {code}; see {log.name}"
            )
        with open(path) as f:
            metrics = json.load(f)
        figure = f"{metrics['metric']} {metrics['value']:.3%}" + (
            " (target reached)" if metrics.get("reached") else ""
        )
        rows.append(
            f"| `{' '.join(flags) or '(defaults)'}` | {seed} | {figure} | {metrics['epochs']} | "
            f"{metrics['total_seconds']:.1f} | {time.perf_counter() - begun:.1f} |"
        )
        print(rows[-1], flush=True)
    os.makedirs(os.path.join(HERE, "sweeps"), exist_ok=True)
    out = os.path.join(HERE, "sweeps", f"{args.script[:-3]}-{started:%Y%m%d-%H%M}.md")
    with open(out, "w") as f:
        f.write(f"# Sweep of {args.script}\n\n" + "\n".join(rows) + "\n")
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
