"""Count the ones in a binary string with an LSTM.

"A noob's guide to implementing RNN-LSTM using Tensorflow" (2016) in TensorFlow 2 / Keras 3: the
article's headings mark the sections, run() takes its steps in order, the terminal's part is last.

    python count_ones.py                        # trains, then scores every held-out string
    python count_ones.py --save ones.keras      # ... and keeps the model, after every epoch
    python count_ones.py --load ones.keras --predict 01010010011011100110
    python count_ones.py --recipe article       # the article's own recipe, to 0.1% error"""

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

# ## The task: count the 1s in a string of 20 bits, a class from 0 to 20; the article's settings
LENGTH = 20  # bits per string: 2**20 = 1,048,576 strings in all
NUM_EXAMPLES = 10_000  # training strings: the article trains on under 1% of them
NUM_HIDDEN = 24  # the article's LSTM width
TARGET_ERROR = 0.001  # the article's final figure: "Epoch 5000 error 0.1%"
EXAMPLE = "10011011101001101110"  # the string the article prints the prediction of while it trains
CHECK_SIZE = 20_000  # held-out strings scored every few epochs to decide when to stop
# What every recipe shares: the article's task and model
TASK = dict(length=LENGTH, train_size=NUM_EXAMPLES, hidden=NUM_HIDDEN, seed=0)
TASK.update(target_error=TARGET_ERROR, example=EXAMPLE)

RECIPES = {
    # The article's: batch 1000, Adam at its default rate, the cross-entropy summed over the batch,
    # up to 5000 epochs, its output layer's initial weights; the held-out check every 10 epochs.
    "article": dict(
        TASK,
        batch_size=1000,
        lr=1e-3,
        epochs=5000,
        balance=0.0,
        loss_reduction="sum",
        article_init=True,
        schedule="constant",
        clipnorm=None,
        check_every=10,
        print_every=50,
    ),
    # Ours: more updates per epoch (batch 50) at a higher rate, which a cosine schedule brings down
    # to zero so that the last epochs settle; clipping tames the spikes a high rate causes; every
    # class weighs alike (class_weights). benchmarks/sweeps/count_ones-*.md chose it.
    "fast": dict(
        TASK,
        batch_size=50,
        lr=3e-2,
        epochs=20,
        balance=1.0,
        loss_reduction="sum_over_batch_size",
        article_init=False,
        schedule="cosine",
        clipnorm=1.0,
        check_every=1,
        print_every=5,
    ),
}


# ## Generating the training input data
def to_bits(codes, length):
    """Strings as the model reads them: integer i -> its `length` bits, first bit first, [n] ->
    [n, length, 1] float32. The article writes each out ('{0:020b}'.format(i)); shifting i right
    by 19, 18, ... 0 gives the same bits for all strings at once."""
    bits = (np.asarray(codes)[:, None] >> np.arange(length - 1, -1, -1)) & 1
    return bits[..., None].astype(np.float32)


# ## Generating the training output data
# The article's target is a one-hot row of 21: [0, 0, 0, 0, 1, 0, ..., 0] for a string of 4 ones.
# Keras' *sparse* cross-entropy takes the class number (4) instead and reads the same entry of
# -log(prediction), so the scripts keep class numbers: [n] instead of [n, 21].
def one_hot(counts, length):
    """The article's train_output, [n] -> [n, length + 1]."""
    return np.eye(length + 1, dtype=np.int64)[counts]


def show_first(train_input, train_output, length):
    """As the article prints train_input[0]: the first string, its class, its one-hot row."""
    bits = "".join(str(int(bit)) for bit in train_input[0, :, 0])
    print(
        f"train_input {train_input.shape}, the first: {bits} -> class {train_output[0]}, one-hot "
        f"{one_hot(train_output[:1], length)[0]}"
    )


# ## Generating the test data
def make_data(length, train_size, seed):
    """All 2**length strings, shuffled by `seed`: the first `train_size` train, the rest is held
    out. A string is the integer it spells (its code), so the article's lists of lists become one
    NumPy shift. Returns train_input [n, length, 1], train_output [n] (the count of ones: the
    class), test_codes [m], test_output [m]."""
    codes = np.random.default_rng(seed).permutation(2**length)  # shuffle(train_input)
    counts = sum((codes >> bit) & 1 for bit in range(length))  # the class of each string
    train_input = to_bits(codes[:train_size], length)  # till NUM_EXAMPLES
    # everything beyond: the article's test_input, kept as codes (the bits are made when needed)
    test_codes = codes[train_size:]
    return train_input, counts[:train_size], test_codes, counts[train_size:]


# ## Beyond the article: the rare classes
def missing_classes(train_output, test_output, length):
    """Counts of ones no training string has, and how many held-out strings have them: wrong
    whatever the model learns, as it never saw their class."""
    missing = np.setdiff1d(np.arange(length + 1), train_output)
    return missing, int(np.isin(test_output, missing).sum())


def class_weights(train_output, length, balance):
    """A weight per class, (1 / its share of the training strings) ** balance, 1 on average per
    string. Counts of ones are binomial: 10,000 strings hold about 1,800 with 10 ones but about 12
    with 3 or 17, the rare classes that keep their errors longest. balance=0 is the article's."""
    counts = np.bincount(train_output, minlength=length + 1)
    weights = np.where(counts > 0, (len(train_output) / np.maximum(counts, 1)) ** balance, 0.0)
    return weights / ((weights * counts).sum() / len(train_output))


# ## Designing the model
def build_model(length, hidden, article_init):
    """data [batch, 20, 1] -> LSTM(24) -> prediction [batch, 21]. Keras' layer steps through the
    bits in a while loop, as dynamic_rnn did. The article's suggestion, a GRU, is one line:
    keras.layers.GRU(hidden) below; what the script prints and --inspect follow the layer."""
    model = keras.Sequential(name="count_ones")
    model.add(keras.Input(shape=(length, 1)))  # data: [None, 20, 1]
    # val, state = dynamic_rnn(cell, data); last = val[:, -1]: Keras returns `last` unless asked
    model.add(keras.layers.LSTM(hidden))  # [batch, 20, 1] -> [batch, 24]
    init = {}
    if article_init:  # weight: tf.truncated_normal, bias: tf.constant(0.1)
        init = dict(
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=1.0),
            bias_initializer=keras.initializers.Constant(0.1),
        )
    # prediction = softmax(matmul(last, weight) + bias): [batch, 24] -> [batch, 21]
    model.add(keras.layers.Dense(length + 1, activation="softmax", **init))
    return model


def compile_model(model, recipe, steps):
    """cross_entropy, optimizer = tf.train.AdamOptimizer(), minimize: one compile call. Keras clips
    the probabilities before the log as the article did by hand; the article summed the loss over
    the batch (reduction="sum"). An epoch's `steps` batches run in one call into the graph."""
    rate = recipe["lr"]
    if recipe["schedule"] == "cosine":  # from lr down to 0 over the run
        rate = keras.optimizers.schedules.CosineDecay(rate, max(steps * recipe["epochs"], 1))
    model.compile(
        optimizer=keras.optimizers.Adam(rate, clipnorm=recipe["clipnorm"]),
        loss=keras.losses.SparseCategoricalCrossentropy(reduction=recipe["loss_reduction"]),
        metrics=["accuracy"],
        steps_per_execution=steps,
        jit_compile=False,
    )


# ## Calculating the error on test data
def error(prediction, target):
    """mistakes = not_equal(argmax(target), argmax(prediction)); error = reduce_mean(mistakes);
    target here is the class itself."""
    return float(np.mean(np.argmax(prediction, axis=-1) != target))


# ## Beyond the article: every held-out string, through the tree of prefixes
def zero_state(cell, n):
    """The state a recurrent cell starts from, for n strings: an LSTM's [h, c], a GRU's [h]."""
    return [tf.zeros((n, size)) for size in np.atleast_1d(cell.state_size)]


def every_string_classifier(model, length):
    """A traced function: the class the model gives each of the 2**length strings, indexed by code.
    An LSTM reads left to right, so strings that share a prefix share the state after it: the tree
    of prefixes (2 of 1 bit, 4 of 2 bits, ...) costs 2**(length + 1) steps of the cell instead of
    length * 2**length, and gives what model.predict gives (tests/test_count_ones.py checks)."""
    lstm, dense = model.layers
    split = length // 2  # the first half of the bits for all prefixes at once, the rest in chunks
    chunk = min(4, 2**split)

    def grow(state, levels):
        """Each prefix's state -> its children's (next bit 0, 1), `levels` times."""
        for _ in range(levels):
            x = tf.tile(tf.constant([[0.0], [1.0]]), [tf.shape(state[0])[0], 1])
            x, state = lstm.cell(x, [tf.repeat(s, 2, axis=0) for s in state])
        return x, state

    @tf.function(autograph=False)  # plain Python loops, unrolled as it traces
    def classify_every_string():
        _, state = grow(zero_state(lstm.cell, 1), split)  # [2**split, hidden] each
        # The other levels a few prefixes at a time, on tensors small enough for the CPU's cache
        chunks = tuple(tf.reshape(s, (-1, chunk, s.shape[-1])) for s in state)

        def the_rest(chunk_state):  # [chunk, hidden] each -> the classes of their strings
            x, _ = grow(list(chunk_state), length - split)
            return tf.argmax(dense(x), axis=-1)

        classes = tf.map_fn(the_rest, chunks, fn_output_signature=tf.int64)  # a chunk at a time
        return tf.reshape(classes, [-1])  # [2**length], in the order of the codes

    return classify_every_string


# ## Execution of the graph
def batches(train_input, train_output, weights, batch_size, seed, first_epoch=0):
    """The article's loop, `for i in range(epoch)` then `for j in range(no_of_batches)`: each epoch
    the training strings in a new order, `batch_size` at a time, each with its weight. The order
    depends on (seed, epoch) alone: a run that goes on from a saved model meets the same batches."""
    for epoch in itertools.count(first_epoch):
        strings = tf.range(len(train_output))
        order = tf.random.experimental.stateless_shuffle(strings, seed=[seed, epoch]).numpy()
        for ptr in range(0, len(order), batch_size):
            part = order[ptr : ptr + batch_size]
            yield train_input[part], train_output[part], weights[part]


class HeldOutCheck(keras.callbacks.Callback):
    """The article's `print('Epoch {:2d} error {:3.1f}%')` every `check_every` epochs on a slice of
    held-out strings, with the probability of one string's true count; a stop once the whole
    held-out set is at the target. `first_epoch`: the epochs a loaded model has done."""

    def __init__(self, classify_every_string, test_codes, test_output, recipe, first_epoch=0):
        super().__init__()
        self.classify_every_string = classify_every_string
        self.test_codes, self.test_output = test_codes, test_output
        self.target = recipe["target_error"]
        self.example = example = (recipe["example"] * 2)[: recipe["length"]]  # cut to the length
        self.check_output = test_output[:CHECK_SIZE]
        codes = np.append(test_codes[:CHECK_SIZE], int(example, 2))
        self.check_input = to_bits(codes, len(example))
        self.check_every, self.print_every = recipe["check_every"], recipe["print_every"]
        self.epochs_done, self.predicted = first_epoch, None

    def on_epoch_end(self, epoch, logs):
        self.epochs_done = epoch + 1
        if self.epochs_done % self.check_every:
            return
        prediction = self.model.predict_on_batch(self.check_input)
        logs["heldout_error"] = incorrect = error(prediction[:-1], self.check_output)
        if self.epochs_done % self.print_every == 0:
            ones = self.example.count("1")
            print(
                f"Epoch {self.epochs_done:4d} error {incorrect:.3%} on {len(self.check_output):,} "
                f"held-out strings, loss {logs['loss']:.4f}; {self.example}: "
                f"{prediction[-1, ones]:.1%} on {ones} ones",
                flush=True,
            )
        if incorrect <= self.target:  # the slice is there: is the whole held-out set?
            predicted = self.classify_every_string().numpy()[self.test_codes]
            if np.mean(predicted != self.test_output) <= self.target:
                print(f"Epoch {self.epochs_done:4d}: held-out error at the target, stopping")
                self.predicted, self.model.stop_training = predicted, True


def predict(model, text):
    """print sess.run(prediction, {data: [[[1],[0],...]]}), said in words."""
    probabilities = model.predict_on_batch(to_bits([int(text, 2)], len(text)))[0]
    top = np.argsort(probabilities)[::-1][:3]
    print(
        f"{text} has {text.count('1')} ones; the model says {top[0]}. Top probabilities: "
        + ", ".join(f"{k} ones {probabilities[k]:.2%}" for k in top)
    )
    return dict(prediction=int(top[0]), probabilities=probabilities.tolist())


# ## Concerns regarding the training data
# The article trains on 1% of the strings, to keep a CPU's time short: so does the fast recipe
# (the same 10,000); missing_classes and class_weights above are what that 1% costs.


# ## Tinkering with the model
# The article's suggestions: a GRU (keras.layers.GRU in build_model), more layers, --hidden; "save
# the model values": model.save, and keras.models.load_model to go on.


# ## Results ("Epoch 5000 error 0.1%"), and where the errors are
def results(check, train_output, length):
    """How many held-out strings are wrong, of how many (the stop at the target may have scored
    them already), and a table of the errors per class: what the model gets wrong where."""
    if check.predicted is None:
        check.predicted = check.classify_every_string().numpy()[check.test_codes]
    predicted, test_output = check.predicted, check.test_output
    train_counts, test_counts, wrong_counts = (
        np.bincount(x, minlength=length + 1)
        for x in (train_output, test_output, test_output[predicted != test_output])
    )
    print("\nPer class (a count of ones; a class never seen in training is never predicted):")
    print(" ones  train  held-out    wrong   error")
    for k in range(length + 1):
        rate = f"{wrong_counts[k] / test_counts[k]:7.2%}" if test_counts[k] else "      -"
        never = "  never seen in training" if train_counts[k] == 0 and test_counts[k] else ""
        print(
            f"{k:5d} {train_counts[k]:6,d} {test_counts[k]:9,d} {wrong_counts[k]:8,d} {rate}{never}"
        )
    missing, doomed = missing_classes(train_output, test_output, length)
    if doomed:
        print(
            f"The training split has no string with {', '.join(map(str, missing))} ones: that "
            f"dooms {doomed:,} held-out strings, a floor of {doomed / len(test_output):.3%} error."
        )
    return int(np.sum(predicted != test_output)), len(test_output)


# ## Beyond the article: what the LSTM holds after each bit
def read_bit_by_bit(model, inputs):
    """The same weights, one bit at a time: the cell's state after each bit [n, length, units] (an
    LSTM's c, a GRU's h: its last), and the probabilities if the string ended there [n, length,
    length + 1], as return_sequences=True would give."""
    lstm, dense = model.layers
    state, cells, answers = zero_state(lstm.cell, len(inputs)), [], []
    for bit in range(inputs.shape[1]):
        x, state = lstm.cell(inputs[:, bit], state)
        cells.append(state[-1])
        answers.append(dense(x))
    return np.stack(cells, axis=1), np.stack(answers, axis=1)


def follows(values, target):
    """How well units follow `target`, [points, units] and [points]: the unit that follows it best,
    its Pearson's r, and r for all units read together (the best least-squares line)."""
    centred, aim = values - values.mean(axis=0), target - target.mean()
    r = centred.T @ aim / np.sqrt((centred**2).sum(axis=0) * (aim**2).sum() + 1e-12)
    unit, together = int(np.argmax(np.abs(r))), np.c_[values, np.ones(len(values))]
    line = np.linalg.lstsq(together, target, rcond=None)[0]
    return unit, float(r[unit]), float(np.corrcoef(together @ line, target)[0, 1])


def inspect(model, text, held_out):
    """--inspect: the unit whose state follows the count of ones read so far over held-out strings;
    then after each bit of `text` its state, the true count, the answer if the string ended there.
    Returns (the unit, r, r for all units), and the states and answers for `text`."""
    cells, _ = read_bit_by_bit(model, held_out)
    unit, r, r_all = follows(
        cells.reshape(-1, cells.shape[-1]), np.cumsum(held_out[..., 0], axis=1).reshape(-1)
    )
    print(
        f"\nOver {len(held_out):,} held-out strings, the count of ones read so far is followed "
        f"best by unit {unit}'s state, r = {r:+.3f}; by all {cells.shape[-1]} units read together "
        f"(a least-squares line), r = {r_all:+.3f}."
    )
    cell, answers = (x[0] for x in read_bit_by_bit(model, to_bits([int(text, 2)], len(text))))
    print(
        f" bit  read  ones so far  unit {unit:2d}  the answer if the string ended here (it trained "
        f"on {len(text)} bits only)"
    )
    for step, bit in enumerate(text):
        top = int(np.argmax(answers[step]))
        print(
            f"{step + 1:4d} {bit:>5} {text[: step + 1].count('1'):12d} {cell[step, unit]:8.3f}  "
            f"{top} ones, {answers[step, top]:.1%}"
        )
    return (unit, r, r_all), cell, answers


def inspect_figure(cell, answers, text, unit, r, strings):
    """--inspect-png's figure: the counting unit's state after each bit beside the true count of
    ones so far; every unit's state; the probability of each count if the string ended there."""
    from matplotlib.figure import Figure  # only where a picture is asked

    steps, ones_so_far = np.arange(len(text)), np.cumsum([int(bit) for bit in text])
    fig = Figure(figsize=(max(8.0, 0.4 * len(text) + 2.5), 11), layout="constrained")
    top, middle, bottom = fig.subplots(3, 1, sharex=True, height_ratios=[1, 2, 2])
    fig.suptitle(f"Inside the LSTM as it reads {text}, one bit at a time", fontsize="x-large")
    top.plot(steps, cell[:, unit], "o-", color="tab:red")
    top.set_ylabel(f"unit {unit}'s cell state", color="tab:red")
    top.set_title(f"Unit {unit} counts: r = {r:+.3f} with the ones read so far (dashed)")
    ones = top.twinx()  # the true count on a second axis, flipped for a unit that counts down
    ones.step(steps, ones_so_far, "k--", where="mid")
    ones.set(ylabel="ones read so far", ylim=(0, len(text))[:: -1 if r < 0 else 1])
    limit = np.abs(cell).max()
    image = middle.imshow(cell.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit)
    middle.axhspan(unit - 0.5, unit + 0.5, fill=False)
    middle.set(title="Every unit's cell state c after each bit", ylabel=f"unit ({unit} counts)")
    fig.colorbar(image, ax=middle, label="cell state c (0 is white)")
    image = bottom.imshow(answers.T, aspect="auto", cmap="Greys", vmin=0, vmax=1, origin="lower")
    bottom.plot(steps, ones_so_far, "o", color="tab:red", label="the true count")
    bottom.set(title="The model's answer if the string ended there", ylabel="count of ones")
    bottom.set_xticks(steps, labels=list(text))
    bottom.set_yticks(range(0, answers.shape[1], 4))
    bottom.set_xlabel(f"bit read (r over {strings:,} held-out strings)")
    bottom.legend(loc="upper left")
    fig.colorbar(image, ax=bottom, label="probability")
    return fig


# ## The lesson, in the article's order
def run(recipe, data=None, model=None, first_epoch=0, callbacks=()):
    """The article's steps in its order, from plain values; main() calls it, the notebook takes the
    same steps a cell each. `recipe`: one of RECIPES, its values changed at will; `data`: what
    make_data returns (None: make it); `model` and `first_epoch` go on from a saved model;
    `callbacks` are Keras'. Returns the model and the run's figures, figures["value"] the error."""
    length, train_size, seed = recipe["length"], recipe["train_size"], recipe["seed"]
    keras.utils.set_random_seed(seed)
    if data is None:
        data = make_data(length, train_size, seed)
    train_input, train_output, test_codes, test_output = data
    show_first(train_input, train_output, length)
    model = model or build_model(length, recipe["hidden"], recipe["article_init"])
    batch_size = recipe["batch_size"]
    steps = math.ceil(len(train_output) / batch_size)  # batches an epoch, the last one short
    compile_model(model, recipe, steps)
    rnn = model.layers[0]
    print(
        f"{type(rnn).__name__}({rnn.units}), {model.count_params():,} parameters; batch "
        f"{batch_size}, Adam {recipe['lr']:g}, balance {recipe['balance']:g}, up to "
        f"{recipe['epochs']} epochs; seed {seed}"
    )
    classify = every_string_classifier(model, length)
    check = HeldOutCheck(classify, test_codes, test_output, recipe, first_epoch)
    weights = class_weights(train_output, length, recipe["balance"])[train_output]
    batched = batches(train_input, train_output, weights, batch_size, seed, first_epoch)
    started = time.perf_counter()  # sess.run(minimize, ...) for every batch of every epoch:
    model.fit(
        batched,
        steps_per_epoch=steps,
        epochs=recipe["epochs"],
        initial_epoch=first_epoch,
        callbacks=[check, *callbacks],
        shuffle=False,  # batches() shuffled them
        verbose=0,
    )
    seconds = time.perf_counter() - started
    wrong, examples = results(check, train_output, length)
    figures = dict(value=wrong / examples, wrong=wrong, examples=examples)
    figures.update(epochs=check.epochs_done, train_seconds=round(seconds, 2))
    figures["reached"] = figures["value"] <= recipe["target_error"]
    print(
        f"test error {figures['value']:.3%} ({wrong:,} of {examples:,} held-out strings wrong), "
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
MODEL = ("length", "train_size", "hidden", "seed")  # what a saved model keeps
OUTPUTS = ("--save", "--inspect-png", "--json", "--log-dir")
EPOCHS = whole(0, 100_000)
RATE = checked(float, lambda x: 0 < x <= 10, "a number above 0, at most 10")
WEIGHT = checked(float, lambda x: 0 <= x <= 10, "a number from 0 to 10")
FRACTION = checked(float, lambda x: 0 <= x < 1, "a fraction from 0 up to 1")
BITS = checked(str, lambda text: text and set(text) <= {"0", "1"}, "a string of 0s and 1s")


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


def parse_args(argv):
    """The flags, a table left unformatted; each checked by its type, more by from_the_terminal."""

    def default(key):  # each recipe's value, as --help says it
        values = ", ".join(f"{name} {recipe[key]:g}" for name, recipe in RECIPES.items())
        return f"default: the recipe's: {values}"

    parser = argparse.ArgumentParser(description="Count the ones in bit strings with an LSTM.")
    parser.error = fail  # argparse's own errors too: one line, exit status 2
    add = parser.add_argument
    # fmt: off
    add("--recipe", choices=RECIPES, default="fast", help="'article': batch "
        f"{RECIPES['article']['batch_size']}, Adam {RECIPES['article']['lr']:g}; 'fast': batch "
        f"{RECIPES['fast']['batch_size']}, Adam {RECIPES['fast']['lr']:g} (default: %(default)s)")
    add("--epochs", type=EPOCHS, help=f"train up to this epoch, {EPOCHS.wanted}; with --load, on "
        f"from the one it holds ({default('epochs')}; with --load, the epochs it planned)")
    add("--batch-size", type=whole(1, 10**6), help=f"strings per update ({default('batch_size')})")
    add("--lr", type=RATE, help=f"Adam's learning rate, {RATE.wanted} ({default('lr')})")
    add("--balance", type=WEIGHT, help="weigh a class by (1 / its share) ** BALANCE: 0 weighs "
        f"every string alike, 1 every class alike ({default('balance')})")
    add("--target-error", type=FRACTION, help=f"stop at this test error (default: {TARGET_ERROR})")
    add("--length", type=whole(1, 24), help=f"bits per string (default: {LENGTH})")
    add("--train-size", type=whole(1, 2**24), help=f"training strings (default: {NUM_EXAMPLES})")
    add("--hidden", type=whole(1, 1024), help=f"the LSTM's units (default: {NUM_HIDDEN})")
    add("--seed", type=SEED, help="shuffles the strings, seeds weights and batches (default: 0)")
    add("--predict", type=BITS, metavar="BITS", help="print the count the model gives this string, "
        "after training or at once with --load (default: none)")
    add("--inspect", type=BITS, metavar="BITS", help="the cell state after each bit of this "
        "string, the unit that counts, the answer if it ended there (default: none)")
    add("--inspect-png", metavar="PATH", help="--inspect, drawn (default: none)")
    add("--save", metavar="PATH", help="the model, whole, after every check (default: none)")
    add("--load", metavar="PATH", help="a model to go on from (default: none)")
    add("--overwrite", action="store_true", help="let an output replace a file (default: off)")
    add("--log-dir", metavar="DIR", help="TensorBoard logs, a folder in DIR a run (default: none)")
    add("--json", metavar="PATH", help="the figures as JSON, - for standard output (default: none)")
    add("--dry-run", action="store_true", help="train one batch: checks an install (default: off)")
    # fmt: on
    return parser.parse_args(argv)


def from_the_terminal(args):
    """The checks, then the lesson's run() (unless a loaded model is only asked for answers)."""
    check_outputs(args, OUTPUTS)
    model, saved = load_model(args.load) if args.load is not None else (None, {})
    recipe = settle(args, saved)
    length, train_size = recipe["length"], recipe["train_size"]
    if train_size >= 2**length:
        fail(
            f"--train-size {train_size}: give under {2**length:,}, all the strings of {length} bits"
        )
    for flag, bits in (("--predict", args.predict), ("--inspect", args.inspect)):
        if bits and len(bits) != length:
            fail(f"{flag} {bits}: give a string of exactly {length} characters, each 0 or 1")
    if args.inspect_png and not args.inspect:
        fail("--inspect-png draws what --inspect shows: give --inspect BITS too")
    if args.dry_run:  # one batch; a loaded model is scored on its own held-out strings
        recipe.update(epochs=1, train_size=train_size if args.load else recipe["batch_size"])
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
        test_codes = make_data(length, train_size, recipe["seed"])[2][:5000]
        (unit, r, r_all), cell, answers = inspect(model, args.inspect, to_bits(test_codes, length))
        metrics.update(counting_unit=dict(unit=unit, r=r, r_all=r_all))
        if args.inspect_png:
            figure = inspect_figure(cell, answers, args.inspect, unit, r, len(test_codes))
            path = publish(args.inspect_png, figure.savefig, args.overwrite)
            print(f"Unit {unit}'s state and the answers: {path}")
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
