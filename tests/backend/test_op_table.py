"""Generic tests driven by the op-specification table (``op_specs/``)."""
import numpy as np
import pytest

from hilayers import backend as K

from .op_specs import ALL_SPECS
from .opspec import as_tuple, grad_indexes, make_inputs, numeric_grad

SAMPLES = [pytest.param(spec, i, id=f"{spec.name}-{i}")
           for spec in ALL_SPECS for i in range(len(spec.samples))]
GRAD_SAMPLES = [p for p in SAMPLES if p.values[0].grad is not False]
GRAD2_SAMPLES = [p for p in SAMPLES if p.values[0].grad2]
ERRORS = [pytest.param(spec, case, id=f"{spec.name}-{j}")
          for spec in ALL_SPECS for j, case in enumerate(spec.errors)]


def _build(spec, arrays, static_shapes=None):
    phs = [K.placeholder(shape=(static_shapes[i] if static_shapes else a.shape),
                         dtype=a.dtype, name=f"in{i}") for i, a in enumerate(arrays)]
    outs = as_tuple(spec.fn(*phs))
    return phs, list(outs)


@pytest.mark.parametrize("spec,index", SAMPLES)
def test_forward_matches_reference(spec, index, impl, rng):
    arrays = make_inputs(spec, spec.samples[index], np.float32, rng)
    phs, outs = _build(spec, arrays)
    results = K.Session().run(outs, feed_dict=dict(zip(phs, arrays)))
    for out, result in zip(outs, results):
        assert result.dtype == out.dtype, f"{spec.name}: ran to {result.dtype}, inferred {out.dtype}"
        assert result.shape == tuple(out.shape), (
            f"{spec.name}: ran to shape {result.shape}, inferred {out.shape}")
    if spec.ref is not None:
        expected = as_tuple(spec.ref(*arrays))
        for result, want in zip(results, expected):
            np.testing.assert_allclose(result, np.asarray(want), rtol=spec.rtol, atol=spec.atol,
                                       err_msg=f"{spec.name} sample {index}")


@pytest.mark.parametrize("spec,index", SAMPLES)
def test_shape_inference_with_unknown_dims(spec, index, rng):
    if not spec.unknown_dims:
        pytest.skip(f"{spec.name} needs static dims")
    arrays = make_inputs(spec, spec.samples[index], np.float32, rng)
    unknown = [(None,) * a.ndim for a in arrays]
    phs, outs = _build(spec, arrays, unknown)
    results = K.Session().run(outs, feed_dict=dict(zip(phs, arrays)))
    for out, result in zip(outs, results):
        assert out.ndim == result.ndim, f"{spec.name}: inferred rank {out.ndim}, got {result.ndim}"
        for inferred, actual in zip(out.shape, result.shape):
            assert inferred is None or inferred == actual, (
                f"{spec.name}: inferred {out.shape} with unknown inputs, ran to {result.shape}")


def _loss_and_grads(spec, arrays, idx):
    phs, outs = _build(spec, arrays)
    floats = [o for o in outs if o.dtype.kind == "f"]
    weights = [K.constant(np.random.default_rng(7).standard_normal(
        [d if d is not None else 1 for d in o.shape]).astype(np.float64)) for o in floats]
    loss = K.add_n([K.sum(o * w) for o, w in zip(floats, weights)])
    return phs, loss


@pytest.mark.parametrize("spec,index", GRAD_SAMPLES)
def test_gradient_matches_finite_differences(spec, index, rng):
    arrays = make_inputs(spec, spec.samples[index], np.float64, rng)
    idx = grad_indexes(spec, arrays)
    phs, loss = _loss_and_grads(spec, arrays, idx)
    grads = K.gradients(loss, [phs[i] for i in idx])
    f_loss = K.function(phs, loss)
    f_grads = K.function(phs, [g if g is not None else K.zeros_like(phs[i])
                               for g, i in zip(grads, idx)])
    analytic = f_grads(arrays)
    for i, g in zip(idx, analytic):
        assert g.shape == arrays[i].shape
        pos, numeric = numeric_grad(lambda a: f_loss(a), arrays, i, float, rng=rng)
        np.testing.assert_allclose(g.reshape(-1)[pos], numeric, rtol=spec.grad_tol,
                                   atol=spec.grad_tol,
                                   err_msg=f"{spec.name} sample {index}: d/d input {i}")


@pytest.mark.parametrize("spec,index", GRAD2_SAMPLES)
def test_second_derivative_matches_finite_differences(spec, index, rng):
    arrays = make_inputs(spec, spec.samples[index], np.float64, rng)
    idx = grad_indexes(spec, arrays)
    phs, loss = _loss_and_grads(spec, arrays, idx)
    grads = K.gradients(loss, [phs[i] for i in idx])
    probes = [K.constant(rng.standard_normal(arrays[i].shape)) for i in idx]
    inner = K.add_n([K.sum(g * p) for g, p in zip(grads, probes) if g is not None])
    second = K.gradients(inner, [phs[i] for i in idx], unconnected_gradients="zero")
    f_inner = K.function(phs, inner)
    analytic = K.function(phs, second)(arrays)
    for i, g in zip(idx, analytic):
        pos, numeric = numeric_grad(lambda a: f_inner(a), arrays, i, float, rng=rng)
        np.testing.assert_allclose(g.reshape(-1)[pos], numeric, rtol=1e-4, atol=1e-4,
                                   err_msg=f"{spec.name} sample {index}: d2/d input {i}")


@pytest.mark.parametrize("spec,case", ERRORS)
def test_error_cases(spec, case):
    with pytest.raises(case.error, match=case.match):
        case.build()
