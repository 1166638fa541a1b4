"""Read an MNIST digit row by row with an LSTM: 28 time steps of 28 pixels.

Follows "Understanding LSTM in Tensorflow (MNIST dataset)" (2017), ported to
TensorFlow 2 / Keras 3. The section markers below are the article's headings.

    python mnist_rows.py                                  # Keras' MNIST (downloaded once), else the bundled sample
    python mnist_rows.py --data-dir ~/mnist               # mnist.npz or the four IDX files, gzipped or not
    python mnist_rows.py --recipe article                 # the article's 799 steps of 128 images
    python mnist_rows.py --errors-png errors.png          # the digits it gets wrong, as a picture
    python mnist_rows.py --load mnist.keras --predict my_digit.png

Results: see the README's table, each figure with the command that measured it.
"""
import argparse
import gzip
import json
import os
import sys
import time
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter

import numpy as np
import tensorflow as tf
import keras

# Settings: the article's constants, each a flag below.
TIME_STEPS = 28         # unrolled through 28 time steps: one row of the image each
N_INPUT = 28            # rows of 28 pixels
NUM_UNITS = 128         # hidden LSTM units
N_CLASSES = 10          # the digits 0-9
VALIDATION_SIZE = 5000  # the article's split: 55,000 train, 5,000 validation (the first 5,000), 10,000 test
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "mnist_sample.npz")
IDX_FILES = {"x_train": ("train-images-idx3-ubyte", 2051), "y_train": ("train-labels-idx1-ubyte", 2049),
             "x_test": ("t10k-images-idx3-ubyte", 2051), "y_test": ("t10k-labels-idx1-ubyte", 2049)}
SETTINGS_FILE = "mnist_rows.json"  # what a saved model was trained with, inside the .keras zip

RECIPES = {
    # The article's: batch 128, Adam 1e-3, `while iter < 800` (799 steps), its weights
    # drawn from tf.random_normal; accuracy and loss every 10 steps.
    "article": dict(batch_size=128, lr=1e-3, steps=799, epochs=None, schedule="constant",
                    clipnorm=None, article_init=True, shift=0.0),
    # Ours: the same LSTM reading the same rows, trained for 14 epochs instead of under
    # 2; Adam starts at 5e-3 and a cosine schedule takes it to zero, so the last epochs
    # settle; clipping the gradient keeps the high early rate from blowing up; and every
    # training digit is shifted at random by up to 8% (2 pixels) each way, so the model
    # cannot learn the training digits by heart (see the README for what each is worth).
    "fast": dict(batch_size=128, lr=5e-3, steps=None, epochs=14, schedule="cosine",
                 clipnorm=1.0, article_init=False, shift=0.08),
}


def fail(message):
    """Every bad input ends here: one line on stderr, exit status 2, no traceback."""
    print(f"mnist_rows.py: error: {message}", file=sys.stderr)
    raise SystemExit(2)


# ## The MNIST dataset
def read_idx(path, magic):
    """One IDX file (gzipped or not): images [n, 28, 28] or labels [n], uint8; or a one-line error."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            fail(f"{path}: a broken gzip file ({error})")
    dims = 3 if magic == 2051 else 1
    header = 4 + 4 * dims
    if len(data) < header or int.from_bytes(data[:4], "big") != magic:
        found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
        fail(f"{path}: not an MNIST {'image' if dims == 3 else 'label'} file (magic number {found}, expected {magic})")
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    if dims == 3 and shape[1:] != [28, 28]:
        fail(f"{path}: images of {shape[1]}x{shape[2]} pixels, expected 28x28")
    if len(data) - header != int(np.prod(shape)):
        fail(f"{path}: truncated or too long: {len(data) - header:,} bytes of data for {shape[0]:,} "
             f"{'images' if dims == 3 else 'labels'}")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def read_data_dir(folder):
    """mnist.npz (Keras' format) or the four original IDX files from `folder`."""
    if not os.path.isdir(folder):
        fail(f"--data-dir {folder}: no such folder")
    npz = os.path.join(folder, "mnist.npz")
    if os.path.exists(npz):
        return read_npz(npz)
    data = {}
    for key, (name, magic) in IDX_FILES.items():
        candidates = [os.path.join(folder, name + suffix) for suffix in (".gz", "")]
        path = next((p for p in candidates if os.path.exists(p)), None)
        if path is None:
            fail(f"--data-dir {folder}: no mnist.npz, and no {name}.gz or {name}")
        data[key] = read_idx(path, magic)
    for split in ("train", "test"):
        if len(data[f"x_{split}"]) != len(data[f"y_{split}"]):
            fail(f"--data-dir {folder}: {len(data[f'x_{split}']):,} {split} images but {len(data[f'y_{split}']):,} labels")
    return data


def read_npz(path):
    """x_train, y_train, x_test, y_test from an .npz file, checked; or a one-line error."""
    try:
        with np.load(path) as npz:
            data = {key: npz[key] for key in IDX_FILES}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        fail(f"{path}: not a readable mnist.npz ({type(error).__name__}: {error})")
    for split in ("train", "test"):
        x, y = data[f"x_{split}"], data[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y):
            fail(f"{path}: x_{split} {x.shape} and y_{split} {y.shape} are not n images of 28x28 and their n labels")
    return data


def load_mnist(data_dir):
    """--data-dir, else Keras' downloader (cached after the first time), else the bundled sample.

    Returns the data, and where it came from."""
    if data_dir:
        return read_data_dir(data_dir), data_dir
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test), "keras.datasets.mnist"
    except Exception as error:  # no network, a proxy, a full disk: any failure means the sample
        print(f"Could not download MNIST ({type(error).__name__}). Using the sample in data/: 2,000 training "
              f"and 1,000 test images from the official files; expect about 90% accuracy instead of 99%. "
              f"For the full set, run once with network access, or pass --data-dir with mnist.npz or the "
              f"four IDX files.")
        return read_npz(SAMPLE), "the bundled sample"


def split(data):
    """The article's split: the first 5,000 training images validate, the other 55,000 train
    (a twelfth of a smaller set). Pixels to [0, 1]: [n, 28, 28] uint8 -> float32, one row per time step."""
    validation = VALIDATION_SIZE if len(data["x_train"]) == 60_000 else len(data["x_train"]) // 12
    x_train, x_test = data["x_train"].astype(np.float32) / 255, data["x_test"].astype(np.float32) / 255
    y_train, y_test = data["y_train"].astype(np.int64), data["y_test"].astype(np.int64)
    return ((x_train[validation:], y_train[validation:]), (x_train[:validation], y_train[:validation]),
            (x_test, y_test))


# ## Interpretation of LSTM cells in tensorflow
def build_model(num_units, article_init, shift):
    """[batch, 28 rows, 28 pixels] -> LSTM(num_units, forget bias 1), unrolled -> last output -> [batch, 10] logits.

    With `shift`, training images first move at random by up to that fraction of their
    size (Keras' preprocessing layers do nothing at prediction time)."""
    model = keras.Sequential(name="mnist_rows")
    model.add(keras.Input(shape=(TIME_STEPS, N_INPUT)))           # x: [None, time_steps, n_input]
    if shift:
        model.add(keras.layers.Reshape((TIME_STEPS, N_INPUT, 1)))  # an image with one channel
        model.add(keras.layers.RandomTranslation(shift, shift, fill_mode="constant"))
        model.add(keras.layers.Reshape((TIME_STEPS, N_INPUT)))
    model.add(keras.layers.LSTM(num_units, unit_forget_bias=True, unroll=True))  # static_rnn: 28 steps written out
    init = {}
    if article_init:  # out_weights and out_bias: tf.random_normal
        init = dict(kernel_initializer=keras.initializers.RandomNormal(stddev=1.0),
                    bias_initializer=keras.initializers.RandomNormal(stddev=1.0))
    model.add(keras.layers.Dense(N_CLASSES, **init))               # outputs[-1] x out_weights + out_bias
    return model


def compile_model(model, recipe, lr, steps):
    """loss = reduce_mean(softmax_cross_entropy_with_logits); opt = AdamOptimizer(learning_rate)."""
    rate = lr if recipe["schedule"] == "constant" else keras.optimizers.schedules.CosineDecay(lr, max(steps, 1))
    model.compile(optimizer=keras.optimizers.Adam(rate, clipnorm=recipe["clipnorm"]),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=False)


# ## Code: the training loop
class ArticleLines(keras.callbacks.Callback):
    """The article's accuracy and loss every 10 steps, as one line: the means over those
    10 training batches (Keras' logs are running means since the epoch began)."""

    def __init__(self, every):
        super().__init__()
        self.every, self.previous = every, (0.0, 0.0, 0)

    def on_train_batch_end(self, batch, logs):
        step = batch + 1
        if step % self.every:
            return
        loss_sum, accuracy_sum, done = self.previous
        total_loss, total_accuracy = logs["loss"] * step, logs["accuracy"] * step
        print(f"For iter {step:4d}  Accuracy {(total_accuracy - accuracy_sum) / (step - done):.4f}  "
              f"Loss {(total_loss - loss_sum) / (step - done):.4f}", flush=True)
        self.previous = (total_loss, total_accuracy, step)


class EpochsDone(keras.callbacks.Callback):
    """Counts epochs (for an interrupted run) and prints each epoch's validation accuracy and time."""

    def __init__(self, verbose):
        super().__init__()
        self.verbose, self.epochs_done, self.started = verbose, 0, time.perf_counter()

    def on_epoch_end(self, epoch, logs):
        self.epochs_done = epoch + 1
        if self.verbose:
            print(f"Epoch {epoch + 1:2d}: loss {logs['loss']:.4f}, accuracy {logs['accuracy']:.2%}, validation "
                  f"accuracy {logs['val_accuracy']:.2%}, {time.perf_counter() - self.started:.0f} s", flush=True)


class SaveEvery(keras.callbacks.Callback):
    """Writes the model to --save every `seconds` of training, so a killed run loses little."""

    def __init__(self, path, settings, seconds):
        super().__init__()
        self.path, self.settings, self.seconds, self.last = path, settings, seconds, time.monotonic()

    def on_epoch_end(self, epoch, logs):
        if time.monotonic() - self.last >= self.seconds:
            save_model(self.model, self.path, self.settings)
            self.last = time.monotonic()


def train(model, train_data, validation_data, batch_size, epochs, steps, seed, callbacks):
    """model.fit for `epochs`, or for `steps` batches (the article's mnist.train.next_batch: shuffled
    passes, one after another). Ctrl-C stops it cleanly."""
    try:
        if steps:
            batches = (tf.data.Dataset.from_tensor_slices(train_data).shuffle(len(train_data[0]), seed=seed)
                       .repeat().batch(batch_size))
            model.fit(batches, epochs=1, steps_per_epoch=steps, validation_data=validation_data, shuffle=False,
                      callbacks=callbacks, verbose=0)
        else:
            model.fit(*train_data, batch_size=batch_size, epochs=epochs, validation_data=validation_data,
                      callbacks=callbacks, verbose=0)
    except KeyboardInterrupt:
        print("\nInterrupted: evaluating what it has learned.")


# Saving and loading
def save_model(model, path, settings):
    """model.save to a temporary file beside `path`, the run's settings added, then one rename."""
    temporary = f"{path}.tmp-{os.getpid()}.keras"
    try:
        model.save(temporary)
        with zipfile.ZipFile(temporary, "a") as archive:
            archive.writestr(SETTINGS_FILE, json.dumps(settings))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def load_model(path):
    """A model saved by save_model, and the settings it was trained with."""
    if not os.path.isfile(path):
        fail(f"--load {path}: no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            settings = json.loads(archive.read(SETTINGS_FILE))
        model = keras.models.load_model(path, compile=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        fail(f"--load {path}: not a model saved by mnist_rows.py ({type(error).__name__}: {error})")
    return model, settings


# ## Calculating test accuracy, and what it gets wrong
# A 3x5 pixel font for the digits, so that the picture of errors needs no plotting library.
FONT = ["111101101101111", "010110010010111", "111001111100111", "111001111001111", "101101111001001",
        "111100111001111", "111100111101111", "111001001001001", "111101111101111", "111101111001111"]


def errors_grid(images, true_labels, predicted, columns=10, most=100):
    """Up to `most` misclassified digits in a grid, each over 'true>predicted' in the 3x5 font: [H, W] uint8."""
    tiles = []
    for image, true, guess in list(zip(images, true_labels, predicted))[:most]:
        tile = np.zeros((28 + 14, 28 + 4), np.uint8)
        tile[2:30, 2:30] = (image * 255).astype(np.uint8)
        for k, glyph in enumerate([FONT[true], None, FONT[guess]]):
            bits = np.array([int(b) for b in (glyph or "100010001010100")]).reshape(5, 3)  # None: a ">"
            tile[32:42, 3 + k * 9:9 + k * 9] = np.kron(bits, np.ones((2, 2), np.uint8)) * (255 if glyph else 160)
        tiles.append(tile)
    if not tiles:
        return np.zeros((42, 32), np.uint8)
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    rows = [np.concatenate(tiles[i:i + columns], axis=1) for i in range(0, len(tiles), columns)]
    return np.concatenate(rows, axis=0)


def report(model, x_test, y_test, errors_png, log_dir):
    """Accuracy on the first 128 test images (the article's measure) and on all of them, the
    confusion matrix, and the misclassified digits as a PNG and in TensorBoard."""
    predicted = np.argmax(model.predict(x_test, batch_size=1000, verbose=0), axis=-1)
    right = predicted == y_test
    print(f"\nTesting Accuracy on the first 128 test images (the article's measure): {right[:128].mean():.2%}")
    print(f"Testing Accuracy on all {len(y_test):,} test images: {right.mean():.2%}")
    confusion = np.zeros((N_CLASSES, N_CLASSES), np.int64)
    np.add.at(confusion, (y_test, predicted), 1)
    print("\nConfusion matrix (rows: the true digit, columns: the model's answer):")
    print("      " + "".join(f"{k:6d}" for k in range(N_CLASSES)))
    for k in range(N_CLASSES):
        print(f"{k:6d}" + "".join(f"{n:6d}" for n in confusion[k]))
    wrong = np.flatnonzero(~right)
    grid = errors_grid(x_test[wrong], y_test[wrong], predicted[wrong])
    if errors_png:
        with open(errors_png, "wb") as f:
            f.write(tf.io.encode_png(grid[..., None]).numpy())
        print(f"The first {min(len(wrong), 100)} of {len(wrong)} misclassified digits (true > predicted): {errors_png}")
    if log_dir:
        with tf.summary.create_file_writer(log_dir).as_default():
            tf.summary.image("misclassified (true > predicted)", grid[None, ..., None], step=0)
    return int(right.sum()), int(right[:128].sum())


# Try it: a digit of your own
def read_image(path):
    """Any PNG, JPEG, GIF or BMP, colour or grey, of any size -> [1, 28, 28] in [0, 1], light on dark."""
    try:
        image = tf.io.decode_image(tf.io.read_file(path), channels=1, expand_animations=False)
    except tf.errors.NotFoundError:
        fail(f"--predict {path}: no such file")
    except tf.errors.InvalidArgumentError:
        fail(f"--predict {path}: not an image TensorFlow can read (PNG, JPEG, GIF or BMP)")
    image = tf.image.resize(tf.cast(image, tf.float32) / 255, (28, 28), antialias=True)[..., 0].numpy()
    if image.mean() > 0.5:  # a dark digit on a light background, as people draw: invert to MNIST's
        image = 1 - image
    background = np.median(image)  # grey paper or a photo: stretch to MNIST's black 0 and white 1
    return np.clip((image - background) / max(image.max() - background, 1e-6), 0, 1)[None]


def predict(model, path):
    probabilities = tf.nn.softmax(model.predict_on_batch(read_image(path))[0]).numpy()
    top = np.argsort(probabilities)[::-1][:3]
    print(f"{path}: the model reads {top[0]}. Top probabilities: " +
          ", ".join(f"{k} {probabilities[k]:.2%}" for k in top))
    return dict(prediction=int(top[0]), probabilities=probabilities.tolist())


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Classify MNIST digits with an LSTM that reads 28 rows of 28 pixels (Understanding LSTM, in TF2).")
    parser.error = fail  # argparse's own errors too: one line, exit status 2
    parser.add_argument("--recipe", choices=RECIPES, default="fast",
                        help="'article': batch 128, Adam 1e-3, 799 steps; 'fast': batch 128, Adam 5e-3 with "
                             "cosine decay and clipping, digits shifted at random, 14 epochs (default: %(default)s)")
    parser.add_argument("--epochs", type=int, help="epochs (fast), or steps (article) (default: the recipe's, 14 or 799)")
    parser.add_argument("--batch-size", type=int, help="images per update (default: %(default)s)", default=128)
    parser.add_argument("--lr", type=float, help="Adam's learning rate (default: the recipe's, 5e-3 or 1e-3)")
    parser.add_argument("--hidden", type=int, help=f"LSTM units (default: {NUM_UNITS}, or the loaded model's)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights and the batches (default: %(default)s)")
    parser.add_argument("--data-dir", metavar="DIR", help="a folder with mnist.npz or the four IDX files, gzipped or "
                                                          "not (default: Keras' download, else the bundled sample)")
    parser.add_argument("--errors-png", metavar="PATH", help="write the misclassified test digits to this PNG (default: none)")
    parser.add_argument("--predict", metavar="IMAGE", help="classify this image (after training, or at once with --load; default: none)")
    parser.add_argument("--save", metavar="PATH", help="write the trained model to this .keras file (default: none)")
    parser.add_argument("--load", metavar="PATH", help="start from a model written by --save; --epochs 0 only "
                                                       "evaluates it (default: none)")
    parser.add_argument("--overwrite", action="store_true", help="let --save and --errors-png replace existing files (default: off)")
    parser.add_argument("--log-dir", metavar="DIR", help="write TensorBoard scalars and the misclassified digits to a "
                                                         "new run folder here (default: none)")
    parser.add_argument("--json", metavar="PATH", help="write the run's metrics to this file as one JSON object (default: none)")
    parser.add_argument("--dry-run", action="store_true", help="train on one batch, evaluate on 500 test images (default: off)")
    return parser.parse_args(argv)


def check_args(args):
    """Settings: flags, else the loaded model's, else the defaults; every conflict a one-line error."""
    model, saved = None, {}
    if args.load:
        model, saved = load_model(args.load)
        if args.hidden is not None and args.hidden != saved["hidden"]:
            fail(f"--hidden {args.hidden} does not fit {args.load}, trained with --hidden {saved['hidden']}")
    args.hidden = args.hidden or saved.get("hidden", NUM_UNITS)
    recipe = RECIPES[args.recipe]
    if args.epochs is None:
        args.epochs = recipe["steps"] or recipe["epochs"]
    args.lr = args.lr or recipe["lr"]
    if min(args.hidden, args.batch_size) < 1 or args.epochs < 0 or args.lr <= 0:
        fail("give --hidden and --batch-size >= 1, --epochs >= 0 and --lr > 0")
    for flag, path in (("--save", args.save), ("--json", args.json), ("--errors-png", args.errors_png)):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            fail(f"{flag} {path}: no such folder")
    if args.save and not args.save.endswith(".keras"):
        fail(f"--save {args.save}: the file name must end in .keras")
    for flag, path in (("--save", args.save), ("--errors-png", args.errors_png)):
        same = args.load and path and os.path.abspath(args.load) == os.path.abspath(path)
        if path and os.path.exists(path) and not (same or args.overwrite):
            fail(f"{flag} {path}: the file exists; pass --overwrite to replace it, or choose another name")
    return recipe, model


def main(argv=None):
    started = time.perf_counter()
    args = parse_args(argv)
    recipe, model = check_args(args)
    keras.utils.set_random_seed(args.seed)
    if model is not None and args.predict:
        return predict(model, args.predict)  # a loaded model answers at once

    # ## The MNIST dataset, ## Shape of the data
    data, source = load_mnist(args.data_dir)
    (x_train, y_train), validation_data, (x_test, y_test) = split(data)
    if args.dry_run:
        x_test, y_test = x_test[:500], y_test[:500]
    print(f"MNIST from {source}: {len(x_train):,} training, {len(validation_data[0]):,} validation and "
          f"{len(x_test):,} test images of {TIME_STEPS} rows x {N_INPUT} pixels")
    if model is None:
        model = build_model(args.hidden, recipe["article_init"], recipe["shift"])
    steps = 1 if args.dry_run else recipe["steps"] and args.epochs   # the article counts steps, not epochs
    epochs = 1 if (args.dry_run or recipe["steps"]) else args.epochs
    per_epoch = steps or -(-len(x_train) // args.batch_size)
    compile_model(model, recipe, args.lr, epochs * per_epoch)
    print(f"LSTM({args.hidden}), {model.count_params():,} parameters; recipe {args.recipe}: batch {args.batch_size}, "
          f"Adam {args.lr:g}, " + (f"{steps} steps" if recipe["steps"] else f"{epochs} epochs") + f"; seed {args.seed}")

    settings = dict(hidden=args.hidden)
    progress = EpochsDone(verbose=not recipe["steps"])
    callbacks = [progress]
    run_dir = None
    if recipe["steps"]:
        callbacks.append(ArticleLines(every=10))
    if args.log_dir:
        run_dir = os.path.join(args.log_dir, f"mnist_rows-{args.recipe}-{time.strftime('%Y%m%d-%H%M%S')}")
        callbacks.append(keras.callbacks.TensorBoard(run_dir))
        print(f"TensorBoard: tensorboard --logdir {args.log_dir}")
    if args.save:
        callbacks.append(SaveEvery(args.save, settings, seconds=60))
    train_started = time.perf_counter()
    if args.epochs:
        train(model, (x_train, y_train), validation_data, args.batch_size, epochs, steps, args.seed, callbacks)
    train_seconds = time.perf_counter() - train_started
    if args.save:
        save_model(model, args.save, settings)
        print(f"Saved the model to {args.save}")

    right, right_128 = report(model, x_test, y_test, args.errors_png, run_dir)
    answer = predict(model, args.predict) if args.predict else {}
    value = right / len(y_test)
    total_seconds = time.perf_counter() - started
    metrics = dict(script="mnist_rows.py", recipe=args.recipe, metric="accuracy", value=value,
                   examples=len(y_test), right=right, accuracy_first_128=right_128 / min(128, len(y_test)),
                   epochs=progress.epochs_done, steps=steps or progress.epochs_done * per_epoch, data=source,
                   train_seconds=round(train_seconds, 2), total_seconds=round(total_seconds, 2),
                   hidden=args.hidden, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                   tensorflow=tf.__version__, keras=keras.__version__, **answer)
    if args.json:
        temporary = f"{args.json}.tmp-{os.getpid()}"
        with open(temporary, "w") as f:
            json.dump(metrics, f, indent=2)
        os.replace(temporary, args.json)
    print(f"test accuracy {value:.2%} ({right:,} of {len(y_test):,} test images right, from {source}), "
          + (f"{steps} steps" if recipe["steps"] else f"{progress.epochs_done} epochs") + f", {total_seconds:.1f} s")
    return metrics


if __name__ == "__main__":
    main()
