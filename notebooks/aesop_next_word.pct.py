# %% [markdown]
# # Three words in, the next word out: an LSTM learns a fable, step by step
#
# The notebook of [`aesop_next_word.py`](../aesop_next_word.py), which follows "LSTM by Example
# using Tensorflow" (2017) in TensorFlow 2 / Keras 3, listing by listing. Each cell calls the
# script's own function for a listing and shows what it gives; the script stays the source, and this
# notebook copies none of it.

# %% tags=["parameters"]
# the fast recipe's most epochs (it stops at the ceiling first, in about 13); the tests set 2
EPOCHS = 100
HIDDEN = 512  # the article's LSTM width; the tests set 32

# %%
import math
import sys

sys.path.insert(0, "..")  # the scripts sit one folder up
import keras
import numpy as np

import aesop_next_word as aesop

# %matplotlib inline

# %% [markdown]
# The settings, as the script takes them from the terminal (`python aesop_next_word.py --help` lists
# them); `settle` fills in the recipe's defaults and reads the text: the fable, unless `--text`
# names another.

# %%
args = aesop.parse_args(["--epochs", str(EPOCHS), "--hidden", str(HIDDEN)])
recipe, _, training_data, dictionary = aesop.settle(args)
keras.utils.set_random_seed(args.seed)
rng = np.random.default_rng(args.seed)
recipe

# %% [markdown]
# ## Listing 1. A short story, and Listing 2. its dictionary
# The fable of the mice and the cat, split into symbols (words and punctuation marks);
# `build_dataset` numbers them by frequency, 0 the commonest.

# %%
dictionary, reverse_dictionary = aesop.build_dataset(training_data)
print(
    f"{len(training_data)} symbols, {len(dictionary)} distinct; the commonest: "
    + ", ".join(f"{reverse_dictionary[i]!r} {i}" for i in range(5))
)

# %% [markdown]
# ## Listings 3 and 4. The model
# `RNN` is the article's cell (an LSTM of 512 units) and `build_model` adds the output layer, one
# score per symbol. The fast recipe feeds a learned embedding where the article fed each id as a raw
# number.

# %%
model = aesop.build_model(
    len(dictionary), args.n_input, args.hidden, args.layers, recipe["embedding"]
)
model.summary()

# %% [markdown]
# ## Listings 5 and 6. Windows of three symbols, and the next one as the label
# `windows` makes every window of the text; `ceiling` counts how many any model can get right (where
# the same three symbols go on differently, no model can be right both times).

# %%
ids = [dictionary[word] for word in training_data]
inputs, labels = aesop.windows(ids, args.n_input)
best, ambiguous = aesop.ceiling(training_data, args.n_input)
print(
    f"inputs {inputs.shape}, labels {labels.shape}; the first: "
    f"{[reverse_dictionary[i] for i in inputs[0]]} -> {reverse_dictionary[labels[0]]!r}"
)
print(f"the ceiling: {best} of {len(labels)} windows")

# %% [markdown]
# ## Listing 7. Training, and Listing 9. its loss and optimizer
# The fast recipe trains on every window at once, batch after batch (`epoch_batches`), and stops
# when the windows right reach the ceiling (`StopAtCeiling`); `Backup` keeps each epoch for a run
# that is killed, `Curve` the learning curve.

# %%
backup, first_epoch = aesop.backup(args, training_data)
batches = aesop.epoch_batches(inputs, labels, args.batch_size, args.seed, first_epoch)
steps = math.ceil(len(labels) / args.batch_size)  # batches in an epoch
progress = aesop.StopAtCeiling(inputs, labels, best)
aesop.compile_model(model, recipe, args.lr, steps)
curve = aesop.Curve(f"{backup.folder}/curve.json", first_epoch)
epochs_done, seconds = aesop.train(model, batches, steps, args.epochs, backup, progress, [curve])
print(f"{epochs_done} epochs in {seconds:.1f} s")

# %% [markdown]
# ## Listing 8, and beyond it: the honest figure
# The article reports the training accuracy averaged over its last 1,000 steps; `windows_right`
# counts the windows of the whole text the model gets right, beside the ceiling (`ceiling_report`).

# %%
right = aesop.windows_right(model, inputs, labels)
aesop.ceiling_report(best, ambiguous, right, len(labels), args.n_input, None)
aesop.curve_figure(curve.points, best / len(labels), steps)

# %% [markdown]
# ## Listings 11 and 12. A story
# `generate` feeds each predicted symbol back in as the next input: the story of the fable, told
# from three words of it (Listing 11), or from three that never follow each other in it (Listing
# 12).

# %%
for start in ("had a general", "mouse mouse mouse"):
    start_ids, _ = aesop.parse_words(start, dictionary, args.n_input)
    print(
        aesop.generate(model, start_ids, reverse_dictionary, args.words, args.temperature, rng),
        end="\n\n",
    )

# %% [markdown]
# ### Beyond the article: where the story could have gone
# `inspect` (`--inspect`) tells the story again and, at each step, the five likeliest next symbols;
# then each start word's nearest symbols in the learned embedding. `inspect_figure` draws the steps
# (`--inspect-png`).

# %%
story, candidates, near = aesop.inspect(model, "the old mouse", dictionary, args, rng)
aesop.inspect_figure("the old mouse", story, candidates)

# %% [markdown]
# ## The whole script, from a terminal
# ```
# python aesop_next_word.py                                   # trains, then tells the story from
# "had a general"
# python aesop_next_word.py --save fable.keras
# python aesop_next_word.py --load fable.keras --generate "the old mouse" --words 32
# python aesop_next_word.py --recipe article                  # the author's own: batch 1, 50,000
# iterations
# ```
