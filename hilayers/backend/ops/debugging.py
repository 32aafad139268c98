"""Debugging ops: ``check_numerics(x, message)`` stops a run at the first NaN or infinity.

Unlike the session-wide ``check_numerics`` mode (which checks every op, slowly), this op
checks one tensor where it is placed, in every run, and costs one pass over that tensor.

Example:
    >>> from hilayers import backend as K
    >>> x = K.placeholder((2,))
    >>> y = K.check_numerics(K.log(x), "log of the input")   # doctest: +SKIP
    >>> K.Session().run(y, {x: [1.0, 0.0]})                  # doctest: +SKIP
    Traceback (most recent call last):
    NumericsError: CheckNumerics (node 'CheckNumerics'): log of the input: ...
"""
from .. import dtypes
from ..errors import DTypeError, InvalidArgumentError
from ..op import Op, convert_to_tensor


class CheckNumerics(Op):
    """``y = x``; the run raises :class:`NumericsError` when ``x`` holds a NaN or infinity.

    ``pure = False``: the check is an effect, so two checks are never merged or folded away.
    The name of the node is kept on the op (``node_name``) for the error message.
    """

    props = ("message",)
    pure = False
    may_alias = True

    def infer(self, x):
        if not dtypes.is_floating(x.dtype):
            raise DTypeError(f"CheckNumerics: input {x.name!r} has dtype {x.dtype.name}; "
                             "expected a float dtype (only floats can hold NaN or infinity).")
        return x.shape, x.dtype

    def grad(self, node, grads):
        if grads[0] is None:
            return [None]
        return [check_numerics(grads[0], self.message + " (gradient)")]


def check_numerics(x, message, name=None):
    """Return ``x`` unchanged, checking at run time that it holds no NaN and no infinity.

    Args:
        x: a float tensor.
        message: text to put in the error, saying what ``x`` is.

    Returns:
        A tensor equal to ``x``. Its gradient is the incoming gradient, itself checked with
        the message ``message + " (gradient)"``.

    Raises:
        DTypeError: when ``x`` is not a float tensor (when the graph is built).
        NumericsError: when the graph runs and ``x`` holds a NaN or an infinity; the message
            names the node, ``message``, what was found and how many values.
    """
    if not isinstance(message, str):
        raise InvalidArgumentError(f"check_numerics: message must be a string; received "
                                   f"{message!r}.")
    x = convert_to_tensor(x)
    op = CheckNumerics(message=message)
    y = op(x, name=name)
    op.node_name = y.node.name
    return y


__all__ = ["check_numerics"]
