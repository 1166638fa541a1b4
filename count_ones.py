"""Count the ones in a binary string with an LSTM.

Follows "A noob's guide to implementing RNN-LSTM using Tensorflow" (2016), ported
to TensorFlow 2 / Keras 3. The section markers below are the article's headings.

    python count_ones.py                                  # trains, then scores every held-out string
    python count_ones.py --save ones.keras                # ... and keeps the model
    python count_ones.py --load ones.keras --predict 01010010011011100110
    python count_ones.py --recipe article                 # the article's own recipe (800 epochs, 3.5 min)

Results: see the README's table, each figure with the command that measured it.
"""
import argparse
import json
import os
import sys
import time
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter

import numpy as np
import tensorflow as tf
import keras

# Settings: what the article fixed, each a flag below.
LENGTH = 20             # bits per string: 2**20 = 1,048,576 strings in all
NUM_EXAMPLES = 10_000   # training strings: the article trains on under 1% of them
NUM_HIDDEN = 24         # the article's LSTM width
TARGET_ERROR = 0.001    # the article's final figure: "Epoch 5000 error 0.1%"
CHECK_SIZE = 20_000     # held-out strings scored every few epochs to decide when to stop
MAX_LENGTH = 24         # 2**24 strings of 24 floats already take 1.6 GB
SETTINGS_FILE = "count_ones.json"  # what a saved model was trained with, inside the .keras zip

RECIPES = {
    # The article's: batch 1000, Adam at its default rate, the cross-entropy summed
    # over the batch, up to 5000 epochs, the output layer initialised as it was.
    "article": dict(batch_size=1000, lr=1e-3, epochs=5000, loss_reduction="sum",
                    article_init=True, schedule="constant", clipnorm=None, balance=0.0,
                    check_every=10, print_every=50),
    # Ours: the same 10,000 strings and model. More updates per epoch (batch 100) at a
    # higher rate, which a cosine schedule brings down to zero so that the last epochs
    # settle instead of jumping around; clipping the gradient tames the spikes a high rate
    # causes. And the rare classes weigh more (see class_weights): that is where the errors are.
    "fast": dict(batch_size=100, lr=2e-2, epochs=30, loss_reduction="sum_over_batch_size",
                 article_init=False, schedule="cosine", clipnorm=1.0, balance=0.5,
                 check_every=1, print_every=5),
}


def fail(message):
    """Every bad input ends here: one line on stderr, exit status 2, no traceback."""
    print(f"count_ones.py: error: {message}", file=sys.stderr)
    raise SystemExit(2)


# ## Generating the training input data
def to_bits(codes, length):
    """Strings as the model reads them: integer i -> its `length` bits, first bit first.

    [n] int -> [n, length, 1] float32 (batch, sequence length, input dimension)."""
    bits = (np.asarray(codes)[:, None] >> np.arange(length - 1, -1, -1)) & 1
    return bits[..., None].astype(np.float32)


def make_data(length, train_size, seed):
    """All 2**length strings, shuffled by `seed`; the first `train_size` train, the rest is held out.

    A string is handled as the integer it spells (its code): the article's lists of
    lists become one NumPy shift, and a held-out string is just a code.
    Returns train_input [n, length, 1], train_output [n], test_codes [m], test_output [m],
    where an output is the class: the count of ones, 0..length."""
    codes = np.random.default_rng(seed).permutation(2**length)  # shuffle(train_input)
    # ## Generating the training output data: the class of a string is its count of ones
    counts = to_bits(codes, length).sum(axis=(1, 2)).astype(np.int64)
    # ## Generating the test data: everything beyond NUM_EXAMPLES
    train_input = to_bits(codes[:train_size], length)
    return train_input, counts[:train_size], codes[train_size:], counts[train_size:]


def class_weights(train_output, length, balance):
    """A weight per class, (1 / its share of the training strings) ** balance, 1 on average per string.

    Counts of ones are binomial: 10,000 strings hold about 1,800 with 10 ones but only
    about 12 with 3 ones or 17, and those rare classes are where the held-out errors
    stay longest. balance=0 weighs every string alike (the article); 1 weighs every class alike."""
    counts = np.bincount(train_output, minlength=length + 1)
    weights = np.where(counts > 0, (len(train_output) / np.maximum(counts, 1)) ** balance, 0.0)
    weights /= (weights * counts).sum() / len(train_output)
    return dict(enumerate(weights.tolist()))


def missing_classes(train_output, test_output, length):
    """Counts of ones that no training string has, and how many held-out strings have them.

    The model can never predict a class it never saw, so those strings are wrong
    whatever it learns: the error cannot go below doomed / len(test_output)."""
    missing = np.setdiff1d(np.arange(length + 1), train_output)
    return missing, int(np.isin(test_output, missing).sum())


# ## Designing the model
def build_model(length, cell, hidden, layers, article_init):
    """[batch, length, 1] -> LSTM (or GRU, or simple RNN) x layers -> [batch, length + 1] probabilities.

    unroll=True writes the `length` steps out as plain ops instead of a while loop,
    which is faster for short sequences on a CPU (the article's dynamic_rnn looped)."""
    rnn = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}[cell]
    model = keras.Sequential(name=f"count_ones_{cell}")
    model.add(keras.Input(shape=(length, 1)))                      # data: [None, 20, 1]
    for i in range(layers):
        # every layer but the last hands all its outputs on: [batch, length, hidden]
        model.add(rnn(hidden, unroll=True, return_sequences=i < layers - 1))
    # `last` (the output at the 20th bit) -> weight, bias -> softmax: [batch, hidden] -> [batch, 21]
    init = {}
    if article_init:  # tf.truncated_normal(stddev=1.0) weights, tf.constant(0.1) bias
        init = dict(kernel_initializer=keras.initializers.TruncatedNormal(stddev=1.0),
                    bias_initializer=keras.initializers.Constant(0.1))
    model.add(keras.layers.Dense(length + 1, activation="softmax", **init))
    return model


def compile_model(model, recipe, lr, batch_size, epochs, train_size):
    """cross_entropy, optimizer = tf.train.AdamOptimizer(), minimize: one compile call.

    Keras clips the probabilities before the log as the article did by hand; the
    article *summed* the loss over the batch (reduction="sum"), Keras' default is the mean."""
    steps = max(epochs * -(-train_size // batch_size), 1)
    rate = lr if recipe["schedule"] == "constant" else keras.optimizers.schedules.CosineDecay(lr, steps)
    model.compile(
        optimizer=keras.optimizers.Adam(rate, clipnorm=recipe["clipnorm"]),
        loss=keras.losses.SparseCategoricalCrossentropy(reduction=recipe["loss_reduction"]),
        metrics=["accuracy"],
        jit_compile=False,        # XLA was 40 times slower on this model on a CPU
        steps_per_execution=10,   # run 10 batches per call into the traced graph
    )


# ## Calculating the error on test data
def every_string_classifier(model, length):
    """A traced function: the class the model gives each of the 2**length strings, indexed by code.

    The held-out set is 99% of all strings, and an LSTM reads left to right, so
    strings that share a prefix share the state after it. Reading the tree of
    prefixes (2 strings of 1 bit, 4 of 2 bits, ...) costs 2**(length + 1) steps of
    the cell instead of length * 2**length: one bit of every string at once.
    The result equals model.predict on each string (tests/test_count_ones.py checks)."""
    rnns = model.layers[:-1]
    dense = model.layers[-1]

    @tf.function
    def classify_every_string():
        # states of every layer for the one empty prefix: [1, hidden] each
        states = [[tf.zeros((1, layer.cell.units))] * len(tf.nest.flatten(layer.cell.state_size))
                  for layer in rnns]
        for _ in range(length):
            # prefix i becomes prefixes 2i (next bit 0) and 2i + 1 (next bit 1): [n, .] -> [2n, .]
            n = tf.shape(states[0][0])[0]
            x = tf.tile(tf.constant([[0.0], [1.0]]), [n, 1])
            states = [[tf.repeat(s, 2, axis=0) for s in layer_states] for layer_states in states]
            for i, layer in enumerate(rnns):
                x, states[i] = layer.cell(x, states[i])
        return tf.argmax(dense(x), axis=-1)  # [2**length, hidden] -> [2**length]

    return classify_every_string


def error_report(predicted, test_output, train_output, length):
    """The error on the held-out strings, and per class: what the model gets wrong where."""
    wrong = predicted != test_output
    print("\nPer class (a class is a count of ones; the rarest classes may have no training string,")
    print("and a class the model never saw it can never predict):")
    print(" ones  train  held-out    wrong   error")
    train_counts = np.bincount(train_output, minlength=length + 1)
    test_counts = np.bincount(test_output, minlength=length + 1)
    wrong_counts = np.bincount(test_output[wrong], minlength=length + 1)
    for k in range(length + 1):
        error = f"{wrong_counts[k] / test_counts[k]:7.2%}" if test_counts[k] else "      -"
        never = "  never seen in training" if train_counts[k] == 0 and test_counts[k] else ""
        print(f"{k:5d} {train_counts[k]:6,d} {test_counts[k]:9,d} {wrong_counts[k]:8,d} {error}{never}")
    missing, doomed = missing_classes(train_output, test_output, length)
    if doomed:
        print(f"The training split has no string with {', '.join(map(str, missing))} ones: that dooms "
              f"{doomed:,} held-out strings, a floor of {doomed / len(test_output):.3%} error.")


# ## Execution of the graph
class HeldOutCheck(keras.callbacks.Callback):
    """Every few epochs: the error on a fixed slice of held-out strings, the article's line, and
    a stop once the whole held-out set is at the target (the slice says when to look)."""

    def __init__(self, classify_every_string, length, test_codes, test_output, target, check_every, print_every):
        super().__init__()
        self.classify_every_string, self.length = classify_every_string, length
        self.test_codes, self.test_output = test_codes, test_output
        self.check_input = to_bits(test_codes[:CHECK_SIZE], length)
        self.check_output = test_output[:CHECK_SIZE]
        self.target, self.check_every, self.print_every = target, check_every, print_every
        self.epochs_done, self.predicted = 0, None

    def on_epoch_end(self, epoch, logs):
        self.epochs_done = epoch + 1
        if self.epochs_done % self.check_every:
            return
        predicted = np.argmax(self.model.predict_on_batch(self.check_input), axis=-1)
        logs["heldout_error"] = error = float(np.mean(predicted != self.check_output))
        if self.epochs_done % self.print_every == 0:
            print(f"Epoch {self.epochs_done:4d} error {error:.3%} on {len(self.check_output):,} "
                  f"held-out strings, loss {logs['loss']:.4f}", flush=True)
        if error <= self.target:  # the slice is there: is the whole held-out set?
            predicted = self.classify_every_string().numpy()[self.test_codes]
            if np.mean(predicted != self.test_output) <= self.target:
                print(f"Epoch {self.epochs_done:4d}: held-out error at the target, stopping")
                self.predicted, self.model.stop_training = predicted, True


class SaveEvery(keras.callbacks.Callback):
    """Writes the model to --save every `seconds` of training, so a killed run loses little."""

    def __init__(self, path, settings, seconds):
        super().__init__()
        self.path, self.settings, self.seconds, self.last = path, settings, seconds, time.monotonic()

    def on_epoch_end(self, epoch, logs):
        if time.monotonic() - self.last >= self.seconds:
            save_model(self.model, self.path, self.settings)
            self.last = time.monotonic()


def train(model, train_input, train_output, check, batch_size, epochs, balance, callbacks, dry_run):
    """model.fit over the training strings until the target or the last epoch; Ctrl-C stops it cleanly."""
    try:
        model.fit(train_input, train_output, batch_size=batch_size, epochs=1 if dry_run else epochs,
                  steps_per_epoch=1 if dry_run else None, callbacks=[check, *callbacks], verbose=0,
                  class_weight=class_weights(train_output, check.length, balance) if balance else None)
    except KeyboardInterrupt:
        print(f"\nInterrupted after epoch {check.epochs_done}: evaluating what it has learned.")
    return check.epochs_done


# ## Saving the model ("Tinkering with the model": save it and predict later)
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
        fail(f"--load {path}: not a model saved by count_ones.py ({type(error).__name__}: {error})")
    return model, settings


# ## Try it
def parse_string(text, length):
    """'0101...' -> [1, length, 1], or a one-line error."""
    if set(text) - {"0", "1"} or len(text) != length:
        fail(f"--predict {text!r}: give a string of exactly {length} characters, each 0 or 1")
    return np.array([[[float(c)] for c in text]], dtype=np.float32)


def predict(model, text, length):
    """print sess.run(prediction, {data: [[[1],[0],...]]}), said in words."""
    probabilities = model.predict_on_batch(parse_string(text, length))[0]  # [1, length, 1] -> [length + 1]
    top = np.argsort(probabilities)[::-1][:3]
    print(f"{text} has {text.count('1')} ones; the model says {top[0]}. "
          f"Top probabilities: " + ", ".join(f"{k} ones {probabilities[k]:.2%}" for k in top))
    return dict(prediction=int(top[0]), probabilities=probabilities.tolist())


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Count the ones in binary strings with an LSTM (the noob's guide to RNN-LSTM, in TF2).")
    parser.error = fail  # argparse's own errors too: one line, exit status 2
    parser.add_argument("--recipe", choices=RECIPES, default="fast",
                        help="'article': the article's batch 1000, Adam 1e-3, summed loss, up to 5000 epochs; "
                             "'fast': batch 100, Adam 2e-2 with cosine decay and clipping, rare classes weighted up, "
                             "up to 30 epochs (default: %(default)s)")
    parser.add_argument("--epochs", type=int, help="most epochs to train (default: the recipe's, 5000 or 30)")
    parser.add_argument("--batch-size", type=int, help="strings per update (default: the recipe's, 1000 or 100)")
    parser.add_argument("--lr", type=float, help="Adam's learning rate (default: the recipe's, 1e-3 or 2e-2)")
    parser.add_argument("--balance", type=float,
                        help="weigh each class by (1 / its share) ** BALANCE: 0 weighs every string alike, "
                             "1 every class (default: the recipe's, 0 or 0.5)")
    parser.add_argument("--target-error", type=float, default=TARGET_ERROR,
                        help="stop once the held-out error is at most this fraction (default: %(default)s)")
    parser.add_argument("--length", type=int, help=f"bits per string (default: {LENGTH}, or the loaded model's)")
    parser.add_argument("--train-size", type=int,
                        help=f"training strings; the rest are held out (default: {NUM_EXAMPLES}, or the loaded model's)")
    parser.add_argument("--cell", choices=["lstm", "gru", "rnn"], help="recurrent cell (default: lstm, or the loaded model's)")
    parser.add_argument("--layers", type=int, help="recurrent layers stacked (default: 1, or the loaded model's)")
    parser.add_argument("--hidden", type=int, help=f"units per layer (default: {NUM_HIDDEN}, or the loaded model's)")
    parser.add_argument("--seed", type=int, help="shuffles the strings and seeds the weights (default: 0, or the loaded model's)")
    parser.add_argument("--predict", metavar="BITS", help="print the count the model gives this string (after training, or at once with --load; default: none)")
    parser.add_argument("--save", metavar="PATH", help="write the trained model to this .keras file (also every minute while training; default: none)")
    parser.add_argument("--load", metavar="PATH", help="start from a model written by --save; --epochs 0 only evaluates it (default: none)")
    parser.add_argument("--overwrite", action="store_true", help="let --save replace an existing file (default: off)")
    parser.add_argument("--log-dir", metavar="DIR", help="write TensorBoard scalars (loss, accuracy, held-out error) to a new run folder here (default: none)")
    parser.add_argument("--json", metavar="PATH", help="write the run's metrics to this file as one JSON object (default: none)")
    parser.add_argument("--dry-run", action="store_true", help="train on one batch and evaluate on the check slice only: checks an install in seconds (default: off)")
    return parser.parse_args(argv)


def check_args(args):
    """Settings: flags, else the loaded model's, else the defaults; every conflict a one-line error."""
    defaults = dict(length=LENGTH, train_size=NUM_EXAMPLES, cell="lstm", layers=1, hidden=NUM_HIDDEN, seed=0)
    model, saved = (None, {})
    if args.load:
        model, saved = load_model(args.load)
        for key, value in saved.items():
            flag = getattr(args, key)
            if flag is not None and flag != value:
                fail(f"--{key.replace('_', '-')} {flag} does not fit {args.load}, "
                     f"trained with --{key.replace('_', '-')} {value}")
    for key, default in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, saved.get(key, default))
    recipe = RECIPES[args.recipe]
    args.epochs = recipe["epochs"] if args.epochs is None else args.epochs
    args.batch_size = args.batch_size or recipe["batch_size"]
    args.lr = args.lr or recipe["lr"]
    args.balance = recipe["balance"] if args.balance is None else args.balance
    if not 1 <= args.length <= MAX_LENGTH:
        fail(f"--length {args.length}: give 1 to {MAX_LENGTH}")
    if not 1 <= args.train_size < 2**args.length:
        fail(f"--train-size {args.train_size}: there are {2**args.length:,} strings of {args.length} bits, "
             f"so give 1 to {2**args.length - 1:,} to leave some held out")
    for key in ("layers", "hidden", "batch_size"):
        if getattr(args, key) < 1:
            fail(f"--{key.replace('_', '-')} {getattr(args, key)}: give a positive number")
    if args.epochs < 0 or args.lr <= 0 or args.balance < 0 or not 0 <= args.target_error < 1:
        fail("give --epochs >= 0, --lr > 0, --balance >= 0 and 0 <= --target-error < 1")
    if args.predict is not None:
        parse_string(args.predict, args.length)
    for flag, path in (("--save", args.save), ("--json", args.json)):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            fail(f"{flag} {path}: no such folder")
    if args.save:
        if not args.save.endswith(".keras"):
            fail(f"--save {args.save}: the file name must end in .keras")
        same = args.load and os.path.abspath(args.load) == os.path.abspath(args.save)
        if os.path.exists(args.save) and not (same or args.overwrite):
            fail(f"--save {args.save}: the file exists; pass --overwrite to replace it, or choose another name")
    return recipe, model


def main(argv=None):
    started = time.perf_counter()
    args = parse_args(argv)
    recipe, model = check_args(args)
    keras.utils.set_random_seed(args.seed)
    settings = {key: getattr(args, key) for key in ("length", "train_size", "cell", "layers", "hidden", "seed")}
    if model is not None and args.predict is not None:
        return predict(model, args.predict, args.length)  # a loaded model answers at once

    train_input, train_output, test_codes, test_output = make_data(args.length, args.train_size, args.seed)
    if model is None:
        model = build_model(args.length, args.cell, args.hidden, args.layers, recipe["article_init"])
    compile_model(model, recipe, args.lr, args.batch_size, args.epochs, args.train_size)
    print(f"train_input {train_input.shape}, {len(test_codes):,} held-out strings; "
          f"{args.layers} x {args.cell.upper()}({args.hidden}), {model.count_params():,} parameters")
    print(f"recipe {args.recipe}: batch {args.batch_size}, Adam {args.lr:g}, balance {args.balance:g}, "
          f"up to {args.epochs} epochs, "
          f"stop at {args.target_error:.3%} held-out error; seed {args.seed}")

    classify_every_string = every_string_classifier(model, args.length)
    check = HeldOutCheck(classify_every_string, args.length, test_codes, test_output, args.target_error,
                         recipe["check_every"], recipe["print_every"])
    callbacks = []
    if args.log_dir:
        run_dir = os.path.join(args.log_dir, f"count_ones-{args.recipe}-{time.strftime('%Y%m%d-%H%M%S')}")
        callbacks.append(keras.callbacks.TensorBoard(run_dir))
        print(f"TensorBoard: tensorboard --logdir {args.log_dir}")
    if args.save:
        callbacks.append(SaveEvery(args.save, settings, seconds=60))
    train_started = time.perf_counter()
    epochs = train(model, train_input, train_output, check, args.batch_size, args.epochs,
                   args.balance, callbacks, args.dry_run)
    train_seconds = time.perf_counter() - train_started
    if args.save:
        save_model(model, args.save, settings)
        print(f"Saved the model to {args.save}")

    if args.dry_run:  # the check slice only
        predicted = np.argmax(model.predict_on_batch(check.check_input), axis=-1)
        test_output = check.check_output
    else:  # every held-out string (already done if the check stopped training at the target)
        predicted = classify_every_string().numpy()[test_codes] if check.predicted is None else check.predicted
        error_report(predicted, test_output, train_output, args.length)
    wrong = int(np.sum(predicted != test_output))
    value = wrong / len(test_output)
    answer = predict(model, args.predict, args.length) if args.predict is not None else {}
    total_seconds = time.perf_counter() - started
    metrics = dict(script="count_ones.py", recipe=args.recipe, metric="test_error", value=value,
                   examples=len(test_output), wrong=wrong, epochs=epochs,
                   target=args.target_error, reached=value <= args.target_error,
                   train_seconds=round(train_seconds, 2), total_seconds=round(total_seconds, 2),
                   settings=settings, batch_size=args.batch_size, lr=args.lr, balance=args.balance,
                   tensorflow=tf.__version__, keras=keras.__version__, **answer)
    if args.json:
        temporary = f"{args.json}.tmp-{os.getpid()}"
        with open(temporary, "w") as f:
            json.dump(metrics, f, indent=2)
        os.replace(temporary, args.json)
    verdict = "target reached" if value <= args.target_error else f"target {args.target_error:.3%} not reached"
    print(f"test error {value:.3%} ({wrong:,} of {len(test_output):,} held-out strings wrong), "
          f"{verdict}, {epochs} epochs, {total_seconds:.1f} s")
    return metrics


if __name__ == "__main__":
    main()
