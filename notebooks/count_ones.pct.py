# %% [markdown]
# # Counting the ones in a binary string, step by step
#
# The notebook of [`count_ones.py`](../count_ones.py), which follows "A noob's guide to implementing
# RNN-LSTM using Tensorflow" (2016) in TensorFlow 2 / Keras 3. Each step of the article is a cell
# that calls the script's own function for it, and shows what it gives. The script stays the source:
# this notebook imports it and copies none of it.

# %% tags=["parameters"]
EPOCHS = 20  # the fast recipe's most epochs (it stops at the article's 0.1% first); the tests set 1
LENGTH = 20  # bits per string, as the article; the tests set 8
TRAIN_SIZE = 10_000  # training strings, as the article; the tests set 128

# %%
import math
import sys

sys.path.insert(0, "..")  # the scripts sit one folder up
import keras

import count_ones

# %matplotlib inline

# %% [markdown]
# ## The task
# Count the ones in a string of 20 bits: 21 classes, 0 to 20 ones. A recipe is a dict of plain
# values (`python count_ones.py --help` lists the flags that change them); this one is the fast
# recipe with this notebook's epochs.

# %%
SEED = 0
recipe = dict(count_ones.RECIPES["fast"], epochs=EPOCHS, length=LENGTH, train_size=TRAIN_SIZE)
keras.utils.set_random_seed(SEED)
recipe

# %% [markdown]
# ## Generating the training input data, the output data and the test data
# `make_data` shuffles all 2**20 strings (each handled as the integer it spells) and keeps the first
# 10,000 to train: `train_input` is [strings, bits, 1], the shape the LSTM reads. `show_first`
# prints the first string, its class and the article's one-hot `train_output` row; the script keeps
# the class number instead, which Keras' sparse cross-entropy reads the same way.

# %%
train_input, train_output, test_codes, test_output = count_ones.make_data(LENGTH, TRAIN_SIZE, SEED)
count_ones.show_first(train_input, train_output, LENGTH)
print(f"{len(test_codes):,} held-out strings; the first two as the model reads them:")
count_ones.to_bits(test_codes[:2], LENGTH)[..., 0]

# %% [markdown]
# ### Beyond the article: the rare classes
# Counts of ones are binomial: some classes have a handful of training strings, some none at all,
# and no model can predict a class it never saw. `class_weights` weighs each class by how rare it is
# (`--balance`).

# %%
missing, doomed = count_ones.missing_classes(train_output, test_output, LENGTH)
print(f"classes with no training string: {missing.tolist()}, dooming {doomed} held-out strings")
count_ones.class_weights(train_output, LENGTH, recipe["balance"]).round(2)

# %% [markdown]
# ## Designing the model
# `build_model`: the bits go through an LSTM of 24 units, whose last output goes through a dense
# layer with a softmax over the 21 classes. `compile_model` gives it the cross-entropy and Adam, and
# the number of batches an epoch (the learning rate falls over them all).

# %%
model = count_ones.build_model(LENGTH, count_ones.NUM_HIDDEN, recipe["article_init"])
steps = math.ceil(len(train_output) / recipe["batch_size"])  # batches an epoch
count_ones.compile_model(model, recipe, steps)
model.summary()

# %% [markdown]
# ## Calculating the error on test data
# `error` is the article's `mistakes` averaged: the share of strings whose likeliest class is wrong.
# Untrained, the model is wrong on nearly all of them. `every_string_classifier` scores every
# held-out string at once, through the tree of prefixes the strings share (beyond the article).

# %%
classify_every_string = count_ones.every_string_classifier(model, LENGTH)
untrained = classify_every_string().numpy()[test_codes]
print(
    f"untrained: {(untrained != test_output).mean():.1%} of {len(test_output):,} held-out strings "
    "wrong"
)

# %% [markdown]
# ## Execution of the graph
# The article's loop: `batches` gives each epoch the training strings in a new order, a batch at a
# time, each string with its class's weight; `model.fit` trains on them, on the model and the
# data of the cells above, until the held-out error reaches the article's 0.1% or the epochs run
# out. `HeldOutCheck` prints the article's line every few epochs; `results` scores every held-out
# string and prints a row per class. (`count_ones.run` takes these same steps, for the terminal.)

# %%
check = count_ones.HeldOutCheck(classify_every_string, test_codes, test_output, recipe)
weights = count_ones.class_weights(train_output, LENGTH, recipe["balance"])[train_output]
batches = count_ones.batches(train_input, train_output, weights, recipe["batch_size"], SEED)
model.fit(
    batches,
    steps_per_epoch=steps,
    epochs=recipe["epochs"],
    callbacks=[check],
    shuffle=False,  # batches() shuffled them
    verbose=0,
)
wrong, examples = count_ones.results(check, train_output, LENGTH)
print(f"test error {wrong / examples:.3%} ({wrong:,} of {examples:,} held-out strings wrong)")

# %% [markdown]
# ### Beyond the article: the learning curve
# The training loss and the held-out error after each check, from the History `model.fit` returns.

# %%
from matplotlib.figure import Figure

history = model.history.history  # what the script logs to TensorBoard with --log-dir
curve = Figure(figsize=(8, 3), layout="constrained")
loss, error = curve.subplots(1, 2)
loss.semilogy(history["loss"], ".-")
loss.set(title="Training loss", xlabel="epoch")
error.plot(history["heldout_error"], ".-")
error.set(title="Held-out error", xlabel="epoch")
curve

# %% [markdown]
# ### Beyond the article: what the LSTM holds after each bit
# `inspect` (the script's `--inspect`) reads a string one bit at a time with the model's own cell,
# finds the unit whose state follows the count of ones best over held-out strings, and prints the
# table; `inspect_figure` draws it (`--inspect-png`).

# %%
text = ("01010010011011100110" * 2)[:LENGTH]
(unit, r, r_all), cell, answers = count_ones.inspect(
    model, text, count_ones.to_bits(test_codes[:5000], LENGTH)
)
count_ones.inspect_figure(cell, answers, text, unit, r, min(len(test_codes), 5000))

# %% [markdown]
# ## The whole script, from a terminal
# ```
# python count_ones.py                                  # trains, then scores every held-out string
# python count_ones.py --save ones.keras --inspect 01010010011011100110 --inspect-png inside.png
# python count_ones.py --load ones.keras --predict 01010010011011100110
# python count_ones.py --recipe article                 # the article's own recipe, to 0.1% error
# ```
