"""Every flag of every script, given what a careless or hostile user types: one line on stderr
naming the flag, exit status 2, no traceback, and every file already there unchanged. All of it
is refused before any training."""

import argparse
import hashlib
import os

import pytest

import aesop_next_word
import count_ones
import mnist_rows
import sign_sum_diy_lstm

SCRIPTS = [count_ones, sign_sum_diy_lstm, aesop_next_word, mnist_rows]
NUMBERS = [
    "",
    "-1",
    "99999999999999999999",
    "ten",
    "nan",
    "inf",
    "-inf",
    "1e400",
]  # never a valid number here
OUTPUT_SUFFIX = {"--save": ".keras", "--json": ".json", "--log-dir": ""}  # the PNG flags: ".png"
INSPECT = {
    count_ones: "01" * 10,
    sign_sum_diy_lstm: "-+I0",
    aesop_next_word: "had a general",
    mnist_rows: "0",
}


def flags(script):
    """The script's flags that take a value, as its parser has them: {flag: argparse action}."""
    parser = {}
    original = argparse.ArgumentParser.parse_args

    def keep(self, args=None, namespace=None):
        parser["it"] = self
        return original(self, [], namespace)

    argparse.ArgumentParser.parse_args = keep
    try:
        script.parse_args([])
    finally:
        argparse.ArgumentParser.parse_args = original
    return {
        action.option_strings[-1]: action
        for action in parser["it"]._actions
        if action.option_strings and action.nargs is None and action.option_strings[-1] != "--help"
    }


def numeric(action):
    return getattr(action.type, "wanted", "").startswith(
        ("a whole number", "a number", "a fraction")
    )


def cases():
    """(script, argv, flag) for every flag and every value that must be refused."""
    for script in SCRIPTS:
        for flag, action in flags(script).items():
            if numeric(action):
                for value in NUMBERS + ["0"] * (
                    flag
                    not in (
                        "--epochs",
                        "--seed",
                        "--balance",
                        "--temperature",
                        "--target-error",
                        "--words",
                    )
                ):
                    yield script, [f"{flag}={value}"], flag
            elif action.choices:
                yield script, [f"{flag}=", flag[2:]], flag
            else:
                yield script, [f"{flag}="], flag  # empty: a bad value, never "not given"


def outputs(script):
    return [flag for flag in flags(script) if flag in OUTPUT_SUFFIX or flag.endswith("-png")]


def path_cases():
    """(script, argv, flag) for the outputs: a missing folder, a folder in the file's place, a
    folder no one may write, an existing file without --overwrite, two flags on one file; for the
    inputs: a missing file, a folder."""
    for script in SCRIPTS:
        for flag in outputs(script):
            suffix, given = (
                OUTPUT_SUFFIX.get(flag, ".png"),
                ["--inspect", INSPECT[script]] * (flag == "--inspect-png"),
            )
            if flag != "--log-dir":
                yield script, [*given, flag, f"no/such/folder/out{suffix}"], flag
                yield script, [*given, flag, "a-folder"], flag
                yield script, [*given, flag, f"existing{suffix}"], flag
                yield script, [*given, flag, f"dangling{suffix}"], flag  # a link to nothing
                yield script, [*given, flag, f"-out{suffix}"], flag  # argparse: another flag?
            if os.path.isdir("/proc"):  # root may write anywhere but in a pseudo-filesystem
                yield script, [*given, flag, f"/proc/out{suffix}"], flag
        yield script, ["--inspect-png", "both.png", "--json", "both.png", "--overwrite"], "--json"
        for flag in (
            "--load",
            "--text",
            "--predict",
            "--inspect",
            "--data-dir",
        ):  # what a run reads
            if flag in flags(script):
                yield script, [flag, "missing.file"], flag
                if flag != "--data-dir":
                    yield script, [flag, "a-folder"], flag
        yield (
            script,
            ["--load", "existing.keras", "--json", "existing.keras", "--overwrite"],
            "--json",
        )


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A folder holding a file of every kind a flag writes, and a folder: all must be as they
    were after."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-folder").mkdir()
    for suffix in (".keras", ".json", ".png"):
        (tmp_path / f"existing{suffix}").write_bytes(b"made by the user " + suffix.encode())
        (tmp_path / f"dangling{suffix}").symlink_to(tmp_path / "nowhere" / f"x{suffix}")
    return tmp_path


def hashes(folder):
    return {
        path: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize(
    "script, argv, flag",
    [*cases(), *path_cases()],
    ids=lambda x: x.__name__ if hasattr(x, "__name__") else None,
)
def test_a_bad_value_is_one_line_naming_its_flag_and_harms_nothing(
    script, argv, flag, folder, fails
):
    before = hashes(folder)
    fails(script.main, argv, flag)
    assert hashes(folder) == before
