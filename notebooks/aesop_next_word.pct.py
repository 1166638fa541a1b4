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
# The settings: a recipe is a dict of plain values (`python aesop_next_word.py --help` lists the
# flags that change them); this one is the fast recipe with this notebook's epochs. The text is the
# fable of Listing 1, its symbols split on white space.

# %%
SEED, N_INPUT, WORDS, TEMPERATURE = 0, aesop.N_INPUT, aesop.WORDS, 0.0
recipe = dict(aesop.RECIPES["fast"], epochs=EPOCHS, hidden=HIDDEN)
training_data = aesop.FABLE.split()
keras.utils.set_random_seed(SEED)
rng = np.random.default_rng(SEED)
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
model = aesop.build_model(len(dictionary), N_INPUT, HIDDEN, 1, recipe["embedding"])
model.summary()

# %% [markdown]
# ## Listings 5 and 6. Windows of three symbols, and the next one as the label
# `windows` makes every window of the text; `ceiling` counts how many any model can get right (where
# the same three symbols go on differently, no model can be right both times).

# %%
ids = [dictionary[word] for word in training_data]
inputs, labels = aesop.windows(ids, N_INPUT)
best, ambiguous = aesop.ceiling(training_data, N_INPUT)
print(
    f"inputs {inputs.shape}, labels {labels.shape}; the first: "
    f"{[reverse_dictionary[i] for i in inputs[0]]} -> {reverse_dictionary[labels[0]]!r}"
)
print(f"the ceiling: {best} of {len(labels)} windows")

# %% [markdown]
# ## Listing 7. Training, and Listing 9. its loss and optimizer
# `compile_model` gives this model the cross-entropy and Adam. The fast recipe trains on every
# window, each epoch in a new order, a batch at a time (`batches`), and stops when the windows right
# reach the ceiling (`StopAtCeiling`); `model.fit` trains on this model and the windows above.
# (`aesop.run` takes these same steps, for the terminal.)

# %%
steps = math.ceil(len(labels) / recipe["batch_size"])  # batches an epoch
aesop.compile_model(model, recipe, steps)
batches = aesop.batches(inputs, labels, recipe["batch_size"], SEED)
progress = aesop.StopAtCeiling(inputs, labels, best)
model.fit(
    batches,
    steps_per_epoch=steps,
    epochs=EPOCHS,
    callbacks=[progress],
    shuffle=False,  # batches() shuffled them
    verbose=0,
)
print(f"{progress.epochs_done} epochs")

# %% [markdown]
# ## Listing 8, and beyond it: the honest figure
# The article reports the training accuracy averaged over its last 1,000 steps; `windows_right`
# counts the windows of the whole text the model gets right, beside the ceiling (`ceiling_report`).

# %%
right = aesop.windows_right(model, inputs, labels)
print(f"{right} of {len(labels)} windows right; the ceiling {best}")

# %%
from matplotlib.figure import Figure

history = model.history.history  # what the script logs to TensorBoard with --log-dir
curve = Figure(figsize=(8, 3), layout="constrained")
loss, error = curve.subplots(1, 2)
loss.semilogy(history["loss"], ".-")
loss.set(title="Training loss", xlabel="epoch")
error.plot(history["accuracy"], ".-")
error.set(title="Accuracy on the training batches", xlabel="epoch")
curve

# %% [markdown]
# ## Listings 11 and 12. A story
# `generate` feeds each predicted symbol back in as the next input: the story of the fable, told
# from three words of it (Listing 11), or from three that never follow each other in it (Listing
# 12).

# %%
for start in ("had a general", "mouse mouse mouse"):
    start_ids, _ = aesop.parse_words(start, dictionary, N_INPUT)
    print(
        aesop.generate(model, start_ids, reverse_dictionary, WORDS, TEMPERATURE, rng),
        end="\n\n",
    )

# %% [markdown]
# ### Beyond the article: where the story could have gone
# `inspect` (`--inspect`) tells the story again and, at each step, the five likeliest next symbols;
# then each start word's nearest symbols in the learned embedding. `inspect_figure` draws the steps
# (`--inspect-png`).

# %%
story, candidates, near = aesop.inspect(model, "the old mouse", dictionary, WORDS, TEMPERATURE, rng)
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
