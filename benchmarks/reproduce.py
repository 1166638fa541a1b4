"""Reproduce every article in one command: each script under --recipe article and --recipe fast.

    python benchmarks/reproduce.py                                   # everything to its end (about 17 min on 2 cores)
    python benchmarks/reproduce.py --quick                           # the article recipes capped (about 10 min)
    python benchmarks/reproduce.py --mnist-dir ../shared/data/mnist  # MNIST from a folder

Each run is the script itself in a new process, exactly as a user starts it, with
--json; this file reads those and writes benchmarks/results.md and results.json.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# script, the article's own figure, how the figure is read, and --quick's cap on the article recipe
SCRIPTS = [
    ("count_ones.py", "0.1% error after 5000 epochs", ["--epochs", "200"]),
    ("sign_sum_diy_lstm.py", "none given (73.9% wrong at epoch 60, where its log stops)", ["--epochs", "1000"]),
    ("aesop_next_word.py", "Average Accuracy 91.20% at 50,000 iterations (Listing 8)", ["--epochs", "10"]),
    ("mnist_rows.py", "99.21% on the first 128 test images, 799 steps", []),
]


def machine():
    """The CPU's name and core count, as this machine reports them."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            name = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{name}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def run(script, recipe, extra, log_dir, shown):
    """One script, one recipe, in its own process; its --json output, with the command and capped flag."""
    json_path = os.path.join(log_dir, f"{script[:-3]}-{recipe}.json")
    command = [sys.executable, script, "--recipe", recipe, "--json", json_path, *extra]
    with open(os.path.join(log_dir, f"{script[:-3]}-{recipe}.log"), "w") as log:
        started = time.perf_counter()
        code = subprocess.call(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        raise SystemExit(f"reproduce.py: {' '.join(command[1:])} failed with status {code}; see {log.name}")
    with open(json_path) as f:
        metrics = json.load(f)
    metrics["command"] = "python " + " ".join(shown.get(word, word) for word in command[1:] if word not in
                                              (command[command.index("--json")], json_path))
    metrics["wall_seconds"] = round(time.perf_counter() - started, 1)
    return metrics


def figure(metrics):
    value = metrics["value"]
    if metrics["metric"] == "test_error":
        return f"error {value:.3%}"
    extra = ""
    if "accuracy_first_128" in metrics:
        extra = f" (first 128: {metrics['accuracy_first_128']:.2%})"
    if metrics.get("average_accuracy") is not None:
        extra = f" (Average Accuracy: {metrics['average_accuracy']:.2%})"
    return f"accuracy {value:.2%}{extra}"


def steps(metrics):
    if "iterations" in metrics and metrics["recipe"] == "article":
        return f"{metrics['iterations']:,} iterations"
    if metrics["script"] == "mnist_rows.py" and metrics["recipe"] == "article":
        return f"{metrics['steps']} steps"
    return f"{metrics['epochs']} epochs"


def write_results(results, invocation, started, folder=HERE):
    """results.md (the table and the commands) and results.json (every run's metrics) in `folder`."""
    tensorflow = results[0]["tensorflow"] if results else "?"
    lines = [
        "# Reproducing the four articles",
        "",
        f"Written by `{invocation}` on "
        f"{started:%Y-%m-%d}. Machine: {machine()}; TensorFlow {tensorflow}, no GPU.",
        "Seconds: `train` is the script's training, `total` its own measure from `main()` to its last line, "
        "`wall` the whole process (Python and TensorFlow's start-up included).",
        "",
        "| script | recipe | the article's figure | ours | measured on | epochs or steps | train s | total s | wall s | wall time, fast vs article |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_key = {(r["script"], r["recipe"]): r for r in results}
    for script, article_figure, _ in SCRIPTS:
        for recipe in ("article", "fast"):
            r = by_key.get((script, recipe))
            if r is None:
                continue
            capped = " (capped by --quick)" if r.get("capped") else ""
            article = by_key.get((script, "article"))
            speedup = ""
            if recipe == "fast" and article and not article.get("capped"):
                ratio = article["wall_seconds"] / r["wall_seconds"]
                speedup = f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"
            lines.append(f"| `{script}` | {recipe} | {article_figure if recipe == 'article' else ''} | "
                         f"{figure(r)}{capped} | {r['examples']:,} | {steps(r)} | {r['train_seconds']:.1f} | "
                         f"{r['total_seconds']:.1f} | {r['wall_seconds']:.1f} | {speedup} |")
    lines += ["", "Commands, each run from the repository's top folder:", ""]
    lines += [f"- `{r['command']}`" for r in results]
    with open(os.path.join(folder, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump(dict(machine=machine(), invocation=invocation, date=f"{started:%Y-%m-%d}", runs=results), f, indent=2)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run every script under both recipes and write benchmarks/results.md.")
    parser.add_argument("--quick", action="store_true",
                        help="cap the article recipes (200, 1000 and 10,000 of their epochs or iterations) so the "
                             "whole run takes about 10 minutes on 2 cores (default: off)")
    parser.add_argument("--mnist-dir", metavar="DIR", help="MNIST for mnist_rows.py --data-dir (default: the script's "
                                                           "own loading: Keras' download, else its sample)")
    parser.add_argument("--only", metavar="SCRIPT", help="run only this script, e.g. count_ones.py (default: all four)")
    args = parser.parse_args(argv)
    started = datetime.datetime.now()
    log_dir = tempfile.mkdtemp(prefix="reproduce-")
    print(f"Logs of each run: {log_dir}")
    plan = [(script, recipe, cap) for script, _, cap in SCRIPTS for recipe in ("article", "fast")
            if args.only in (None, script)]
    results = []
    for k, (script, recipe, cap) in enumerate(plan, 1):
        extra = ["--data-dir", os.path.abspath(args.mnist_dir)] if script == "mnist_rows.py" and args.mnist_dir else []
        capped = bool(args.quick and recipe == "article" and cap)
        print(f"[{k}/{len(plan)}] {script} --recipe {recipe}{' (capped)' if capped else ''} ...", end=" ", flush=True)
        shown = {os.path.abspath(args.mnist_dir): args.mnist_dir} if args.mnist_dir else {}  # the path as typed
        metrics = run(script, recipe, extra + (cap if capped else []), log_dir, shown)
        metrics["capped"] = capped
        results.append(metrics)
        print(f"{figure(metrics)} on {metrics['examples']:,}, {metrics['wall_seconds']:.0f} s", flush=True)
    invocation = " ".join(["python benchmarks/reproduce.py", *(sys.argv[1:] if argv is None else argv)])
    write_results(results, invocation, started)
    print(f"Wrote {os.path.join(HERE, 'results.md')} and results.json in "
          f"{(datetime.datetime.now() - started).total_seconds() / 60:.1f} min")


if __name__ == "__main__":
    main()
