"""Symbolic reverse-mode differentiation: ``gradients(ys, xs, grad_ys)``.

The walk visits only nodes that lie on a path from some ``x`` to some ``y``, in reverse
topological order, and asks each node's op for its input gradients, built from graph ops.
Gradients reaching a tensor along several paths are summed; broadcasting is undone by
:func:`sum_to` inside each op's gradient. Because the result is a graph, it can be
differentiated again (second derivatives, Hessian-vector products).

Disconnected inputs: an ``x`` that no ``y`` depends on (or only through integer values, or
through ``stop_gradient``) gets ``None``, as in TensorFlow, unless
``unconnected_gradients="zero"`` asks for zeros of its shape.

Example:
    >>> from hilayers import backend as K
    >>> x = K.variable(3.0)
    >>> (g,) = K.gradients(x * x, [x])
    >>> float(K.Session().run(g))
    6.0
"""
from . import dtypes, shapes
from .errors import InvalidArgumentError, ShapeError
from .graph import Tensor, graph_of


def _is_float(t):
    return dtypes.is_floating(t.dtype)


def _reached_from(xs, ancestors):
    """Ids of nodes (among ``ancestors``) whose outputs depend on some tensor in ``xs``."""
    xset = set(xs)
    reached = set()
    for node in sorted(ancestors.values(), key=lambda n: n.id):
        if any(t in xset or t.node.id in reached for t in node.inputs):
            reached.add(node.id)
    return reached


def _ancestors(ys):
    seen = {}
    stack = [y.node for y in ys]
    while stack:
        node = stack.pop()
        if node.id not in seen:
            seen[node.id] = node
            stack.extend(t.node for t in node.inputs)
    return seen


def gradients(ys, xs, grad_ys=None, unconnected_gradients="none"):
    """Return the symbolic gradients of ``sum(ys)`` with respect to each of ``xs``.

    Args:
        ys: a tensor or a list of tensors to differentiate.
        xs: a tensor or a list of tensors to differentiate with respect to.
        grad_ys: optional upstream gradients, one per ``y`` (ones by default).
        unconnected_gradients: ``"none"`` (default) gives None for an ``x`` that the ``ys`` do
            not depend on; ``"zero"`` gives zeros of its shape.

    Returns:
        A list with one tensor (or None) per ``x``.

    Raises:
        NotDifferentiableError: when the walk must go through an op that has no gradient.
        GraphMismatchError: when ``ys`` and ``xs`` come from different graphs.
    """
    from .ops.elementwise import add_n, ones_like, zeros_like
    ys = [ys] if isinstance(ys, Tensor) else list(ys)
    xs = [xs] if isinstance(xs, Tensor) else list(xs)
    if unconnected_gradients not in ("none", "zero"):
        raise InvalidArgumentError(f"gradients(): unconnected_gradients must be 'none' or "
                                   f"'zero'; received {unconnected_gradients!r}.")
    for t in ys + xs:
        if not isinstance(t, Tensor):
            raise TypeError(f"gradients(): {t!r} is not a Tensor.")
    graph = graph_of(ys + xs, "gradients")
    if grad_ys is None:
        grad_ys = [None] * len(ys)
    elif isinstance(grad_ys, Tensor):
        grad_ys = [grad_ys]
    if len(grad_ys) != len(ys):
        raise InvalidArgumentError(f"gradients(): {len(grad_ys)} grad_ys for {len(ys)} ys; "
                                   "expected one per y.")

    with graph.as_default(), graph.name_scope("gradients"):
        grads = {}
        for y, gy in zip(ys, grad_ys):
            if gy is None:
                gy = ones_like(y)
            elif not isinstance(gy, Tensor):
                from .op import convert_to_tensor
                gy = convert_to_tensor(gy, dtype=y.dtype)
            if not shapes.shapes_compatible(gy.shape, y.shape):
                raise ShapeError(f"gradients(): grad_y for {y.name!r} has shape {gy.shape}; "
                                 f"expected {y.shape}.")
            grads.setdefault(y, []).append(gy)

        ancestors = _ancestors(ys)
        reached = _reached_from(xs, ancestors)
        xset = set(xs)

        def total(t):
            parts = grads.get(t)
            if not parts:
                return None
            if len(parts) > 1:
                grads[t] = [add_n(parts)]
            return grads[t][0]

        for node_id in sorted(reached, reverse=True):
            node = ancestors[node_id]
            out_grads = [total(t) for t in node.outputs]
            if all(g is None for g in out_grads):
                continue
            in_grads = node.op.grad(node, out_grads)
            if len(in_grads) != len(node.inputs):
                raise RuntimeError(f"{node.op!r}.grad returned {len(in_grads)} gradients for "
                                   f"{len(node.inputs)} inputs (node {node.name!r}).")
            for t, g in zip(node.inputs, in_grads):
                if g is None or not _is_float(t):
                    continue
                if not (t in xset or t.node.id in reached):
                    continue
                if not shapes.shapes_compatible(g.shape, t.shape):
                    raise RuntimeError(f"{node.op!r}.grad gave shape {g.shape} for input "
                                       f"{t.name!r} of shape {t.shape} (node {node.name!r}).")
                grads.setdefault(t, []).append(g)

        result = []
        for x in xs:
            g = total(x)
            if g is None and unconnected_gradients == "zero":
                g = zeros_like(x)
            result.append(g)
        return result


def sum_to(grad, like):
    """Sum ``grad`` over the axes that broadcasting added to reach ``like``'s shape.

    This one helper undoes NumPy broadcasting in every elementwise gradient. When the static
    shapes are equal and fully known it returns ``grad`` itself and adds no node.
    """
    if grad.shape == like.shape and shapes.is_fully_defined(grad.shape):
        return grad
    from .ops.elementwise import SumTo
    return SumTo()(grad, like)


__all__ = ["gradients", "sum_to"]
