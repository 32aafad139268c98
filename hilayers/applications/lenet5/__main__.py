"""``python -m hilayers.applications.lenet5 train``: make the pretrained weights again.

    python -m hilayers.applications.lenet5 train [--data DIR] [--out PATH] [--epochs 30]
        [--seed 0] [--batch-size 128] [--max-shift 1] [--average-last 5] [--limit N]

The defaults are the recipe of the shipped weights (:mod:`.training`).
"""
import argparse
import sys

from . import training


def main(argv=None):
    """Parse ``argv`` and run the command; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m hilayers.applications.lenet5",
                                     description="LeNet-5 on MNIST.")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train LeNet-5 with the recipe of the shipped "
                                              "weights and write them")
    train.add_argument("--data", default=None, help="folder with the MNIST IDX files")
    train.add_argument("--out", default="lenet5_mnist.h5",
                       help="weights file to write (default: %(default)s)")
    train.add_argument("--epochs", type=int, default=training.EPOCHS)
    train.add_argument("--seed", type=int, default=training.SEED)
    train.add_argument("--batch-size", type=int, default=training.BATCH_SIZE)
    train.add_argument("--max-shift", type=int, default=training.MAX_SHIFT,
                       help="largest random shift in pixels (0: no augmentation)")
    train.add_argument("--average-last", type=int, default=training.AVERAGE_LAST,
                       help="average the weights of the last N epochs (1: no averaging)")
    train.add_argument("--limit", type=int, default=None,
                       help="use only the first N training and test images (quick check)")
    train.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    args = parser.parse_args(argv)
    training.train(data_dir=args.data, out=args.out, epochs=args.epochs, seed=args.seed,
                   batch_size=args.batch_size, max_shift=args.max_shift, limit=args.limit,
                   average_last=args.average_last,
                   verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
