"""Read an MNIST digit row by row with an LSTM: 28 time steps of 28 pixels.

"Understanding LSTM in Tensorflow (MNIST dataset)" (2017) in TensorFlow 2 / Keras 3: the article's
headings mark the sections, run() takes its steps in order, the terminal's part is last.

    python mnist_rows.py                          # Keras' MNIST (downloaded once)
    python mnist_rows.py --data-dir ~/mnist       # mnist.npz or the four IDX files, gzipped or not
    python mnist_rows.py --recipe article         # the article's 799 steps of 128 images
    python mnist_rows.py --errors-png errors.png  # the digits it gets wrong, as a picture
    python mnist_rows.py --load mnist.keras --predict my_digit.png"""

import gzip
import math
import os
import time

os.environ["KERAS_BACKEND"] = "tensorflow"  # a TensorFlow lesson, whatever the environment says
os.environ["MPLBACKEND"] = "agg"  # pictures go to files, never a window (Keras imports matplotlib)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter

import keras
import numpy as np
import tensorflow as tf

# Settings: the article's constants, each a flag below.
TIME_STEPS = 28  # unrolled through 28 time steps: one row of the image each
N_INPUT = 28  # rows of 28 pixels
NUM_UNITS = 128  # hidden LSTM units
N_CLASSES = 10  # the digits 0-9
VALIDATION_SIZE = 5000  # the article's split: 55,000 train, the first 5,000 validate, 10,000 test
LOG_EVERY = 10  # the article prints accuracy and loss every 10 steps
TASK = dict(hidden=NUM_UNITS, seed=0)  # what every recipe shares (each a flag, as the rest are)

RECIPES = {
    # The article's: batch 128, Adam 1e-3, `while iter < 800` (799 steps), its weights drawn from
    # tf.random_normal; accuracy and loss every 10 steps.
    "article": dict(
        TASK,
        batch_size=128,
        lr=1e-3,
        epochs=799,
        steps=True,
        schedule="constant",
        clipnorm=None,
        weight_decay=None,
        article_init=True,
        shift=0,
    ),
    # Ours: 11 epochs, not under 2, of 256 a batch; Adam from 1e-2 down to 0 (cosine), clipped, the
    # weights decayed (AdamW); each digit shifted at random by up to 2 pixels, none learnt by heart.
    # 9 epochs and no decay left 5 of seeds 0-9 under 99.2% (benchmarks/seeds, benchmarks/sweeps).
    "fast": dict(
        TASK,
        batch_size=256,
        lr=1e-2,
        epochs=11,
        steps=False,
        schedule="cosine",
        clipnorm=1.0,
        weight_decay=0.04,
        article_init=False,
        shift=2,
    ),
}


# ## The MNIST dataset
IDX_FILES = dict(x_train="train-images-idx3-ubyte", y_train="train-labels-idx1-ubyte")
IDX_FILES.update(x_test="t10k-images-idx3-ubyte", y_test="t10k-labels-idx1-ubyte")


def load_mnist(path=None):
    """input_data.read_data_sets("/tmp/data/"): the four IDX files it fetched, gzipped or not, in
    the folder `path`, or mnist.npz (`path`, or in it); with no path, Keras' download (cached in
    ~/.keras/datasets). The four arrays, as uint8: images [n, 28, 28], labels [n]."""
    if path is None:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    npz = path if os.path.isfile(path) else os.path.join(path, "mnist.npz")
    if os.path.exists(npz):
        with np.load(npz) as arrays:
            return {key: arrays[key] for key in IDX_FILES}
    return {key: read_idx(os.path.join(path, name)) for key, name in IDX_FILES.items()}


def read_idx(path):
    """One IDX file: 0, 0, 8 (bytes), the number of dimensions, each one's size (4 bytes,
    big-endian), then the bytes."""
    with gzip.open(path + ".gz") if os.path.exists(path + ".gz") else open(path, "rb") as f:
        data = f.read()
    if data[:3] != b"\0\0\x08":
        raise ValueError(f"{os.path.basename(path)}: not an IDX file of bytes")
    shape = np.frombuffer(data, ">u4", count=data[3], offset=4)
    return np.frombuffer(data, np.uint8, offset=4 + 4 * data[3]).reshape(shape)


def as_floats(images):
    """Pixels as the model reads them, float32 from 0 to 1: bytes 0-255 divided, floats kept."""
    return images.astype(np.float32) / (255 if images.dtype == np.uint8 else 1)


def split(data):
    """mnist.train, mnist.validation, mnist.test: the first twelfth of the training images (5,000)
    validate, the rest train; pixels to [0, 1]. ## Shape of the data: the article's images come
    flattened, [55000, 784], its labels one-hot; here an image keeps its 28 rows of 28 pixels and a
    label is the digit, read by Keras' *sparse* cross-entropy as the one-hot row would be."""
    validation = max(len(data["x_train"]) * VALIDATION_SIZE // 60_000, 1)
    x_train, x_test = as_floats(data["x_train"]), as_floats(data["x_test"])
    y_train, y_test = data["y_train"].astype(np.int64), data["y_test"].astype(np.int64)
    return (
        (x_train[validation:], y_train[validation:]),
        (x_train[:validation], y_train[:validation]),
        (x_test, y_test),
    )


# ## Interpretation of LSTM cells in tensorflow
# tf.contrib.rnn.BasicLSTMCell(num_units) is keras.layers.LSTMCell(num_units): num_units LSTM units
# side by side, as the units of a hidden layer. keras.layers.LSTM runs one over the time steps
# (build_model below); the cell alone is `layer.cell`.


# ## Formatting inputs before feeding them to tensorflow RNNs
def format_inputs(x):
    """input = tf.unstack(x, time_steps, 1): [batch, 28, 28] -> 28 tensors of [batch, 28], row t for
    step t, as static_rnn wanted; keras.layers.LSTM steps through axis 1 itself. run() prints the
    shapes, and --inspect (read_row_by_row) feeds the rows one at a time to the LSTM's cell."""
    return tf.unstack(x, TIME_STEPS, axis=1)


# ## Code
def build_model(num_units, article_init):
    """x [batch, 28 rows, 28 pixels] -> LSTM(num_units, forget_bias 1) -> outputs[-1] -> prediction
    = outputs[-1] x out_weights + out_bias: [batch, 10] logits. On a CPU the steps are written out
    (unroll=True) as static_rnn did, twice as fast on a CPU; on a GPU, unroll=False keeps cuDNN."""
    init = {}
    if article_init:  # out_weights and out_bias: tf.random_normal
        init = dict(
            kernel_initializer=keras.initializers.RandomNormal(stddev=1.0),
            bias_initializer=keras.initializers.RandomNormal(stddev=1.0),
        )
    return keras.Sequential(
        [
            keras.Input(shape=(TIME_STEPS, N_INPUT)),  # x: [None, time_steps, n_input]
            keras.layers.LSTM(num_units, unit_forget_bias=True, unroll=True),  # static_rnn
            keras.layers.Dense(N_CLASSES, **init),
        ],
        name="mnist_rows",
    )


def compile_model(model, recipe, steps):
    """loss = reduce_mean(softmax_cross_entropy_with_logits); opt = AdamOptimizer(learning_rate);
    accuracy: one compile call."""
    rate = recipe["lr"]
    if recipe["schedule"] == "cosine":  # from lr down to 0 over the run
        rate = keras.optimizers.schedules.CosineDecay(rate, max(steps, 1))
    model.compile(
        optimizer=keras.optimizers.Adam(
            rate, clipnorm=recipe["clipnorm"], weight_decay=recipe["weight_decay"]
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=False,
    )


# ## Beyond the article: digits shifted at random, and a line per epoch
def shifted(images, seed, most):
    """Each image [b, 28, 28] moved at random by up to `most` pixels each way, the gap black."""
    padded = tf.pad(images, [[0, 0], [most, most], [most, most]])
    offsets = tf.random.stateless_uniform([tf.shape(images)[0], 2], seed, 0, 2 * most + 1, tf.int32)
    # [b, 28, 28 + 2 most]
    rows = tf.gather(padded, offsets[:, :1] + tf.range(TIME_STEPS), axis=1, batch_dims=1)
    return tf.gather(rows, offsets[:, 1:] + tf.range(N_INPUT), axis=2, batch_dims=1)  # [b, 28, 28]


class EpochsDone(keras.callbacks.Callback):
    """Counts epochs (for an interrupted run); prints each epoch's validation accuracy and time."""

    def __init__(self, verbose, first_epoch=0):
        super().__init__()
        self.verbose, self.epochs_done, self.started = verbose, first_epoch, time.perf_counter()

    def on_epoch_end(self, epoch, logs):
        self.epochs_done = epoch + 1
        if self.verbose:
            print(
                f"Epoch {epoch + 1:2d}: loss {logs['loss']:.4f}, accuracy {logs['accuracy']:.2%}, "
                f"validation accuracy {logs['val_accuracy']:.2%}, "
                f"{time.perf_counter() - self.started:.0f} s",
                flush=True,
            )


# ## Code, continued: mnist.train.next_batch, the lines the article prints, the training
def batches(x_train, y_train, batch_size, seed, shift, first_epoch=0):
    """mnist.train.next_batch(batch_size), pass after pass: each pass the images in a new order,
    each digit shifted at random by up to `shift` pixels; order and shifts of (seed, pass) alone,
    so that a run gone on from a saved model meets the same batches. In tf.data, where the other
    scripts loop in Python: fed from Python, a step took twice as long (170 ms, not 86, AVX2)."""

    def one_pass(epoch):  # the images in a new order, a batch at a time, each with its seed
        indices = tf.range(len(y_train))
        order = tf.random.experimental.stateless_shuffle(indices, seed=[seed, epoch])
        numbered = tf.data.Dataset.from_tensor_slices(order).batch(batch_size).enumerate()
        fold_in = tf.random.experimental.stateless_fold_in
        return numbered.map(lambda k, part: (part, fold_in([seed, epoch], k)))

    def next_batch(part, batch_seed):  # the images, each shifted, and their labels
        images = tf.gather(x_train, part)
        return (shifted(images, batch_seed, shift) if shift else images), tf.gather(y_train, part)

    x_train, y_train = tf.constant(x_train), tf.constant(y_train)  # once, not in every call
    passes = tf.data.Dataset.counter(first_epoch)  # for epoch in itertools.count(first_epoch)
    return passes.flat_map(one_pass).map(next_batch, num_parallel_calls=2).prefetch(2)


class ArticleLines(keras.callbacks.Callback):
    """The article's `print("For iter ", iter)`, accuracy and loss every 10 steps, as one line: the
    means over those 10 training batches (Keras' logs are running means since the epoch began)."""

    def __init__(self):
        super().__init__()
        self.previous = (0.0, 0.0, 0)

    def on_train_batch_end(self, batch, logs):
        step = batch + 1
        if step % LOG_EVERY:
            return
        loss_sum, accuracy_sum, done = self.previous
        total_loss, total_accuracy = logs["loss"] * step, logs["accuracy"] * step
        accuracy = (total_accuracy - accuracy_sum) / (step - done)
        loss = (total_loss - loss_sum) / (step - done)
        print(f"For iter {step:4d}  Accuracy {accuracy:.4f}  Loss {loss:.4f}", flush=True)
        self.previous = (total_loss, total_accuracy, step)


def test_accuracy(model, x_test, y_test):
    """Testing Accuracy on the article's 128 test images, then all; each answer, its probability."""
    logits = model.predict(x_test, batch_size=1000, verbose=0)  # [n, 10]
    probabilities = tf.nn.softmax(logits).numpy()
    predicted = np.argmax(probabilities, axis=-1)
    right = predicted == y_test
    first = min(128, len(y_test))
    print(
        f"\nTesting Accuracy on the first {first} test images (the article's 128): "
        f"{right[:first].mean():.2%}"
    )
    print(f"Testing Accuracy on all {len(y_test):,} test images: {right.mean():.2%}")
    return predicted, probabilities.max(axis=-1)


# ## Beyond the article: what it gets wrong
def mistakes(predicted, x_test, y_test):
    """The confusion matrix, printed; returns the indices of the misclassified test digits."""
    confusion = np.zeros((N_CLASSES, N_CLASSES), np.int64)
    np.add.at(confusion, (y_test, predicted), 1)
    print("\nConfusion matrix (rows: the true digit, columns: the model's answer):")
    print("      " + "".join(f"{k:6d}" for k in range(N_CLASSES)))
    for k in range(N_CLASSES):
        print(f"{k:6d}" + "".join(f"{n:6d}" for n in confusion[k]))
    return np.flatnonzero(predicted != y_test)


def errors_figure(images, true_labels, predicted, confidence, total, columns=10, most=100):
    """--errors-png's figure: up to `most` misclassified digits, each titled with its true label,
    the model's answer and the probability it gave that answer."""
    from matplotlib.figure import Figure  # only where a picture is asked

    shown = min(len(images), most)
    rows = max(math.ceil(shown / columns), 1)
    fig = Figure(figsize=(1.3 * columns, 1.45 * rows + 0.6), layout="constrained")
    fig.suptitle(
        f"The {len(images):,} test digits the model got wrong, of {total:,}"
        + (f" (the first {most})" if len(images) > most else ""),
        fontsize="x-large",
    )
    for k, ax in enumerate(fig.subplots(rows, columns, squeeze=False).ravel()):
        ax.set_axis_off()
        if k < shown:
            ax.imshow(images[k], cmap="gray", vmin=0, vmax=1)
            ax.set_title(
                f"true {true_labels[k]}, said {predicted[k]} ({confidence[k]:.0%})", fontsize=7
            )
    return fig


# ## Beyond the article: a digit of your own
def as_mnist(image):
    """[height, width, channels] in [0, 1], any size, grey or colour, transparent laid on white (as
    drawing programs save) -> [1, 28, 28], light on black as MNIST's; or a ValueError: no digit."""
    if min(image.shape[:2]) < 8 or np.ptp(image) < 0.1:  # too few pixels, or all one shade
        raise ValueError(f"{image.shape[1]}x{image.shape[0]} pixels, {np.ptp(image):.0%} contrast")
    if image.shape[-1] in (2, 4):  # grey or colour, and how opaque each pixel is
        image = image[..., :-1] * image[..., -1:] + (1 - image[..., -1:])
    image = tf.image.resize(image.mean(axis=-1, keepdims=True), (28, 28), antialias=True)
    image = image[..., 0].numpy()
    if image.mean() > 0.5:  # a dark digit on a light background, as people draw: invert to MNIST's
        image = 1 - image
    background = np.median(image)  # grey paper or a photo: stretch to MNIST's black 0 and white 1
    return np.clip((image - background) / max(image.max() - background, 1e-6), 0, 1)[None]


def predict(model, image, name):
    """[1, 28, 28] in [0, 1], light on dark as MNIST's -> the answer and its top probabilities."""
    probabilities = tf.nn.softmax(model.predict_on_batch(image)[0]).numpy()
    top = np.argsort(probabilities)[::-1][:3]
    print(
        f"{name}: the model reads {top[0]}. Top probabilities: "
        + ", ".join(f"{k} {probabilities[k]:.2%}" for k in top)
    )
    return dict(prediction=int(top[0]), probabilities=probabilities.tolist())


# ## Beyond the article: the answer forming, row by row
def read_row_by_row(model, images):
    """The same weights, one row at a time (format_inputs' rows, the article's tf.unstack): each
    digit's probability after each row, [n, 28, 10], as return_sequences=True would give."""
    lstm, dense = model.layers
    sizes = np.atleast_1d(lstm.cell.state_size)  # an LSTM's h and c; a GRU's h
    states, answers = [tf.zeros((len(images), size)) for size in sizes], []
    for row in format_inputs(images):  # [n, 28] each
        h, states = lstm.cell(row, states)
        answers.append(tf.nn.softmax(dense(h)))
    return np.stack(answers, axis=1)


def inspect(model, image, name, x_test=None):
    """The table of --inspect: the model's guess and its probability after each row of `image`
    [1, 28, 28]; then, over the test images if given, after how many rows the final answer is
    first given."""
    answers = read_row_by_row(model, image)[0]  # [28, 10]
    print(f"\n{name}, read row by row: the model's guess if the image ended at each row")
    print(" row  guess  probability")
    for row, p in enumerate(answers, 1):
        print(f"{row:4d} {p.argmax():6d} {p.max():12.1%}")
    if x_test is None:
        return answers, None
    guesses = read_row_by_row(model, x_test).argmax(axis=-1)  # [n, 28]
    # the first row that gives the final answer
    first = (guesses == guesses[:, -1:]).argmax(axis=1) + 1
    median, most, nearly_all = np.percentile(first, [50, 90, 99])
    print(
        f"Over the {len(x_test):,} test images, the final answer is first given after row "
        f"{median:.0f} (the median), by row {most:.0f} for 90% of them and by row {nearly_all:.0f} "
        "for 99%:"
    )
    for low in range(1, TIME_STEPS + 1, 4):
        n = int(np.sum((first >= low) & (first < low + 4)))
        print(f"  rows {low:2d}-{low + 3:2d} {n:6,d} {'#' * round(50 * n / len(first))}")
    return answers, dict(median=float(median), p90=float(most), p99=float(nearly_all))


def inspect_figure(image, answers, name):
    """--inspect-png's figure: the digit, and beside each of its rows the model's guess if the
    image ended there, as a bar of that guess's probability; the bars of the final answer in red."""
    from matplotlib.figure import Figure  # only where a picture is asked

    rows, guesses = np.arange(1, TIME_STEPS + 1), answers.argmax(axis=-1)
    fig = Figure(figsize=(9, 6.5), layout="constrained")
    digit, bars = fig.subplots(1, 2, sharey=True, width_ratios=[1, 1.3])
    fig.suptitle(f"{name}, read row by row: the guess after each row", fontsize="x-large")
    beside_its_bar = (0.5, N_INPUT + 0.5, TIME_STEPS + 0.5, 0.5)  # row t at the height of bar t
    digit.imshow(image[0], cmap="gray", vmin=0, vmax=1, extent=beside_its_bar, aspect="auto")
    digit.set(title="The image: row t is time step t", xlabel="pixel (column)", ylabel="row read")
    digit.set_yticks(rows[::3])
    final = guesses[-1]
    colours = ["tab:red" if guess == final else "tab:gray" for guess in guesses]
    drawn = bars.barh(rows, answers.max(axis=-1), color=colours)
    bars.bar_label(drawn, labels=[str(g) for g in guesses], padding=2, fontsize=8)
    bars.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    title = f"The guess (at each bar's end) and its\nprobability; in red: {final}, the final answer"
    bars.set(xlim=(0, 1.08), xlabel="probability of the guess", title=title)
    return fig


# ## The lesson, in the article's order
def run(recipe, data=None, model=None, first_epoch=0, callbacks=()):
    """The article's steps in its order, from plain values; main() calls it, the notebook takes the
    same steps a cell each. `recipe`: one of RECIPES, its values changed at will; `data`:
    load_mnist's four arrays (None: Keras' download); `model` and `first_epoch` go on from a saved
    model; `callbacks` are Keras'. Returns the model and the run's figures, figures["value"] the
    test accuracy, figures["wrong"] the test digits it got wrong (for errors_figure)."""
    batch_size, seed = recipe["batch_size"], recipe["seed"]
    keras.utils.set_random_seed(seed)
    (x_train, y_train), validation_data, (x_test, y_test) = split(data or load_mnist())
    rows = format_inputs(x_train[:batch_size])
    print(
        f"MNIST: {len(x_train):,} training, {len(validation_data[0]):,} validation and "
        f"{len(x_test):,} test images; tf.unstack(x, {TIME_STEPS}, 1): {len(rows)} time steps of "
        f"{rows[0].shape} (a batch's row t)"
    )
    model = model or build_model(recipe["hidden"], recipe["article_init"])
    if recipe["steps"]:  # the article counts steps: one epoch of Keras' holds them all
        passes, steps, epochs = recipe["epochs"], recipe["epochs"], 1
    else:
        passes, steps, epochs = 1, math.ceil(len(y_train) / batch_size), recipe["epochs"]
    first = first_epoch // passes  # in Keras' epochs
    batched = batches(x_train, y_train, batch_size, seed, recipe["shift"], first)
    compile_model(model, recipe, steps * epochs)
    rnn = model.layers[0]  # what was built: an LSTM, or what a learner put in its place
    print(
        f"{type(rnn).__name__}({rnn.units}), {model.count_params():,} parameters; batch "
        f"{batch_size}, Adam {recipe['lr']:g}, {recipe['epochs']} "
        f"{'steps' if recipe['steps'] else 'epochs'}; seed {seed}"
    )
    progress = EpochsDone(not recipe["steps"], first)
    callbacks = [progress, *([ArticleLines()] if recipe["steps"] else []), *callbacks]
    started = time.perf_counter()  # while iter < 800: sess.run(opt, ...)
    model.fit(
        batched,
        steps_per_epoch=steps,
        epochs=epochs,
        initial_epoch=first,
        validation_data=validation_data,
        validation_batch_size=1000,  # 0.4 s an epoch; Keras' 32: 1.0 s
        callbacks=callbacks,
        shuffle=False,  # batches() shuffled them
        verbose=0,
    )
    seconds = time.perf_counter() - started
    predicted, confidence = test_accuracy(model, x_test, y_test)
    right = int(np.sum(predicted == y_test))
    figures = dict(value=right / len(y_test), examples=len(y_test), right=right)
    figures.update(accuracy_first_128=float(np.mean(predicted[:128] == y_test[:128])))
    figures.update(epochs=progress.epochs_done * passes, steps=progress.epochs_done * steps)
    figures["train_seconds"] = round(seconds, 2)
    wrong = mistakes(predicted, x_test, y_test)
    figures["wrong"] = dict(index=wrong.tolist(), said=predicted[wrong].tolist())
    figures["wrong"]["confidence"] = confidence[wrong].round(4).tolist()
    done = f"{figures['steps']} steps" if recipe["steps"] else f"{figures['epochs']} epochs"
    print(
        f"test accuracy {figures['value']:.2%} ({right:,} of {len(y_test):,} test images right), "
        f"{done}, {seconds:.1f} s training"
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
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "mnist_sample.npz")
MODEL = ("hidden",)  # what a saved model keeps
RATE = checked(float, lambda x: 0 < x <= 10, "a number above 0, at most 10")


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

    parser = argparse.ArgumentParser(description="Read MNIST digits row by row with an LSTM.")
    parser.error = fail  # argparse's own errors too: one line, exit status 2
    add = parser.add_argument
    # fmt: off
    add("--recipe", choices=RECIPES, default="fast", help="the article's, or ours: digits shifted "
        "at random, Adam's rate decayed (default: fast)")
    add("--epochs", type=whole(0, 100_000), help="train up to this epoch (fast) or step "
        f"(article); with --load, on from it ({default('epochs')}; with --load, as planned)")
    add("--batch-size", type=whole(1, 60_000), help=f"images a batch ({default('batch_size')})")
    add("--lr", type=RATE, help=f"Adam's learning rate, {RATE.wanted} ({default('lr')})")
    add("--hidden", type=whole(1, 4096), help=f"LSTM units (default: {NUM_UNITS})")
    add("--seed", type=SEED, help="seeds the weights, the batches and the shifts (default: 0)")
    add("--data-dir", metavar="PATH", help="an .npz of x_train, y_train, x_test, y_test (images "
        "uint8 0-255 or floats 0-1, labels 0-9), or a folder with mnist.npz or the four IDX files, "
        "gzipped or not; data/mnist_sample.npz holds 3,000 digits (default: Keras' download; "
        "offline, that sample where it sits beside the script)")
    add("--errors-png", metavar="PATH", help="the digits it gets wrong, drawn (default: none)")
    add("--predict", metavar="IMAGE", help="read this image (default: none)")
    add("--inspect", metavar="IMAGE", help="the guess after each row of this "
        "image, or of the test image of this number (default: none)")
    add("--inspect-png", metavar="PATH", help="--inspect, drawn (default: none)")
    add("--save", metavar="PATH", help="the model, whole, after every epoch (default: none)")
    add("--load", metavar="PATH", help="a model to go on from (default: none)")
    add("--overwrite", action="store_true", help="let an output replace a file (default: off)")
    add("--log-dir", metavar="DIR", help="TensorBoard logs, a folder in DIR a run (default: none)")
    add("--json", metavar="PATH", help="the figures as JSON, - for standard output (default: none)")
    add("--dry-run", action="store_true", help="one epoch of 1,000 images (default: off)")
    # fmt: on
    return parser.parse_args(argv)


def mnist_data(data_dir):
    """load_mnist(--data-dir), checked: 28x28 pixels an image, a digit a label; offline, the sample
    beside the script, said; or one line why not."""
    where = f"--data-dir {data_dir}"
    try:
        data = load_mnist(data_dir)
    except Exception as error:  # a corrupt file; no network, a proxy, a full disk for the download
        what = "could not download MNIST" if data_dir is None else f"{where}: not MNIST's files"
        reason = f"{what} ({type(error).__name__}: {error})"
        if data_dir is not None or not os.path.isfile(SAMPLE):
            fail(f"{reason}; --help says what --data-dir takes")
        print(f"{reason}: training on the sample {SAMPLE} instead")
        data_dir, where, data = SAMPLE, f"--data-dir {SAMPLE}", load_mnist(SAMPLE)
    for split_name, least in (("train", 2), ("test", 1)):
        x, y = data[f"x_{split_name}"], data[f"y_{split_name}"]
        if x.shape[1:] != (28, 28) or y.shape != x.shape[:1] or len(x) < least:
            fail(f"{where}: {split_name} images {x.shape}, labels {y.shape}: {least}+ of 28x28")
        floats = x.dtype.kind == "f" and x.size and 0 <= x.min() and x.max() <= 1
        if not (x.dtype == np.uint8 or floats) or not np.isin(y, range(10)).all():
            wanted = "give images of uint8 0-255 or floats 0-1, labels 0-9"
            fail(f"{where}: {split_name} images of {x.dtype}, labels {np.unique(y)[:12]}: {wanted}")
    return data, data_dir


def read_image(path, flag):
    """Any image TensorFlow decodes, made a digit by as_mnist; or a one-line error."""
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        fail(f"{flag} {path}: no such file, or not one this user may read")
    try:
        image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
        return as_mnist(tf.cast(image, tf.float32).numpy() / 255)
    except tf.errors.InvalidArgumentError:
        fail(f"{flag} {path}: not an image TensorFlow can read: PNG, JPEG, GIF, BMP or WebP")
    except ValueError as error:
        fail(f"{flag} {path}: {error}: not a digit")


def from_the_terminal(args):
    """The checks, the lesson's run() (unless a loaded model only answers), the pictures."""
    check_outputs(args, ("--save", "--errors-png", "--inspect-png", "--json", "--log-dir"))
    model, saved = load_model(args.load) if args.load is not None else (None, {})
    recipe = settle(args, saved)
    if args.inspect_png and not args.inspect:
        fail("--inspect-png draws what --inspect shows: give --inspect IMAGE too")
    number = args.inspect and args.inspect.isdecimal()  # the test image of that number
    image = args.predict is not None and read_image(args.predict, "--predict")
    inspected = args.inspect is not None and not number and read_image(args.inspect, "--inspect")
    name = args.inspect  # a file's name, or "Test image 3 (a 5)" below
    first_epoch, metrics = saved.get("epoch", 0), dict(recipe=args.recipe, metric="accuracy")
    train = model is None or first_epoch < recipe["epochs"] or not (args.predict or args.inspect)
    x_test = None  # a loaded model answers --predict and --inspect of a file with no dataset
    if train or number:
        data, source = mnist_data(args.data_dir)
        metrics["data"] = source or "keras.datasets.mnist"
        if args.dry_run:
            recipe["epochs"], data = 1, {key: value[:1000] for key, value in data.items()}
        x_test, y_test = split(data)[2]
    if number and (k := int(args.inspect)) >= len(x_test):
        fail(f"--inspect {k}: give a test image from 0 to {len(x_test) - 1:,}, or a file")
    if number:
        inspected, name = x_test[k : k + 1], f"Test image {k} (a {y_test[k]})"
    if train:
        passes = recipe["epochs"] if recipe["steps"] else 1  # the article's steps in an epoch
        checkpoint = Checkpoint(args, recipe, first_epoch, passes)
        model, figures = run(recipe, data, model, first_epoch, [checkpoint, *log_dir(args)])
        metrics.update(figures, hidden=recipe["hidden"], seed=recipe["seed"])
        if args.save:  # the run is over: no epochs left to go on with
            checkpoint.save(model, figures["epochs"], figures["epochs"])
            print(f"Saved the model to {checkpoint.path}")
        if args.errors_png:
            i, said, sure = figures["wrong"].values()  # index, said, confidence
            figure = errors_figure(x_test[i], y_test[i], said, sure, len(y_test))
            path = publish(args.errors_png, figure.savefig, args.overwrite)
            print(f"The digits it got wrong: {path}")
    if args.predict:
        metrics.update(predict(model, image, args.predict))
    if args.inspect:
        answers, metrics["rows_to_answer"] = inspect(model, inspected, name, x_test)
        if args.inspect_png:
            figure = inspect_figure(inspected, answers, name)
            path = publish(args.inspect_png, figure.savefig, args.overwrite)
            print(f"The digit, and the guess after each row: {path}")
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
