"""The terminal's skeleton is the same text in the four scripts: a function or class that all four
define below the divider must read alike, so that one copy edited alone fails, named."""

import ast

import pytest

from conftest import ROOT

SCRIPTS = ["count_ones.py", "sign_sum_diy_lstm.py", "aesop_next_word.py", "mnist_rows.py"]
SHARED = ["fail", "checked", "whole", "check_outputs", "publish", "load_model",
          "settle", "Checkpoint", "log_dir", "main", "on_signals", "__main__"]  # fmt: skip


def terminal_part(script):
    """{name: source} of the top-level definitions below the divider."""
    text = (ROOT / script).read_text()
    below = text[text.index("# --- Running it from the terminal") :]
    tree = ast.parse(below)
    return {
        getattr(node, "name", "__main__"): ast.get_source_segment(below, node)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.If))  # the If: __main__'s block
    }


@pytest.mark.parametrize("name", SHARED)
def test_each_shared_definition_reads_alike_in_the_four_scripts(name):
    copies = {script: terminal_part(script).get(name) for script in SCRIPTS}
    assert all(copies.values()), f"{name} is missing from {[s for s, c in copies.items() if not c]}"
    differ = [script for script in SCRIPTS[1:] if copies[script] != copies[SCRIPTS[0]]]
    assert not differ, f"{name} differs from count_ones.py's in {differ}"
