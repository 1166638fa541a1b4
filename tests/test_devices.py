"""A choice that only helps a CPU is made only on a CPU."""

import keras
import pytest
import tensorflow as tf

import aesop_next_word as aesop
import mnist_rows


@pytest.mark.parametrize("gpu, unrolled", [(False, True), (True, False)])
def test_the_steps_are_written_out_on_a_cpu_only(monkeypatch, gpu, unrolled):
    """unroll=True is faster on a CPU, and would turn off Keras' cuDNN kernel on a GPU."""
    devices = [tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")] if gpu else []
    monkeypatch.setattr(
        tf.config, "list_physical_devices", lambda kind=None: devices if kind == "GPU" else []
    )
    for script, model in (
        (mnist_rows, mnist_rows.build_model(4, False)),
        (aesop, aesop.build_model(10, 3, 4, 1, True)),
    ):
        assert all(
            layer.unroll == unrolled
            for layer in model.layers
            if isinstance(layer, keras.layers.RNN)
        ), script
