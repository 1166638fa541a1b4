"""Where the time goes: each choice the scripts make for speed, measured against the alternative.

    python benchmarks/parts.py                                   # all (about 4 minutes on 2 cores)
    python benchmarks/parts.py --only tree --mnist-dir DIR       # one part; MNIST's parts need the
    full set

Each part builds the script's own model with its own functions and times the same work both ways,
after one untimed round that traces; the printed lines are the figures the README's "What made
them faster" and the scripts' docstrings quote."""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import aesop_next_word  # noqa: E402
import count_ones  # noqa: E402
import mnist_rows  # noqa: E402


def seconds(work, rounds=3):
    """The best of `rounds` timings of work(), after one untimed call that traces."""
    work()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def count_ones_steps(_):
    """count_ones' fast recipe: a batch of 50 strings, the 20 steps in a while loop or unrolled."""
    train_input, train_output, _, _ = count_ones.make_data(20, 10_000, 0)
    for unroll in (False, True):
        model = keras.Sequential(
            [
                keras.Input((20, 1)),
                keras.layers.LSTM(24, unroll=unroll),
                keras.layers.Dense(21, activation="softmax"),
            ]
        )
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy", steps_per_execution=200
        )
        batches = count_ones.epoch_batches(
            train_input, train_output, np.ones(10_000, np.float32), 50, 0, 0
        )
        epoch = seconds(lambda: model.fit(batches, steps_per_epoch=200, epochs=1, verbose=0))
        print(f"count_ones, batch 50, unroll={unroll}: {epoch / 200 * 1000:.1f} ms a batch")


def tree(_):
    """count_ones' tree of all 2**20 strings: the script's (the last half of the levels in chunks
    of four prefixes) against every level for all prefixes at once."""
    model = count_ones.build_model(20, "lstm", 24, 1, False)
    chunked = count_ones.every_string_classifier(model, 20)
    rnns, dense = model.layers[:-1], model.layers[-1]

    @tf.function
    def whole():
        states = [[tf.zeros((1, 24))] * 2]
        for _ in range(20):
            x = tf.tile(tf.constant([[0.0], [1.0]]), [tf.shape(states[0][0])[0], 1])
            states = [[tf.repeat(s, 2, axis=0) for s in layer_states] for layer_states in states]
            x, states[0] = rnns[0].cell(x, states[0])
        return tf.argmax(dense(x), axis=-1)

    assert np.array_equal(chunked().numpy(), whole().numpy())
    print(
        f"count_ones' tree: in chunks {seconds(chunked):.2f} s, all at once {seconds(whole):.2f} s "
        "(the same answers)"
    )


def aesop_xla(_):
    """aesop's article recipe: one window a step, with and without XLA."""
    words = aesop_next_word.FABLE.split()
    dictionary, _ = aesop_next_word.build_dataset(words)
    ids = [dictionary[word] for word in words]
    for jit in (True, False):
        model = aesop_next_word.build_model(len(dictionary), 3, 512, 1, False)
        model.compile(
            optimizer=keras.optimizers.RMSprop(1e-3),
            loss="sparse_categorical_crossentropy",
            steps_per_execution=1000,
            jit_compile=jit,
        )
        batches = aesop_next_word.article_batches(ids, 3, 10, 0, 0)[0]
        epoch = seconds(
            lambda: model.fit(batches, steps_per_epoch=1000, epochs=1, verbose=0), rounds=2
        )
        print(
            f"aesop, article recipe, jit_compile={jit}: {epoch:.2f} ms a step"
        )  # seconds for 1000 steps


def mnist(data_dir):
    """MNIST: an epoch at batch 128 and 256, unrolled or not; the validation pass at batch 32 and
    1000."""
    if not data_dir:
        return print("mnist: give --mnist-dir (the full set) to time its parts")
    (x_train, y_train), validation, _ = mnist_rows.split(mnist_rows.read_data_dir(data_dir))
    for batch_size, unroll in ((128, True), (256, True), (256, False)):
        model = keras.Sequential(
            [keras.Input((28, 28)), keras.layers.LSTM(128, unroll=unroll), keras.layers.Dense(10)]
        )
        model.compile(
            optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        steps = -(-len(y_train) // batch_size)
        batches = mnist_rows.epoch_batches(x_train, y_train, batch_size, 0, 0, 2)
        epoch = seconds(
            lambda: model.fit(batches, steps_per_epoch=steps, epochs=1, verbose=0), rounds=1
        )
        print(f"mnist, batch {batch_size}, unroll={unroll}: an epoch in {epoch:.1f} s")
    for batch_size in (32, 1000):
        print(
            f"mnist, validation of 5,000 images at batch {batch_size}: "
            f"{seconds(lambda: model.evaluate(*validation, batch_size=batch_size, verbose=0)):.1f} "
            "s"
        )


PARTS = dict(steps=count_ones_steps, tree=tree, xla=aesop_xla, mnist=mnist)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Time each speed choice of the scripts against the alternative."
    )
    parser.add_argument("--only", choices=PARTS, help="time only this part (default: all)")
    parser.add_argument(
        "--mnist-dir", metavar="DIR", help="the full MNIST, for the mnist part (default: skip it)"
    )
    args = parser.parse_args(argv)
    for name, part in PARTS.items():
        if args.only in (None, name):
            part(args.mnist_dir)


if __name__ == "__main__":
    main()
