"""Train a multilayer perceptron on MNIST with ``model.fit`` (progress bar on tqdm).

MLP 784-512-ReLU-512-ReLU-10, Adam 1e-3, batch 128 (``--batch-size``). One epoch reaches
about 97% test accuracy (PyTorch with the same model and batches: the same, measured in
``benchmarks/mnist_mlp.py``); at batch 32, Keras' default, about 97.5%. The test images are
shown as validation data after each epoch, as Keras' own MNIST example does (nothing is
chosen by them). The data is read from ``--data`` (default ``../shared/datasets/mnist``
beside the project, then the places ``hilayers.datasets.mnist.load_data`` searches).

Run it:
    python examples/mnist_mlp.py [--epochs 1] [--data DIR]
    python examples/mnist_mlp.py --limit 2000      # a quick check on the first 2,000 images
"""
import argparse
import os

import numpy as np

from hilayers import Sequential, layers
from hilayers.datasets import mnist
from hilayers.utils import set_random_seed

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                            "datasets", "mnist")


def load(data_dir, limit=None):
    """MNIST as float32 vectors of 784 pixels in [0, 1]; ``limit`` keeps the first images."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir)
    if limit is not None:
        x_train, y_train, x_test, y_test = (x_train[:limit], y_train[:limit],
                                            x_test[:limit], y_test[:limit])
    x_train = x_train.reshape(-1, 784).astype(np.float32) / 255.0
    x_test = x_test.reshape(-1, 784).astype(np.float32) / 255.0
    return (x_train, y_train), (x_test, y_test)


def build_model():
    model = Sequential([
        layers.Dense(512, activation="relu", input_shape=(784,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def main(epochs=1, data_dir=None, seed=0, verbose=1, batch_size=128, limit=None):
    """Train; return the test loss and accuracy."""
    set_random_seed(seed)
    if data_dir is None and os.path.isdir(DEFAULT_DATA):
        data_dir = DEFAULT_DATA
    (x_train, y_train), (x_test, y_test) = load(data_dir, limit)
    model = build_model()
    if verbose:
        model.summary()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=verbose,
              validation_data=(x_test, y_test))
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    if verbose:
        print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    return {"loss": loss, "accuracy": accuracy}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--data", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first N training and test images")
    args = parser.parse_args()
    main(epochs=args.epochs, data_dir=args.data, batch_size=args.batch_size, limit=args.limit)
