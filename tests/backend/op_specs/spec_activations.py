"""Op table rows: activation functions."""
import math

import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec

SAMPLES = [((3, 4),), ((2, 1, 3),), ((),), ((1,),)]
WIDE = [(lambda r: r.uniform(-8.0, 8.0, (4, 5)),), (lambda r: r.uniform(-8.0, 8.0, ()),)]
EXTREMES = np.array([-1000.0, -60.0, -20.0, -1e-3, 0.0, 1e-3, 20.0, 60.0, 1000.0])
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SOFTMAX_SAMPLES_1 = [((2, 3, 4),), ((5,),), ((1, 5),), ((4, 1),)]


def _float_only(fn, name):
    return ErrorCase(lambda: fn(K.placeholder((2,), dtype="int32")), K.DTypeError,
                     f"{name}: input .* int32; expected a float dtype")


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf, otypes=[np.float64])(x / math.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _softmax_specs(name, fn, ref):
    specs = [OpSpec(name, fn, lambda x: ref(x, -1), SOFTMAX_SAMPLES_1, grad2=True,
                    errors=[ErrorCase(lambda: fn(K.placeholder((2, 3)), axis=2),
                                      K.InvalidArgumentError,
                                      f"{type_name(name)}: axis 2 is out of range"),
                            ErrorCase(lambda: fn(K.placeholder(())), K.InvalidArgumentError,
                                      type_name(name)),
                            _float_only(fn, type_name(name))])]
    for axis in (0, 1, (1, 2)):
        tag = axis if isinstance(axis, int) else "_".join(map(str, axis))
        specs.append(OpSpec(f"{name}_axis{tag}", lambda x, a=axis: fn(x, axis=a),
                            lambda x, a=axis: ref(x, a), [((2, 3, 4),), ((1, 3, 1),)],
                            grad2=True))
    specs.append(OpSpec(f"{name}_extremes", fn, lambda x: ref(x, -1),
                        [(np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1001.0, -1000.5]]),)],
                        grad=False))
    return specs


def type_name(name):
    return {"softmax": "Softmax", "log_softmax": "LogSoftmax"}[name]


SPECS = _softmax_specs("softmax", K.softmax, _softmax) + _softmax_specs(
    "log_softmax", K.log_softmax, _log_softmax) + [
    OpSpec("relu", K.relu, lambda x: np.maximum(x, 0), SAMPLES, grad2=True,
           errors=[_float_only(K.relu, "Relu")]),
    OpSpec("relu_zero_grad", lambda x: K.gradients(K.sum(K.relu(x)), [x])[0],
           lambda x: (x > 0).astype(x.dtype), [(np.array([-1.0, 0.0, 2.0]),)], grad=False),
    OpSpec("relu6", K.relu6, lambda x: np.clip(x, 0, 6), WIDE + SAMPLES[1:2], grad2=True),
    OpSpec("leaky_relu", K.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), SAMPLES,
           grad2=True),
    OpSpec("leaky_relu_alpha", lambda x: K.leaky_relu(x, alpha=0.01),
           lambda x: np.where(x > 0, x, 0.01 * x), SAMPLES[:1]),
    OpSpec("elu", K.elu, lambda x: _elu(x, 1.0), SAMPLES, grad2=True),
    OpSpec("elu_extremes", K.elu, lambda x: _elu(x, 1.0), [(EXTREMES,)]),
    OpSpec("elu_alpha", lambda x: K.elu(x, alpha=0.5), lambda x: _elu(x, 0.5), SAMPLES[:2],
           grad2=True),
    OpSpec("selu", K.selu, lambda x: SELU_SCALE * _elu(x, SELU_ALPHA), SAMPLES, grad2=True),
    OpSpec("sigmoid", K.sigmoid, _sigmoid, SAMPLES, grad2=True,
           errors=[_float_only(K.sigmoid, "Sigmoid")]),
    OpSpec("sigmoid_extremes", K.sigmoid, _sigmoid, [(EXTREMES,)]),
    OpSpec("hard_sigmoid", K.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6, WIDE,
           grad2=True),
    OpSpec("tanh", K.tanh, np.tanh, SAMPLES + [(EXTREMES,)], grad2=True),
    OpSpec("softplus", K.softplus, lambda x: np.logaddexp(0, x), SAMPLES, grad2=True),
    OpSpec("softplus_extremes", K.softplus, lambda x: np.logaddexp(0, x), [(EXTREMES,)]),
    OpSpec("softsign", K.softsign, lambda x: x / (1 + np.abs(x)), SAMPLES, grad2=True),
    OpSpec("gelu", K.gelu, _gelu, SAMPLES + WIDE[:1], grad2=True,
           errors=[_float_only(K.gelu, "Gelu")]),
    OpSpec("gelu_extremes", K.gelu, _gelu, [(EXTREMES,)], grad=False),
    OpSpec("gelu_tanh", lambda x: K.gelu(x, approximate=True), _gelu_tanh, SAMPLES + WIDE[:1],
           grad2=True),
    OpSpec("swish", K.swish, lambda x: x * _sigmoid(x), SAMPLES + [(EXTREMES,)], grad2=True),
    OpSpec("silu", K.silu, lambda x: x * _sigmoid(x), SAMPLES[:1], grad2=True),
]
