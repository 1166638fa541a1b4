"""Build the four notebooks from their sources and run them, so that they are committed with their
outputs.

    python notebooks/build.py               # all four at their full settings (about 3 minutes on 2
    cores)
    python notebooks/build.py count_ones    # one of them

Each notebook's source is a jupytext "percent" script, notebooks/<script>.pct.py: plain Python
that reads well in a diff and in review, its markdown cells in comments. This writes
notebooks/<script>.ipynb from it and runs every cell in a Jupyter kernel with nbclient, started
in this folder (each notebook imports its script from the folder above). tests/test_notebooks.py
runs them the same way with tiny settings."""

import pathlib
import sys
import time

import jupytext
import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent
NAMES = ["count_ones", "sign_sum_diy_lstm", "aesop_next_word", "mnist_rows"]


def notebook(name, parameters=None):
    """The notebook of script `name`, from its source; `parameters` ({name: value}) replace those
    of the cell tagged "parameters" (as papermill does), for a quick run."""
    book = jupytext.read(HERE / f"{name}.pct.py")
    # the kernel it runs in, named, so that JupyterLab opens it without asking
    book.metadata["kernelspec"] = dict(name="python3", display_name="Python 3", language="python")
    if parameters:
        cell = next(cell for cell in book.cells if "parameters" in cell.metadata.get("tags", []))
        cell.source = "\n".join(f"{key} = {value!r}" for key, value in parameters.items())
    return book


def run(book, timeout=600, km=None):
    """Every cell of `book` in a kernel started in this folder, outputs kept; an error in a cell
    raises nbclient's CellExecutionError. `km`: a kernel already running, to share it between
    notebooks."""
    NotebookClient(
        book,
        timeout=timeout,
        kernel_name="python3",
        km=km,
        resources={"metadata": {"path": str(HERE)}},
    ).execute()
    return book


def without_start_up_chatter(book):
    """The notebook less TensorFlow's start-up lines on stderr (which CPU instructions it was
    built for, oneDNN's rounding, absl's logging): the same in every run on every machine, and
    nothing a step of the article gave."""
    chatter = (
        "WARNING: All log messages before absl",
        "I0000 ",
        "W0000 ",
        "To enable the following instructions",
    )
    for cell in book.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                output
                for output in cell.outputs
                if not (
                    output.get("name") == "stderr"
                    and all(line.startswith(chatter) for line in output.text.splitlines())
                )
            ]
    return book


def main(names):
    for name in names or NAMES:
        started = time.perf_counter()
        book = without_start_up_chatter(run(notebook(name)))
        nbformat.write(book, HERE / f"{name}.ipynb")
        print(
            f"notebooks/{name}.ipynb: {len(book.cells)} cells, run in "
            f"{time.perf_counter() - started:.0f} s"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
