"""Data-parallel training on MNIST over MPI: every process trains on its share of the images
and the gradients are averaged at each step.

Each of the N processes (ranks) holds the whole model, takes every N-th training image
(``hd.shard``) and trains with ``--batch-size`` images per step, so a step covers
N x batch-size images. The optimizer averages the gradients over the ranks (one allreduce per
step), the callbacks start every rank from rank 0's weights and average the logged figures,
and only rank 0 shows progress and writes checkpoints. Adam's rate is scaled by sqrt(N) for
the larger global batch (``hd.scale_learning_rate``).

With ``--checkpoint-dir DIR`` rank 0 keeps a training backup there (``hd.BackupAndRestore``)
and the model of each epoch (``model.NN.h5``); run the same command again after a crash and
training continues where the backup was taken.

Run it:
    mpiexec -n 4 python examples/mnist_distributed.py [--epochs 1] [--model mlp|lenet5]
    mpiexec -n 2 python examples/mnist_distributed.py --limit 2000     # a quick check
    python examples/mnist_distributed.py                               # one process works too
"""
import argparse
import os

import numpy as np

import hilayers.distribute as hd
from hilayers import Sequential, layers, optimizers
from hilayers.callbacks import ModelCheckpoint
from hilayers.datasets import mnist
from hilayers.utils import set_random_seed

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                            "datasets", "mnist")


def load(data_dir, model_name, limit=None):
    """MNIST in [0, 1]: vectors of 784 pixels for the MLP, 28x28x1 images for LeNet-5."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir)
    if limit is not None:
        x_train, y_train, x_test, y_test = (x_train[:limit], y_train[:limit],
                                            x_test[:limit], y_test[:limit])
    shape = (-1, 784) if model_name == "mlp" else (-1, 28, 28, 1)
    x_train = x_train.reshape(shape).astype(np.float32) / 255.0
    x_test = x_test.reshape(shape).astype(np.float32) / 255.0
    return (x_train, y_train), (x_test, y_test)


def build_model(model_name):
    if model_name == "lenet5":
        from hilayers.applications import LeNet5
        return LeNet5(weights=None)
    return Sequential([
        layers.Dense(512, activation="relu", input_shape=(784,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def main(epochs=1, data_dir=None, batch_size=64, limit=None, model_name="mlp",
         checkpoint_dir=None, seed=0):
    """Train on every rank; return the test loss and accuracy (averaged over the ranks)."""
    hd.init()
    set_random_seed(seed)               # the same on every rank: the shards differ anyway
    if data_dir is None and os.path.isdir(DEFAULT_DATA):
        data_dir = DEFAULT_DATA
    (x_train, y_train), (x_test, y_test) = load(data_dir, model_name, limit)
    x_train, y_train = hd.shard(x_train, y_train)
    x_test, y_test = hd.shard(x_test, y_test)

    model = build_model(model_name)
    rate = hd.scale_learning_rate(1e-3, rule="sqrt")
    model.compile(optimizer=hd.DistributedOptimizer(optimizers.Adam(rate)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = hd.default_callbacks()
    if checkpoint_dir:
        callbacks += [hd.BackupAndRestore(os.path.join(checkpoint_dir, "backup")),
                      hd.RootOnly(ModelCheckpoint(os.path.join(checkpoint_dir,
                                                               "model.{epoch:02d}.h5")))]
    verbose = 1 if hd.is_root() else 0
    if verbose:
        print(f"{hd.size()} processes, {len(x_train)} training images each, global batch "
              f"{hd.size() * batch_size}, Adam learning rate {rate:.2e}")
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=verbose,
              validation_data=(x_test, y_test), callbacks=callbacks)
    local = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    loss, accuracy = (float(v) for v in hd.allreduce_mean([np.array(local)], "test")[0])
    if verbose:
        print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    return {"loss": loss, "accuracy": accuracy}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64, help="images per rank and step")
    parser.add_argument("--model", choices=["mlp", "lenet5"], default="mlp")
    parser.add_argument("--data", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first N training and test images")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="keep a training backup and per-epoch models here (rank 0)")
    args = parser.parse_args()
    main(epochs=args.epochs, data_dir=args.data, batch_size=args.batch_size, limit=args.limit,
         model_name=args.model, checkpoint_dir=args.checkpoint_dir)
