"""aesop_next_word.py: the fable's vocabulary, windows, the ceiling, stories, and every way to
call it."""

import pathlib

import numpy as np
import pytest

import aesop_next_word as aesop
from conftest import explains, without_timings

main = aesop.main
DATA = pathlib.Path(__file__).parent.parent / "data" / "belling_the_cat.txt"
SMALL = ["--hidden", "32"]  # a small LSTM: the fable's 201 windows still fit in a few seconds


# The data: the article's facts about the fable.


def test_the_fable_is_listing_1():
    words = aesop.FABLE.split()
    assert DATA.read_text(encoding="utf-8").split() == words  # the file and the script agree
    assert len(words) == 204 and len(set(words)) == 112
    assert " ".join(words[5:8]) == "had a general"


def test_ids_rank_symbols_by_frequency():
    dictionary, reverse_dictionary = aesop.build_dataset(aesop.FABLE.split())
    assert dictionary[","] == 0 and dictionary["the"] == 1  # as the article's dictionary starts
    assert sorted(dictionary.values()) == list(range(112))
    assert all(reverse_dictionary[i] == word for word, i in dictionary.items())
    counts = [aesop.FABLE.split().count(reverse_dictionary[i]) for i in range(112)]
    assert counts == sorted(counts, reverse=True)


def test_windows_and_labels():
    inputs, labels = aesop.windows([5, 6, 7, 8, 9], 3)
    assert inputs.tolist() == [[5, 6, 7], [6, 7, 8]] and labels.tolist() == [8, 9]
    visited, following = aesop.article_windows(list(range(20)), 3, 50, np.random.default_rng(0))
    assert all(
        row[-1] + 1 == label for row, label in zip(visited, following)
    )  # the label follows its window


def test_the_ceiling_of_the_fable_is_199_of_201():
    best, ambiguous = aesop.ceiling(aesop.FABLE.split(), 3)
    assert best == 199
    assert {" ".join(c): set(n) for c, n in ambiguous.items()} == {
        "the cat .": {"some", "by"},
        "up and said": {"he", "that"},
    }


# Runs, as a user makes them.


def test_the_fast_recipe_learns_the_fable_and_tells_it(run):
    metrics = run(main, *SMALL, "--lr", "3e-2", "--epochs", "150")
    assert metrics["metric"] == "accuracy" and metrics["examples"] == 201
    assert metrics["value"] >= 0.95
    assert metrics["story"].startswith("had a general council to consider what measures")
    assert without_timings(run(main, *SMALL, "--lr", "3e-2", "--epochs", "150")) == without_timings(
        metrics
    )


def test_the_article_recipe_prints_its_averages(run, capsys):
    metrics = run(main, "--recipe", "article", *SMALL, "--epochs", "2")
    out = capsys.readouterr().out
    assert (
        "Iter= 1000, Average Loss=" in out
        and "Iter= 2000, Average Loss=" in out
        and "] vs [" in out
    )
    assert metrics["iterations"] == 2000 and 0 <= metrics["average_accuracy"] <= 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lr", "0"], "argument --lr: '0': give a number above 0"),
        (
            ["--batch-size", "0"],
            "argument --batch-size: '0': give a whole number from 1 to 100,000",
        ),
        (["--n-input", "0"], "argument --n-input: '0': give a whole number from 1 to 100"),
        (["--temperature", "-1"], "argument --temperature: '-1': give a number from 0 to 100"),
        (["--words", "-3"], "argument --words: '-3': give a whole number from 0 to 10,000"),
        (["--save", "fable.h5"], "give a file name ending in .keras"),
        (
            ["--json", "/"],
            "--json /: give a file name or - for standard output",
        ),
    ],
)
def test_bad_flags(fails, argv, message):
    fails(main, argv, message)


def test_another_text_in_another_language(run, tmp_path):
    text = tmp_path / "fabel.txt"
    text.write_text(
        "der Fuchs und die Trauben . der Fuchs sah die Trauben und die Trauben hingen hoch .",
        encoding="utf-8",
    )
    metrics = run(
        main,
        *SMALL,
        "--text",
        str(text),
        "--n-input",
        "2",
        "--generate",
        "der Fuchs",
        "--words",
        "4",
    )
    assert metrics["examples"] == 15 and metrics["story"].startswith("der Fuchs ")


def test_save_then_load_tells_the_same_story(run, tmp_path, capsys):
    path = str(tmp_path / "fable.keras")
    trained = run(main, *SMALL, "--epochs", "5", "--save", path, "--generate", "the old mouse")
    capsys.readouterr()
    main(["--load", path, "--generate", "the old mouse"])
    assert capsys.readouterr().out.strip() == trained["story"]


def test_inspect_shows_where_the_story_could_have_gone_and_the_nearest_words(
    run, tmp_path, capsys, figures
):
    path, png = tmp_path / "fable.keras", tmp_path / "steps.png"
    drawn = figures(aesop)
    trained = run(
        main,
        *SMALL,
        "--epochs",
        "5",
        "--save",
        str(path),
        "--inspect",
        "the old mouse",
        "--words",
        "6",
    )
    assert len(trained["candidates"]) == 6 and all(len(step) == 5 for step in trained["candidates"])
    for step in trained["candidates"]:
        assert [p for _, p in step] == sorted((p for _, p in step), reverse=True) and sum(
            p for _, p in step
        ) <= 1 + 1e-6
    assert set(trained["neighbours"]) == {"the", "old", "mouse"}
    assert all(
        -1 <= similarity <= 1 and word != "old" for word, similarity in trained["neighbours"]["old"]
    )
    capsys.readouterr()
    loaded = main(
        [
            "--load",
            str(path),
            "--inspect",
            "the old mouse",
            "--words",
            "6",
            "--inspect-png",
            str(png),
        ]
    )
    assert loaded["candidates"] == trained["candidates"]
    every_candidate = [
        word for step in loaded["candidates"] for word, _ in step
    ]  # whole words, never cut
    explains(
        drawn["steps.png"],
        png,
        "The story told from 'the old mouse'",
        signed=False,
        names=[f"1. the old mouse \u2192 {loaded['candidates'][0][0][0]}", *every_candidate],
    )


def test_interactive_asks_again_after_a_bad_line(tmp_path, monkeypatch, capsys):
    path = str(tmp_path / "fable.keras")
    main([*SMALL, "--dry-run", "--save", path])
    answers = iter(["had a genral", "two words", "had a general", ""])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    capsys.readouterr()
    main(["--load", path, "--interactive", "--words", "3"])
    lines = capsys.readouterr().out.splitlines()
    assert (
        "'genral' is not in the text's vocabulary; the nearest known word is 'general'" in lines[0]
    )
    assert "give exactly 3 words, not 2" in lines[1]
    assert lines[2].startswith("had a general ") and len(lines[2].split()) == 6


def test_ctrl_c_still_evaluates_and_saves(run, tmp_path, stop_after):
    stop_after(aesop, aesop.StopAtCeiling, epochs=2)
    path = tmp_path / "fable.keras"
    metrics = run(main, *SMALL, "--save", str(path))
    assert metrics["epochs"] == 2 and path.exists()


# Bad input: one line, exit status 2, nothing on disk harmed.


def test_bad_words_and_bad_texts(fails, tmp_path):
    fails(
        main,
        ["--generate", "had a genral"],
        "'genral' is not in the text's vocabulary; the nearest known word is 'general'",
    )
    fails(main, ["--generate", "had a"], "give exactly 3 words, not 2")
    fails(main, ["--inspect", "had a dog"], "--inspect: 'dog' is not in the text's vocabulary")
    fails(main, ["--inspect-png", "steps.png"], "give --inspect WORDS too")
    empty, short, latin1 = tmp_path / "empty.txt", tmp_path / "short.txt", tmp_path / "latin1.txt"
    empty.write_text("")
    short.write_text("one two three")
    latin1.write_bytes("le renard et les raisins , très haut .".encode("latin-1"))
    fails(
        main,
        ["--text", str(empty)],
        f"--text {empty}: 0 symbols; give 4 to 1,000,000",
    )
    fails(main, ["--text", str(short)], f"{short}: 3 symbols")
    fails(main, ["--text", str(latin1)], "cannot read it as UTF-8 text ('utf-8' codec can't decode")
    fails(main, ["--text", str(tmp_path / "missing.txt")], "No such file")


def test_a_model_meets_only_its_own_vocabulary(run, fails, tmp_path):
    path = tmp_path / "fable.keras"
    run(main, *SMALL, "--dry-run", "--save", str(path))
    saved = path.read_bytes()
    other = tmp_path / "other.txt"
    other.write_text("a b c d e f g", encoding="utf-8")
    fails(main, ["--load", str(path), "--text", str(other)], "trained on another vocabulary")
    fails(main, ["--load", str(path), "--n-input", "4"], "--n-input 4 does not fit")
    fails(main, [*SMALL, "--dry-run", "--save", str(path)], "the file exists; pass --overwrite")
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"PK not really")
    fails(
        main,
        ["--load", str(corrupt), "--generate", "had a general"],
        "not a model saved by aesop_next_word.py",
    )
    assert path.read_bytes() == saved


def test_a_tiny_temperature_means_its_limit_the_likeliest_symbol():
    dictionary, reverse_dictionary = aesop.build_dataset(aesop.FABLE.split())
    model = aesop.build_model(len(dictionary), 3, 8, 1, embedding=True)
    rng = np.random.default_rng(0)
    greedy = aesop.generate(model, [0, 1, 2], reverse_dictionary, 8, 0.0, rng)
    assert (
        aesop.generate(model, [0, 1, 2], reverse_dictionary, 8, 1e-50, rng) == greedy
    )  # not NaN probabilities


def test_a_text_as_editors_save_it_and_one_too_long(tmp_path, fails, monkeypatch):
    text = tmp_path / "bom.txt"
    text.write_text(aesop.FABLE, encoding="utf-8-sig")  # with a byte-order mark
    assert aesop.read_text(str(text), 3) == aesop.FABLE.split()
    monkeypatch.setattr(aesop, "MAX_SYMBOLS", 100)
    fails(main, ["--text", str(text)], f"{len(aesop.FABLE.split())} symbols; give 4 to 100")


def test_interactive_with_standard_input_closed_is_refused(fails, monkeypatch):
    monkeypatch.setattr("sys.stdin", None)
    fails(main, ["--interactive"], "--interactive reads words from standard input, which is closed")
