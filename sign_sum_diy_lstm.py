"""An LSTM written by hand, gate by gate, that learns to sum sequences of + - 0 I.

"Do It Yourself LSTM with TensorFlow" (a Jupyter notebook) in TensorFlow 2 / Keras 3: the article's
headings mark the sections, run() takes its steps in order, the terminal's part is last.

    python sign_sum_diy_lstm.py                       # trains, then scores the 3,072 test sequences
    python sign_sum_diy_lstm.py --predict "00-+++"    # ... and answers for one sequence
    python sign_sum_diy_lstm.py --train-lengths 1-8   # the article's exercise: any length"""

import itertools
import math
import os
import time

os.environ["KERAS_BACKEND"] = "tensorflow"  # a TensorFlow lesson, whatever the environment says
os.environ["MPLBACKEND"] = "agg"  # pictures go to files, never a window (Keras imports matplotlib)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter

import keras
import numpy as np
import tensorflow as tf

# Settings: the article's, each a flag below
SEQUENCE_LENGTH = 6  # 4**6 = 4096 sequences
LSTM_SIZE = 24  # the size of the conveyor (the cell state)
TARGET_ERROR = 0.0  # stop once every test sequence is right
MAX_TRAIN = 1024  # training sequences per length at most: a quarter of length 6's
MAX_SAMPLE = 4096  # test sequences per length at most: 3072 are length 6's three quarters
# What every recipe shares: the task and the model
TASK = dict(train_lengths=[SEQUENCE_LENGTH], hidden=LSTM_SIZE, seed=0, target_error=TARGET_ERROR)

RECIPES = {
    # The article's: the whole training set in one batch, Adam at its default rate, the squared
    # error of the final sum added up over the batch, 4000 epochs, the test scored every 20.
    "article": dict(
        TASK,
        batch_size=0,  # 0: the whole set in one batch
        lr=1e-3,
        epochs=4000,
        every_step=False,
        suffixes=False,
        weight_decay=None,
        loss_reduction="sum",
        schedule="constant",
        check_every=20,
        print_every=200,
    ),
    # Ours: every step's sum a target (the article's goal: "the current sum at each step"), every
    # suffix a sequence, small batches, a higher rate decayed to zero, AdamW's weight decay: seeds
    # 0-9 all sum every test sequence right; 7 did not without the last two (benchmarks/sweeps).
    "fast": dict(
        TASK,
        batch_size=32,
        lr=1e-2,
        epochs=300,
        every_step=True,
        suffixes=True,
        weight_decay=0.04,
        loss_reduction="sum_over_batch_size",
        schedule="cosine",
        check_every=5,
        print_every=25,
    ),
}


# ## 1. Example Usecase
def sequence_sum(text):
    """The answer the LSTM has to learn: '+' adds one, '-' subtracts one, 'I' flips what follows."""
    total, sign = 0, 1
    for symbol in text:
        if symbol == "I":
            sign = -sign
        elif symbol in "+-":
            total += sign if symbol == "+" else -sign
    return total


# ## 2. The Data
SYMBOLS = "0+-I"  # the symbols, in the order of ENCODING's rows
ENCODING = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)  # '0' is nothing
FEATURE_SIZE = ENCODING.shape[1]  # 3: each symbol is a 3D vector


def encode_sequence(text):
    """'I+0' -> [[0,0,1], [1,0,0], [0,0,0]]: [length] -> [length, 3]."""
    if not text or set(text) - set(SYMBOLS):
        raise ValueError(f"{text!r}: a sequence is one or more of the symbols {' '.join(SYMBOLS)}")
    return ENCODING[[SYMBOLS.index(symbol) for symbol in text]]


def from_digits(digits):
    """Symbols as numbers (0 '0', 1 '+', 2 '-', 3 'I'), [n, length] -> inputs [n, length, 3] and
    the sum after each step [n, length]: a cumulative sum of +1/-1 steps, each signed by the I's
    before it."""
    flips = np.cumsum(digits == 3, axis=1)  # I's up to and including each step
    steps = ((digits == 1).astype(np.int64) - (digits == 2)) * (-1) ** flips
    return ENCODING[digits], np.cumsum(steps, axis=1).astype(np.float32)


def all_sequences(length):
    """data_generator.getSequences: every sequence of `length` symbols. Sequence i spells i in
    base 4, so NumPy builds all 4096 at once."""
    return from_digits(np.arange(4**length)[:, None] // 4 ** np.arange(length - 1, -1, -1) % 4)


def make_data(train_lengths, test_lengths, seed):
    """Train and test, each {length: (inputs, running sums)}: a trained length's sequences shuffled
    by `seed`, a quarter to train (NUM_EXAMPLES), the rest to test; other lengths test on all
    theirs. Past length 6 both are capped (MAX_TRAIN, MAX_SAMPLE): a random part is plenty."""
    rng = np.random.default_rng(seed)
    train, test = {}, {}
    for length in sorted(set(train_lengths) | set(test_lengths)):
        if length in train_lengths:
            inputs, sums = all_sequences(length)
            order = rng.permutation(len(inputs))
            num_examples = min(max(len(inputs) // 4, 1), MAX_TRAIN)
            held_out = order[num_examples : num_examples + MAX_SAMPLE]
            train[length] = inputs[order[:num_examples]], sums[order[:num_examples]]
            test[length] = inputs[held_out], sums[held_out]
        elif 4**length <= MAX_SAMPLE:
            test[length] = all_sequences(length)
        else:  # too many to list: draw random sequences
            test[length] = from_digits(rng.integers(0, 4, size=(MAX_SAMPLE, length)))
    return train, test


# ## Beyond the article: every suffix of a training sequence is a sequence too
def with_suffixes(train):
    """The training sequences, and the last 1, 2, ... symbols of each as sequences of their own,
    each once (a trained length gets none: its other sequences test). Without them what a seed's
    quarter rarely shows (I's in a row) stayed unlearned."""
    added = {}
    for length, (inputs, _) in train.items():
        digits = np.rint(inputs @ np.arange(1, FEATURE_SIZE + 1)).astype(int)  # back to 0..3
        for k in range(1, length):
            if length - k not in train:
                added.setdefault(length - k, []).append(digits[:, k:])
    suffixes = {n: from_digits(np.unique(np.concatenate(d), axis=0)) for n, d in added.items()}
    return train | suffixes


# ## 3. LSTM Layer
@keras.saving.register_keras_serializable(package="sign_sum_diy_lstm")
class DiyLSTM(keras.layers.Layer):
    """The article's LSTM, gate by gate, as a Keras layer (fit, save and load come free): [batch,
    timesteps, 3] -> h after every step, [batch, timesteps, 24]. A row is an example, as in Keras,
    so W_f is 27x24 where the article's, times a column [h, x], is 24x27."""

    def __init__(self, units=LSTM_SIZE, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        def default_weights_and_bias(name, bias=0.0):
            # truncated normal, mean -0.2, std 0.1: between -0.4 and 0, so that "in the beginning
            # nothing gets through the LSTM at all"
            normal = keras.initializers.TruncatedNormal(mean=-0.2, stddev=0.1)
            shape = (self.units + input_shape[-1], self.units)
            weights = self.add_weight(name=f"W_{name}", shape=shape, initializer=normal)
            constant = keras.initializers.Constant(bias)
            biases = self.add_weight(name=f"b_{name}", shape=shape[1:], initializer=constant)
            return weights, biases

        self.W_f, self.b_f = default_weights_and_bias("f", bias=1.0)  # the forget gate starts open
        self.W_i, self.b_i = default_weights_and_bias("i")
        self.W_C, self.b_C = default_weights_and_bias("C")
        self.W_o, self.b_o = default_weights_and_bias("o")

    # ### 3.1 Forget Layer: what of the conveyor to keep, 0 (drop) to 1 (keep)
    def f_t(self, ht_minus_1_and_xt):
        return tf.sigmoid(tf.matmul(ht_minus_1_and_xt, self.W_f) + self.b_f)

    # ### 3.2 New Candidate Conveyor: which values to update, and the candidates
    def i_t(self, ht_minus_1_and_xt):
        return tf.sigmoid(tf.matmul(ht_minus_1_and_xt, self.W_i) + self.b_i)

    def candidate_C_t(self, ht_minus_1_and_xt):
        return tf.tanh(tf.matmul(ht_minus_1_and_xt, self.W_C) + self.b_C)

    # ### 3.3 Update Conveyor: forget some of the old, add some of the new
    # (the article calls f_t and i_t inside C_t, and o_t inside h_t; lstm_cell calls each gate once
    # and passes what it gives, so that --inspect reads the gates of this one definition)
    def C_t(self, forget, Conveyor, update, CandidateConveyor):
        return forget * Conveyor + update * CandidateConveyor

    # ### 3.4 Prediction (for current LSTM step): a filtered view of the conveyor
    def o_t(self, ht_minus_1_and_xt):
        return tf.sigmoid(tf.matmul(ht_minus_1_and_xt, self.W_o) + self.b_o)

    def h_t(self, output, FinalConveyor):
        return output * tf.tanh(FinalConveyor)

    # ### 3.5 The LSTM Cell
    def lstm_cell(self, ht_minus_1, Conveyor, xt):
        """One step: h_t, and what is inside after it by INSIDE's names, the new conveyor too."""
        # [batch, 24] + [batch, 3] -> [batch, 27]
        ht_minus_1_and_xt = tf.concat([ht_minus_1, xt], axis=1)
        forget, update = self.f_t(ht_minus_1_and_xt), self.i_t(ht_minus_1_and_xt)
        CandidateConveyor = self.candidate_C_t(ht_minus_1_and_xt)
        FinalConveyor = self.C_t(forget, Conveyor, update, CandidateConveyor)
        output = self.o_t(ht_minus_1_and_xt)
        inside = dict(forget=forget, input=update, candidate=CandidateConveyor)
        inside.update(conveyor=FinalConveyor, output=output)
        return self.h_t(output, FinalConveyor), inside

    def call(self, data):
        """tf.while_loop over the data's time steps, carrying (step, prediction, state): the step
        first, for the condition; a TensorArray keeps h after each step, every sum a target."""
        data_length, timesteps = tf.shape(data)[0], tf.shape(data)[1]
        initial = tf.zeros([data_length, self.units])

        def lstm_loop(step, last_lstm_prediction, last_state, predictions):
            lstm_prediction, inside = self.lstm_cell(
                last_lstm_prediction, last_state, data[:, step]
            )
            state = inside["conveyor"]
            return step + 1, lstm_prediction, state, predictions.write(step, lstm_prediction)

        _, _, _, predictions = tf.while_loop(
            lambda step, *_: step < timesteps,
            lstm_loop,
            (tf.constant(0), initial, initial, tf.TensorArray(tf.float32, size=timesteps)),
        )
        # [timesteps, batch, 24] -> [batch, timesteps, 24]
        return tf.transpose(predictions.stack(), [1, 0, 2])

    def steps(self, data):
        """INSIDE after every step, as lstm_cell gives it: each [batch, timesteps, units]."""
        ht = Conveyor = tf.zeros([len(data), self.units])
        kept = []
        for step in range(data.shape[1]):
            ht, inside = self.lstm_cell(ht, Conveyor, data[:, step, :])
            Conveyor = inside["conveyor"]
            kept.append(inside)
        return {name: np.stack([k[name] for k in kept], axis=1) for name in INSIDE}

    def get_config(self):
        return {**super().get_config(), "units": self.units}


# what DiyLSTM.steps reads, in the article's order, and how --inspect-png titles it
INSIDE = dict(
    forget="Forget gate f_t (1 keeps the conveyor)",
    input="Input gate i_t (1 lets the candidate in)",
    candidate="Candidate conveyor",
    conveyor="Conveyor C_t after each symbol",
    output="Output gate o_t (1 shows the conveyor)",
)


def build_model(units):
    """data [batch, timesteps, 3] -> DiyLSTM -> prediction [batch, timesteps, 1], the sum after
    every step: the last weights and bias (truncated normal, 0.1) collapse 24 nodes to one."""
    normal, constant = keras.initializers.TruncatedNormal(stddev=1.0), keras.initializers.Constant
    dense = keras.layers.Dense(1, kernel_initializer=normal, bias_initializer=constant(0.1))
    data = keras.Input(shape=(None, FEATURE_SIZE))  # any number of steps
    return keras.Sequential([data, DiyLSTM(units), dense], name="sign_sum_diy_lstm")


# ## 4. Cost & Optimizing
def compile_model(model, recipe, steps):
    """mean_square_error = reduce_sum(square(target - prediction)); optimizer = AdamOptimizer(). The
    article weighs only the last step's sum (sample weights 0, ..., 0, 1), ours every step's; ours
    also decays the weights (AdamW). An epoch's batches run in one call into the traced graph."""
    rate = recipe["lr"]
    if recipe["schedule"] == "cosine":  # from lr down to 0 over the run
        rate = keras.optimizers.schedules.CosineDecay(rate, max(steps * recipe["epochs"], 1))
    model.compile(
        optimizer=keras.optimizers.Adam(rate, weight_decay=recipe["weight_decay"]),
        loss=keras.losses.MeanSquaredError(reduction=recipe["loss_reduction"]),
        steps_per_execution=steps,
        jit_compile=False,
    )


def errors_per_length(model, test):
    """mistakes = not_equal(target, round(prediction)), per length: {length: (wrong, sequences)}."""
    result = {}
    for length, (inputs, sums) in test.items():
        prediction = model.predict_on_batch(inputs)[:, -1, 0]  # the sum after the last step
        result[length] = int(np.sum(np.round(prediction) != sums[:, -1])), len(inputs)
    return result


# ## 5. Training
def batches(train, batch_size, every_step, seed, first_epoch):
    """(inputs, running sums, step weights) for every epoch from `first_epoch` on, one length a
    batch, in an order of (seed, epoch) alone (a run gone on from a saved model meets the same
    batches); and the steps an epoch."""

    def generate():
        for epoch in itertools.count(first_epoch):
            rng = np.random.default_rng([seed, epoch])
            chunks = []
            for inputs, sums in train.values():
                order, size = rng.permutation(len(inputs)), batch_size or len(inputs)
                parts = np.split(order, range(size, len(order), size))
                chunks += [(inputs[part], sums[part]) for part in parts]
            for k in rng.permutation(len(chunks)):
                inputs, sums = chunks[k]
                weights = np.ones_like(sums)  # every step's sum scored (fast), or the last only:
                if not every_step:
                    weights[:, :-1] = 0
                yield inputs, sums[..., None], weights.astype(np.float32)

    spec = tf.TensorSpec  # of float32
    signature = (spec([None, None, FEATURE_SIZE]), spec([None, None, 1]), spec([None, None]))
    steps = sum(math.ceil(len(x) / (batch_size or len(x))) for x, _ in train.values())
    return tf.data.Dataset.from_generator(generate, output_signature=signature).prefetch(2), steps


class TestCheck(keras.callbacks.Callback):
    """The article's line every few epochs, `Epoch 20 | incorrect 77.4% | mean squ error 8864.7`:
    every `check_every` epochs, the trained lengths' test sequences scored; a stop once their
    error is at the target. `first_epoch`: the epochs a loaded model has done."""

    def __init__(self, test, recipe, first_epoch=0):
        super().__init__()
        self.test, self.target = test, recipe["target_error"]
        self.check_every, self.print_every = recipe["check_every"], recipe["print_every"]
        self.epochs_done = first_epoch

    def on_epoch_end(self, epoch, logs):
        self.epochs_done = epoch + 1
        if self.epochs_done % self.check_every:
            return
        counts = errors_per_length(self.model, self.test).values()
        wrong, sequences = (sum(column) for column in zip(*counts))
        logs["test_error"] = incorrect = wrong / sequences
        if self.epochs_done % self.print_every == 0:
            print(
                f"Epoch {self.epochs_done:4d} | incorrect {incorrect * 100: 3.1f}% (test) | mean "
                f"squ error {logs['loss']: 3.4f} (training)",
                flush=True,
            )
        if incorrect <= self.target:
            print(f"Epoch {self.epochs_done:4d}: test error at the target, stopping")
            self.model.stop_training = True


# ## Test the result, and the article's exercise: any length
def predict(model, text):
    """sess.run(prediction, {data: [encodeSequence("00-+++")]}): each step's sum, and the true."""
    sums = model.predict_on_batch(encode_sequence(text)[None])[0, :, 0]
    print(
        f"{text} = {sequence_sum(text)}; the model says {sums[-1]:.3f}, which rounds to "
        f"{round(float(sums[-1]))}"
    )
    print("  step by step: " + "  ".join(f"{s}:{round(float(v))}" for s, v in zip(text, sums)))
    return dict(prediction=round(float(sums[-1])), raw=float(sums[-1]))


def length_report(model, test, train_lengths):
    """The error at every length, trained or not: printed, and {length: (wrong, sequences)}."""
    print("\n length  trained  sequences  wrong   error")
    per_length = errors_per_length(model, test)
    for length, (wrong, n) in per_length.items():
        print(
            f"{length:7d}  {'yes' if length in train_lengths else 'no':>7}  {n:9,d}  {wrong:5,d}  "
            f"{wrong / n:6.2%}"
        )
    return per_length


# ## Beyond the article: inside the hand-written cell, step by step
def follows(values, target):
    """How well units follow `target`, [points, units] and [points]: the unit that follows it best,
    its Pearson's r, and r for all units read together (the best least-squares line)."""
    centred, aim = values - values.mean(axis=0), target - target.mean()
    r = centred.T @ aim / np.sqrt((centred**2).sum(axis=0) * (aim**2).sum() + 1e-12)
    unit, together = int(np.argmax(np.abs(r))), np.c_[values, np.ones(len(values))]
    line = np.linalg.lstsq(together, target, rcond=None)[0]
    return unit, float(r[unit]), float(np.corrcoef(together @ line, target)[0, 1])


def find_units(cell, test):
    """follows() for the running sum and the sign, on the conveyor after each test step, by name."""
    conveyor = np.concatenate(
        [cell.steps(inputs)["conveyor"].reshape(-1, cell.units) for inputs, _ in test.values()]
    )
    sums = np.concatenate([running.reshape(-1) for _, running in test.values()])
    flips = np.concatenate([np.cumsum(x[..., 2], axis=1).reshape(-1) for x, _ in test.values()])
    return dict(sum=follows(conveyor, sums), sign=follows(conveyor, (-1.0) ** flips))  # I's flip


def inspect(model, text, units):
    """The table of --inspect: after each symbol of `text`, the true and the model's running sum,
    and the gates and conveyor of the sum's unit and the sign's; then the sign's unit at the I's."""
    inputs = encode_sequence(text)[None]
    inside = {name: values[0] for name, values in model.layers[0].steps(inputs).items()}
    sums = from_digits(np.array([[SYMBOLS.index(c) for c in text]]))[1][0]
    model_sums = model.predict_on_batch(inputs)[0, :, 0]
    for name, (unit, r, r_all) in units.items():
        print(
            f"The {name}: conveyor unit {unit} follows it best, r = {r:+.3f}; all units read "
            f"together (a least-squares line), r = {r_all:+.3f}."
        )
    (sum_unit, *_), (sign_unit, *_) = units["sum"], units["sign"]
    print(
        f" step symbol  sum  model | unit {sum_unit:2d}: forget input output conveyor | unit "
        f"{sign_unit:2d}: forget input output conveyor"
    )
    for step, symbol in enumerate(text):
        gates = [
            [inside[name][step, unit] for name in ("forget", "input", "output", "conveyor")]
            for unit in (sum_unit, sign_unit)
        ]
        print(
            f"{step + 1:5d} {symbol:>6} {sums[step]:4.0f} {model_sums[step]:6.2f} |"
            + " |".join(" " * 9 + "".join(f"{value:7.2f}" for value in row) for row in gates)
        )
    if at_i := [step for step, symbol in enumerate(text) if symbol == "I"]:
        forget, update = inside["forget"][:, sign_unit], inside["input"][:, sign_unit]
        print(
            f"Unit {sign_unit}'s forget gate at the I's: {forget[at_i].mean():.2f} on average "
            f"(elsewhere {np.delete(forget, at_i).mean():.2f}); its input gate "
            f"{update[at_i].mean():.2f} (elsewhere {np.delete(update, at_i).mean():.2f})."
        )
    return inside, sums, model_sums


def inspect_figure(inside, sums, model_sums, text, units):
    """--inspect-png's figure: the true and the model's sums; each gate, candidate and conveyor of
    every unit after each symbol, the sum's and the sign's units framed."""
    from matplotlib.figure import Figure  # only where a picture is asked

    steps = np.arange(len(text))
    fig = Figure(figsize=(max(11.0, 0.7 * len(text) + 5), 13), layout="constrained")
    panels = fig.subplots(3, 2).ravel()
    fig.suptitle(f"Inside the hand-written LSTM as it reads {text!r}", fontsize="x-large")
    panels[0].plot(steps, sums, "ko--", label="the true sum so far")
    panels[0].plot(steps, model_sums, "o-", color="tab:red", label="the model's")
    panels[0].set(title="The running sum", ylabel="sum")
    panels[0].legend()
    found = {unit: f"{unit}: {name}, r = {r:+.2f}" for name, (unit, r, _) in units.items()}
    for ax, (name, title) in zip(panels[1:], INSIDE.items()):
        values, signed = inside[name].T, name in ("conveyor", "candidate")  # [units, steps]
        limit = np.abs(values).max() if signed else 1
        cmap, low = ("RdBu_r", -limit) if signed else ("viridis", 0)
        image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=low, vmax=limit)
        fig.colorbar(image, ax=ax, label="value (0 is white)" if signed else "0 shut, 1 open")
        labels = [found.get(unit, unit) for unit in range(len(values))]
        ax.set_yticks(range(len(values)), labels=labels, fontsize=7)
        for unit in found:
            ax.axhspan(unit - 0.5, unit + 0.5, fill=False, linewidth=1.5)
        ax.set(title=title, ylabel="unit")
    for ax in panels:
        ax.set_xticks(steps, labels=list(text))
    fig.supxlabel("symbol read")
    return fig


# ## The lesson, in the article's order
def run(recipe, data=None, model=None, first_epoch=0, callbacks=()):
    """The article's steps in its order, from plain values; main() calls it, the notebook takes the
    same steps a cell each. `recipe`: one of RECIPES, its values changed at will; `data`: what
    make_data returns (None: make it); `model` and `first_epoch` go on from a saved model;
    `callbacks` are Keras'. Returns the model and the run's figures, figures["value"] the error."""
    train_lengths, seed = recipe["train_lengths"], recipe["seed"]
    keras.utils.set_random_seed(seed)
    if data is None:  # the exercise: the lengths never trained on tested too
        data = make_data(train_lengths, range(1, 2 * max(train_lengths) + 1), seed)
    train_data, test_data = data
    if recipe["suffixes"]:
        train_data = with_suffixes(train_data)
    test = {length: test_data[length] for length in train_lengths}  # the trained lengths' rest
    model = model or build_model(recipe["hidden"])
    batch_size, every_step = recipe["batch_size"], recipe["every_step"]
    dataset, steps = batches(train_data, batch_size, every_step, seed, first_epoch)
    compile_model(model, recipe, steps)
    num_train, num_test = (sum(len(x) for x, _ in part.values()) for part in (train_data, test))
    print(
        f"{num_train:,} training sequences of lengths {sorted(train_data)}, {num_test:,} test "
        f"sequences of lengths {list(train_lengths)}; DiyLSTM({recipe['hidden']}), "
        f"{model.count_params():,} parameters; batch {recipe['batch_size'] or 'all'}, Adam "
        f"{recipe['lr']:g}, up to {recipe['epochs']} epochs; seed {seed}"
    )
    check = TestCheck(test, recipe, first_epoch)
    started = time.perf_counter()  # sess.run(minimize, ...) for every batch of every epoch:
    model.fit(
        dataset,
        steps_per_epoch=steps,
        epochs=recipe["epochs"],
        initial_epoch=first_epoch,
        callbacks=[check, *callbacks],
        shuffle=False,  # batches() shuffled them
        verbose=0,
    )
    seconds = time.perf_counter() - started
    per_length = length_report(model, test_data, train_data)  # trained: some of its sequences
    wrong = sum(per_length[length][0] for length in train_lengths)
    figures = dict(value=wrong / num_test, wrong=wrong, examples=num_test)
    figures.update(epochs=check.epochs_done, train_seconds=round(seconds, 2))
    figures.update(error_per_length={str(k): w / n for k, (w, n) in per_length.items()})
    figures["reached"] = figures["value"] <= recipe["target_error"]
    print(
        f"test error {figures['value']:.3%} ({wrong:,} of {num_test:,} test sequences wrong), "
        f"target {'reached' if figures['reached'] else 'not reached'}, {figures['epochs']} epochs, "
        f"{seconds:.1f} s training"
    )
    return model, figures


# --- Running it from the terminal: not in the article ---
# The flags, their checks, saving, loading. To log_dir(), and main(): as in the other three scripts.
import argparse
import contextlib
import importlib.util
import json
import pathlib
import signal
import socket
import sys
import tempfile
import threading
import zipfile

SCRIPT = os.path.basename(__file__)
TRAINING, STOP = threading.Event(), threading.Event()  # model.fit runs; a Ctrl-C asked it to stop
TEMPORARY = set()  # the files publish() is writing, removed by a Ctrl-C that ends the process


def fail(message):
    """Every bad input ends here: one line on stderr, exit status 2, no traceback."""
    if message.endswith("expected one argument"):  # `--save -m.keras`: argparse saw a flag
        message += " (a value that starts with -: --flag=-value)"
    print(f"{SCRIPT}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def checked(convert, test, wanted):
    """An argparse type: the text converted, then tested; else an error saying what to give."""

    def parse(text):
        try:
            if test(value := convert(text)):
                return value
        except (ValueError, OverflowError):
            pass
        raise argparse.ArgumentTypeError(f"{text!r}: give {wanted}")

    parse.wanted = wanted
    return parse


def whole(low, high):
    """An argparse type: a whole number from `low` to `high`."""
    return checked(int, lambda n: low <= n <= high, f"a whole number from {low:,} to {high:,}")


SEED = whole(0, 2**32 - 1)  # what NumPy's seeding takes
MODEL = ("train_lengths", "hidden", "seed")  # what a saved model keeps
OUTPUTS = ("--save", "--inspect-png", "--json", "--log-dir")
EPOCHS = whole(0, 100_000)
RATE = checked(float, lambda x: 0 < x <= 10, "a number above 0, at most 10")
FRACTION = checked(float, lambda x: 0 <= x < 1, "a fraction from 0 up to 1")


def check_outputs(args, flags):
    """Before any training, each output: a name of its kind in a folder this user can write, named
    by no other flag (but --save may be --load's), new or --overwrite given; matplotlib there."""
    named = {os.path.realpath(args.load): "--load"} if args.load else {}
    for flag in flags:
        path = getattr(args, flag[2:].replace("-", "_"))
        if path is None or path in ("-", "/dev/stdout") and flag == "--json":
            continue
        if os.path.islink(path) and not os.path.exists(path):
            fail(f"{flag} {path}: a link to {os.readlink(path)}, which does not exist")
        ending = {"--save": ".keras", "--json": "", "--log-dir": None}.get(flag, ".png")
        if ending is None and (not path or os.path.isfile(path)):
            fail(f"{flag} {path}: give a folder, not a file")
        good = path.endswith(ending or "") and os.path.basename(path) and not os.path.isdir(path)
        if ending is not None and not good:
            wanted = f"ending in {ending}" if ending else "or - for standard output"
            fail(f"{flag} {path}: give a file name {wanted}")
        other = named.setdefault(os.path.realpath(path), flag)
        if other != flag and {flag, other} != {"--load", "--save"}:
            fail(f"{flag} {path}: {other} names that file too; give each its own")
        if os.path.isfile(path) and not (args.overwrite or other == "--load"):
            fail(f"{flag} {path}: the file exists; pass --overwrite to replace it")
        folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        try:
            tempfile.TemporaryFile(dir=folder).close()
        except OSError as error:
            fail(f"{flag} {path}: cannot write in {folder} ({error.strerror or error})")
        if flag.endswith("-png") and importlib.util.find_spec("matplotlib") is None:
            fail(f"{flag} draws with matplotlib, which is not installed: pip install matplotlib")


def publish(path, write, replace):
    """write(temporary) beside `path`, then one rename: a kill leaves the file before or after. A
    name taken since the checks, unless `replace`, is left alone: a free name beside it instead."""
    if os.path.exists(path) and not os.path.isfile(path):  # /dev/stdout, a named pipe
        return write(path) or path
    stem, extension = os.path.splitext(path)
    temporary, target, n = f"{stem}.{os.getpid()}.tmp{extension}", path, 1
    TEMPORARY.add(temporary)
    try:
        write(temporary)
        while True:
            try:  # a link, unlike a rename, never replaces a file there
                (os.replace if replace else os.link)(temporary, target)
                break
            except FileExistsError:
                n, target = n + 1, f"{stem}-{n + 1}{extension}"
    except OSError as error:
        fail(f"{path}: cannot write it ({error.strerror or error})")
    finally:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        TEMPORARY.discard(temporary)
    if target != path:
        print(f"{path} appeared while this run worked: left alone; this run's is {target}")
    return target


def load_model(path):
    """A model written by Checkpoint, and the settings it holds; or a one-line error."""
    try:
        with zipfile.ZipFile(path) as archive:
            saved = json.loads(archive.read(f"{SCRIPT[:-3]}.json"))
        return keras.models.load_model(path, compile=False), saved
    except Exception as problem:  # a zip, a JSON, a model: each fails in its own way
        fail(f"--load {path}: not a model saved by {SCRIPT} ({type(problem).__name__}: {problem})")


def settle(args, saved):
    """The recipe, each value its flag's, else the loaded model's, else its own; or an error."""
    recipe = dict(RECIPES[args.recipe])
    for key in recipe:
        given, kept = getattr(args, key, None), saved.get(key)
        if None not in (given, kept) and given != kept and key != "epochs":
            flag = f"--{key.replace('_', '-')}"
            fail(f"{flag} {given} does not fit {args.load}, trained with {flag} {kept}")
        recipe[key] = given if given is not None else kept if kept is not None else recipe[key]
    return recipe


class Checkpoint(keras.callbacks.Callback):
    """--load's optimizer state read back; --save every epoch, whole, with the optimizer's state."""

    def __init__(self, args, recipe, first_epoch, passes=1):
        super().__init__()
        self.load, self.path, self.passes = args.load, args.save, passes
        self.first_epoch, self.settings = first_epoch, {k: recipe[k] for k in (*MODEL, "epochs")}
        same = [os.path.realpath(path) for path in (args.load, args.save) if path]
        self.replace = len(set(same)) == 1 < len(same) or args.overwrite  # onto --load's model

    def on_train_begin(self, logs=None):
        TRAINING.set()
        if 0 < self.first_epoch < (planned := self.settings["epochs"]):
            print(f"Going on from epoch {self.first_epoch} of {self.load}, to {planned}")
        if self.first_epoch:
            self.model.optimizer.build(self.model.trainable_variables)
            try:
                self.model.load_weights(self.load)
            except ValueError as problem:
                fail(f"--load {self.load}: its optimizer's state does not fit ({problem})")

    def on_epoch_end(self, epoch, logs=None):
        if self.path:
            self.save(self.model, (epoch + 1) * self.passes, self.settings["epochs"])
        if STOP.is_set():  # Ctrl-C: a whole epoch done and saved, go on to evaluate
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        TRAINING.clear()

    def save(self, model, epoch, epochs):  # the article's epochs: reached, and planned
        text = json.dumps(dict(self.settings, epoch=epoch, epochs=epochs))

        def write(temporary):
            model.save(temporary)
            with zipfile.ZipFile(temporary, "a") as archive:  # the settings, inside the file
                archive.writestr(f"{SCRIPT[:-3]}.json", text)

        self.path, self.replace = publish(self.path, write, self.replace), True


def log_dir(args):
    """--log-dir: TensorBoard's callback, writing in a new folder there for this run."""
    if not args.log_dir:
        return []
    os.makedirs(args.log_dir, exist_ok=True)
    print(f"TensorBoard: tensorboard --logdir {args.log_dir}")
    prefix = f"{SCRIPT[:-3]}-{time.strftime('%Y%m%d-%H%M%S')}-"
    return [keras.callbacks.TensorBoard(tempfile.mkdtemp(prefix=prefix, dir=args.log_dir))]


def lengths(text):
    """'6' -> [6]; '1-8' -> [1, ..., 8]; '4,6' -> [4, 6]."""
    spans = [part.partition("-") for part in text.split(",")]
    return sorted({n for low, _, high in spans for n in range(int(low), int(high or low) + 1)})


WANTED = f"one or more of the symbols {' '.join(SYMBOLS)}"
SEQUENCE = checked(str, lambda text: encode_sequence(text) is not None, WANTED)
TRAIN_LENGTHS = checked(
    lengths, lambda n: n and 1 <= n[0] and n[-1] <= 10, "lengths from 1 to 10, as 6, 1-8 or 4,6"
)


def parse_args(argv):
    """The flags, a table left unformatted; each checked by its type, more by from_the_terminal."""

    def default(key):  # each recipe's value, as --help says it
        values = ", ".join(f"{name} {recipe[key] or 'all'}" for name, recipe in RECIPES.items())
        return f"default: the recipe's: {values}"

    article, fast = RECIPES["article"], RECIPES["fast"]
    parser = argparse.ArgumentParser(description="Sum sequences of + - 0 I with an LSTM by hand.")
    parser.error = fail  # argparse's own errors too: one line, exit status 2
    add = parser.add_argument
    # fmt: off
    add("--recipe", choices=RECIPES, default="fast", help=f"'article': Adam {article['lr']:g}, all "
        f"in a batch; 'fast': Adam {fast['lr']:g}, batches of {fast['batch_size']} (default: fast)")
    add("--epochs", type=EPOCHS, help=f"train up to this epoch, {EPOCHS.wanted}; with --load, on "
        f"from the one it holds ({default('epochs')}; with --load, the epochs it planned)")
    add("--batch-size", type=whole(1, 10**5), help=f"sequences a batch ({default('batch_size')})")
    add("--lr", type=RATE, help=f"Adam's learning rate, {RATE.wanted} ({default('lr')})")
    add("--target-error", type=FRACTION, help=f"stop at this test error (default: {TARGET_ERROR})")
    add("--train-lengths", type=TRAIN_LENGTHS, metavar="LENGTHS",
        help=f"lengths to train on, as 6, 1-8 or 4,6: a quarter of each length's sequences (at "
        f"most {MAX_TRAIN}) train, the rest test (default: {SEQUENCE_LENGTH})")
    add("--hidden", type=whole(1, 1024), help=f"the conveyor's size (default: {LSTM_SIZE})")
    add("--seed", type=SEED, help="shuffles the sequences, seeds weights and batches (default: 0)")
    add("--predict", type=SEQUENCE, metavar="SEQUENCE", help="the model's sum for this sequence "
        "of + - 0 I, any length, after training or at once with --load (default: none)")
    add("--inspect", type=SEQUENCE, metavar="SEQUENCE", help="the gates and the conveyor after "
        "each symbol, for the units that follow the sum and the sign (default: none)")
    add("--inspect-png", metavar="PATH", help="--inspect, drawn (default: none)")
    add("--save", metavar="PATH", help="the model, whole, after every check (default: none)")
    add("--load", metavar="PATH", help="a model to go on from (default: none)")
    add("--overwrite", action="store_true", help="let an output replace a file (default: off)")
    add("--log-dir", metavar="DIR", help="TensorBoard logs, a folder in DIR a run (default: none)")
    add("--json", metavar="PATH", help="the figures as JSON, - for standard output (default: none)")
    add("--dry-run", action="store_true", help="train one epoch: checks an install (default: off)")
    # fmt: on
    argv = list(sys.argv[1:] if argv is None else argv)
    for flag in ("--predict", "--inspect"):  # `--predict -+0I`: argparse would take -+0I for a flag
        if flag in argv[:-1]:
            i = argv.index(flag)
            argv[i : i + 2] = [f"{flag}={argv[i + 1]}"]
    return parser.parse_args(argv)


def from_the_terminal(args):
    """The checks, the lesson's run() (unless a loaded model only answers), --inspect."""
    check_outputs(args, OUTPUTS)
    model, saved = load_model(args.load) if args.load is not None else (None, {})
    recipe = settle(args, saved)
    if args.inspect_png and not args.inspect:
        fail("--inspect-png draws what --inspect shows: give --inspect SEQUENCE too")
    recipe["epochs"] = 1 if args.dry_run else recipe["epochs"]  # --dry-run: one epoch
    first_epoch, metrics = saved.get("epoch", 0), dict(recipe=args.recipe, metric="test_error")
    if model is None or first_epoch < recipe["epochs"] or not (args.predict or args.inspect):
        checkpoint = Checkpoint(args, recipe, first_epoch)
        model, figures = run(recipe, None, model, first_epoch, [checkpoint, *log_dir(args)])
        metrics.update(figures, settings=checkpoint.settings, target=recipe["target_error"])
        if args.save:  # the run is over: no epochs left to go on with
            checkpoint.save(model, figures["epochs"], figures["epochs"])
            print(f"Saved the model to {checkpoint.path}")
    if args.predict:
        metrics.update(predict(model, args.predict))
    if args.inspect:
        test = make_data(recipe["train_lengths"], (), recipe["seed"])[1]  # the run's test set
        units = find_units(model.layers[0], test)
        inside, sums, model_sums = inspect(model, args.inspect, units)
        metrics["units"] = {key: dict(unit=u, r=r, r_all=ra) for key, (u, r, ra) in units.items()}
        if args.inspect_png:
            figure = inspect_figure(inside, sums, model_sums, args.inspect, units)
            path = publish(args.inspect_png, figure.savefig, args.overwrite)
            print(f"The running sums, the gates, the conveyor: {path}")
    return metrics


def main(argv=None):
    """The flags, the run, its figures (with --json -, the JSON alone on standard output)."""
    started = time.perf_counter()
    args = parse_args(argv)
    with contextlib.redirect_stdout(sys.stderr if args.json == "-" else sys.stdout):
        metrics = from_the_terminal(args)
    metrics.update(total_seconds=round(time.perf_counter() - started, 2), script=SCRIPT)
    metrics.update(tensorflow=tf.__version__, keras=keras.__version__)
    text = json.dumps(metrics, indent=2)
    if args.json in ("-", "/dev/stdout"):  # (with -, the run's lines went to stderr)
        print(text)
    elif args.json:
        publish(args.json, lambda f: pathlib.Path(f).write_text(text), args.overwrite)
    return metrics


def on_signals():
    """Ctrl-C in training: the epoch under way ends, is saved and evaluated; one more, or one at any
    other time, ends the process at once, half-written files removed. SIGTERM, SIGHUP: exit."""
    reader, writer = socket.socketpair()  # a byte a signal, even while TensorFlow computes
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    signal.signal(signal.SIGINT, lambda *_: None)  # the thread below acts on it
    for name in {"SIGTERM", "SIGHUP"} & set(dir(signal)):  # (Windows has no SIGHUP)
        signal.signal(getattr(signal, name), lambda number, _: sys.exit(128 + number))

    def count(writer):  # (writer held: closed, no byte would come)
        while True:
            if reader.recv(1) != bytes([signal.SIGINT]):  # SIGTERM's: its handler acts
                continue
            if TRAINING.is_set() and not STOP.is_set():
                STOP.set()
                print("\nCtrl-C: this epoch ends, then the run (again: at once)", file=sys.stderr)
                continue
            for path in list(TEMPORARY):
                with contextlib.suppress(OSError):
                    os.remove(path)
            print(f"\n{SCRIPT}: stopped by Ctrl-C", file=sys.stderr, flush=True)
            os._exit(130)

    threading.Thread(target=count, args=(writer,), daemon=True).start()


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # output piped into `head` that closed: end quietly, as cat does
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    on_signals()
    for stream in (
        sys.stdout,
        sys.stderr,
    ):  # a symbol the terminal cannot show: \u2192, not an error
        stream.reconfigure(errors="backslashreplace")
    try:
        main()
    except OSError as error:  # standard output on a full disk, say: one line, not a traceback
        print(f"{SCRIPT}: error: {error.strerror or error}", file=sys.stderr)
        os._exit(2)
