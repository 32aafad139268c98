"""Fused optimizer updates: one op computes a parameter's new value and slots.

:class:`AdamUpdate` does, in one kernel, the dozen elementwise ops of an Adam step that the
optimizer would otherwise build one graph node each (``hilayers.optimizers.Adam``, whose
graph formula stays the reference)::

    new_m = m + (1 - beta_1) * (g - m)
    new_v = v + (1 - beta_2) * (g**2 - v)
    v_hat = max(v_hat, new_v)                           (amsgrad only)
    new_value = value - alpha * new_m / (sqrt(new_v or v_hat) + epsilon)

with the float constants rounded to the parameter's dtype as the graph rounds them, and
every operation in the graph's order, so the results are the same numbers bit for bit.
``alpha`` (the learning rate with Adam's bias correction folded in) stays a graph scalar.
The op computes new values only: the optimizer assigns them to its variables, so the state
lives in variables and saves and loads as before.

Example:
    >>> import numpy as np
    >>> from hilayers import backend as K
    >>> w, m, v = (K.constant(np.full(3, a, np.float32)) for a in (1.0, 0.0, 0.0))
    >>> g = K.constant(np.array([1.0, -2.0, 0.5], np.float32))
    >>> outs = adam_update(w, m, v, g, K.constant(np.float32(0.1)), 0.9, 0.999, 1e-7)
    >>> new_m = K.Session().run(outs)[1]            # 0.1 * g
    >>> [round(float(a), 4) for a in new_m]
    [0.1, -0.2, 0.05]
"""
from .. import dtypes, shapes
from ..errors import DTypeError, ShapeError
from ..op import Op


class AdamUpdate(Op):
    """``(new_value, new_m, new_v[, new_v_hat])`` of one Adam step (module docstring).

    Inputs: ``value, m, v, g`` of one shape and float dtype, ``alpha`` a scalar of that
    dtype, and with ``amsgrad`` the running maximum ``v_hat`` last. Not differentiable.
    """

    props = ("beta_1", "beta_2", "epsilon", "amsgrad")
    differentiable = False

    def infer(self, value, m, v, g, alpha, *v_hat):
        name = type(self).__name__
        tensors = [value, m, v, g] + list(v_hat)
        labels = ["value", "m", "v", "gradient"] + ["v_hat"] * len(v_hat)
        if len(v_hat) != int(self.amsgrad):
            raise TypeError(f"{name}: expected {5 + int(self.amsgrad)} inputs (amsgrad="
                            f"{self.amsgrad}); received {5 + len(v_hat)}.")
        if not dtypes.is_floating(value.dtype):
            raise DTypeError(f"{name}: the parameter {value.name!r} has dtype "
                             f"{value.dtype.name}; expected a float dtype.")
        for t, label in zip(tensors + [alpha], labels + ["alpha"]):
            if t.dtype != value.dtype:
                raise DTypeError(f"{name}: {label} {t.name!r} has dtype {t.dtype.name}; "
                                 f"expected the parameter's dtype {value.dtype.name}.")
        shape = value.shape
        for t, label in zip(tensors[1:], labels[1:]):
            if not shapes.shapes_compatible(shape, t.shape):
                raise ShapeError(f"{name}: {label} {t.name!r} has shape {t.shape}; expected "
                                 f"the parameter's shape {value.shape}.")
            shape = tuple(shapes.merge_dim(a, b) for a, b in zip(shape, t.shape))
        if alpha.shape != ():
            raise ShapeError(f"{name}: alpha {alpha.name!r} has shape {alpha.shape}; "
                             "expected a scalar (shape ()).")
        return [(shape, value.dtype)] * (3 + int(self.amsgrad))


def adam_update(value, m, v, g, alpha, beta_1, beta_2, epsilon, v_hat=None):
    """The fused Adam step (see the module docstring).

    Args:
        value: the parameter's value to update from (after any weight decay).
        m, v: the first and second moment slots.
        g: the gradient.
        alpha: scalar tensor, ``lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``.
        beta_1, beta_2, epsilon: Python floats.
        v_hat: the AMSGrad running maximum of ``v``, or None for plain Adam.

    Returns:
        ``[new_value, new_m, new_v]``, and ``new_v_hat`` last with ``v_hat``.

    Raises:
        DTypeError: when the dtypes differ or are not floats.
        ShapeError: when the shapes differ or ``alpha`` is not a scalar.
    """
    op = AdamUpdate(beta_1=float(beta_1), beta_2=float(beta_2), epsilon=float(epsilon),
                    amsgrad=v_hat is not None)
    inputs = (value, m, v, g, alpha) + (() if v_hat is None else (v_hat,))
    return list(op(*inputs, name="AdamUpdate"))


__all__ = ["adam_update"]
