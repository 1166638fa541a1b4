# %% [markdown]
# # An LSTM written by hand, step by step
#
# The notebook of [`sign_sum_diy_lstm.py`](../sign_sum_diy_lstm.py), which follows "Do It Yourself
# LSTM with TensorFlow" (itself a notebook) in TensorFlow 2 / Keras 3: the four gates written out as
# functions, stepped with `tf.while_loop`, learning to sum sequences of `+ - 0 I`. Each cell calls
# the script's own function for a step of the article and shows what it gives; the script stays the
# source, and this notebook copies none of it.

# %% tags=["parameters"]
# the fast recipe's most epochs (it stops once every test sequence is right); the tests set 2
EPOCHS = 300
TRAIN_LENGTHS = [6]  # the article's length; the tests set [1, 2, 3]

# %%
import sys

sys.path.insert(0, "..")  # the scripts sit one folder up
import keras

import sign_sum_diy_lstm as diy

# %matplotlib inline

# %% [markdown]
# The settings: a recipe is a dict of plain values (`python sign_sum_diy_lstm.py --help` lists the
# flags that change them); this one is the fast recipe with this notebook's epochs.

# %%
SEED = 0
train_lengths = TRAIN_LENGTHS
test_lengths = list(range(1, 2 * max(train_lengths) + 1))
recipe = dict(diy.RECIPES["fast"], epochs=EPOCHS, train_lengths=train_lengths)
keras.utils.set_random_seed(SEED)
recipe

# %% [markdown]
# ## 1. Example Usecase
# `+` adds one, `-` takes one away, `0` does nothing, and every `I` flips the sign of what follows:
# `sequence_sum` is the answer the LSTM must learn, by example.

# %%
{text: diy.sequence_sum(text) for text in ["00-+++", "I++000", "------", "-+I++I0-"]}

# %% [markdown]
# ## 2. The Data
# Each symbol is a vector of 3 (`encode_sequence`); `make_data` lists every sequence of the trained
# length (4**6 = 4,096), shuffles them and keeps a quarter to train, the rest to test, each with its
# running sum.

# %%
print(diy.encode_sequence("I+0-"))
train_data, test_data = diy.make_data(train_lengths, test_lengths, SEED)
train_data = diy.with_suffixes(train_data)  # the fast recipe's: every suffix a sequence too
test = {length: test_data[length] for length in train_lengths}
for length, (inputs, sums) in train_data.items():
    print(
        f"length {length}: train inputs {inputs.shape}, running sums {sums.shape}; "
        f"the first sums to {sums[0].tolist()}"
    )

# %% [markdown]
# ## 3. LSTM Layer
# `DiyLSTM` holds the article's functions: the forget gate `f_t` (3.1), the input gate `i_t` and the
# candidate conveyor (3.2), the conveyor update `C_t` (3.3), the output `h_t` (3.4) and the cell
# that chains them (3.5), run over the time steps by a `tf.while_loop`. `build_model` adds the layer
# that reads the sum out.

# %%
model = diy.build_model(diy.LSTM_SIZE)
model.summary()
# every gate after each step, untrained, as the cell's own lstm_cell gives them
inside = model.layers[0].steps(diy.encode_sequence("-+I0")[None])
{name: values.shape for name, values in inside.items()}

# %% [markdown]
# ## 4. Cost & Optimizing, and 5. Training
# The squared error of the sums and Adam (`compile_model`). The article scores only the last step's
# sum; the fast recipe scores the sum after every step, six lessons per sequence instead of one.
# `batches` is the article's loop: each epoch the training sequences in a new order, a batch at a
# time. `model.fit` trains on them, on this model and the data above, until every test
# sequence is right or the epochs run out, printing the article's line every few epochs
# (`TestCheck`). (`diy.run` takes these same steps, for the terminal.)

# %%
dataset, steps = diy.batches(train_data, recipe["batch_size"], recipe["every_step"], SEED, 0)
diy.compile_model(model, recipe, steps)
check = diy.TestCheck(test, recipe)
model.fit(
    dataset,
    steps_per_epoch=steps,
    epochs=recipe["epochs"],
    callbacks=[check],
    shuffle=False,  # batches() shuffled them
    verbose=0,
)

# %%
from matplotlib.figure import Figure

history = model.history.history  # what the script logs to TensorBoard with --log-dir
curve = Figure(figsize=(8, 3), layout="constrained")
loss, error = curve.subplots(1, 2)
loss.semilogy(history["loss"], ".-")
loss.set(title="Training loss", xlabel="epoch")
test_error = history.get("test_error", [])  # scored every check_every epochs
checked = [recipe["check_every"] * (k + 1) for k in range(len(test_error))]
error.plot(checked, test_error, ".-")
error.set(title="Test error", xlabel="epoch")
curve

# %% [markdown]
# ## Test the result, and the article's exercise: any length
# `predict` answers for one sequence, of any length; `length_report` gives the error at every
# length, trained or not.

# %%
diy.predict(model, "00-+++")
per_length = diy.length_report(model, test_data, train_lengths)

# %% [markdown]
# ### Beyond the article: inside the hand-written cell, step by step
# `find_units` looks, over the test sequences, for the conveyor unit that follows the running sum
# and the one that follows the sign the I's have set; `inspect` prints every gate of both after each
# symbol (`--inspect`), and `inspect_figure` draws all of them (`--inspect-png`).

# %%
units = diy.find_units(model.layers[0], test)
inside, sums, model_sums = diy.inspect(model, "-+I++I0-", units)
diy.inspect_figure(inside, sums, model_sums, "-+I++I0-", units)

# %% [markdown]
# ## The whole script, from a terminal
# ```
# python sign_sum_diy_lstm.py                          # trains, scores the 3,072 test sequences
# python sign_sum_diy_lstm.py --predict "00-+++"       # ... and answers for one sequence
# python sign_sum_diy_lstm.py --train-lengths 1-8      # the article's exercise: any length
# ```
