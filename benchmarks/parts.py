"""Where the time goes: each choice the scripts make for speed, measured against the alternative.

    python benchmarks/parts.py                                   # all (about 6 minutes on 2 cores)
    python benchmarks/parts.py --only tree --mnist-dir DIR       # one part; MNIST's parts need the
    full set
    python benchmarks/parts.py --only steps --threads 2,1        # with TensorFlow's inter- and
    intra-op threads set

Each part builds the script's own model with its own functions and times the same work both ways,
after one untimed round that traces; the printed lines are the figures benchmarks/README.md (each
lever, what it gave, and whether the scripts use it) and the scripts' docstrings quote."""

import argparse
import itertools
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
        batches = count_ones.batches(train_input, train_output, np.ones(10_000, np.float32), 50, 0)
        epoch = seconds(lambda: model.fit(batches, steps_per_epoch=200, epochs=1, verbose=0))
        print(f"count_ones, batch 50, unroll={unroll}: {epoch / 200 * 1000:.1f} ms a batch")


def tree(_):
    """count_ones' tree of all 2**20 strings: the script's (the last half of the levels in chunks
    of four prefixes) against every level for all prefixes at once."""
    model = count_ones.build_model(20, 24, False)
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
    (x_train, y_train), validation, _ = mnist_rows.split(mnist_rows.load_mnist(data_dir))
    for batch_size, unroll in ((128, True), (256, True), (256, False)):
        model = keras.Sequential(
            [keras.Input((28, 28)), keras.layers.LSTM(128, unroll=unroll), keras.layers.Dense(10)]
        )
        model.compile(
            optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        steps = -(-len(y_train) // batch_size)
        batches = mnist_rows.batches(x_train, y_train, batch_size, 0, 2)
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


def bf16(_):
    """bfloat16 mixed precision (on CPUs with bf16 instructions, AVX512_BF16 or AMX): a matrix
    product of an MNIST step's shape, and MNIST's training step at batch 256, in float32 and in
    Keras' mixed_bfloat16."""
    x = np.random.rand(256, 156).astype(np.float32)
    w = np.random.rand(156, 512).astype(np.float32)
    for dtype in (tf.float32, tf.bfloat16):
        a, b = tf.cast(x, dtype), tf.cast(w, dtype)

        @tf.function
        def product():  # 100 products, each waiting for the one before
            h = a
            for _ in range(100):
                h = a + tf.matmul(h, b)[:, :156] * tf.constant(1e-6, dtype)
            return h

        flops = 2 * 256 * 156 * 512 * 100 / seconds(product)
        print(f"a [256, 156] x [156, 512] product in {dtype.name}: {flops / 1e9:.0f} GFLOP/s")
    data = tf.data.Dataset.from_tensors(
        (np.random.rand(256, 28, 28).astype(np.float32), np.zeros(256, np.int64))
    ).repeat()
    for policy in ("float32", "mixed_bfloat16"):
        keras.mixed_precision.set_global_policy(policy)
        model = mnist_rows.build_model(128, False)
        mnist_rows.compile_model(model, mnist_rows.RECIPES["fast"], 50)
        step = seconds(lambda: model.fit(data, steps_per_epoch=50, epochs=1, verbose=0)) / 50
        print(f"mnist, a training step at batch 256 in {policy}: {step * 1000:.1f} ms")
    keras.mixed_precision.set_global_policy("float32")


def calls(_):
    """MNIST's article recipe: its steps one call into the graph each, or ten a call (the ten
    between two of the article's lines)."""
    x = np.random.rand(1280, 28, 28).astype(np.float32)
    batches = mnist_rows.batches(x, np.zeros(1280, np.uint8), 128, 0, 0)
    for per_call in (1, 10):
        model = mnist_rows.build_model(128, True)
        model.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
            steps_per_execution=per_call,
        )
        step = seconds(lambda: model.fit(batches, steps_per_epoch=100, epochs=1, verbose=0)) / 100
        print(f"mnist, article recipe, {per_call} step(s) a call: {step * 1000:.1f} ms a step")


def pipeline(data_dir):
    """MNIST's fast recipe: an epoch's steps fed by the script's batches (each gathered and shifted
    as the step before runs) or by one batch already in memory, and with or without the validation
    pass after it."""
    if not data_dir:
        return print("pipeline: give --mnist-dir (the full set) to time it")
    (x_train, y_train), validation, _ = mnist_rows.split(mnist_rows.load_mnist(data_dir))
    steps = -(-len(y_train) // 256)
    fed = {
        "the script's batches": mnist_rows.batches(x_train, y_train, 256, 0, 2),
        "one batch in memory": tf.data.Dataset.from_tensors(
            (x_train[:256], y_train[:256])
        ).repeat(),
    }
    for (what, batches), validation_data in itertools.product(fed.items(), (None, validation)):
        model = mnist_rows.build_model(128, False)
        mnist_rows.compile_model(model, mnist_rows.RECIPES["fast"], steps * 9)
        epoch = seconds(
            lambda: model.fit(
                batches,
                steps_per_epoch=steps,
                epochs=1,
                validation_data=validation_data,
                validation_batch_size=1000,
                verbose=0,
            ),
            rounds=2,
        )
        print(
            f"mnist, an epoch fed {what}, {'with' if validation_data else 'without'} validation: "
            f"{epoch:.1f} s"
        )


PARTS = dict(
    steps=count_ones_steps,
    tree=tree,
    xla=aesop_xla,
    mnist=mnist,
    bf16=bf16,
    calls=calls,
    pipeline=pipeline,
)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Time each speed choice of the scripts against the alternative."
    )
    parser.add_argument("--only", choices=PARTS, help="time only this part (default: all)")
    parser.add_argument(
        "--mnist-dir", metavar="DIR", help="the full MNIST, for the mnist part (default: skip it)"
    )
    parser.add_argument(
        "--threads",
        metavar="INTER,INTRA",
        help="TensorFlow's inter-op and intra-op threads, e.g. 2,1 (default: TensorFlow's choice, "
        "the number of cores for each)",
    )
    args = parser.parse_args(argv)
    if args.threads:
        inter, intra = (int(n) for n in args.threads.split(","))
        tf.config.threading.set_inter_op_parallelism_threads(inter)
        tf.config.threading.set_intra_op_parallelism_threads(intra)
    for name, part in PARTS.items():
        if args.only in (None, name):
            part(args.mnist_dir)


if __name__ == "__main__":
    main()
