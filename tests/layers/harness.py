"""One harness for every layer (in the manner of Keras' ``layer_test``).

``layer_test(cls, kwargs, input_shape)`` checks, for one configuration:

* calling the layer on a placeholder gives the static shape ``compute_output_shape`` says,
  and running it gives arrays of that shape (unknown batch dim filled in);
* its weights: count (``expected_weights``), shapes, trainable split, ``get_weights`` /
  ``set_weights`` round trip;
* ``get_config`` is plain JSON; ``from_config`` rebuilds a layer with the same config that,
  given the same weights, computes the same outputs;
* float64 gradients of a random projection of the outputs with respect to the inputs and to
  every trainable weight, against central finite differences;
* training and inference calls (``training=True/False``) both run; layers that behave alike
  in both (``same_in_training=True``) must give equal outputs.

Returns the NumPy output of the inference call, for value checks in the layer's own tests.
"""
import json

import numpy as np

from hilayers import backend as K


def _run(outputs, feed):
    return K.Session().run(outputs, feed)


def _sample(shape, rng, input_dtype):
    if np.dtype(input_dtype).kind in "iu":
        return rng.integers(0, 5, size=shape).astype(input_dtype)
    return rng.standard_normal(shape).astype(input_dtype)


def layer_test(layer_cls, kwargs=None, input_shape=(2, 3), input_dtype=None,
               expected_weights=None, same_in_training=True, check_gradients=True,
               input_data=None, grad_tol=1e-5, check_input_gradients=True):
    """Run the generic layer checks; see the module docstring.

    Args:
        layer_cls: the layer class.
        kwargs: constructor arguments.
        input_shape: a shape with the batch dim (or a list of shapes for multi-input layers).
        input_dtype: default floatx (float64 is used for the gradient check).
        expected_weights: the number of weights the built layer must have.
        same_in_training: whether training and inference outputs must be equal.
        check_gradients: run the float64 finite-difference checks.
        input_data: optional arrays to use instead of random ones.

    Returns:
        The inference output(s) as NumPy arrays.
    """
    kwargs = dict(kwargs or {})
    multi = isinstance(input_shape, list)
    shapes = input_shape if multi else [input_shape]
    rng = np.random.default_rng(0)
    dtype = input_dtype or K.floatx()
    data = input_data if input_data is not None else [_sample(s, rng, dtype) for s in shapes]
    data = data if isinstance(data, list) else [data]

    layer = layer_cls(**kwargs)
    phs = [K.placeholder((None,) + tuple(s[1:]), dtype=d.dtype) for s, d in zip(shapes, data)]
    inputs = phs if multi else phs[0]
    out = layer(inputs, training=False)
    outs = out if isinstance(out, (list, tuple)) else [out]
    declared = layer.compute_output_shape([p.shape for p in phs] if multi else phs[0].shape)
    declared = declared if isinstance(declared, list) else [declared]
    feed = dict(zip(phs, data))
    values = _run(outs, feed)
    for t, shape, value in zip(outs, declared, values):
        assert tuple(t.shape) == tuple(shape), (
            f"{layer_cls.__name__}: built a tensor of shape {t.shape}, compute_output_shape "
            f"says {shape}")
        assert value.ndim == len(shape) and all(
            d is None or d == v for d, v in zip(shape, value.shape)), (
            f"{layer_cls.__name__}: ran to {value.shape}, declared {shape}")

    # Weights.
    weights = layer.weights
    if expected_weights is not None:
        assert len(weights) == expected_weights, [w.name for w in weights]
    assert len(layer.trainable_weights) + len(layer.non_trainable_weights) == len(weights)
    got = layer.get_weights()
    layer.set_weights([w + 0 for w in got])
    for a, b in zip(got, layer.get_weights()):
        np.testing.assert_array_equal(a, b)

    # Training mode.
    out_train = layer(inputs, training=True)
    outs_train = out_train if isinstance(out_train, (list, tuple)) else [out_train]
    train_values = _run(outs_train, feed)
    if same_in_training:
        for a, b in zip(values, train_values):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)

    # Config round trip.
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    twin = layer_cls.from_config(config)
    assert twin.get_config() == config
    twin_out = twin(inputs, training=False)
    twin.set_weights(layer.get_weights())
    twin_values = _run(twin_out if isinstance(twin_out, (list, tuple)) else [twin_out], feed)
    for a, b in zip(values, twin_values):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)

    if check_gradients:
        _gradient_check(layer_cls, config, shapes, data, rng, layer.get_weights(), grad_tol,
                        check_input_gradients)
    return values if multi or len(values) > 1 else values[0]


def _gradient_check(layer_cls, config, shapes, data, rng, weights, tol, check_inputs):
    K.set_floatx("float64")
    try:
        graph = K.Graph(seed=0)
        with graph.as_default():
            config = dict(config, dtype="float64")
            layer = layer_cls.from_config(config)
            data64 = [d.astype(np.float64) if d.dtype.kind == "f" else d for d in data]
            phs = [K.placeholder(d.shape, dtype=d.dtype) for d in data64]
            out = layer(phs if len(phs) > 1 or isinstance(shapes, list) and len(shapes) > 1
                        else phs[0], training=False)
            layer.set_weights(weights)
            outs = out if isinstance(out, (list, tuple)) else [out]
            probes = [K.constant(rng.standard_normal(
                [d if d is not None else 1 for d in o.shape])) for o in outs
                if o.dtype.kind == "f"]
            loss = K.add_n([K.sum(o * p) for o, p in zip(outs, probes)])
            float_inputs = [p for p in phs if p.dtype.kind == "f"] if check_inputs else []
            targets = float_inputs + layer.trainable_weights
            grads = K.gradients(loss, targets, unconnected_gradients="zero")
            f_loss = K.function(phs, loss)
            analytic = K.function(phs, grads)(data64)
            eps = 1e-6
            for target, g in zip(targets, analytic):
                if isinstance(target, K.Variable):
                    base = target.get_value()
                    def value_at(v, target=target):
                        target.set_value(v)
                        return float(f_loss(data64))
                else:
                    index = phs.index(target)
                    base = data64[index]
                    def value_at(v, index=index):
                        args = list(data64)
                        args[index] = v
                        return float(f_loss(args))
                positions = range(base.size)
                if base.size > 20:
                    positions = rng.choice(base.size, size=20, replace=False)
                for pos in positions:
                    plus, minus = base.copy(), base.copy()
                    plus.reshape(-1)[pos] += eps
                    minus.reshape(-1)[pos] -= eps
                    numeric = (value_at(plus) - value_at(minus)) / (2 * eps)
                    np.testing.assert_allclose(
                        g.reshape(-1)[pos], numeric, rtol=tol, atol=tol,
                        err_msg=f"{layer_cls.__name__}: d/d {target.name} at {pos}")
                if isinstance(target, K.Variable):
                    target.set_value(base)
    finally:
        K.set_floatx("float32")
