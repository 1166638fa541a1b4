"""Three words in, the next word out: an LSTM that learns a fable, then tells it.

"LSTM by Example using Tensorflow" (2017) in TensorFlow 2 / Keras 3: the article's listings mark
the sections, run() takes its steps in order, the terminal's part is last.

    python aesop_next_word.py                  # trains, then tells the story from "had a general"
    python aesop_next_word.py --load fable.keras --generate "the old mouse" --words 32
    python aesop_next_word.py --load fable.keras --interactive   # the original's prompt loop
    python aesop_next_word.py --recipe article   # the author's own: batch 1, 50,000 iterations
    python aesop_next_word.py --text my_story.txt                # any UTF-8 text, any language"""

import collections
import difflib
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

# Settings: Listing 4's n_input and n_hidden, and what the article prints; each a flag below.
N_INPUT = 3  # symbols in, one out; the article asks what 4 or 5 do
N_HIDDEN = 512  # units in the LSTM cell
DISPLAY_STEP = 1000  # the article prints its averages every 1000 iterations
WORDS = 32  # Listing 11: "Truncated to max of 32 predictions"
MAX_SYMBOLS = 1_000_000  # --text: a longer text's windows outgrow memory and time here
TASK = dict(n_input=N_INPUT, hidden=N_HIDDEN, layers=1, seed=0)  # what every recipe shares

RECIPES = {
    # The author's: each id fed as a raw float, batch 1, RMSProp at 1e-3, 50,000 iterations (50
    # epochs of 1000), each window 4 on from the last; XLA fuses each tiny step's operations.
    "article": dict(
        TASK,
        embedding=False,
        optimizer="rmsprop",
        lr=1e-3,
        epochs=50,
        batch_size=1,
        jit_compile=True,
        article_loop=True,
    ),
    # Ours: a learned embedding instead of raw ids (the article's own final note: an id loses the
    # meaning of a word), batches of 256 windows (the fable's 201 are one batch), Adam at 1e-2;
    # stops when the accuracy reaches the ceiling (see ceiling()).
    "fast": dict(
        TASK,
        embedding=True,
        optimizer="adam",
        lr=1e-2,
        epochs=100,
        batch_size=256,
        jit_compile=False,
        article_loop=False,
    ),
}

# Listing 1. A short story from Aesop's Fables with 112 unique symbols. Words and punctuation marks
# are both considered symbols. (The same text is data/belling_the_cat.txt.)
FABLE = """\
long ago , the mice had a general council to consider what measures they could take to outwit \
their common enemy , the cat . some said this , and some said that but at last a young mouse got \
up and said he had a proposal to make , which he thought would meet the case . you will all agree \
, said he , that our chief danger consists in the sly and treacherous manner in which the enemy \
approaches us . now , if we could receive some signal of her approach , we could easily escape \
from her . i venture , therefore , to propose that a small bell be procured , and attached by a \
ribbon round the neck of the cat . by this means we should always know when she was about , and \
could easily retire while she was in the neighbourhood . this proposal met with general applause \
, until an old mouse got up and said that is all very well , but who is to bell the cat ? the mice \
looked at one another and nobody spoke . then the old mouse said it is easy to propose impossible \
remedies ."""
START = " ".join(FABLE.split()[5 : 5 + N_INPUT])  # Listing 11's "had a general", N_INPUT words


# Listing 2. Function for building the dictionary and reverse dictionary.
def build_dataset(words):
    """Symbol -> id by frequency, id 0 the most frequent (ties in order of first appearance)."""
    count = collections.Counter(words).most_common()
    dictionary = dict()
    for word, _ in count:
        dictionary[word] = len(dictionary)
    reverse_dictionary = dict(zip(dictionary.values(), dictionary.keys()))
    return dictionary, reverse_dictionary


# Listing 3. The model with a 512-unit LSTM cell
def RNN(n_input, n_hidden, layers, embedding, vocab_size):
    """x [batch, n_input] ids -> outputs[-1] [batch, n_hidden], as Keras layers (build_model adds
    the article's weights['out'] and biases['out']). The article feeds each id as a raw float,
    [batch, n_input, 1]; with `embedding`, each id becomes a learned vector, [batch, n_input, 64].
    unroll=True writes the steps out, as static_rnn did (on a GPU, unroll=False keeps cuDNN)."""
    x = keras.layers.Embedding(vocab_size, 64) if embedding else keras.layers.Reshape((n_input, 1))
    # rnn.BasicLSTMCell(n_hidden); rnn.static_rnn; and Listing 10 below stacks `layers` of them
    return [x] + [
        keras.layers.LSTM(n_hidden, unroll=True, return_sequences=i < layers - 1)
        for i in range(layers)
    ]


# Listing 4. Constants and training parameters: vocab_size, N_INPUT, N_HIDDEN, weights['out'].
def build_model(vocab_size, n_input, n_hidden, layers, embedding):
    """pred = RNN(x) x weights['out'] + biases['out']: [batch, n_input] -> [batch, vocab_size]
    logits. Listing 4 draws both from a normal distribution; with our embedding the bias starts at
    0, Keras' default."""
    random_normal, x = keras.initializers.RandomNormal(stddev=1.0), keras.Input(shape=(n_input,))
    rnn = RNN(n_input, n_hidden, layers, embedding, vocab_size)
    bias = "zeros" if embedding else random_normal
    dense = keras.layers.Dense(vocab_size, kernel_initializer=random_normal, bias_initializer=bias)
    return keras.Sequential([x, *rnn, dense], name="aesop_next_word")


# Listing 5. Symbols to vector of int as input; Listing 6. One-hot vector as label: the labels are
# ids, as Keras' *sparse* cross-entropy reads the entry a one-hot row of vocab_size would pick.
def windows(ids, n_input):
    """Every window of the text: inputs [len - n_input, n_input] ids, labels [len - n_input] ids."""
    ids = np.asarray(ids)
    starts = np.arange(len(ids) - n_input)
    return ids[starts[:, None] + np.arange(n_input)], ids[starts + n_input]


def article_windows(ids, n_input, iterations, rng):
    """The windows the author's loop visits, in order: a random start 0..n_input+1, then steps of
    n_input + 1, and a new random start whenever a window would run off the end."""
    starts, offset = [], rng.integers(0, n_input + 2)
    for _ in range(iterations):
        if offset > len(ids) - (n_input + 1):
            offset = rng.integers(0, n_input + 2)
        starts.append(offset)
        offset += n_input + 1
    starts, ids = np.array(starts), np.asarray(ids)
    return ids[starts[:, None] + np.arange(n_input)], ids[starts + n_input]


# Listing 7. Training step optimization: the batches here; the step is model.fit, in train()
def article_batches(ids, n_input, epochs, seed, first_epoch):
    """One window a step, in the order the author's loop visits them, 1000 steps an epoch, from
    `first_epoch` on; and the windows visited (Listing 8 shows them)."""
    rng = np.random.default_rng(seed)
    inputs, labels = article_windows(ids, n_input, epochs * DISPLAY_STEP, rng)
    batches = tf.data.Dataset.from_tensor_slices((inputs, labels)).skip(first_epoch * DISPLAY_STEP)
    return batches.batch(1), inputs, labels


def batches(inputs, labels, batch_size, seed, first_epoch=0):
    """Ours: each epoch every window, in a new order, `batch_size` at a time. The order depends on
    (seed, epoch) alone: a run that goes on from a saved model meets the same batches."""
    for epoch in itertools.count(first_epoch):
        indices = tf.range(len(labels))
        order = tf.random.experimental.stateless_shuffle(indices, seed=[seed, epoch]).numpy()
        for ptr in range(0, len(order), batch_size):
            part = order[ptr : ptr + batch_size]
            yield inputs[part], labels[part]


# Listing 8. Sample prediction and accuracy data per training subsession (1000 steps)
class ArticleProgress(keras.callbacks.Callback):
    """`Iter= 50000, Average Loss= 0.415811, Average Accuracy= 91.20%` and `['this', 'means',
    'we'] - [should] vs [should]`: Keras' means over an epoch of 1000 iterations, the last guess."""

    def __init__(self, inputs, labels, reverse_dictionary, first_epoch=0):
        super().__init__()
        self.inputs, self.labels, self.reverse_dictionary = inputs, labels, reverse_dictionary
        self.epochs_done, self.average_accuracy = first_epoch, None

    def on_epoch_end(self, epoch, logs):
        self.epochs_done, self.average_accuracy = epoch + 1, logs["accuracy"]
        last = (epoch + 1) * DISPLAY_STEP - 1  # the window of the epoch's last iteration
        print(
            f"Iter= {self.epochs_done * DISPLAY_STEP}, Average Loss= {logs['loss']:.6f}, Average "
            f"Accuracy= {self.average_accuracy:.2%}"
        )
        guess = int(np.argmax(self.model.predict_on_batch(self.inputs[last : last + 1])))
        words = [self.reverse_dictionary[int(i)] for i in (*self.inputs[last], self.labels[last])]
        print(f"{words[:-1]} - [{words[-1]}] vs [{self.reverse_dictionary[guess]}]", flush=True)


# ## Beyond the article: the honest figure, and the ceiling no model can pass
def ceiling(words, n_input):
    """The best accuracy any model can reach on every window, and the contexts that cap it: where
    the same n_input symbols go on differently, a model at best picks the commonest follower."""
    followers = collections.defaultdict(collections.Counter)
    for i in range(len(words) - n_input):
        followers[tuple(words[i : i + n_input])][words[i + n_input]] += 1
    best = sum(max(counter.values()) for counter in followers.values())
    ambiguous = {context: counter for context, counter in followers.items() if len(counter) > 1}
    return best, ambiguous


def windows_right(model, inputs, labels):
    """The accuracy that matters: how many of every window of the text the model gets right."""
    logits = model.predict(inputs, batch_size=1024, verbose=0)  # in batches: a long text fits
    return int(np.sum(np.argmax(logits, axis=-1) == labels))


class StopAtCeiling(keras.callbacks.Callback):
    """Every epoch: the windows right out of all of them; stop once that reaches the ceiling."""

    def __init__(self, inputs, labels, best, first_epoch=0, print_every=10):
        super().__init__()
        self.inputs, self.labels, self.best, self.print_every = inputs, labels, best, print_every
        self.epochs_done, self.average_accuracy = first_epoch, None

    def on_epoch_end(self, epoch, logs):
        self.epochs_done, right = epoch + 1, windows_right(self.model, self.inputs, self.labels)
        logs["window_accuracy"] = right / len(self.labels)
        if self.epochs_done % self.print_every == 0 or right >= self.best:
            print(
                f"Epoch {self.epochs_done:3d}: {right} of {len(self.labels)} windows right "
                f"({right / len(self.labels):.1%}), loss {logs['loss']:.4f}",
                flush=True,
            )
        self.model.stop_training = right >= self.best


def ceiling_report(best, ambiguous, right, n, n_input, average_accuracy):
    """The ceiling and what sets it, the windows right, the article's Average Accuracy if any."""
    print(
        f"\nCeiling: {best} of {n} windows ({best / n:.1%}); the same {n_input} symbols go on "
        f"differently in {len(ambiguous)} place(s):"
    )
    for context, counter in list(ambiguous.items())[:5]:
        print(
            f"  {' '.join(context)!r} -> "
            + " or ".join(f"{w!r} ({k}x)" for w, k in counter.items())
        )
    print(f"{right} of {n} windows right ({right / n:.1%})")
    if average_accuracy is not None:
        print(
            f"The article's Average Accuracy (training, the last {DISPLAY_STEP} iterations): "
            f"{average_accuracy:.2%}"
        )


# Listing 9. Loss and optimizer
def compile_model(model, recipe, steps):
    """cost = reduce_mean(softmax_cross_entropy_with_logits); RMSPropOptimizer(0.001), or Adam. An
    epoch's steps run in one traced call; with jit_compile, XLA fuses each step's small operations
    (one window a step: many small ones)."""
    optimizer = dict(rmsprop=keras.optimizers.RMSprop, adam=keras.optimizers.Adam)
    model.compile(
        optimizer=optimizer[recipe["optimizer"]](recipe["lr"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=steps,
        jit_compile=recipe["jit_compile"],
    )


# Listing 10. Improved LSTM: rnn.MultiRNNCell([BasicLSTMCell, BasicLSTMCell]) is `--layers 2` (RNN)


# Listing 11. Sample story generated; Listing 12. Inputs with a sequence not found in the story
def generate(model, ids, reverse_dictionary, words, temperature, rng, probabilities=None):
    """Feed back each predicted symbol as the next input: greedy, or sampled at `temperature`.
    Each step's probabilities of every symbol, [vocab], are appended to `probabilities` if given
    (for --inspect)."""
    ids, story = list(ids), [reverse_dictionary[i] for i in ids]
    for _ in range(words):
        logits = model.predict_on_batch(np.array([ids]))[0]  # [1, n_input] -> [vocab]
        if probabilities is not None:
            probabilities.append(tf.nn.softmax(logits).numpy())
        # in float64: a tiny temperature tends to the likeliest symbol, and does not overflow
        if temperature > 0:
            p = np.exp((logits - logits.max()).astype(np.float64) / temperature)
            next_id = int(rng.choice(len(p), p=p / p.sum()))
        else:
            next_id = int(np.argmax(logits))
        ids = ids[1:] + [next_id]
        story.append(reverse_dictionary[next_id])
    return " ".join(story)


def parse_words(text, dictionary, n_input):
    """'had a general' -> its ids, or a message naming the problem (None when all is well)."""
    words = text.split()
    if len(words) != n_input:
        return None, f"give exactly {n_input} words, not {len(words)}: {text!r}"
    for word in words:
        if word not in dictionary:
            near = difflib.get_close_matches(word, dictionary, n=1)
            return None, f"{word!r} is not in the text's vocabulary" + (
                f"; the nearest known word is {near[0]!r}" if near else ""
            )
    return [dictionary[word] for word in words], None


def tell(model, dictionary, start, words, temperature, rng, interactive=False):
    """Listing 11's story from `start` (if any); then, if asked, the author's own prompt loop:
    ask for words, tell the story, ask again, until an empty line or Ctrl-D."""
    reverse_dictionary = {i: word for word, i in dictionary.items()}
    n_input, story = model.input_shape[1], ""
    if start:
        ids, problem = parse_words(start, dictionary, n_input)
        story = problem or generate(model, ids, reverse_dictionary, words, temperature, rng)
        print(f"\n{story}\n")
    while interactive:
        try:
            text = input(f"{n_input} words: ")
        except (EOFError, KeyboardInterrupt):  # Ctrl-D, Ctrl-C: the end of the loop
            break
        if not text.strip():
            break
        ids, problem = parse_words(text, dictionary, n_input)
        print(problem or generate(model, ids, reverse_dictionary, words, temperature, rng))
    return story


# ## Final notes
# 1. An id loses a word's meaning: the fast recipe learns an embedding (RNN above), Word2Vec's idea
# learned with the model. 2. One-hot labels: ids, with the sparse cross-entropy (Listing 6). 4.
# Other numbers of inputs: --n-input 4 or 5. 5. Runs that differ: --seed fixes them.


# ## Beyond the article: where the story could have gone, and what the embedding learned
def inspect(model, start, dictionary, words, temperature, rng):
    """The table of --inspect: the story from `start` and, at each step, the five likeliest next
    symbols; then, for a model with a learned embedding, the nearest neighbours of each of
    `start`'s words."""
    reverse_dictionary, probabilities = {i: word for word, i in dictionary.items()}, []
    ids = parse_words(start, dictionary, len(start.split()))[0]
    story = generate(model, ids, reverse_dictionary, words, temperature, rng, probabilities)
    story = story.split()[len(ids) :]  # the symbols told
    print("\nWhere the story could have gone: at each step the symbol told, and the five likeliest")
    candidates = []
    for step, (word, p) in enumerate(zip(story, probabilities), 1):
        candidates.append(
            [[reverse_dictionary[int(i)], float(p[i])] for i in np.argsort(p)[::-1][:5]]
        )
        print(f"{step:4d} {word:>12} | " + "  ".join(f"{w} {q:.0%}" for w, q in candidates[-1]))
    near = {}
    if isinstance(model.layers[0], keras.layers.Embedding):
        vectors = model.layers[0].embeddings.numpy()  # [vocab, 64]: a learned vector per symbol
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        for word in dict.fromkeys(start.split()):
            similarity = vectors @ vectors[dictionary[word]]  # cosine similarity with every symbol
            nearest = np.argsort(-similarity)[1:6]
            near[word] = [[reverse_dictionary[int(i)], float(similarity[i])] for i in nearest]
            listed = ", ".join(f"{w} {q:.2f}" for w, q in near[word])
            print(f"The embedding's nearest to {word!r}: {listed}")
    else:
        print("The article's recipe feeds each id as a number: it has no embedding to look into.")
    return story, candidates, near


def inspect_figure(start, story, candidates, columns=4):
    """--inspect-png's figure: a panel per step of the story, the five likeliest next symbols as
    bars of their probability, the one told in red."""
    from matplotlib.figure import Figure  # only where a picture is asked

    rows = max(math.ceil(len(story) / columns), 1)
    fig = Figure(figsize=(3.4 * columns, 1.6 * rows + 0.8), layout="constrained")
    panels = fig.subplots(rows, columns, sharex=True, squeeze=False).ravel()
    title = f"The story told from {start!r}: at each step the five likeliest next symbols"
    fig.suptitle(f"{title} (red: the one told)", fontsize="x-large")
    words, context = start.split() + story, len(start.split())
    for step, (ax, word, row) in enumerate(zip(panels, story, candidates)):
        names, p = zip(*row)
        colors = ["tab:red" if name == word else "tab:gray" for name in names]
        bars = ax.barh(range(len(names)), p, color=colors)
        ax.bar_label(bars, labels=[f"{q:.0%}" for q in p], padding=2, fontsize=8)
        ax.set_yticks(range(len(names)), labels=names)
        ax.invert_yaxis()  # the likeliest on top
        ax.set_xlim(0, 1.15)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}" if x <= 1 else "")
        ax.set_title(f"{step + 1}. {' '.join(words[step : step + context])} → {word}", fontsize=9)
    for ax in panels[len(story) :]:
        ax.set_axis_off()
    return fig


# ## The lesson, in the article's order
def run(recipe, data=None, model=None, dictionary=None, first_epoch=0, callbacks=()):
    """The article's steps in its order, from plain values; main() calls it, the notebook takes the
    same steps a cell each. `recipe`: one of RECIPES, its values changed at will; `data`: the
    text's symbols (None: the fable's); `model`, its `dictionary` and `first_epoch` go on from a
    saved model. Returns the model and its figures, figures["value"] the windows right."""
    n_input, seed = recipe["n_input"], recipe["seed"]
    keras.utils.set_random_seed(seed)
    words = FABLE.split() if data is None else data
    dictionary = dictionary or build_dataset(words)[0]
    ids = [dictionary[word] for word in words]
    inputs, labels = windows(ids, n_input)
    best, ambiguous = ceiling(words, n_input)
    layers, embedding = recipe["layers"], recipe["embedding"]
    model = model or build_model(len(dictionary), n_input, recipe["hidden"], layers, embedding)
    print(
        f"{len(words)} symbols, {len(dictionary)} distinct, {len(labels)} windows of {n_input}; "
        f"{model.count_params():,} parameters"
    )
    if recipe["article_loop"]:  # one window a step, as the author's loop visits them
        batched, seen, after = article_batches(ids, n_input, recipe["epochs"], seed, first_epoch)
        reverse_dictionary = {i: w for w, i in dictionary.items()}
        steps = DISPLAY_STEP
        progress = ArticleProgress(seen, after, reverse_dictionary, first_epoch)
    else:
        batched = batches(inputs, labels, recipe["batch_size"], seed, first_epoch)
        steps = math.ceil(len(labels) / recipe["batch_size"])
        progress = StopAtCeiling(inputs, labels, best, first_epoch)
    compile_model(model, recipe, steps)
    print(
        f"{'embedding' if recipe['embedding'] else 'raw ids'}, batch {recipe['batch_size']}, "
        f"{recipe['optimizer']} {recipe['lr']:g}, up to {recipe['epochs']} epochs of {steps:,} "
        f"update(s); seed {seed}"
    )
    started = time.perf_counter()  # session.run([optimizer, accuracy, cost, pred], ...), a loop:
    model.fit(
        batched,
        steps_per_epoch=steps,
        epochs=recipe["epochs"],
        initial_epoch=first_epoch,
        callbacks=[progress, *callbacks],
        shuffle=False,  # batches() shuffled them
        verbose=0,
    )
    seconds = time.perf_counter() - started
    right = windows_right(model, inputs, labels)
    ceiling_report(best, ambiguous, right, len(labels), n_input, progress.average_accuracy)
    figures = dict(value=right / len(labels), examples=len(labels), right=right, steps=steps)
    figures.update(ceiling=best / len(labels), average_accuracy=progress.average_accuracy)
    figures.update(epochs=progress.epochs_done, iterations=progress.epochs_done * steps)
    figures["train_seconds"] = round(seconds, 2)
    print(
        f"accuracy {figures['value']:.1%} ({right} of {len(labels)} windows right, ceiling "
        f"{figures['ceiling']:.1%}), {figures['epochs']} epochs, {seconds:.1f} s training"
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
MODEL = ("n_input", "hidden", "layers")  # what a saved model keeps, with its vocabulary
OUTPUTS = ("--save", "--inspect-png", "--json", "--log-dir")
EPOCHS = whole(0, 100_000)
RATE = checked(float, lambda x: 0 < x <= 10, "a number above 0, at most 10")
TEMPERATURE = checked(float, lambda x: 0 <= x <= 100, "a number from 0 to 100")
TEXT_FILE = checked(str, bool, "the name of a UTF-8 text file")


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

    article, fast = RECIPES["article"], RECIPES["fast"]
    parser = argparse.ArgumentParser(description="Learn the next word with an LSTM; tell a story.")
    parser.error = fail  # argparse's own errors too: one line, exit status 2
    add = parser.add_argument
    # fmt: off
    add("--recipe", choices=RECIPES, default="fast",
        help=f"'article': raw ids, batch {article['batch_size']}, RMSProp {article['lr']:g}; "
        f"'fast': an embedding, batch {fast['batch_size']}, Adam {fast['lr']:g} (default: fast)")
    add("--epochs", type=EPOCHS, help=f"train up to this epoch (the article's: {DISPLAY_STEP} "
        f"iterations); with --load, on from it ({default('epochs')}; with --load, as planned)")
    add("--batch-size", type=whole(1, 10**5), help=f"windows a batch ({default('batch_size')})")
    add("--lr", type=RATE, help=f"the learning rate, {RATE.wanted} ({default('lr')})")
    add("--text", type=TEXT_FILE, metavar="FILE", help="UTF-8 text to learn (default: Listing 1)")
    add("--n-input", type=whole(1, 100), help=f"symbols in (default: {N_INPUT})")
    add("--hidden", type=whole(1, 4096), help=f"units per LSTM layer (default: {N_HIDDEN})")
    add("--layers", type=whole(1, 8), help="LSTM layers stacked (default: 1)")
    add("--seed", type=SEED, help="seeds the weights, the windows and sampling (default: 0)")
    add("--generate", metavar="WORDS", help=f"go on from these words (default: {START!r})")
    add("--words", type=whole(0, 10_000), default=WORDS, help=f"symbols to tell (default: {WORDS})")
    add("--temperature", type=TEMPERATURE, default=0.0, help="0 greedy, more sampled (default: 0)")
    add("--interactive", action="store_true", help="ask for words, tell stories (default: off)")
    add("--inspect", metavar="WORDS", help="tell from these words with the five likeliest at each "
        "step, and each word's nearest in the embedding (default: none)")
    add("--inspect-png", metavar="PATH", help="--inspect, drawn (default: none)")
    add("--save", metavar="PATH", help="the model and vocabulary, every epoch (default: none)")
    add("--load", metavar="PATH", help="a model to go on or ask (default: none)")
    add("--overwrite", action="store_true", help="let an output replace a file (default: off)")
    add("--log-dir", metavar="DIR", help="TensorBoard logs, a folder in DIR a run (default: none)")
    add("--json", metavar="PATH", help="the figures as JSON, - for standard output (default: none)")
    add("--dry-run", action="store_true", help="train one epoch: checks an install (default: off)")
    # fmt: on
    return parser.parse_args(argv)


def read_text(path, n_input):
    """--text's symbols (a UTF-8 byte-order mark is not one); or a one-line error."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            words = f.read().split()
    except (OSError, UnicodeDecodeError) as error:  # no such file, a folder, not UTF-8, ...
        fail(f"--text {path}: cannot read it as UTF-8 text ({error})")
    if not n_input < len(words) <= MAX_SYMBOLS:  # a window and its next symbol; what memory holds
        fail(f"--text {path}: {len(words):,} symbols; give {n_input + 1:,} to {MAX_SYMBOLS:,}")
    return words


def from_the_terminal(args):
    """The checks, the lesson's run() (unless a loaded model only answers), the story, --inspect."""
    check_outputs(args, OUTPUTS)
    model, saved = load_model(args.load) if args.load is not None else (None, {})
    recipe = settle(args, saved)
    recipe["epochs"] = 1 if args.dry_run else recipe["epochs"]  # --dry-run: one epoch
    n_input, first_epoch = recipe["n_input"], saved.get("epoch", 0)
    answers_only = model is not None and first_epoch >= recipe["epochs"] and not args.text
    answers_only = answers_only and bool(args.generate or args.interactive or args.inspect)
    words = None if answers_only else read_text(args.text, n_input) if args.text else FABLE.split()
    dictionary = build_dataset(words)[0] if words else saved["dictionary"]
    if saved and dictionary != saved["dictionary"]:
        fail(f"--load {args.load}: the model was trained on another vocabulary than this text's")
    for flag, text in (("--generate", args.generate), ("--inspect", args.inspect)):
        if text is not None and (problem := parse_words(text, dictionary, n_input)[1]):
            fail(f"{flag}: {problem}")
    if args.inspect_png and not args.inspect:
        fail("--inspect-png draws what --inspect shows: give --inspect WORDS too")
    if args.interactive and (sys.stdin is None or sys.stdin.closed):
        fail("--interactive reads words from standard input, which is closed")
    if args.generate is None and words:  # Listing 11's start, or the text's own first words
        args.generate = START if not args.text and n_input == N_INPUT else " ".join(words[:n_input])
    options = (args.words, args.temperature, np.random.default_rng(recipe["seed"]))
    metrics = dict(recipe=args.recipe, metric="accuracy")
    if words:
        checkpoint = Checkpoint(args, recipe, first_epoch)
        checkpoint.settings["dictionary"] = dictionary  # the vocabulary, in the saved file
        callbacks = [checkpoint, *log_dir(args)]
        model, figures = run(recipe, words, model, saved.get("dictionary"), first_epoch, callbacks)
        metrics.update(figures, n_input=n_input, hidden=recipe["hidden"], seed=recipe["seed"])
        if args.save:  # the run is over: no epochs left to go on with
            checkpoint.save(model, figures["epochs"], figures["epochs"])
            print(f"Saved the model to {checkpoint.path}")
    metrics["story"] = tell(model, dictionary, args.generate, *options, args.interactive)
    if args.inspect:
        story, candidates, near = inspect(model, args.inspect, dictionary, *options)
        metrics.update(candidates=candidates, neighbours=near)
        if args.inspect_png:
            figure = inspect_figure(args.inspect, story, candidates)
            path = publish(args.inspect_png, figure.savefig, args.overwrite)
            print(f"Each step's five likeliest symbols: {path}")
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
