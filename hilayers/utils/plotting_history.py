"""``plot_history``: the loss and metrics of ``fit`` per epoch, training and validation.

One panel per quantity (``loss``, ``accuracy``, ...): the training curve, and the validation
curve (``val_<name>``) on the same axes when ``fit`` had validation data. Figures are drawn
with matplotlib's object API on its Agg canvas, so no window and no display are needed.

Needs the optional ``matplotlib`` package (``pip install 'hilayers[viz]'``).

Example:
    >>> import os, tempfile
    >>> history = {"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6],
    ...            "accuracy": [0.6, 0.8, 0.85], "val_accuracy": [0.5, 0.7, 0.75]}
    >>> path = os.path.join(tempfile.mkdtemp(), "history.png")
    >>> figure = plot_history(history, to_file=path)
    >>> [axes.get_title() for axes in figure.axes]
    ['loss', 'accuracy']
"""
import io
import math
import warnings

from .plotting_files import output_format, require_module, write_file_atomically

FORMATS = ("png", "svg", "pdf")


def plot_history(history, to_file="history.png", metrics=None, title=None, dpi=100):
    """Plot the per-epoch logs of ``fit`` to an image file.

    Args:
        history: the :class:`~hilayers.callbacks.History` that ``fit`` returns, or its
            ``history`` dict (``{"loss": [...], "val_loss": [...], ...}``).
        to_file: the file to write (``.png``, ``.svg`` or ``.pdf``); replaced whole, never
            left half-written. None draws the figure without writing it.
        metrics: the names to plot (``["loss", "accuracy"]``); by default every training
            quantity in the logs, loss first. ``val_`` curves are added where present.
        title: the figure's title (the model's name when ``history`` came from ``fit``).
        dpi: the resolution of a PNG.

    Returns:
        The ``matplotlib.figure.Figure``, with one axes per metric, titled by its name.

    Raises:
        ImportError: when matplotlib is missing (saying what to install).
        ValueError: for an empty history, a name that is not in it, a series whose length
            differs from the number of epochs, or an unknown file extension.
    """
    figure_module = require_module("matplotlib.figure", "plot_history", package="matplotlib")
    fmt = output_format(to_file, FORMATS, "plot_history") if to_file is not None else None
    logs, epochs = _logs_and_epochs(history)
    names = _names_to_plot(logs, metrics)
    if title is None and getattr(history, "model", None) is not None:
        title = f"Training of {history.model.name}"
    columns = min(len(names), 2)
    rows = math.ceil(len(names) / columns)
    figure = figure_module.Figure(figsize=(5.5 * columns, 3.6 * rows), dpi=dpi,
                                  layout="constrained")
    for index, name in enumerate(names):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.plot(epochs, logs[name], marker="o", markersize=3, label="training")
        if f"val_{name}" in logs:
            axes.plot(epochs, logs[f"val_{name}"], marker="o", markersize=3,
                      label="validation")
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.set_ylabel(name)
        axes.grid(True, alpha=0.3)
        axes.legend()
        if len(epochs) <= 20:
            axes.set_xticks(epochs)
    if title:
        figure.suptitle(title)
    if to_file is not None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt)
        write_file_atomically(to_file, buffer.getvalue())
    return figure


def _logs_and_epochs(history):
    """The per-epoch series to draw and the 1-based epoch numbers."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise ValueError(f"plot_history expects a History (what fit returns) or its history "
                         f"dict; received {type(history).__name__}.")
    if not logs or not any(len(v) for v in logs.values()):
        raise ValueError("plot_history: the history is empty; train with fit() first.")
    count = max(len(v) for k, v in logs.items() if not k.startswith("val_")) if any(
        not k.startswith("val_") for k in logs) else max(len(v) for v in logs.values())
    kept = {}
    for name, values in logs.items():
        if len(values) == count:
            kept[name] = list(values)
        elif name.startswith("val_"):
            # fit(validation_freq=N) validates on some epochs only, and the History does not
            # say which: such a curve cannot be placed, so it is left out, with a warning.
            warnings.warn(f"plot_history: {name!r} has {len(values)} values for {count} "
                          "epochs (validation_freq > 1?); it is not plotted.", RuntimeWarning,
                          stacklevel=3)
        else:
            raise ValueError(f"plot_history: {name!r} has {len(values)} values but the "
                             f"history has {count} epochs; every series needs one value per "
                             "epoch.")
    first = list(getattr(history, "epoch", None) or [])
    epochs = [e + 1 for e in first] if len(first) == count else list(range(1, count + 1))
    return kept, epochs


def _names_to_plot(logs, metrics):
    available = [name for name in logs if not name.startswith("val_")]
    if metrics is None:
        if not available:
            raise ValueError("plot_history: the history holds only validation series "
                             f"{sorted(logs)}; expected the training ones too.")
        return sorted(available, key=lambda n: (n != "loss", available.index(n)))
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    for name in names:
        if name not in available:
            hint = (f" Pass {name[4:]!r}: its validation curve is drawn beside it."
                    if name.startswith("val_") else "")
            raise ValueError(f"plot_history: {name!r} is not a training series of the "
                             f"history; it has {available}.{hint}")
    return names
