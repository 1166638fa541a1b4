"""The README's TF1 -> TF2 table: every `script.py:line` it cites holds one of the calls its row
names."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_line_the_table_cites_holds_a_call_of_its_row():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| TensorFlow 1 (the articles) |") :]
    rows = table.split("\n\n")[0].splitlines()[2:]  # below the header and its |---| line
    assert len(rows) >= 15
    for row in rows:
        _, tf2, where = row.strip().strip("|").split("|")
        names = {
            name
            for code in re.findall(r"`([^`]+)`", tf2)
            for name in re.findall(r"[A-Za-z_][\w]{3,}", code)
        }
        for script, line in re.findall(r"`(\w+\.py):(\d+)`", where):
            text = (ROOT / script).read_text().splitlines()[int(line) - 1]
            assert any(name in text for name in names), (
                f"{script}:{line} holds none of {sorted(names)}: {text!r}"
            )
