"""``plot_model``: a model's layers and connections drawn by Graphviz (through pydot).

One box per layer, with its name and class, optionally its input and output shapes, dtype
and activation; one arrow per connection from a layer call's inputs to the layer. Nested
models are drawn as one box.

Needs the optional ``pydot`` package and Graphviz's ``dot`` program (``pip install
'hilayers[viz]'`` and, e.g., ``apt-get install graphviz``); without them the error says
which one is missing and how to install it. Writing a ``.dot`` file needs pydot only.

Example:
    >>> import os, tempfile
    >>> from hilayers import Sequential, layers
    >>> model = Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
    ...                     layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.dot")
    >>> plot_model(model, to_file=path, show_shapes=True)
    >>> "(None, 8)" in open(path).read()
    True
"""
import errno
import html
import shutil

from .plotting_files import output_format, require_module, write_file_atomically

FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "gif", "dot")
_GRAPHVIZ_HINT = ("Install Graphviz: apt-get install graphviz (Debian, Ubuntu), "
                  "brew install graphviz (macOS) or conda install graphviz; its 'dot' program "
                  "must be on PATH.")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program, which draws the picture, is not installed or not on PATH."""


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", dpi=96, show_layer_activations=False):
    """The ``pydot.Dot`` graph of ``model``'s layers (see :func:`plot_model` for the args).

    Raises:
        ImportError: when pydot is not installed.
        ValueError: when the model is not built yet, or ``rankdir`` is not one of
            ``"TB"``, ``"LR"``, ``"BT"``, ``"RL"``.
    """
    pydot = require_module("pydot", "plot_model")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"plot_model: rankdir must be 'TB' (top to bottom), 'LR', 'BT' or "
                         f"'RL'; received {rankdir!r}.")
    calls = _layer_calls(model)
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=str(dpi), concentrate="true")
    dot.set_node_defaults(shape="plaintext", fontname="Helvetica", fontsize="11")
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations)
    drawn = {}
    for call in calls:
        layer = call.layer
        if id(layer) not in drawn:
            drawn[id(layer)] = layer
            dot.add_node(pydot.Node(str(id(layer)),
                                    label=_label(layer, _calls_of(layer, calls), **options)))
    edges = set()
    for call in calls:
        for parent in _parents(call):
            edge = (id(parent.layer), id(call.layer))
            if edge not in edges:
                edges.add(edge)
                dot.add_edge(pydot.Edge(str(edge[0]), str(edge[1])))
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", dpi=96, show_layer_activations=False):
    """Draw ``model``'s layers and connections to an image file.

    Args:
        model: a built model (``Sequential`` with an input shape, or a functional ``Model``).
        to_file: the file to write; its extension picks the format (``.png``, ``.svg``,
            ``.pdf``, ``.jpg``, ``.gif``, or ``.dot`` for Graphviz's source text). An existing
            file is replaced whole, never left half-written.
        show_shapes: show each layer's input and output shapes (unknown dims as ``None``).
        show_dtype: show each layer's dtype.
        show_layer_names: show layer names (else only their classes).
        rankdir: ``"TB"`` top to bottom, ``"LR"`` left to right (also ``"BT"``, ``"RL"``).
        dpi: the resolution of bitmap formats.
        show_layer_activations: show the activation of layers that have one.

    Raises:
        ImportError: when the ``pydot`` package is missing (saying what to install).
        GraphvizNotFoundError: when Graphviz's ``dot`` program is missing (saying how to
            install it); not raised for ``.dot`` files.
        ValueError: for an unbuilt model or an unknown file extension.
    """
    fmt = output_format(to_file, FORMATS, "plot_model")
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir, dpi=dpi,
                       show_layer_activations=show_layer_activations)
    if fmt == "dot":
        data = dot.to_string().encode("utf-8")
    else:
        data = _render(dot, "jpeg" if fmt == "jpg" else fmt)
    write_file_atomically(to_file, data)


def _render(dot, fmt):
    program = dot.prog if isinstance(dot.prog, str) else "dot"
    if shutil.which(program) is None:
        raise GraphvizNotFoundError(f"plot_model needs Graphviz's {program!r} program to draw "
                                    f"the picture, and it was not found on PATH. "
                                    f"{_GRAPHVIZ_HINT} (A '.dot' file can be written without "
                                    "it.)")
    try:
        return dot.create(prog=program, format=fmt)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise GraphvizNotFoundError(f"plot_model could not run Graphviz's {program!r} "
                                        f"program. {_GRAPHVIZ_HINT}") from exc
        raise


# -- the layer graph ---------------------------------------------------------------------------
def _layer_calls(model):
    """The layer calls that compute the model's outputs from its inputs, inputs first."""
    from ..layers.base import history_of
    outputs = getattr(model, "outputs", None)
    if not outputs:
        raise ValueError(f"plot_model: model {getattr(model, 'name', model)!r} is not built "
                         "yet, so its layers are not connected. Give the first layer an "
                         "input_shape, start with an Input, or call or fit the model once.")
    calls, seen = [], set()
    stack = [(history_of(t), False) for t in reversed(outputs)]
    while stack:
        entry, expanded = stack.pop()
        if entry is None:
            continue
        call = entry[0]
        if expanded:
            if id(call) not in seen:
                seen.add(id(call))
                calls.append(call)
            continue
        if id(call) in seen:
            continue
        stack.append((entry, True))
        stack.extend((history_of(t), False) for t in reversed(_tensors(call.inputs)))
    return calls


def _parents(call):
    from ..layers.base import history_of
    found = []
    for t in _tensors(call.inputs):
        entry = history_of(t)
        if entry is not None and entry[0] not in found:
            found.append(entry[0])
    return found


def _calls_of(layer, calls):
    return [c for c in calls if c.layer is layer]


def _tensors(structure):
    from .. import backend as K
    from . import nest
    return [t for t in nest.flatten(structure) if isinstance(t, K.Tensor)]


# -- labels --------------------------------------------------------------------------------------
def _shape_text(tensors):
    shapes = []
    for t in tensors:
        dims = ", ".join("None" if d is None else str(d) for d in t.shape)
        shapes.append(f"({dims}{',' if len(t.shape) == 1 else ''})")
    return ", ".join(shapes) if shapes else "-"


def _label(layer, calls, show_shapes, show_dtype, show_layer_names, show_layer_activations):
    title = type(layer).__name__
    if show_layer_names:
        title = f"<b>{html.escape(layer.name)}</b> ({html.escape(title)})"
    rows = [f'<tr><td colspan="2" bgcolor="#dbe8f7">{title}</td></tr>']

    def row(key, value):
        rows.append(f'<tr><td align="left">{key}</td>'
                    f'<td align="left">{html.escape(str(value))}</td></tr>')

    if show_layer_activations and getattr(layer, "activation", None) is not None:
        activation = layer.activation
        row("activation", getattr(activation, "__name__", type(activation).__name__))
    if show_dtype:
        row("dtype", getattr(layer, "dtype", None) or "-")
    if show_shapes:
        inputs = [_shape_text(_tensors(c.inputs)) for c in calls]
        outputs = [_shape_text(_tensors(c.outputs)) for c in calls]
        if type(layer).__name__ != "InputLayer":
            row("input", inputs[0] if len(set(inputs)) == 1 else "multiple")
        row("output", outputs[0] if len(set(outputs)) == 1 else "multiple")
    table = "".join(rows)
    return (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">{table}'
            "</table>>")
