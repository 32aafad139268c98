"""Train LeNet-5 on MNIST with ``model.fit``: validation, checkpoints, and resuming.

LeNet-5 (``hilayers.applications.LeNet5(weights=None)``, the variant of
docs/applications.md), Adam 1e-3, batch 128, 10 epochs, the last 10% of the training images
held out for validation. Progress bars on tqdm; the final line is the test accuracy of the
best epoch's model (about 99% here; the shipped weights add random shifts and a decaying
learning rate to reach 99.3%: ``python -m hilayers.applications.lenet5 train``).

What it writes, in ``--out`` (default ``mnist_lenet5_run``):

* ``lenet5_best.h5``: the whole model of the epoch with the best validation accuracy
  (``ModelCheckpoint(save_best_only=True)``); ``hilayers summary`` shows it, and
  ``hilayers.models.load_model`` reads it.
* ``backup/``: a training checkpoint after each epoch (``BackupAndRestore``). Interrupt the
  run (Ctrl-C) and start the same command again: it continues from the last epoch
  completed, with the same result as a run never interrupted. It is deleted when training
  ends.

Run it:
    python examples/mnist_lenet5.py [--epochs 10] [--data DIR] [--out DIR]
    python examples/mnist_lenet5.py --epochs 1 --limit 2000      # a quick check, seconds
"""
import argparse
import os

from hilayers import callbacks, optimizers
from hilayers.applications import lenet5
from hilayers.datasets import mnist
from hilayers.models import load_model
from hilayers.utils import set_random_seed

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                            "datasets", "mnist")


def load(data_dir=None, limit=None):
    """MNIST as LeNet-5 inputs (float32, (N, 28, 28, 1)); ``limit`` keeps the first images."""
    if data_dir is None and os.path.isdir(DEFAULT_DATA):
        data_dir = DEFAULT_DATA
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir)
    if limit is not None:
        x_train, y_train, x_test, y_test = (x_train[:limit], y_train[:limit],
                                            x_test[:limit], y_test[:limit])
    return ((lenet5.preprocess_input(x_train), y_train),
            (lenet5.preprocess_input(x_test), y_test))


def main(epochs=10, data_dir=None, out="mnist_lenet5_run", limit=None, seed=0, verbose=1,
         batch_size=128):
    """Train (or resume training), then evaluate the best checkpoint on the test images.

    Returns:
        A dict: test ``loss`` and ``accuracy`` of the best model, its ``checkpoint`` path and
        the ``history`` of this run's epochs.
    """
    set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load(data_dir, limit)
    model = lenet5.LeNet5(weights=None)
    model.compile(optimizer=optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if verbose:
        model.summary()
    best = os.path.join(out, "lenet5_best.h5")
    history = model.fit(
        x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=verbose,
        validation_split=0.1,
        callbacks=[callbacks.ModelCheckpoint(best, monitor="val_accuracy",
                                             save_best_only=True, verbose=verbose),
                   callbacks.BackupAndRestore(os.path.join(out, "backup"))])
    model = load_model(best)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    if verbose:
        print(f"best checkpoint {best}: test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    return {"loss": float(loss), "accuracy": float(accuracy), "checkpoint": best,
            "history": history.history}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--data", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--out", default="mnist_lenet5_run",
                        help="folder for the best model and the training backup")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first N training and test images")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(epochs=args.epochs, data_dir=args.data, out=args.out, limit=args.limit,
         seed=args.seed, batch_size=args.batch_size)
