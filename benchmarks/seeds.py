"""Run one recipe of one script over many seeds, and say how many reach the README's mark.

    python benchmarks/seeds.py count_ones.py                       # fast recipe, seeds 0-9
    python benchmarks/seeds.py sign_sum_diy_lstm.py --recipe article --seeds 0-4
    python benchmarks/seeds.py mnist_rows.py --extra "--data-dir ../shared/data/mnist"
    python benchmarks/seeds.py count_ones.py --isa avx2             # round as an AVX2-only CPU

Each seed is the script itself in a new process, as a user starts it, with --json (through
reproduce.py's run()). Each finished seed is added at once to benchmarks/seeds/<name>.jsonl, so a
run cut short keeps the seeds it finished, and the same command run again does only the seeds
missing; benchmarks/seeds/<name>.md is the table: the figure, the epochs and the wall time as
min / median / max over the seeds, how many reach the mark, and the peak memory, with the CPU
and its vector instructions named."""

import argparse
import json
import os
import shlex
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reproduce  # noqa: E402  (the run of one script, and the machine's description)

FOLDER = os.path.join(HERE, "seeds")
# The README's mark for each fast recipe: the figure every seed must reach (at most, at least)
MARKS = {
    "count_ones.py": (0.001, "at most", "<= 0.1% of the held-out strings wrong"),
    "sign_sum_diy_lstm.py": (0.0, "at most", "0 of 3,072 test sequences wrong"),
    "aesop_next_word.py": (199 / 201, "at least", "199 of the 201 windows right"),
    "mnist_rows.py": (0.9915, "at least", ">= 99.15% of the 10,000 test images right"),
}


def seed_list(text):
    """'0-9' -> [0, ..., 9]; '3,5,8' -> [3, 5, 8]; '4' -> [4]."""
    seeds = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds += range(int(low), int(high or low) + 1)
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give seeds as 0-9, 3,5,8 or 4")
    return sorted(set(seeds))


def reaches(metrics, recipe):
    """Whether a run reaches its script's mark (the fast recipe's; the article's has none)."""
    if recipe != "fast":
        return None
    mark, way, _ = MARKS[metrics["script"]]
    return metrics["value"] <= mark if way == "at most" else metrics["value"] >= mark - 1e-12


def spread(values, form="{:g}"):
    """min / median / max of the values, each in `form`."""
    return " / ".join(form.format(v) for v in (min(values), statistics.median(values), max(values)))


def table(runs, script, recipe, command, cpu):
    """The markdown of one recipe over its seeds: the summary row, then a row per seed."""
    percent = "{:.3%}" if runs[0]["metric"] == "test_error" else "{:.2%}"
    marked = [reaches(r, recipe) for r in runs]
    mark = f"{sum(marked)} of {len(runs)} seeds at the mark" if recipe == "fast" else "no mark"
    lines = [
        f"# {script} --recipe {recipe}, seeds {', '.join(str(r['seed']) for r in runs)}",
        "",
        f"Command: `{command}` (each seed adds `--seed N`). Machine: {cpu}.",
        "",
        "| figure (min / median / max) | at the mark | epochs (min / median / max) | "
        "wall s (min / median / max) | peak MB (max) |",
        "|---|---|---|---|---|",
        f"| {runs[0]['metric']} {spread([r['value'] for r in runs], percent)} | {mark} | "
        f"{spread([r['epochs'] for r in runs])} | "
        f"{spread([r['wall_seconds'] for r in runs], '{:.1f}')} | "
        f"{max(r['peak_mb'] for r in runs):,} |",
        "",
        "| seed | figure | at the mark | epochs | wall s | peak MB |",
        "|---|---|---|---|---|---|",
    ]
    for r, ok in zip(runs, marked):
        verdict = {True: "yes", False: "**no**", None: "-"}[ok]
        lines.append(
            f"| {r['seed']} | {percent.format(r['value'])} | {verdict} | {r['epochs']} | "
            f"{r['wall_seconds']:.1f} | {r['peak_mb']:,} |"
        )
    if recipe == "fast":
        lines += ["", f"The mark: {MARKS[script][2]} (the README's)."]
    return "\n".join(lines) + "\n"


def main(argv=None, run=reproduce.run):
    parser = argparse.ArgumentParser(description="One recipe of one script over many seeds.")
    parser.add_argument("script", choices=sorted(MARKS), help="the script to run")
    parser.add_argument(
        "--recipe",
        choices=["fast", "article"],
        default="fast",
        help="the recipe (default: %(default)s)",
    )
    parser.add_argument(
        "--seeds",
        type=seed_list,
        default=seed_list("0-9"),
        help="as 0-9, 3,5,8 or 4 (default: 0-9)",
    )
    parser.add_argument(
        "--extra", default="", help="more flags for every run, in quotes (default: none)"
    )
    parser.add_argument(
        "--isa",
        choices=["native", "avx2"],
        default="native",
        help="avx2: ONEDNN_MAX_CPU_ISA=AVX2, TensorFlow's kernels round as on an "
        "AVX2-only CPU (default: %(default)s)",
    )
    parser.add_argument(
        "--folder", default=FOLDER, help="where the results go (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    extra = shlex.split(args.extra)
    name = f"{args.script[:-3]}-{args.recipe}" + ("-avx2" if args.isa == "avx2" else "")
    os.makedirs(args.folder, exist_ok=True)
    done_path = os.path.join(args.folder, f"{name}.jsonl")
    done = {}
    if os.path.exists(done_path):
        with open(done_path) as f:
            done = {r["seed"]: r for r in map(json.loads, f) if r["extra"] == extra}
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2"} if args.isa == "avx2" else None
    log_dir = os.path.join(args.folder, "logs")
    os.makedirs(log_dir, exist_ok=True)
    for k, seed in enumerate(args.seeds, 1):
        if seed in done:
            print(f"[{k}/{len(args.seeds)}] seed {seed}: done before, kept")
            continue
        print(
            f"[{k}/{len(args.seeds)}] {args.script} --recipe {args.recipe} --seed {seed} ...",
            end=" ",
            flush=True,
        )
        metrics = run(args.script, args.recipe, [*extra, "--seed", str(seed)], log_dir, {}, env)
        metrics.update(seed=seed, extra=extra, isa=args.isa)
        with open(done_path, "a") as f:  # at once: a run cut short keeps the seeds it finished
            f.write(json.dumps(metrics) + "\n")
        done[seed] = metrics
        print(
            f"{metrics['metric']} {metrics['value']:.4%}, {metrics['epochs']} epochs, "
            f"{metrics['wall_seconds']:.1f} s"
        )
    runs = [done[seed] for seed in args.seeds]
    command = f"python {args.script} --recipe {args.recipe} {args.extra}".strip()
    if args.isa == "avx2":
        command = f"ONEDNN_MAX_CPU_ISA=AVX2 {command}"
    cpu = reproduce.machine() + (
        ", rounding as AVX2 (ONEDNN_MAX_CPU_ISA=AVX2)" * (args.isa == "avx2")
    )
    text = table(runs, args.script, args.recipe, command, cpu)
    with open(os.path.join(args.folder, f"{name}.md"), "w") as f:
        f.write(text)
    print(text)
    return runs


if __name__ == "__main__":
    main()
