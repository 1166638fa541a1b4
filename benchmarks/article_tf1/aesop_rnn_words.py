"""The article's own code for "LSTM by Example using Tensorflow" (its Listings 2-9, one 512-unit
layer), run as TensorFlow 1 under tf.compat.v1: what aesop_next_word.py --recipe article is set
against. It prints the article's line every 1000 iterations; the last is Listing 8's.

    pip install "tf_keras==2.21.*"   # TensorFlow 1's RNN cells live on there, not in Keras 3
    TF_USE_LEGACY_KERAS=1 python benchmarks/article_tf1/aesop_rnn_words.py --seed 0

Only the seeds are ours (Python's random for the offsets, TensorFlow's for the weights), and the
text is read from data/belling_the_cat.txt. Not run by the tests."""

import argparse
import collections
import os
import random
import time

import numpy as np
import tensorflow as tf
from tensorflow.compat.v1.nn import rnn_cell as rnn

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seed", type=int, default=0, help="seeds the offsets and the weights")
parser.add_argument("--iters", type=int, default=50_000, help="training iterations (50,000)")
args = parser.parse_args()
tf.compat.v1.disable_eager_execution()
random.seed(args.seed)
tf.compat.v1.set_random_seed(args.seed)
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "..", "data", "belling_the_cat.txt")) as f:
    training_data = np.array(f.read().split())


def build_dataset(words):  # Listing 2
    count = collections.Counter(words).most_common()
    dictionary = {word: rank for rank, (word, _) in enumerate(count)}
    return dictionary, dict(zip(dictionary.values(), dictionary.keys()))


dictionary, reverse_dictionary = build_dataset(training_data)
vocab_size, learning_rate, training_iters, display_step = len(dictionary), 0.001, args.iters, 1000
n_input, n_hidden = 3, 512  # Listing 4
x = tf.compat.v1.placeholder("float", [None, n_input, 1])
y = tf.compat.v1.placeholder("float", [None, vocab_size])
weights = {"out": tf.Variable(tf.random.normal([n_hidden, vocab_size]))}
biases = {"out": tf.Variable(tf.random.normal([vocab_size]))}


def RNN(x, weights, biases):  # Listing 3
    x = tf.reshape(x, [-1, n_input])
    x = tf.split(x, n_input, 1)
    cell = rnn.BasicLSTMCell(n_hidden)
    outputs, states = tf.compat.v1.nn.static_rnn(cell, x, dtype=tf.float32)
    return tf.matmul(outputs[-1], weights["out"]) + biases["out"]


pred = RNN(x, weights, biases)  # Listing 9
cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=pred, labels=y))
optimizer = tf.compat.v1.train.RMSPropOptimizer(learning_rate=learning_rate).minimize(cost)
correct_pred = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))
started = time.perf_counter()
with tf.compat.v1.Session() as session:
    session.run(tf.compat.v1.global_variables_initializer())
    step, offset, end_offset = 0, random.randint(0, n_input + 1), n_input + 1
    acc_total = loss_total = 0
    while step < training_iters:  # Listings 5-8
        if offset > (len(training_data) - end_offset):
            offset = random.randint(0, n_input + 1)
        keys = [[dictionary[str(training_data[i])]] for i in range(offset, offset + n_input)]
        keys = np.reshape(np.array(keys), [-1, n_input, 1])
        onehot = np.zeros([vocab_size], dtype=float)
        onehot[dictionary[str(training_data[offset + n_input])]] = 1.0
        _, acc, loss, onehot_pred = session.run(
            [optimizer, accuracy, cost, pred], feed_dict={x: keys, y: np.reshape(onehot, [1, -1])}
        )
        loss_total, acc_total = loss_total + loss, acc_total + acc
        if (step + 1) % display_step == 0:
            print(
                f"Iter= {step + 1}, Average Loss= {loss_total / display_step:.6f}, Average "
                f"Accuracy= {100 * acc_total / display_step:.2f}%",
                flush=True,
            )
            acc_total = loss_total = 0
        step += 1
        offset += n_input + 1
print(f"seed {args.seed}: {time.perf_counter() - started:.1f} s")
