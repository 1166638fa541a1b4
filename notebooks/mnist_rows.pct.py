# %% [markdown]
# # An MNIST digit read row by row, step by step
#
# The notebook of [`mnist_rows.py`](../mnist_rows.py), which follows "Understanding LSTM in
# Tensorflow (MNIST dataset)" (2017) in TensorFlow 2 / Keras 3: an LSTM reads each 28x28 image as 28
# time steps of 28 pixels. Each cell calls the script's own function for a step of the article and
# shows what it gives; the script stays the source, and this notebook copies none of it.

# %% tags=["parameters"]
EPOCHS = 9  # the fast recipe's epochs; the tests set 1
BATCH_SIZE = 256  # the fast recipe's; 64 does better on the bundled sample of 2,000 training images
# a folder with mnist.npz or the four IDX files; None: Keras' download, else the bundled sample
DATA_DIR = None

# %%
import math
import sys

sys.path.insert(0, "..")  # the scripts sit one folder up
import keras

import mnist_rows

# %matplotlib inline

# %% [markdown]
# The settings, as the script takes them from the terminal (`python mnist_rows.py --help` lists
# them); `settle` fills in the recipe's defaults.

# %%
args = mnist_rows.parse_args(
    ["--epochs", str(EPOCHS), "--batch-size", str(BATCH_SIZE)]
    + ["--data-dir", DATA_DIR] * (DATA_DIR is not None)
)
recipe, _, _ = mnist_rows.settle(args)
keras.utils.set_random_seed(args.seed)
recipe

# %% [markdown]
# ## The MNIST dataset
# `load_mnist` reads `--data-dir`, else Keras' download (cached after the first), else the sample in
# `data/` (the first 2,000 training and 1,000 test images), and says which; `split` keeps the
# article's split (the first 5,000 training images validate) and scales the pixels to [0, 1]. An
# image keeps its 28 rows of 28 pixels, and a label is the digit itself.

# %%
data, source = mnist_rows.load_mnist(args.data_dir)
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
rows = mnist_rows.format_inputs(x_train[: args.batch_size])
print(f"{len(rows)} time steps of {rows[0].shape}")

# %% [markdown]
# ## Code
# `build_model`: an LSTM of 128 units reads the rows, a dense layer gives the 10 digits' scores;
# `compile_model`: the cross-entropy and Adam. `train` runs `model.fit` (the fast recipe: 9 epochs,
# each digit shifted at random by up to 2 pixels), printing each epoch's validation accuracy;
# `Backup` keeps each epoch for a run that is killed, `Curve` the learning curve.

# %%
model = mnist_rows.build_model(args.hidden, recipe["article_init"])
backup, first_epoch = mnist_rows.backup(args, data)
batches = mnist_rows.epoch_batches(
    x_train, y_train, args.batch_size, args.seed, first_epoch, recipe["shift"]
)
steps = math.ceil(len(y_train) / args.batch_size)  # batches in an epoch
mnist_rows.compile_model(model, recipe, args.lr, steps * args.epochs)
model.summary()

# %%
progress = mnist_rows.EpochsDone(verbose=True)
curve = mnist_rows.Curve(f"{backup.folder}/curve.json", first_epoch)
epochs_done, seconds = mnist_rows.train(
    model, batches, steps, args.epochs, validation_data, backup, [progress, curve], []
)
mnist_rows.curve_figure(curve.points, False, len(validation_data[1]))

# %% [markdown]
# The article's test accuracy, on its first 128 test images and on all of them (`test_accuracy`).

# %%
predicted, confidence = mnist_rows.test_accuracy(model, x_test, y_test)

# %% [markdown]
# ### Beyond the article: what it gets wrong
# The confusion matrix (`mistakes`), and the misclassified digits, each with the model's answer and
# the probability it gave it (`errors_figure`, the script's `--errors-png`).

# %%
wrong = mnist_rows.mistakes(predicted, x_test, y_test)
mnist_rows.errors_figure(
    x_test[wrong], y_test[wrong], predicted[wrong], confidence[wrong], len(y_test), most=40
)

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
