"""sign_sum_diy_lstm.py: the data's facts, the hand-written cell equal to Keras', and every way
to call it."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import sign_sum_diy_lstm as diy
from conftest import explains

main = diy.main
SHORT = ["--epochs", "3"]  # 1024 training sequences, 3 epochs: about a second


def decode(vectors):
    """encode_sequence's inverse: [length, 3] -> 'I+0'."""
    return "".join(diy.SYMBOLS[int(np.argmax(v)) + 1 if v.any() else 0] for v in vectors)


# The data: the article's examples, and every sequence once.


@pytest.mark.parametrize(
    "text, total",
    [
        ("I++000", -2),
        ("------", -6),
        ("00-+++", 2),
        ("+-+-+-", 0),
        ("0++000", 2),
        ("I+I+", 0),
        ("II++", 2),
        ("-I-", 0),
        ("", 0),
    ],
)
def test_the_sums(text, total):
    assert diy.sequence_sum(text) == total


def test_encoding_as_the_original_did():
    assert diy.encode_sequence("0+-I").tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert decode(diy.encode_sequence("I+-0I+")) == "I+-0I+"
    with pytest.raises(ValueError, match="one or more of the symbols"):
        diy.encode_sequence("++x")


def test_every_sequence_once_with_its_running_sums():
    inputs, sums = diy.all_sequences(6)
    texts = [decode(x) for x in inputs]
    assert len(set(texts)) == 4**6 == 4096
    assert all(
        sums[i, k] == diy.sequence_sum(t[: k + 1]) for i, t in enumerate(texts) for k in range(6)
    )


def test_a_quarter_trains_and_the_rest_tests():
    train, test = diy.make_data([6], [1, 6, 9], seed=0)
    (train_inputs, _), (test_inputs, _) = train[6], test[6]
    assert len(train_inputs) == 1024 and len(test_inputs) == 3072
    seen = {decode(x) for x in train_inputs}
    assert seen.isdisjoint(decode(x) for x in test_inputs)
    assert (
        len(test[1][0]) == 4 and len(test[9][0]) == diy.MAX_SAMPLE
    )  # untrained lengths: all, or a sample
    inputs, sums = test[9]
    assert all(sums[i, -1] == diy.sequence_sum(decode(x)) for i, x in enumerate(inputs[:100]))


# The proof: the hand-written cell is Keras' LSTM. The article: "you'll achieve better results
# with TensorFlow's own LSTM". Same weights, same sums?


def keras_to_diy(kernel, recurrent_kernel, bias):
    """keras.layers.LSTM's weights (or gradients) as DiyLSTM's, by name: {"W_f": ..., "b_f": ...}.
    Keras packs the gates as i, f, c, o, the input and recurrent kernels apart; [h, x] puts h
    first. By name, not by place: a learner's added weight (a peephole) moves none of these."""
    units, arranged = recurrent_kernel.shape[0], {}
    for gate, name in enumerate("ifCo"):
        columns = slice(gate * units, (gate + 1) * units)
        weights = np.concatenate([recurrent_kernel[:, columns], kernel[:, columns]], axis=0)
        arranged.update({f"W_{name}": weights, f"b_{name}": bias[columns]})
    return arranged


def compare_with_keras(units=diy.LSTM_SIZE, lengths=(1, 6, 11), batch=64, seed=0):
    """DiyLSTM and keras.layers.LSTM, same weights, random inputs of each length: the largest gap of
    outputs, and of gradients (to the inputs and every weight, relative where above 1)."""
    keras_lstm, cell = (
        keras.layers.LSTM(units, return_sequences=True, seed=seed),
        diy.DiyLSTM(units),
    )
    keras_lstm.build((None, None, diy.FEATURE_SIZE))
    cell.build((None, None, diy.FEATURE_SIZE))
    for name, value in keras_to_diy(*map(np.asarray, keras_lstm.cell.weights)).items():
        next(weight for weight in cell.weights if weight.name == name).assign(value)
    rng = np.random.default_rng(seed)

    def outputs_and_gradients(layer, data, probe):
        with tf.GradientTape() as tape:
            tape.watch(data)
            outputs = layer(data)
            loss = tf.reduce_sum(outputs * probe)  # a random linear probe of every output
        return outputs, tape.gradient(loss, [data, *layer.trainable_weights])

    worst_output = worst_gradient = 0.0
    for length in lengths:
        data, probe = (
            tf.constant(rng.normal(size=(batch, length, n)), tf.float32) for n in (3, units)
        )
        keras_out, (keras_dx, *keras_grads) = outputs_and_gradients(keras_lstm, data, probe)
        diy_out, diy_grads = outputs_and_gradients(cell, data, probe)
        worst_output = max(worst_output, float(np.abs(keras_out - diy_out).max()))
        by_name = keras_to_diy(*(grad.numpy() for grad in keras_grads))
        expected = [keras_dx, *(by_name[weight.name] for weight in cell.trainable_weights)]
        for want, got in zip(expected, diy_grads):
            error = np.abs(want - got).max() / max(np.abs(want).max(), 1.0)
            worst_gradient = max(worst_gradient, float(error))
    return dict(worst_output=worst_output, worst_gradient=worst_gradient)


def test_the_hand_written_cell_equals_keras_lstm_in_outputs_and_gradients():
    worst_output, worst_gradient = compare_with_keras(seed=3).values()
    assert worst_output < 1e-5 and worst_gradient < 1e-5


def test_steps_reads_every_gate_of_the_same_cell_as_the_while_loop():
    cell, (inputs, _) = diy.DiyLSTM(8), diy.all_sequences(3)
    outputs = cell(inputs).numpy()  # [64, 3, 8]: h after every step, from tf.while_loop
    inside = cell.steps(inputs)
    assert set(inside) == {"forget", "input", "candidate", "conveyor", "output"}
    assert all(values.shape == (64, 3, 8) for values in inside.values())
    assert np.allclose(inside["output"] * np.tanh(inside["conveyor"]), outputs, atol=1e-6)


# Runs, as a user makes them.


def test_a_short_run_learns(run):
    """(That the same seed repeats a run exactly, the test of a crashed run shows.)"""
    first = run(main, "--target-error", "0.05")  # stops as soon as 95% of the test sums are right
    assert first["script"] == "sign_sum_diy_lstm.py" and first["metric"] == "test_error"
    assert first["examples"] == 3072 and first["value"] <= 0.05 and first["epochs"] < 50


def test_any_length_trains_and_is_scored_per_length(run):
    metrics = run(main, "--train-lengths", "1-4", "--epochs", "2")
    assert metrics["examples"] == 3 + 12 + 48 + 192  # three quarters of each trained length
    assert sorted(metrics["error_per_length"], key=int) == [str(n) for n in range(1, 9)]


def test_save_then_load_predicts_the_same_for_any_length(run, tmp_path, capsys):
    path = str(tmp_path / "diy.keras")
    trained = run(main, *SHORT, "--save", path, "--predict", "-+0I+-+")  # as typed: starts with '-'
    loaded = main(["--load", path, "--predict", "-+0I+-+"])
    assert loaded["raw"] == pytest.approx(trained["raw"], abs=1e-6)
    assert "-+0I+-+ = -1" in capsys.readouterr().out
    assert isinstance(keras.models.load_model(path).layers[0], diy.DiyLSTM)
    again = run(main, "--load", path, "--epochs", "0")
    assert again["value"] == trained["value"]


def test_inspect_after_training_and_from_a_saved_model(run, tmp_path, capsys, figures):
    path, png = tmp_path / "diy.keras", tmp_path / "inside.png"
    drawn = figures(diy)
    trained = run(
        main,
        "--train-lengths",
        "1-4",
        "--epochs",
        "10",
        "--save",
        str(path),
        "--inspect",
        "-+I0",
    )
    for unit, r, r_all in (
        found.values() for found in trained["units"].values()
    ):  # the sum's, the sign's
        assert (
            0 <= unit < 24 and -1 <= r <= 1 and abs(r) <= r_all + 1e-6
        )  # all units do at least as well as one
    capsys.readouterr()
    loaded = main(["--load", str(path), "--inspect", "-+I0", "--inspect-png", str(png)])
    assert loaded["units"] == trained["units"]
    rows = [
        line.split() for line in capsys.readouterr().out.splitlines() if line[:5].strip().isdigit()
    ]
    assert [row[1] for row in rows] == ["-", "+", "I", "0"] and all(len(row) == 14 for row in rows)
    (sum_unit, sum_r, _), (sign_unit, sign_r, _) = (
        found.values() for found in loaded["units"].values()
    )
    explains(
        drawn["inside.png"],
        png,
        "as it reads '-+I0'",
        symbols="-+I0",
        names=[
            f"{sum_unit}: sum, r = {sum_r:+.2f}",
            f"{sign_unit}: sign, r = {sign_r:+.2f}",
            "Forget gate",
            "Input gate",
            "Candidate",
            "Conveyor C_t",
            "Output gate",
            "the model's",
        ],
    )


def test_ctrl_c_still_evaluates_and_saves(run, tmp_path, stop_after):
    stop_after(diy, diy.TestCheck, epochs=2)
    path = tmp_path / "diy.keras"
    metrics = run(main, "--epochs", "50", "--save", str(path))
    assert metrics["epochs"] == 2 and metrics["examples"] == 3072 and path.exists()


def test_dry_run_with_tensorboard_logs(run, tmp_path):
    metrics = run(main, "--dry-run", "--log-dir", str(tmp_path / "runs"))
    assert metrics["epochs"] == 1
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert list((run_dir / "train").iterdir())  # TensorBoard's event file


# Bad input: one line, exit status 2, nothing on disk harmed.


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--predict", "00-+x+"],
            "argument --predict: '00-+x+': give one or more of the symbols 0 + - I",
        ),
        (["--predict", ""], "give one or more of the symbols"),
        (
            ["--train-lengths", "0"],
            "argument --train-lengths: '0': give lengths from 1 to 10, as 6, 1-8 or 4,6",
        ),
        (["--train-lengths", "six"], "give lengths from 1 to 10"),
        (["--train-lengths", "1-11"], "give lengths from 1 to 10"),
        (["--epochs", "-2"], "argument --epochs: '-2': give a whole number from 0 to 100,000"),
        (
            ["--batch-size", "0"],
            "argument --batch-size: '0': give a whole number from 1 to 100,000",
        ),
        (["--lr", "0"], "argument --lr: '0': give a number above 0"),
        (["--hidden", "0"], "argument --hidden: '0': give a whole number from 1 to 1,024"),
        (["--load", "missing.keras"], "No such file or directory"),
        (["--save", "diy.h5"], "give a file name ending in .keras"),
        (["--log-dir", __file__], "give a folder, not a file"),
        (["--recipe", "slow"], "invalid choice: 'slow'"),
        (["--inspect", "+x"], "argument --inspect: '+x': give one or more of the symbols 0 + - I"),
        (
            ["--inspect-png", "inside.png"],
            "--inspect-png draws what --inspect shows: give --inspect SEQUENCE too",
        ),
        (["--inspect", "+", "--inspect-png", "inside.jpg"], "give a file name ending in .png"),
    ],
)
def test_bad_flags(fails, argv, message):
    fails(main, argv, message)


def test_bad_model_files_and_an_existing_file(run, fails, tmp_path):
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_text("not a model")
    fails(main, ["--load", str(corrupt)], "not a model saved by sign_sum_diy_lstm.py")
    path = tmp_path / "diy.keras"
    run(main, "--dry-run", "--save", str(path))
    saved = path.read_bytes()
    fails(main, ["--load", str(path), "--hidden", "8"], "--hidden 8 does not fit")
    fails(main, ["--dry-run", "--save", str(path)], "the file exists; pass --overwrite")
    assert path.read_bytes() == saved
