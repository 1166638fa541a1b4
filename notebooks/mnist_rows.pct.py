# %% [markdown]
# # An MNIST digit read row by row, step by step
#
# The notebook of [`mnist_rows.py`](../mnist_rows.py), which follows "Understanding LSTM in
# Tensorflow (MNIST dataset)" (2017) in TensorFlow 2 / Keras 3: an LSTM reads each 28x28 image as 28
# time steps of 28 pixels. Each cell calls the script's own function for a step of the article and
# shows what it gives; the script stays the source, and this notebook copies none of it.

# %% tags=["parameters"]
EPOCHS = 11  # the fast recipe's epochs; the tests set 1
BATCH_SIZE = 256  # the fast recipe's; 64 does better on the bundled sample of 2,000 training images
MNIST_NPZ = "../data/mnist_sample.npz"  # 3,000 real digits; None: Keras' download of all 70,000

# %%
import math
import sys

sys.path.insert(0, "..")  # the scripts sit one folder up
import keras

import mnist_rows

# %matplotlib inline

# %% [markdown]
# The settings: a recipe is a dict of plain values (`python mnist_rows.py --help` lists the flags
# that change them); this one is the fast recipe with this notebook's epochs and batch size.

# %%
SEED = 0
recipe = dict(mnist_rows.RECIPES["fast"], epochs=EPOCHS, batch_size=BATCH_SIZE)
keras.utils.set_random_seed(SEED)
recipe

# %% [markdown]
# ## The MNIST dataset
# `load_mnist` reads the files `read_data_sets` read (MNIST's four IDX files, or Keras' mnist.npz),
# else Keras' download (cached after the first); here the sample in `data/` (the first 2,000
# training and 1,000 test images) unless `MNIST_NPZ` is None. `split` keeps the article's split
# (the first 5,000 training images validate) and scales the pixels to [0, 1]. An image keeps its 28
# rows of 28 pixels, and a label is the digit itself.

# %%
data = mnist_rows.load_mnist(MNIST_NPZ)
source = MNIST_NPZ or "keras.datasets.mnist"
(x_train, y_train), validation_data, (x_test, y_test) = mnist_rows.split(data)
print(
    f"from {source}: x_train {x_train.shape}, y_train {y_train.shape}, validation "
    f"{validation_data[0].shape}, x_test {x_test.shape}; the first label: {y_train[0]}"
)

# %% [markdown]
# ## Formatting inputs before feeding them to tensorflow RNNs
# The article's `tf.unstack(x, 28, 1)` turns a batch into 28 tensors, one per time step, row t of
# every image at step t (`format_inputs`). Keras' LSTM takes the batch as it is and steps through
# its rows itself.

# %%
rows = mnist_rows.format_inputs(x_train[:BATCH_SIZE])
print(f"{len(rows)} time steps of {rows[0].shape}")

# %% [markdown]
# ## Code
# `build_model`: an LSTM of 128 units reads the rows, a dense layer gives the 10 digits' scores.

# %%
model = mnist_rows.build_model(mnist_rows.NUM_UNITS, recipe["article_init"])
model.summary()

# %% [markdown]
# ## Code, continued: the training
# `batches` is `mnist.train.next_batch`, pass after pass: each pass the training images in a new
# order, each digit shifted at random by up to 2 pixels (beyond the article). `compile_model` gives
# the model the cross-entropy and Adam; `model.fit` trains on this model and the data above,
# a line per epoch (`EpochsDone`). Then the article's test accuracy (`test_accuracy`) and the
# confusion matrix (`mistakes`). (`mnist_rows.run` takes these same steps, for the terminal.)

# %%
batches = mnist_rows.batches(x_train, y_train, BATCH_SIZE, SEED, recipe["shift"])
steps = math.ceil(len(y_train) / BATCH_SIZE)  # batches an epoch
mnist_rows.compile_model(model, recipe, steps * EPOCHS)
progress = mnist_rows.EpochsDone(verbose=True)
model.fit(
    batches,
    steps_per_epoch=steps,
    epochs=EPOCHS,
    validation_data=validation_data,
    validation_batch_size=1000,
    callbacks=[progress],
    shuffle=False,  # batches() shuffled them
    verbose=0,
)
predicted, confidence = mnist_rows.test_accuracy(model, x_test, y_test)
wrong = mnist_rows.mistakes(predicted, x_test, y_test)

# %%
from matplotlib.figure import Figure

history = model.history.history  # what the script logs to TensorBoard with --log-dir
curve = Figure(figsize=(8, 3), layout="constrained")
loss, error = curve.subplots(1, 2)
loss.semilogy(history["loss"], ".-")
loss.set(title="Training loss", xlabel="epoch")
error.plot([1 - a for a in history["val_accuracy"]], ".-")
error.set(title="Validation error", xlabel="epoch")
curve

# %% [markdown]
# ### Beyond the article: what it gets wrong
# The misclassified digits, each with the model's answer and the probability it gave it
# (`errors_figure`, the script's `--errors-png`).

# %%
said = predicted[wrong], confidence[wrong]
mnist_rows.errors_figure(x_test[wrong], y_test[wrong], *said, len(y_test), most=40)

# %% [markdown]
# ### Beyond the article: the answer forming, row by row
# `inspect` (`--inspect 0`) asks the model after each row what it would answer if the image ended
# there; then the same of every test image. `inspect_figure` draws the first (`--inspect-png`).

# %%
answers, rows_to_answer = mnist_rows.inspect(
    model, x_test[:1], f"Test image 0 (a {y_test[0]})", x_test
)
mnist_rows.inspect_figure(x_test[:1], answers, f"Test image 0 (a {y_test[0]})")

# %% [markdown]
# ## The whole script, from a terminal
# ```
# python mnist_rows.py                                  # Keras' MNIST (downloaded once), else the
# bundled sample
# python mnist_rows.py --data-dir ~/mnist               # mnist.npz or the four IDX files, gzipped
# or not
# python mnist_rows.py --errors-png errors.png --save mnist.keras
# python mnist_rows.py --load mnist.keras --predict my_digit.png
# ```
