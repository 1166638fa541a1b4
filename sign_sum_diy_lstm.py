"""An LSTM written by hand, gate by gate, that learns to sum sequences of + - 0 I.

Follows "Do It Yourself LSTM with TensorFlow" (a Jupyter notebook), ported to
TensorFlow 2 / Keras 3. The section markers below are the article's headings.
'+' adds one, '-' takes one away, '0' does nothing and every 'I' flips the meaning
of all the signs after it: 'I++000' is -2, '00-+++' is 2.

    python sign_sum_diy_lstm.py                          # trains, then scores the 3,072 test sequences
    python sign_sum_diy_lstm.py --predict "00-+++"       # ... and answers for one sequence
    python sign_sum_diy_lstm.py --train-lengths 1-8      # the article's exercise: any length
    python sign_sum_diy_lstm.py --check                  # the hand-written cell == keras.layers.LSTM

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
SEQUENCE_LENGTH = 6     # 4**6 = 4096 sequences
LSTM_SIZE = 24          # the size of the conveyor (the cell state)
TARGET_ERROR = 0.0      # stop once every test sequence is right
SYMBOLS = "0+-I"        # a sequence's symbols, in the order of ENCODING's rows
ENCODING = np.array([[0, 0, 0],    # '0': nothing
                     [1, 0, 0],    # '+'
                     [0, 1, 0],    # '-'
                     [0, 0, 1]],   # 'I'
                    dtype=np.float32)
FEATURE_SIZE = ENCODING.shape[1]   # 3: each symbol is a 3D vector
MAX_TRAIN = 1024        # training sequences per length at most: a quarter of length 6's
MAX_SAMPLE = 4096       # test sequences per length at most: 3072 are length 6's three quarters
SETTINGS_FILE = "sign_sum_diy_lstm.json"  # what a saved model was trained with, inside the .keras zip

RECIPES = {
    # The article's: the whole training set in one batch, Adam at its default rate,
    # the squared error of the final sum added up over the batch, up to 4000 epochs,
    # the test set scored every 20 epochs.
    "article": dict(batch_size=None, lr=1e-3, epochs=4000, every_step=False,
                    loss_reduction="sum", schedule="constant", check_every=20, print_every=200),
    # Ours: the sum after *every* step is a target, not just the last (the article's goal
    # is "the current sum at each step"): six lessons per sequence instead of one, from
    # the same 1024 sequences. Small batches, a higher rate decayed to zero.
    "fast": dict(batch_size=32, lr=1e-2, epochs=300, every_step=True,
                 loss_reduction="sum_over_batch_size", schedule="cosine", check_every=5, print_every=25),
}


def fail(message):
    """Every bad input ends here: one line on stderr, exit status 2, no traceback."""
    print(f"sign_sum_diy_lstm.py: error: {message}", file=sys.stderr)
    raise SystemExit(2)


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


def encode_sequence(text):
    """'I+0' -> [[0,0,1], [1,0,0], [0,0,0]]: [length] -> [length, 3]."""
    if not text or set(text) - set(SYMBOLS):
        raise ValueError(f"{text!r}: a sequence is one or more of the symbols {' '.join(SYMBOLS)}")
    return ENCODING[[SYMBOLS.index(symbol) for symbol in text]]


def decode_sequence(vectors):
    """The inverse of encode_sequence: [length, 3] -> 'I+0'."""
    return "".join(SYMBOLS[ENCODING.tolist().index(list(vector))] for vector in np.asarray(vectors).tolist())


# ## 2. The Data
def from_digits(digits):
    """Symbols as numbers (0 '0', 1 '+', 2 '-', 3 'I'), [n, length] -> inputs [n, length, 3] and the sum
    after each step [n, length]: a cumulative sum of +1/-1 steps, each signed by the I's before it."""
    flips = np.cumsum(digits == 3, axis=1)  # I's up to and including each step
    steps = ((digits == 1).astype(np.int64) - (digits == 2)) * (-1) ** flips
    return ENCODING[digits], np.cumsum(steps, axis=1).astype(np.float32)


def all_sequences(length):
    """Every sequence of `length` symbols: sequence i spells i in base 4, so NumPy builds all 4096 at once."""
    codes = np.arange(4**length)
    return from_digits(codes[:, None] // 4 ** np.arange(length - 1, -1, -1) % 4)


def make_data(train_lengths, test_lengths, seed):
    """For each trained length: all its sequences shuffled by `seed`, the first quarter to train.

    Returns train and test, each {length: (inputs, running sums)}. A trained length
    tests on the other three quarters; every other length in `test_lengths` on all its
    sequences. Past length 6 both are capped (MAX_TRAIN, MAX_SAMPLE): a random part
    of the 65,536 sequences of length 8 is plenty, and keeps an epoch short."""
    rng = np.random.default_rng(seed)
    train, test = {}, {}
    for length in sorted(set(train_lengths) | set(test_lengths)):
        if length in train_lengths:
            inputs, sums = all_sequences(length)
            order = rng.permutation(len(inputs))
            num_examples = min(max(len(inputs) // 4, 1), MAX_TRAIN)  # NUM_EXAMPLES: one fourth trains
            held_out = order[num_examples:num_examples + MAX_SAMPLE]
            train[length] = inputs[order[:num_examples]], sums[order[:num_examples]]
            test[length] = inputs[held_out], sums[held_out]
        elif 4**length <= MAX_SAMPLE:
            test[length] = all_sequences(length)
        else:  # too many to list: draw random sequences
            test[length] = from_digits(rng.integers(0, 4, size=(MAX_SAMPLE, length)))
    return train, test


# ## 3. LSTM Layer
@keras.saving.register_keras_serializable(package="sign_sum_diy_lstm")
class DiyLSTM(keras.layers.Layer):
    """The article's LSTM, gate by gate, as a Keras layer so that fit, save and load come free.

    The article keeps column vectors (W_f is 24x27, times the transposed [h, x]); here a
    row is an example, as everywhere in Keras, so W_f is 27x24 and nothing is transposed.
    [batch, timesteps, 3] -> [batch, timesteps, 24] (the output after every step)."""

    def __init__(self, units=LSTM_SIZE, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        feature_size = input_shape[-1]

        def default_weights_and_bias(name, bias=0.0):
            # truncated normal, mean -0.2, std 0.1: between -0.4 and 0, so that "in the
            # beginning nothing gets through the LSTM at all"
            weights = self.add_weight(name=f"W_{name}", shape=(self.units + feature_size, self.units),
                                      initializer=keras.initializers.TruncatedNormal(mean=-0.2, stddev=0.1))
            return weights, self.add_weight(name=f"b_{name}", shape=(self.units,),
                                            initializer=keras.initializers.Constant(bias))

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
    def C_t(self, ht_minus_1_and_xt, Conveyor, CandidateConveyor):
        return self.f_t(ht_minus_1_and_xt) * Conveyor + self.i_t(ht_minus_1_and_xt) * CandidateConveyor

    # ### 3.4 Prediction (for current LSTM step): a filtered view of the conveyor
    def h_t(self, ht_minus_1_and_xt, FinalConveyor):
        o_t = tf.sigmoid(tf.matmul(ht_minus_1_and_xt, self.W_o) + self.b_o)
        return o_t * tf.tanh(FinalConveyor)

    # ### 3.5 The LSTM Cell
    def lstm_cell(self, ht_minus_1, Conveyor, xt):
        ht_minus_1_and_xt = tf.concat([ht_minus_1, xt], axis=1)  # [batch, 24] + [batch, 3] -> [batch, 27]
        CandidateConveyor = self.candidate_C_t(ht_minus_1_and_xt)
        FinalConveyor = self.C_t(ht_minus_1_and_xt, Conveyor, CandidateConveyor)
        return self.h_t(ht_minus_1_and_xt, FinalConveyor), FinalConveyor

    def call(self, data):
        """tf.while_loop over the time steps; their number comes from the data, so any length works."""
        data_length, timesteps = tf.shape(data)[0], tf.shape(data)[1]
        initial = tf.zeros([data_length, self.units])

        def lstm_loop(step, last_lstm_prediction, last_state, predictions):
            lstm_prediction, state = self.lstm_cell(last_lstm_prediction, last_state, data[:, step, :])
            return step + 1, lstm_prediction, state, predictions.write(step, lstm_prediction)

        _, _, _, predictions = tf.while_loop(
            lambda step, *_: step < timesteps, lstm_loop,
            (tf.constant(0), initial, initial, tf.TensorArray(tf.float32, size=timesteps)))
        return tf.transpose(predictions.stack(), [1, 0, 2])  # [timesteps, batch, 24] -> [batch, timesteps, 24]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def build_model(units):
    """[batch, timesteps, 3] -> DiyLSTM -> [batch, timesteps, 1]: the sum after every step.

    The last set of weights and biases collapses the 24 nodes to one output node, the
    article's truncated normal weight and 0.1 bias."""
    return keras.Sequential([
        keras.Input(shape=(None, FEATURE_SIZE)),  # data: any number of steps
        DiyLSTM(units),
        keras.layers.Dense(1, kernel_initializer=keras.initializers.TruncatedNormal(stddev=1.0),
                           bias_initializer=keras.initializers.Constant(0.1)),
    ], name="sign_sum_diy_lstm")


# The hand-written cell against Keras' own (the article: "you'll achieve better results
# with TensorFlow's own LSTM"): same weights, same numbers.
def copy_keras_lstm_weights(keras_lstm, diy):
    """Give `diy` the weights of a built keras.layers.LSTM.

    Keras packs the four gates side by side in the order i, f, c, o, with the input
    kernel and the recurrent kernel apart; the article's [h, x] puts h first. Keras'
    unit_forget_bias only sets the forget bias's starting value to 1, already in the bias."""
    kernel, recurrent_kernel, bias = (w.numpy() for w in keras_lstm.cell.weights)
    units = recurrent_kernel.shape[0]
    for gate, (W, b) in enumerate([(diy.W_i, diy.b_i), (diy.W_f, diy.b_f), (diy.W_C, diy.b_C), (diy.W_o, diy.b_o)]):
        columns = slice(gate * units, (gate + 1) * units)
        W.assign(np.concatenate([recurrent_kernel[:, columns], kernel[:, columns]], axis=0))
        b.assign(bias[columns])


def compare_with_keras(units=LSTM_SIZE, lengths=(1, 6, 11), batch=64, seed=0, timing_batch=1024):
    """Outputs and gradients of DiyLSTM and keras.layers.LSTM with the same weights, and their speed.

    Returns the largest difference of outputs, and of gradients (with respect to the
    inputs and to every weight; relative to the gradient's largest entry where that is
    above 1), over random inputs of the given lengths; and the milliseconds of one
    forward and backward pass of each on `timing_batch` sequences (the best of 5 x 20)."""
    keras_lstm = keras.layers.LSTM(units, return_sequences=True, seed=seed)
    diy = DiyLSTM(units)
    keras_lstm.build((None, None, FEATURE_SIZE))
    diy.build((None, None, FEATURE_SIZE))
    copy_keras_lstm_weights(keras_lstm, diy)
    rng = np.random.default_rng(seed)

    def outputs_and_gradients(layer, data, probe):
        with tf.GradientTape() as tape:
            tape.watch(data)
            loss = tf.reduce_sum(layer(data) * probe)  # a random linear probe of every output
        return layer(data), tape.gradient(loss, [data, *layer.trainable_weights])

    worst_output = worst_gradient = 0.0
    for length in lengths:
        data = tf.constant(rng.normal(size=(batch, length, FEATURE_SIZE)), tf.float32)
        probe = tf.constant(rng.normal(size=(batch, length, units)), tf.float32)
        keras_out, (keras_dx, kernel, recurrent, bias) = outputs_and_gradients(keras_lstm, data, probe)
        diy_out, (diy_dx, *diy_grads) = outputs_and_gradients(diy, data, probe)
        # Keras' weight gradients, rearranged as the DIY weights: W_f, b_f, W_i, b_i, W_C, b_C, W_o, b_o
        columns = {"f": 1, "i": 0, "C": 2, "o": 3}
        expected = []
        for gate in "fiCo":
            c = slice(columns[gate] * units, (columns[gate] + 1) * units)
            expected += [np.concatenate([recurrent[:, c], kernel[:, c]], axis=0), bias[c]]
        worst_output = max(worst_output, float(np.abs(keras_out - diy_out).max()))
        for keras_grad, diy_grad in zip([keras_dx, *expected], [diy_dx, *diy_grads]):
            worst_gradient = max(worst_gradient,
                                 float(np.abs(keras_grad - diy_grad).max() / max(np.abs(keras_grad).max(), 1.0)))

    data = tf.constant(rng.normal(size=(timing_batch, SEQUENCE_LENGTH, FEATURE_SIZE)), tf.float32)
    milliseconds = {}
    for name, layer in (("diy", diy), ("keras", keras_lstm)):
        @tf.function
        def forward_backward():
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(layer(data))
            return tape.gradient(loss, layer.trainable_weights)
        forward_backward()  # trace once
        rounds = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(20):
                forward_backward()
            rounds.append((time.perf_counter() - started) / 20 * 1000)
        milliseconds[name] = min(rounds)
    return worst_output, worst_gradient, milliseconds


# ## 4. Cost & Optimizing
def compile_model(model, recipe, lr, steps):
    """mean_square_error = reduce_sum(square(target - prediction)); optimizer = AdamOptimizer().

    The targets are the sum after every step; the article's recipe weighs only the last
    step (sample weights 0, ..., 0, 1), ours weighs them all."""
    rate = lr if recipe["schedule"] == "constant" else keras.optimizers.schedules.CosineDecay(lr, max(steps, 1))
    model.compile(optimizer=keras.optimizers.Adam(rate),
                  loss=keras.losses.MeanSquaredError(reduction=recipe["loss_reduction"]),
                  jit_compile=False)


def batches(train, batch_size, every_step, seed):
    """A tf.data pipeline of (inputs, running sums, step weights); one length per batch, in a new order each epoch."""
    rng = np.random.default_rng(seed)

    def generate():
        chunks = []
        for inputs, sums in train.values():
            order = rng.permutation(len(inputs))
            size = batch_size or len(inputs)
            chunks += [(inputs[order[i:i + size]], sums[order[i:i + size]]) for i in range(0, len(inputs), size)]
        for k in rng.permutation(len(chunks)):
            inputs, sums = chunks[k]
            weights = np.ones_like(sums)
            if not every_step:
                weights[:, :-1] = 0  # the article: only the final sum counts
            yield inputs, sums[..., None], weights

    signature = (tf.TensorSpec([None, None, FEATURE_SIZE], tf.float32), tf.TensorSpec([None, None, 1], tf.float32),
                 tf.TensorSpec([None, None], tf.float32))
    steps = sum(-(-len(inputs) // (batch_size or len(inputs))) for inputs, _ in train.values())
    return tf.data.Dataset.from_generator(generate, output_signature=signature), steps


def errors_per_length(model, test):
    """{length: (wrong, sequences)}: a final sum is right when the prediction rounds to it."""
    result = {}
    for length, (inputs, sums) in test.items():
        prediction = model.predict_on_batch(inputs)[:, -1, 0]  # [n, length, 3] -> [n]: the sum after the last step
        result[length] = int(np.sum(np.round(prediction) != sums[:, -1])), len(inputs)
    return result


# ## 5. Training
class TestCheck(keras.callbacks.Callback):
    """Every few epochs: the error on the test sequences of the trained lengths, the article's line,
    and a stop once it is at the target."""

    def __init__(self, test, target, check_every, print_every):
        super().__init__()
        self.test, self.target, self.check_every, self.print_every = test, target, check_every, print_every
        self.epochs_done = 0

    def on_epoch_end(self, epoch, logs):
        self.epochs_done = epoch + 1
        if self.epochs_done % self.check_every:
            return
        counts = errors_per_length(self.model, self.test)
        incorrect = sum(wrong for wrong, _ in counts.values()) / sum(n for _, n in counts.values())
        logs["test_error"] = incorrect
        if self.epochs_done % self.print_every == 0:
            print(f"Epoch {self.epochs_done:4d} | incorrect {incorrect * 100: 3.1f}% (test) | "
                  f"mean squ error {logs['loss']: 3.4f} (training)", flush=True)
        if incorrect <= self.target:
            print(f"Epoch {self.epochs_done:4d}: test error at the target, stopping")
            self.model.stop_training = True


class SaveEvery(keras.callbacks.Callback):
    """Writes the model to --save every `seconds` of training, so a killed run loses little."""

    def __init__(self, path, settings, seconds):
        super().__init__()
        self.path, self.settings, self.seconds, self.last = path, settings, seconds, time.monotonic()

    def on_epoch_end(self, epoch, logs):
        if time.monotonic() - self.last >= self.seconds:
            save_model(self.model, self.path, self.settings)
            self.last = time.monotonic()


def train(model, dataset, steps, check, epochs, callbacks, dry_run):
    """model.fit until the target or the last epoch; Ctrl-C stops it cleanly."""
    try:
        model.fit(dataset.repeat(), steps_per_epoch=1 if dry_run else steps, epochs=1 if dry_run else epochs, shuffle=False,
                  callbacks=[check, *callbacks], verbose=0)
    except KeyboardInterrupt:
        print(f"\nInterrupted after epoch {check.epochs_done}: evaluating what it has learned.")
    return check.epochs_done


# Saving and loading: the custom layer round-trips through a .keras file
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
        fail(f"--load {path}: not a model saved by sign_sum_diy_lstm.py ({type(error).__name__}: {error})")
    return model, settings


# Test the result
def predict(model, text):
    """The model's sum after every step of `text`, beside the true ones."""
    try:
        inputs = encode_sequence(text)[None]  # [1, length, 3]
    except ValueError as error:
        fail(f"--predict {error}")
    sums = model.predict_on_batch(inputs)[0, :, 0]
    print(f"{text} = {sequence_sum(text)}; the model says {sums[-1]:.3f}, which rounds to {round(float(sums[-1]))}")
    print("  step by step: " + "  ".join(f"{s}:{round(float(v))}" for s, v in zip(text, sums)))
    return dict(prediction=round(float(sums[-1])), raw=float(sums[-1]))


def parse_lengths(text, flag, longest):
    """'6' -> [6]; '1-8' -> [1, ..., 8]; '4,6' -> [4, 6]; or a one-line error."""
    try:
        lengths = []
        for part in text.split(","):
            low, _, high = part.partition("-")
            lengths += range(int(low), int(high or low) + 1)
    except ValueError:
        lengths = []
    if not lengths or min(lengths) < 1 or max(lengths) > longest:
        fail(f"{flag} {text!r}: give lengths from 1 to {longest}, as 6, 1-8 or 4,6")
    return sorted(set(lengths))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Sum sequences of + - 0 I with an LSTM written by hand (Do It Yourself LSTM, in TF2).")
    parser.error = fail  # argparse's own errors too: one line, exit status 2
    parser.add_argument("--recipe", choices=RECIPES, default="fast",
                        help="'article': full batch, Adam 1e-3, the summed squared error of the final sum, "
                             "up to 4000 epochs; 'fast': the sum after every step as a target, batch 32, "
                             "Adam 1e-2 decayed to 0, up to 300 epochs (default: %(default)s)")
    parser.add_argument("--epochs", type=int, help="most epochs to train (default: the recipe's, 4000 or 300)")
    parser.add_argument("--batch-size", type=int, help="sequences per update (default: the recipe's: all, or 32)")
    parser.add_argument("--lr", type=float, help="Adam's learning rate (default: the recipe's, 1e-3 or 1e-2)")
    parser.add_argument("--target-error", type=float, default=TARGET_ERROR,
                        help="stop once the test error is at most this fraction (default: %(default)s)")
    parser.add_argument("--train-lengths", metavar="LENGTHS",
                        help=f"sequence lengths to train on, as 6, 1-8 or 4,6; a quarter of each length's sequences "
                             f"(at most {MAX_TRAIN}) train, the rest (at most {MAX_SAMPLE}) test "
                             f"(default: {SEQUENCE_LENGTH}, or the loaded model's)")
    parser.add_argument("--test-lengths", metavar="LENGTHS",
                        help="lengths to report the error for (default: 1 to twice the longest trained)")
    parser.add_argument("--hidden", type=int, help=f"the conveyor's size (default: {LSTM_SIZE}, or the loaded model's)")
    parser.add_argument("--seed", type=int, help="shuffles the sequences and seeds the weights (default: 0, or the loaded model's)")
    parser.add_argument("--predict", metavar="SEQUENCE", help="print the model's sum for this sequence of + - 0 I, any length "
                                                              "(after training, or at once with --load; default: none)")
    parser.add_argument("--check", action="store_true",
                        help="only compare the hand-written cell with keras.layers.LSTM: outputs, gradients, speed "
                             "(default: off)")
    parser.add_argument("--save", metavar="PATH", help="write the trained model to this .keras file (also every minute while training; default: none)")
    parser.add_argument("--load", metavar="PATH", help="start from a model written by --save; --epochs 0 only evaluates it (default: none)")
    parser.add_argument("--overwrite", action="store_true", help="let --save replace an existing file (default: off)")
    parser.add_argument("--log-dir", metavar="DIR", help="write TensorBoard scalars (loss, test error) to a new run folder here (default: none)")
    parser.add_argument("--json", metavar="PATH", help="write the run's metrics to this file as one JSON object (default: none)")
    parser.add_argument("--dry-run", action="store_true", help="train on one batch and evaluate: checks an install in seconds (default: off)")
    argv = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(argv[:-1]):  # `--predict -+0I` as typed: argparse would take -+0I for a flag
        if arg == "--predict":
            argv[i:i + 2] = [f"--predict={argv[i + 1]}"]
            break
    return parser.parse_args(argv)


def check_args(args):
    """Settings: flags, else the loaded model's, else the defaults; every conflict a one-line error."""
    defaults = dict(train_lengths=str(SEQUENCE_LENGTH), hidden=LSTM_SIZE, seed=0)
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
    train_lengths = parse_lengths(args.train_lengths, "--train-lengths", longest=10)
    test_lengths = parse_lengths(args.test_lengths or f"1-{2 * max(train_lengths)}", "--test-lengths", longest=40)
    if args.hidden < 1 or (args.batch_size or 1) < 1:
        fail("give --hidden >= 1 and --batch-size >= 1")
    if args.epochs < 0 or args.lr <= 0 or not 0 <= args.target_error < 1:
        fail("give --epochs >= 0, --lr > 0 and 0 <= --target-error < 1")
    if args.predict is not None:
        try:
            encode_sequence(args.predict)
        except ValueError as error:
            fail(f"--predict {error}")
    for flag, path in (("--save", args.save), ("--json", args.json)):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            fail(f"{flag} {path}: no such folder")
    if args.save:
        if not args.save.endswith(".keras"):
            fail(f"--save {args.save}: the file name must end in .keras")
        same = args.load and os.path.abspath(args.load) == os.path.abspath(args.save)
        if os.path.exists(args.save) and not (same or args.overwrite):
            fail(f"--save {args.save}: the file exists; pass --overwrite to replace it, or choose another name")
    return recipe, model, train_lengths, test_lengths


def main(argv=None):
    started = time.perf_counter()
    args = parse_args(argv)
    if args.check:
        worst_output, worst_gradient, milliseconds = compare_with_keras()
        print(f"DiyLSTM vs keras.layers.LSTM, same weights, lengths 1, 6 and 11: outputs differ by at most "
              f"{worst_output:.1e}, gradients by at most {worst_gradient:.1e} (relative)")
        print(f"forward and backward, batch 1024, {SEQUENCE_LENGTH} steps, {LSTM_SIZE} units: "
              f"hand-written {milliseconds['diy']:.1f} ms, Keras {milliseconds['keras']:.1f} ms")
        return dict(worst_output=worst_output, worst_gradient=worst_gradient, milliseconds=milliseconds)
    recipe, model, train_lengths, test_lengths = check_args(args)
    keras.utils.set_random_seed(args.seed)
    settings = {key: getattr(args, key) for key in ("train_lengths", "hidden", "seed")}
    if model is not None and args.predict is not None:
        return predict(model, args.predict)  # a loaded model answers at once

    train_data, test_data = make_data(train_lengths, test_lengths, args.seed)
    test = {length: test_data[length] for length in train_lengths}  # the headline: held-out sequences of trained lengths
    dataset, steps = batches(train_data, args.batch_size, recipe["every_step"], args.seed)
    if model is None:
        model = build_model(args.hidden)
    compile_model(model, recipe, args.lr, steps * args.epochs)
    num_train = sum(len(inputs) for inputs, _ in train_data.values())
    num_test = sum(len(inputs) for inputs, _ in test.values())
    print(f"{num_train:,} training and {num_test:,} test sequences of length {args.train_lengths}; "
          f"DiyLSTM({args.hidden}), {model.count_params():,} parameters")
    print(f"recipe {args.recipe}: batch {args.batch_size or 'all'}, Adam {args.lr:g}, up to {args.epochs} epochs, "
          f"stop at {args.target_error:.2%} test error; seed {args.seed}")

    check = TestCheck(test, args.target_error, recipe["check_every"], recipe["print_every"])
    callbacks = []
    if args.log_dir:
        run_dir = os.path.join(args.log_dir, f"sign_sum_diy_lstm-{args.recipe}-{time.strftime('%Y%m%d-%H%M%S')}")
        callbacks.append(keras.callbacks.TensorBoard(run_dir))
        print(f"TensorBoard: tensorboard --logdir {args.log_dir}")
    if args.save:
        callbacks.append(SaveEvery(args.save, settings, seconds=60))
    train_started = time.perf_counter()
    epochs = train(model, dataset, steps, check, args.epochs, callbacks, args.dry_run)
    train_seconds = time.perf_counter() - train_started
    if args.save:
        save_model(model, args.save, settings)
        print(f"Saved the model to {args.save}")

    print("\n length  trained  sequences  wrong   error")
    per_length = errors_per_length(model, test_data)
    for length, (wrong, n) in per_length.items():
        print(f"{length:7d}  {'yes' if length in train_lengths else 'no':>7}  {n:9,d}  {wrong:5,d}  {wrong / n:6.2%}")
    wrong = sum(per_length[length][0] for length in train_lengths)
    value = wrong / num_test
    answer = predict(model, args.predict) if args.predict is not None else {}
    total_seconds = time.perf_counter() - started
    metrics = dict(script="sign_sum_diy_lstm.py", recipe=args.recipe, metric="test_error", value=value,
                   examples=num_test, wrong=wrong, epochs=epochs, target=args.target_error,
                   reached=value <= args.target_error,
                   train_seconds=round(train_seconds, 2), total_seconds=round(total_seconds, 2),
                   error_per_length={str(k): w / n for k, (w, n) in per_length.items()},
                   settings=settings, batch_size=args.batch_size, lr=args.lr,
                   tensorflow=tf.__version__, keras=keras.__version__, **answer)
    if args.json:
        temporary = f"{args.json}.tmp-{os.getpid()}"
        with open(temporary, "w") as f:
            json.dump(metrics, f, indent=2)
        os.replace(temporary, args.json)
    verdict = "target reached" if value <= args.target_error else f"target {args.target_error:.2%} not reached"
    print(f"test error {value:.2%} ({wrong:,} of {num_test:,} test sequences wrong), "
          f"{verdict}, {epochs} epochs, {total_seconds:.1f} s")
    return metrics


if __name__ == "__main__":
    main()
