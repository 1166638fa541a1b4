"""The four notebooks: each runs top to bottom in a Jupyter kernel with tiny settings, and the
committed ones are what notebooks/build.py writes from the current sources, with no error among
their outputs."""

import os
import sys

import nbformat
import pytest
from jupyter_client import KernelManager

from conftest import ROOT

sys.path.insert(0, str(ROOT / "notebooks"))
import build  # noqa: E402

TINY = {  # each notebook's parameters cell, for a run of seconds
    "count_ones": dict(EPOCHS=1, LENGTH=8, TRAIN_SIZE=128),
    "sign_sum_diy_lstm": dict(EPOCHS=2, TRAIN_LENGTHS=[1, 2, 3]),
    "aesop_next_word": dict(EPOCHS=2, HIDDEN=32),
    "mnist_rows": dict(EPOCHS=1, BATCH_SIZE=256, MNIST_NPZ="../data/mnist_sample.npz"),
}


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One kernel for the four notebooks (TensorFlow is imported once), started where build.py
    starts them, its backups in a folder of its own."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(
        cwd=str(build.HERE), env={**os.environ, "TMPDIR": str(tmp_path_factory.mktemp("k"))}
    )
    yield manager
    manager.shutdown_kernel(now=True)


def outputs(book):
    return [output for cell in book.cells if cell.cell_type == "code" for output in cell.outputs]


def errors(book):
    """The outputs of a notebook that are errors or hold a traceback."""
    return [
        output
        for output in outputs(book)
        if output.output_type == "error" or "Traceback" in str(output.get("text", ""))
    ]


def figures(book):
    """The figures a notebook shows inline."""
    return [output for output in outputs(book) if "image/png" in output.get("data", {})]


@pytest.mark.parametrize("name", build.NAMES)
def test_a_notebook_runs_top_to_bottom(name, kernel):
    book = build.run(
        build.notebook(name, TINY[name]), timeout=120, km=kernel
    )  # an error in a cell raises
    assert (
        not errors(book) and len(figures(book)) >= 2
    )  # the learning curve and --inspect's, at least


@pytest.mark.parametrize("name", build.NAMES)
def test_the_committed_notebook_is_built_from_its_source_and_holds_no_error(name):
    committed = nbformat.read(build.HERE / f"{name}.ipynb", as_version=4)
    source = build.notebook(name)

    def cells(book):  # the code and the text, but the parameters, which the build may set
        return [
            (cell.cell_type, cell.source)
            for cell in book.cells
            if "parameters" not in cell.metadata.get("tags", [])
        ]

    assert cells(committed) == cells(source)
    assert not errors(committed) and len(figures(committed)) >= 2
    assert committed.metadata["kernelspec"]["name"] == "python3"  # JupyterLab need not ask
    # the cells are the steps, each on what the cells above made: none calls the script's run()
    assert not [source for kind, source in cells(source) if ".run(" in source]
