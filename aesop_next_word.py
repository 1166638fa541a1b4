"""Three words in, the next word out: an LSTM that learns a fable, then tells it.

Follows "LSTM by Example using Tensorflow" (2017), ported to TensorFlow 2 / Keras 3.
The section markers below are the article's listings.

    python aesop_next_word.py                                   # trains, then tells the story from "had a general"
    python aesop_next_word.py --save fable.keras
    python aesop_next_word.py --load fable.keras --generate "the old mouse" --words 32
    python aesop_next_word.py --load fable.keras --interactive  # the original's prompt loop
    python aesop_next_word.py --recipe article                  # the author's own: batch 1, 50,000 iterations
    python aesop_next_word.py --text my_story.txt               # any UTF-8 text, any language

Results: see the README's table, each figure with the command that measured it.
"""
import argparse
import collections
import difflib
import json
import os
import sys
import time
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter

import numpy as np
import tensorflow as tf
import keras

# Listing 1. A short story from Aesop's Fables with 112 unique symbols. Words and
# punctuation marks are both considered symbols. (The same text is data/belling_the_cat.txt.)
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

# Listing 4. Constants and training parameters, each a flag below.
N_INPUT = 3             # symbols in, one out; the article asks what 4 or 5 do
N_HIDDEN = 512          # units in the LSTM cell
WORDS = 32              # Listing 11: "Truncated to max of 32 predictions"
START = "had a general" # Listing 11's three words
DISPLAY_STEP = 1000     # the article prints its averages every 1000 iterations
SETTINGS_FILE = "aesop_next_word.json"  # the vocabulary and settings, inside the .keras zip

RECIPES = {
    # The author's: each id fed as a raw float, batch 1, RMSProp at 1e-3, 50,000 iterations
    # over windows that start at a random offset 0-4 and advance by 4.
    "article": dict(embedding=False, optimizer="rmsprop", lr=1e-3, iterations=50_000, batch_size=1),
    # Ours: a learned embedding instead of raw ids (the article's own final note: an id
    # loses the meaning of a word), batches of 256 windows (the fable's 201 are one
    # batch), Adam at 1e-2; stops when the accuracy reaches the ceiling (see ceiling()).
    "fast": dict(embedding=True, optimizer="adam", lr=1e-2, iterations=100, batch_size=256),
}


def fail(message):
    """Every bad input ends here: one line on stderr, exit status 2, no traceback."""
    print(f"aesop_next_word.py: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def read_text(path, n_input):
    """The training text as a list of symbols (split on white space), or a one-line error."""
    if path is None:
        return FABLE.split()
    try:
        with open(path, encoding="utf-8") as f:
            words = f.read().split()
    except FileNotFoundError:
        fail(f"--text {path}: no such file")
    except UnicodeDecodeError as error:
        fail(f"--text {path}: not UTF-8 text ({error.reason} at byte {error.start})")
    except OSError as error:
        fail(f"--text {path}: {error.strerror}")
    if len(words) < n_input + 1:
        fail(f"--text {path}: {len(words)} symbols; it needs at least --n-input + 1 = {n_input + 1}")
    return words


# Listing 2. Function for building the dictionary and reverse dictionary.
def build_dataset(words):
    """Symbol -> id by frequency, id 0 the most frequent (ties in order of first appearance), and back."""
    count = collections.Counter(words).most_common()
    dictionary = dict()
    for word, _ in count:
        dictionary[word] = len(dictionary)
    reverse_dictionary = dict(zip(dictionary.values(), dictionary.keys()))
    return dictionary, reverse_dictionary


# Listings 5 and 6. Symbols to a vector of ints as input; the next symbol as the label.
def windows(ids, n_input):
    """Every window of the text: inputs [len - n_input, n_input] ids, labels [len - n_input] ids."""
    ids = np.asarray(ids)
    starts = np.arange(len(ids) - n_input)
    return ids[starts[:, None] + np.arange(n_input)], ids[starts + n_input]


def ceiling(words, n_input):
    """The best accuracy any model can reach on every window, and the contexts that cap it.

    When the same n_input symbols are followed by different symbols in the text, no
    model can be right both times: at best it picks the commonest follower."""
    followers = collections.defaultdict(collections.Counter)
    for i in range(len(words) - n_input):
        followers[tuple(words[i:i + n_input])][words[i + n_input]] += 1
    best = sum(max(counter.values()) for counter in followers.values())
    ambiguous = {context: counter for context, counter in followers.items() if len(counter) > 1}
    return best, ambiguous


# Listing 3. The model with a 512-unit LSTM cell
def build_model(vocab_size, n_input, hidden, layers, embedding):
    """n_input ids -> LSTM(hidden) x layers, unrolled over the steps (static_rnn) -> logits over the vocabulary.

    The article feeds each id as a raw float: [batch, n_input] -> [batch, n_input, 1].
    With `embedding`, each id becomes a learned vector instead: [batch, n_input, 64]."""
    model = keras.Sequential(name="aesop_next_word")
    model.add(keras.Input(shape=(n_input,)))
    if embedding:
        model.add(keras.layers.Embedding(vocab_size, 64))
    else:
        model.add(keras.layers.Reshape((n_input, 1)))                   # x = tf.reshape / tf.split
    for i in range(layers):  # Listing 10: rnn.MultiRNNCell([BasicLSTMCell, BasicLSTMCell])
        model.add(keras.layers.LSTM(hidden, unroll=True, return_sequences=i < layers - 1))
    # outputs[-1] x weights['out'] + biases['out'], both tf.random_normal in the article: [batch, hidden] -> [batch, vocab]
    random_normal = keras.initializers.RandomNormal(stddev=1.0)
    model.add(keras.layers.Dense(vocab_size, kernel_initializer=random_normal,
                                 bias_initializer=random_normal if not embedding else "zeros"))
    return model


# Listing 9. Loss and optimizer
def compile_model(model, recipe, lr):
    """cost = reduce_mean(softmax_cross_entropy_with_logits); RMSPropOptimizer(0.001), or Adam."""
    optimizer = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam}[recipe["optimizer"]](lr)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=False,
                  steps_per_execution=DISPLAY_STEP if recipe["batch_size"] == 1 else 1)


def article_windows(ids, n_input, iterations, rng):
    """The windows the author's loop visits, in order: a random start 0..n_input+1, then
    steps of n_input + 1, and a new random start whenever a window would run off the end."""
    starts, offset = [], rng.integers(0, n_input + 2)
    for _ in range(iterations):
        if offset > len(ids) - (n_input + 1):
            offset = rng.integers(0, n_input + 2)
        starts.append(offset)
        offset += n_input + 1
    starts = np.array(starts)
    ids = np.asarray(ids)
    return ids[starts[:, None] + np.arange(n_input)], ids[starts + n_input]


# Listing 7. Training step optimization, and Listing 8's lines every 1000 iterations
class ArticleProgress(keras.callbacks.Callback):
    """The article's line every DISPLAY_STEP iterations: the average loss and accuracy of
    the last 1000 training steps (Keras' logs are running means since the epoch began),
    and the model's guess for the last window it trained on."""

    def __init__(self, inputs, labels, reverse_dictionary):
        super().__init__()
        self.inputs, self.labels, self.reverse_dictionary = inputs, labels, reverse_dictionary
        self.previous, self.iterations, self.average_accuracy = (0.0, 0.0, 0), 0, None

    def on_train_batch_end(self, batch, logs):
        step = batch + 1
        if step % DISPLAY_STEP:
            return
        loss_sum, accuracy_sum, done = self.previous
        total_loss, total_accuracy = logs["loss"] * step, logs["accuracy"] * step
        average_loss = (total_loss - loss_sum) / (step - done)
        self.average_accuracy = (total_accuracy - accuracy_sum) / (step - done)
        self.previous, self.iterations = (total_loss, total_accuracy, step), step
        print(f"Iter= {step}, Average Loss= {average_loss:.6f}, Average Accuracy= {self.average_accuracy:.2%}")
        guess = int(np.argmax(self.model.predict_on_batch(self.inputs[batch:batch + 1])))
        symbols_in = [self.reverse_dictionary[int(i)] for i in self.inputs[batch]]
        print(f"{symbols_in} - [{self.reverse_dictionary[int(self.labels[batch])]}] vs "
              f"[{self.reverse_dictionary[guess]}]", flush=True)


class StopAtCeiling(keras.callbacks.Callback):
    """Every epoch: the accuracy over every window of the text; stop once it reaches the ceiling."""

    def __init__(self, inputs, labels, best, print_every):
        super().__init__()
        self.inputs, self.labels, self.best, self.print_every = inputs, labels, best, print_every
        self.epochs_done = 0

    def on_epoch_end(self, epoch, logs):
        self.epochs_done = epoch + 1
        right = int(np.sum(np.argmax(self.model.predict_on_batch(self.inputs), axis=-1) == self.labels))
        logs["window_accuracy"] = right / len(self.labels)
        if self.epochs_done % self.print_every == 0 or right >= self.best:
            print(f"Epoch {self.epochs_done:3d}: {right} of {len(self.labels)} windows right "
                  f"({right / len(self.labels):.1%}), loss {logs['loss']:.4f}", flush=True)
        if right >= self.best:
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


def train(model, inputs, labels, batch_size, epochs, callbacks):
    """model.fit until the ceiling or the last epoch; Ctrl-C stops it cleanly."""
    try:
        model.fit(inputs, labels, batch_size=batch_size, epochs=epochs, shuffle=batch_size > 1,
                  callbacks=callbacks, verbose=0)
    except KeyboardInterrupt:
        print("\nInterrupted: evaluating what it has learned.")


# Saving and loading: the model and its vocabulary travel together
def save_model(model, path, settings):
    """model.save to a temporary file beside `path`, the vocabulary and settings added, then one rename."""
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
    """A model saved by save_model, and the settings (the vocabulary among them) it was trained with."""
    if not os.path.isfile(path):
        fail(f"--load {path}: no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            settings = json.loads(archive.read(SETTINGS_FILE))
        model = keras.models.load_model(path, compile=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        fail(f"--load {path}: not a model saved by aesop_next_word.py ({type(error).__name__}: {error})")
    return model, settings


# Listing 11. Sample story generated
def parse_words(text, dictionary, n_input):
    """'had a general' -> its ids, or a message naming the problem (None when all is well)."""
    words = text.split()
    if len(words) != n_input:
        return None, f"give exactly {n_input} words, not {len(words)}: {text!r}"
    for word in words:
        if word not in dictionary:
            near = difflib.get_close_matches(word, dictionary, n=1)
            hint = f"; the nearest known word is {near[0]!r}" if near else ""
            return None, f"{word!r} is not in the text's vocabulary{hint}"
    return [dictionary[word] for word in words], None


def generate(model, ids, reverse_dictionary, words, temperature, rng):
    """Feed back each predicted symbol as the next input: greedy, or sampled at `temperature`."""
    ids, story = list(ids), [reverse_dictionary[i] for i in ids]
    for _ in range(words):
        logits = model.predict_on_batch(np.array([ids]))[0]  # [1, n_input] -> [vocab]
        if temperature > 0:
            p = np.exp((logits - logits.max()) / temperature)
            next_id = int(rng.choice(len(p), p=p / p.sum()))
        else:
            next_id = int(np.argmax(logits))
        ids = ids[1:] + [next_id]
        story.append(reverse_dictionary[next_id])
    return " ".join(story)


def interactive(model, dictionary, reverse_dictionary, n_input, words, temperature, rng):
    """The original's loop: ask for words, tell the story, ask again; an empty line or Ctrl-D ends it."""
    while True:
        try:
            text = input(f"{n_input} words: ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not text.strip():
            return
        ids, problem = parse_words(text, dictionary, n_input)
        print(problem if problem else generate(model, ids, reverse_dictionary, words, temperature, rng))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Predict the next word from three with an LSTM, then tell a story (LSTM by Example, in TF2).")
    parser.error = fail  # argparse's own errors too: one line, exit status 2
    parser.add_argument("--recipe", choices=RECIPES, default="fast",
                        help="'article': raw ids, batch 1, RMSProp 1e-3, 50,000 iterations; 'fast': a learned "
                             "embedding, batches of 256 windows, Adam 1e-2, stop at the ceiling (default: %(default)s)")
    parser.add_argument("--epochs", type=int,
                        help="most epochs (fast), or thousands of iterations (article) (default: the recipe's, 100 or 50)")
    parser.add_argument("--batch-size", type=int, help="windows per update (default: the recipe's, 256 or 1)")
    parser.add_argument("--lr", type=float, help="the optimizer's learning rate (default: the recipe's, 1e-2 or 1e-3)")
    parser.add_argument("--text", metavar="FILE",
                        help="train on this UTF-8 text; symbols are split on white space (default: the fable, "
                             "Listing 1, also in data/belling_the_cat.txt)")
    parser.add_argument("--n-input", type=int, help=f"symbols in (default: {N_INPUT}, or the loaded model's)")
    parser.add_argument("--hidden", type=int, help=f"units per LSTM layer (default: {N_HIDDEN}, or the loaded model's)")
    parser.add_argument("--layers", type=int, help="LSTM layers stacked (default: 1, or the loaded model's)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights, the windows and sampling (default: %(default)s)")
    parser.add_argument("--generate", metavar="WORDS", help=f"continue from these words (default: {START!r} after training)")
    parser.add_argument("--words", type=int, default=WORDS, help="symbols to generate (default: %(default)s)")
    parser.add_argument("--temperature", type=float, default=0.0,
                        help="0 picks the likeliest next symbol; above 0 samples, more freely the higher (default: %(default)s)")
    parser.add_argument("--interactive", action="store_true", help="ask for words and tell stories until an empty line (default: off)")
    parser.add_argument("--save", metavar="PATH", help="write the model and its vocabulary to this .keras file (default: none)")
    parser.add_argument("--load", metavar="PATH", help="start from a model written by --save; with --generate or "
                                                       "--interactive it answers at once (default: none)")
    parser.add_argument("--overwrite", action="store_true", help="let --save replace an existing file (default: off)")
    parser.add_argument("--log-dir", metavar="DIR", help="write TensorBoard scalars to a new run folder here (default: none)")
    parser.add_argument("--json", metavar="PATH", help="write the run's metrics to this file as one JSON object (default: none)")
    parser.add_argument("--dry-run", action="store_true", help="train one batch, then evaluate and generate (default: off)")
    return parser.parse_args(argv)


def check_args(args):
    """Settings: flags, else the loaded model's, else the defaults; every conflict a one-line error."""
    model, saved = None, {}
    if args.load:
        model, saved = load_model(args.load)
        for key in ("n_input", "hidden", "layers"):
            flag = getattr(args, key)
            if flag is not None and flag != saved[key]:
                fail(f"--{key.replace('_', '-')} {flag} does not fit {args.load}, "
                     f"trained with --{key.replace('_', '-')} {saved[key]}")
    for key, default in dict(n_input=N_INPUT, hidden=N_HIDDEN, layers=1).items():
        if getattr(args, key) is None:
            setattr(args, key, saved.get(key, default))
    recipe = RECIPES[args.recipe]
    args.epochs = (recipe["iterations"] // DISPLAY_STEP if args.recipe == "article" else recipe["iterations"]) \
        if args.epochs is None else args.epochs
    args.batch_size = args.batch_size or recipe["batch_size"]
    args.lr = args.lr or recipe["lr"]
    if min(args.n_input, args.hidden, args.layers, args.batch_size) < 1 or args.epochs < 0 or args.words < 0:
        fail("give --n-input, --hidden, --layers and --batch-size >= 1, --epochs and --words >= 0")
    if args.lr <= 0 or args.temperature < 0:
        fail("give --lr > 0 and --temperature >= 0")
    for flag, path in (("--save", args.save), ("--json", args.json)):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            fail(f"{flag} {path}: no such folder")
    if args.save:
        if not args.save.endswith(".keras"):
            fail(f"--save {args.save}: the file name must end in .keras")
        same = args.load and os.path.abspath(args.load) == os.path.abspath(args.save)
        if os.path.exists(args.save) and not (same or args.overwrite):
            fail(f"--save {args.save}: the file exists; pass --overwrite to replace it, or choose another name")
    return recipe, model, saved.get("dictionary")


def main(argv=None):
    started = time.perf_counter()
    args = parse_args(argv)
    recipe, model, saved_dictionary = check_args(args)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    answer_at_once = model is not None and (args.generate or args.interactive)
    if answer_at_once and args.text is None:
        dictionary = saved_dictionary
    else:
        training_data = read_text(args.text, args.n_input)
        dictionary, _ = build_dataset(training_data)
        if saved_dictionary is not None and dictionary != saved_dictionary:
            fail(f"--load {args.load}: the model was trained on another vocabulary "
                 f"({len(saved_dictionary)} symbols) than this text's ({len(dictionary)})")
    reverse_dictionary = {i: word for word, i in dictionary.items()}
    if args.generate:  # check the words before any training
        start_ids, problem = parse_words(args.generate, dictionary, args.n_input)
        if problem:
            fail(f"--generate: {problem}")
    if answer_at_once:  # a loaded model answers at once, without training
        if args.generate:
            print(generate(model, start_ids, reverse_dictionary, args.words, args.temperature, rng))
        if args.interactive:
            interactive(model, dictionary, reverse_dictionary, args.n_input, args.words, args.temperature, rng)
        return {}

    ids = [dictionary[word] for word in training_data]
    inputs, labels = windows(ids, args.n_input)
    best, ambiguous = ceiling(training_data, args.n_input)
    vocab_size = len(dictionary)
    if model is None:
        model = build_model(vocab_size, args.n_input, args.hidden, args.layers, recipe["embedding"])
    compile_model(model, recipe, args.lr)
    settings = dict(n_input=args.n_input, hidden=args.hidden, layers=args.layers, dictionary=dictionary)
    print(f"{len(training_data)} symbols, {vocab_size} distinct, {len(labels)} windows of {args.n_input}; "
          f"{args.layers} x LSTM({args.hidden}), {model.count_params():,} parameters")
    print(f"recipe {args.recipe}: {'embedding' if recipe['embedding'] else 'raw ids'}, batch {args.batch_size}, "
          f"{recipe['optimizer']} {args.lr:g}, " + (f"{args.epochs * DISPLAY_STEP:,} iterations" if args.recipe == "article"
                                                    else f"up to {args.epochs} epochs") + f"; seed {args.seed}")

    callbacks = []
    if args.recipe == "article":
        iterations = 1 if args.dry_run else args.epochs * DISPLAY_STEP
        train_inputs, train_labels = article_windows(ids, args.n_input, iterations, rng)
        progress = ArticleProgress(train_inputs, train_labels, reverse_dictionary)
        callbacks.append(progress)
        epochs = 1
    else:
        train_inputs, train_labels = inputs, labels
        progress = StopAtCeiling(inputs, labels, best, print_every=10)
        callbacks.append(progress)
        epochs = 1 if args.dry_run else args.epochs
    if args.log_dir:
        run_dir = os.path.join(args.log_dir, f"aesop_next_word-{args.recipe}-{time.strftime('%Y%m%d-%H%M%S')}")
        callbacks.append(keras.callbacks.TensorBoard(run_dir, update_freq=DISPLAY_STEP if args.recipe == "article" else "epoch"))
        print(f"TensorBoard: tensorboard --logdir {args.log_dir}")
    if args.save:
        callbacks.append(SaveEvery(args.save, settings, seconds=60))
    train_started = time.perf_counter()
    train(model, train_inputs, train_labels, args.batch_size, epochs, callbacks)
    train_seconds = time.perf_counter() - train_started
    if args.save:
        save_model(model, args.save, settings)
        print(f"Saved the model and its vocabulary to {args.save}")

    right = int(np.sum(np.argmax(model.predict_on_batch(inputs), axis=-1) == labels))
    print(f"\nCeiling: {best} of {len(labels)} windows ({best / len(labels):.1%}); the same {args.n_input} symbols "
          f"go on differently in {len(ambiguous)} place(s):")
    for context, counter in list(ambiguous.items())[:5]:
        print(f"  {' '.join(context)!r} -> " + " or ".join(f"{w!r} ({n}x)" for w, n in counter.items()))
    if args.recipe == "article" and progress.average_accuracy is not None:
        print(f"The article's Average Accuracy (training, last {DISPLAY_STEP} iterations): {progress.average_accuracy:.2%}")
    start = args.generate or (START if args.text is None and args.n_input == 3 else " ".join(training_data[:args.n_input]))
    start_ids, _ = parse_words(start, dictionary, args.n_input)
    story = generate(model, start_ids, reverse_dictionary, args.words, args.temperature, rng)
    print(f"\n{story}\n")
    if args.interactive:
        interactive(model, dictionary, reverse_dictionary, args.n_input, args.words, args.temperature, rng)
    value = right / len(labels)
    total_seconds = time.perf_counter() - started
    done = (progress.iterations // DISPLAY_STEP) if args.recipe == "article" else progress.epochs_done
    metrics = dict(script="aesop_next_word.py", recipe=args.recipe, metric="accuracy", value=value,
                   examples=len(labels), right=right, ceiling=best / len(labels), epochs=done,
                   iterations=progress.iterations if args.recipe == "article" else done * -(-len(labels) // args.batch_size),
                   average_accuracy=getattr(progress, "average_accuracy", None),
                   train_seconds=round(train_seconds, 2), total_seconds=round(total_seconds, 2),
                   story=story, n_input=args.n_input, hidden=args.hidden, layers=args.layers,
                   batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                   tensorflow=tf.__version__, keras=keras.__version__)
    if args.json:
        temporary = f"{args.json}.tmp-{os.getpid()}"
        with open(temporary, "w") as f:
            json.dump(metrics, f, indent=2)
        os.replace(temporary, args.json)
    print(f"accuracy {value:.1%} ({right} of {len(labels)} windows right, ceiling {best / len(labels):.1%}), "
          f"{done} {'x 1000 iterations' if args.recipe == 'article' else 'epochs'}, {total_seconds:.1f} s")
    return metrics


if __name__ == "__main__":
    main()
