"""The ``hilayers`` command (installed with the package as a console script).

    hilayers predict IMAGE [IMAGE ...] [--top 3] [--weights mnist|FILE]
    hilayers evaluate lenet5 [--data DIR] [--batch-size 1000]
    hilayers info
    hilayers summary FILE.h5

``predict`` reads PNG or JPEG files of any size and colour, makes each an MNIST digit
(:mod:`hilayers.image_preprocessing`) and prints the pretrained LeNet-5's digit, its
probability and the runners-up, one line per file. A file that cannot be read is reported on
stderr and the others are still read.

Exit status: 0 when everything worked; 1 when ``predict`` could not read some files; 2 for
a usage error or a command that could not run at all (missing data, a damaged model file,
Pillow not installed).

Example:
    >>> main(["info"])                                  # doctest: +ELLIPSIS
    hilayers 0.1.0
    ...
    0
"""
import argparse
import importlib.metadata
import os
import platform
import sys

USAGE_ERROR = 2
SOME_FILES_FAILED = 1


class CommandError(Exception):
    """A command that cannot run; ``main`` prints the message and exits with status 2."""


def _parser():
    parser = argparse.ArgumentParser(
        prog="hilayers", description="hilayers: a Keras-style deep-learning library. "
        "Digits with the pretrained LeNet-5, model files, and the installation.")
    parser.add_argument("--version", action="version", version=f"hilayers {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    predict = commands.add_parser(
        "predict", help="read digits from PNG or JPEG images with the pretrained LeNet-5",
        description="Read the handwritten digit in each image (PNG or JPEG, any size and "
        "colour, dark on light or light on dark) with the pretrained LeNet-5.")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    predict.add_argument("--top", type=int, default=3,
                         help="digits to show per image, the best and the runners-up "
                              "(1 to 10, default %(default)s)")
    predict.add_argument("--weights", default="mnist",
                         help="'mnist' (the shipped weights, default) or a LeNet-5 weights "
                              "file")
    predict.set_defaults(run=_predict)

    evaluate = commands.add_parser(
        "evaluate", help="test accuracy of a pretrained model on its data set",
        description="Accuracy of the pretrained model on the 10,000 MNIST test images.")
    evaluate.add_argument("model", choices=["lenet5"], help="the pretrained model")
    evaluate.add_argument("--data", default=None, metavar="DIR",
                          help="folder with the MNIST files (default: where "
                               "hilayers.datasets.mnist.load_data looks)")
    evaluate.add_argument("--batch-size", type=int, default=1000)
    evaluate.set_defaults(run=_evaluate)

    info = commands.add_parser("info", help="version, kernel backend, devices, dependencies")
    info.set_defaults(run=_info)

    summary = commands.add_parser("summary", help="the summary of a model saved with "
                                                  "model.save (HDF5)")
    summary.add_argument("file", metavar="FILE.h5")
    summary.set_defaults(run=_summary)
    return parser


def main(argv=None):
    """Run the ``hilayers`` command with ``argv`` (default ``sys.argv[1:]``).

    Returns:
        The exit status: 0, 1 (``predict`` could not read some files) or 2 (the command could
        not run; the reason is printed on stderr).
    """
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except CommandError as exc:
        print(f"hilayers {args.command}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR


# -- predict ----------------------------------------------------------------------------------
def _predict(args):
    from . import image_preprocessing as images
    from .applications import lenet5
    if not 1 <= args.top <= 10:
        raise CommandError(f"--top must be 1 to 10; received {args.top}.")
    try:
        images._pillow()
    except ImportError as exc:
        raise CommandError(str(exc)) from exc
    model = _pretrained_lenet5(args.weights)
    status = 0
    for path in args.images:
        try:
            digit = images.mnist_digit(images.load_image(path), name=repr(path))
        except images.ImageReadError as exc:
            print(f"hilayers predict: {exc}", file=sys.stderr)
            status = SOME_FILES_FAILED
            continue
        probs = model.predict(lenet5.preprocess_input(digit), verbose=0)
        best, *others = lenet5.decode_predictions(probs, top=args.top)[0]
        line = f"{path}: {best[0]} ({_percent(best[1])})"
        if others:
            line += "; runners-up: " + ", ".join(f"{d} ({_percent(p)})" for d, p in others)
        print(line, flush=True)
    return status


def _percent(p):
    return f"{100 * p:.1f}%" if p >= 0.001 else f"{100 * p:.1e}%"


def _pretrained_lenet5(weights):
    from .applications import LeNet5
    from .saving import SavingError
    try:
        return LeNet5(weights=weights)
    except (OSError, SavingError) as exc:
        raise CommandError(str(exc)) from exc


# -- evaluate ---------------------------------------------------------------------------------
def _evaluate(args):
    from .applications.lenet5 import training
    from .datasets.errors import DatasetFormatError, DownloadError
    model = _pretrained_lenet5("mnist")
    try:
        _, (x_test, y_test) = training.load_mnist(args.data)
    except (OSError, DatasetFormatError, DownloadError) as exc:
        raise CommandError(f"{exc} (pass --data DIR, a folder with the four MNIST "
                           f"files).") from exc
    loss, accuracy = training.evaluate(model, x_test, y_test, batch_size=args.batch_size,
                                       verbose=1)
    correct = round(accuracy * len(y_test))
    print(f"LeNet-5 (pretrained on MNIST): test accuracy {100 * accuracy:.2f}% ({correct} of "
          f"{len(y_test)} images), loss {loss:.4f}")
    return 0


# -- info -------------------------------------------------------------------------------------
def _info(args):
    from . import backend as K
    print(f"hilayers {_version()}")
    print(f"python {platform.python_version()} ({platform.platform()})")
    print(f"kernel backend: {K.backend()} (float type {K.floatx()})")
    print(f"devices: cpu ({os.cpu_count()} logical cores); {_cuda_devices(K)}")
    print("dependencies:")
    for name, note in [("numpy", _blas()), ("h5py", _hdf5()), ("tqdm", ""),
                       ("Pillow", "for hilayers predict: pip install 'hilayers[cli]'"),
                       ("cupy", "for the GPU: pip install 'hilayers[gpu]'")]:
        version = _package_version(name)
        if version is None:
            print(f"  {name}: not installed ({note})" if note else f"  {name}: not installed")
        else:
            detail = f" ({note})" if note and name in ("numpy", "h5py") else ""
            print(f"  {name} {version}{detail}")
    return 0


def _cuda_devices(K):
    if not K.is_available("cupy"):
        try:
            K.get_implementation("cupy")
        except K.BackendUnavailableError as exc:
            return f"gpu: none ({str(exc).split(':')[0]})"
    import cupy
    count = cupy.cuda.runtime.getDeviceCount()
    names = [cupy.cuda.runtime.getDeviceProperties(i)["name"].decode() for i in range(count)]
    return "gpu: " + ", ".join(f"cuda:{i} {name}" for i, name in enumerate(names))


def _blas():
    import numpy as np
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError):         # NumPy before 1.25 prints instead
        return ""
    return f"BLAS {blas.get('name', '?')} {blas.get('version', '')}".strip()


def _hdf5():
    try:
        import h5py
    except ImportError:
        return ""
    return f"HDF5 {h5py.version.hdf5_version}"


def _package_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _version():
    from . import __version__
    return __version__


# -- summary ----------------------------------------------------------------------------------
def _summary(args):
    from .saving import SavingError, load_model
    if not os.path.isfile(args.file):
        raise CommandError(f"{args.file!r} does not exist or is not a file; expected an .h5 "
                           f"file written by model.save.")
    try:
        model = load_model(args.file, compile=False)
    except SavingError as exc:
        raise CommandError(f"{exc} ('hilayers summary' needs a whole model saved with "
                           f"model.save: a weights file from save_weights has no "
                           f"architecture).") from exc
    model.summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
