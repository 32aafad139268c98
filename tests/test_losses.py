"""Losses against NumPy references: every function, the classes' reductions and sample
weights, the stable cross-entropy paths, gradients by finite differences, registry lookups."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers import losses

EPS = 1e-7


def _run(t, feed=None):
    return K.Session().run(t, feed_dict=feed)


# -- NumPy references ------------------------------------------------------------------------

def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _np_bce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        x = p
        return np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))), -1)
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), -1)


def _np_cce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        return -np.sum(t * _log_softmax(p), -1)
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -np.sum(t * np.log(p), -1)


def _np_scce(t, p, from_logits=False):
    logp = _log_softmax(p) if from_logits else np.log(np.clip(p, EPS, 1 - EPS))
    return -np.take_along_axis(logp, t.astype(int)[..., None], -1)[..., 0]


def _signed(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def _np_huber(t, p, delta=1.0):
    e = p - t
    linear = delta * np.abs(e) - 0.5 * delta ** 2
    return np.mean(np.where(np.abs(e) <= delta, 0.5 * e ** 2, linear), -1)


def _np_cosine(t, p):
    def norm(x):
        return x / np.sqrt(np.maximum((x ** 2).sum(-1, keepdims=True), 1e-12))
    return -np.sum(norm(t) * norm(p), -1)


def _np_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), -1)


REFERENCES = {
    "mean_squared_error": lambda t, p: np.mean((p - t) ** 2, -1),
    "mean_absolute_error": lambda t, p: np.mean(np.abs(p - t), -1),
    "mean_absolute_percentage_error":
        lambda t, p: 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), -1),
    "mean_squared_logarithmic_error": lambda t, p: np.mean(
        (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, -1),
    "hinge": lambda t, p: np.mean(np.maximum(1 - _signed(t) * p, 0), -1),
    "squared_hinge": lambda t, p: np.mean(np.maximum(1 - _signed(t) * p, 0) ** 2, -1),
    "categorical_hinge": lambda t, p: np.maximum(
        np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0),
    "huber": _np_huber,
    "log_cosh": lambda t, p: np.mean(np.log(np.cosh(p - t)), -1),
    "kl_divergence": _np_kld,
    "poisson": lambda t, p: np.mean(p - t * np.log(p + EPS), -1),
    "cosine_similarity": _np_cosine,
    "binary_crossentropy": _np_bce,
    "categorical_crossentropy": _np_cce,
}


def _data(name, rng, shape=(4, 3)):
    """(y_true, y_pred) suited to the loss ``name``."""
    if name in ("binary_crossentropy", "hinge", "squared_hinge"):
        return rng.integers(0, 2, shape).astype("float32"), rng.uniform(0.05, 0.95, shape)
    if name in ("categorical_crossentropy", "categorical_hinge", "kl_divergence"):
        t = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
        p = rng.uniform(0.1, 1.0, shape)
        return t.astype("float32"), p / p.sum(-1, keepdims=True)
    if name in ("poisson", "mean_squared_logarithmic_error"):
        return rng.uniform(0, 3, shape), rng.uniform(0.1, 3, shape)
    return rng.normal(size=shape), rng.normal(size=shape) * 2


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_function_matches_numpy(name, rng):
    t, p = _data(name, rng)
    y_pred = K.placeholder((None, 3))
    y_true = K.placeholder((None, 3))
    out = getattr(losses, name)(y_true, y_pred)
    assert out.shape == (None,)
    got = _run(out, {y_true: t, y_pred: p})
    np.testing.assert_allclose(got, REFERENCES[name](t.astype("float32"),
                                                     p.astype("float32")), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_class_reductions_and_sample_weight(name, rng):
    t, p = _data(name, rng, shape=(5, 2, 3))
    w = rng.uniform(0, 2, 5).astype("float32")
    per_sample = REFERENCES[name](t.astype("float32"), p.astype("float32"))   # (5, 2)
    loss_obj = losses.LossFunctionWrapper(getattr(losses, name))
    y_true, y_pred = K.constant(t, dtype="float32"), K.constant(p, dtype="float32")
    np.testing.assert_allclose(_run(loss_obj(y_true, y_pred)), per_sample.mean(), rtol=2e-5)
    weighted = per_sample * w[:, None]
    for reduction, expected in [("sum_over_batch_size", weighted.mean()),
                                ("auto", weighted.mean()), ("sum", weighted.sum()),
                                ("none", weighted)]:
        loss_obj = losses.LossFunctionWrapper(getattr(losses, name), reduction=reduction)
        np.testing.assert_allclose(_run(loss_obj(y_true, y_pred, sample_weight=w)), expected,
                                   rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_binary_crossentropy_options(from_logits, label_smoothing, rng):
    t = rng.integers(0, 2, (6, 4))
    p = rng.normal(size=(6, 4)) if from_logits else rng.uniform(0.01, 0.99, (6, 4))
    y_true = K.placeholder((None, 4), dtype="int32")      # integer targets are cast
    y_pred = K.placeholder((None, 4))
    loss = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)
    got = _run(loss(y_true, y_pred), {y_true: t, y_pred: p})
    ref = _np_bce(t.astype("float32"), p.astype("float32"), from_logits, label_smoothing)
    np.testing.assert_allclose(got, ref.mean(), rtol=1e-5)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_categorical_crossentropy_options(from_logits, label_smoothing, rng):
    t = np.eye(5)[rng.integers(0, 5, 7)].astype("float32")
    p = rng.normal(size=(7, 5)) if from_logits else rng.uniform(0.01, 1, (7, 5))
    loss = losses.CategoricalCrossentropy(from_logits=from_logits,
                                          label_smoothing=label_smoothing)
    got = _run(loss(t, K.constant(p, dtype="float32")))
    ref = _np_cce(t, p.astype("float32"), from_logits, label_smoothing)
    np.testing.assert_allclose(got, ref.mean(), rtol=1e-5)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("target_shape", ["flat", "column", "float"])
def test_sparse_categorical_crossentropy(from_logits, target_shape, rng):
    labels = rng.integers(0, 4, 6)
    p = rng.normal(size=(6, 4))
    if not from_logits:
        p = np.exp(p) / np.exp(p).sum(-1, keepdims=True)
    fed = {"flat": labels, "column": labels[:, None], "float": labels.astype("float32")}
    y_true = K.placeholder((None, 1) if target_shape == "column" else (None,),
                           dtype="float32" if target_shape == "float" else "int32")
    y_pred = K.placeholder((None, 4))
    per_sample = losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits)
    got = _run(per_sample, {y_true: fed[target_shape], y_pred: p})
    np.testing.assert_allclose(got, _np_scce(labels, p.astype("float32"), from_logits),
                               rtol=1e-5)
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, reduction="sum")
    np.testing.assert_allclose(_run(loss(y_true, y_pred), {y_true: fed[target_shape],
                                                          y_pred: p}), got.sum(), rtol=1e-5)


def test_cross_entropies_on_activation_outputs_are_stable():
    logits = np.array([[300.0, -300.0, 0.0], [-50.0, 60.0, 1.0]], dtype="float32")
    target = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype="float32")
    x = K.placeholder((None, 3))
    cce = _run(losses.categorical_crossentropy(target, K.softmax(x)), {x: logits})
    np.testing.assert_allclose(cce, -np.sum(target * _log_softmax(logits.astype(float)), -1),
                               rtol=1e-6)
    scce = _run(losses.sparse_categorical_crossentropy([1, 0], K.softmax(x)), {x: logits})
    np.testing.assert_allclose(scce, cce, rtol=1e-6)
    bce = _run(losses.binary_crossentropy(target, K.sigmoid(x)), {x: logits})
    np.testing.assert_allclose(bce, _np_bce(target, logits, from_logits=True), rtol=1e-6)
    assert np.all(np.isfinite(cce)) and cce.max() > 300    # not clipped at -log(eps) ~ 16


def test_targets_with_one_axis_less(rng):
    p = rng.uniform(0.1, 0.9, (5, 1)).astype("float32")
    t = rng.integers(0, 2, 5)
    out = losses.binary_crossentropy(t, K.constant(p))
    assert out.shape == (5,)
    np.testing.assert_allclose(_run(out), _np_bce(t[:, None].astype("float32"), p), rtol=1e-5)


def test_huber_delta_and_hinge_signed_labels(rng):
    t, p = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)) * 3
    got = _run(losses.Huber(delta=2.0, reduction="none")(t, K.constant(p, dtype="float32")))
    np.testing.assert_allclose(got, _np_huber(t.astype("float32"), p.astype("float32"), 2.0),
                               rtol=1e-5)
    signed = np.array([[-1.0, 1.0, 1.0]], dtype="float32")
    pred = np.array([[0.3, -0.2, 2.0]], dtype="float32")
    got = _run(losses.hinge(signed, K.constant(pred)))
    np.testing.assert_allclose(got, np.mean(np.maximum(1 - signed * pred, 0), -1), rtol=1e-6)


def test_cosine_similarity_axis_and_zero_vector():
    t = np.array([[1.0, 0.0], [0.0, 0.0]], dtype="float32")
    p = np.array([[2.0, 0.0], [1.0, 1.0]], dtype="float32")
    np.testing.assert_allclose(_run(losses.cosine_similarity(t, K.constant(p))), [-1.0, 0.0])
    got = _run(losses.CosineSimilarity(axis=0, reduction="none")(t, K.constant(p)))
    np.testing.assert_allclose(got, [-2 / np.sqrt(5), 0.0], rtol=1e-6)


GRAD_CASES = {
    "mean_squared_error": (losses.mean_squared_error, {}),
    "huber": (losses.huber, {"delta": 0.7}),
    "log_cosh": (losses.log_cosh, {}),
    "cosine_similarity": (losses.cosine_similarity, {}),
    "categorical_crossentropy_logits": (losses.categorical_crossentropy, {"from_logits": True}),
    "binary_crossentropy": (losses.binary_crossentropy, {}),
}


@pytest.mark.parametrize("case", sorted(GRAD_CASES))
def test_gradient_matches_finite_differences(case, rng):
    fn, kwargs = GRAD_CASES[case]
    t = rng.uniform(0.1, 0.9, (3, 4))
    if "crossentropy" in case:
        t = np.eye(4)[rng.integers(0, 4, 3)]
    p0 = rng.uniform(0.2, 0.8, (3, 4))
    y_pred = K.placeholder((3, 4), dtype="float64")
    loss = K.sum(fn(K.constant(t, dtype="float64"), y_pred, **kwargs))
    (grad,) = K.gradients(loss, [y_pred])
    f = K.function([y_pred], [loss, grad])
    analytic = f([p0])[1]
    numeric = np.zeros_like(p0)
    h = 1e-6
    for idx in np.ndindex(p0.shape):
        up, down = p0.copy(), p0.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (f([up])[0] - f([down])[0]) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("cls", losses.classes.CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    loss = cls(reduction="sum", name="custom")
    config = losses.serialize(loss)
    assert config["class_name"] == cls.__name__
    again = losses.deserialize(config)
    assert type(again) is cls and again.get_config() == loss.get_config()
    assert again.reduction == "sum" and again.name == "custom"
    default = losses.get(cls.__name__)
    assert type(default) is cls and default.reduction == "sum_over_batch_size"


def test_keras_default_arguments_and_attributes():
    bce = losses.BinaryCrossentropy()
    assert (bce.from_logits, bce.label_smoothing, bce.name) == (False, 0.0,
                                                                 "binary_crossentropy")
    assert losses.Huber().delta == 1.0 and losses.Huber().name == "huber_loss"
    assert losses.CategoricalCrossentropy(True).from_logits is True


def test_get_names_and_aliases():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("mean_squared_error") is losses.mean_squared_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("kullback_leibler_divergence") is losses.kl_divergence
    assert losses.get(None) is None
    assert losses.get(losses.hinge) is losses.hinge
    assert losses.serialize(losses.mae) == "mean_absolute_error"
    assert losses.deserialize("mae") is losses.mean_absolute_error


def test_unknown_names_and_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"Unknown loss 'meen_squared_error'.*mean_squared_error"):
        losses.get("meen_squared_error")
    with pytest.raises(ValueError, match="Could not interpret loss identifier 42"):
        losses.get(42)
    with pytest.raises(ValueError, match=r"Invalid loss reduction 'mean'.*'sum_over_batch_size'"):
        losses.MeanSquaredError(reduction="mean")
    with pytest.raises(ValueError, match="more axes than the per-sample losses"):
        losses.MeanSquaredError()(np.zeros((2, 3)), K.constant(np.zeros((2, 3))),
                                  sample_weight=np.ones((2, 3, 2)))


CLASS_TO_FUNCTION = {
    "MeanSquaredError": "mean_squared_error", "MeanAbsoluteError": "mean_absolute_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "BinaryCrossentropy": "binary_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy", "Hinge": "hinge",
    "SquaredHinge": "squared_hinge", "CategoricalHinge": "categorical_hinge", "Huber": "huber",
    "LogCosh": "log_cosh", "KLDivergence": "kl_divergence", "Poisson": "poisson",
    "CosineSimilarity": "cosine_similarity",
}


def test_every_loss_class_has_a_reference_here():
    # SparseCategoricalCrossentropy is checked by test_sparse_categorical_crossentropy.
    assert sorted(list(CLASS_TO_FUNCTION) + ["SparseCategoricalCrossentropy"]) == sorted(
        cls.__name__ for cls in losses.classes.CLASSES)


@pytest.mark.parametrize("cls_name", sorted(CLASS_TO_FUNCTION))
def test_each_loss_class_computes_its_function_with_sample_weights(cls_name, rng):
    """The classes themselves (not a wrapper built here) against the NumPy references."""
    name = CLASS_TO_FUNCTION[cls_name]
    t, p = _data(name, rng, shape=(6, 3))
    w = rng.uniform(0, 2, 6).astype("float32")
    per_sample = REFERENCES[name](t.astype("float32"), p.astype("float32"))
    loss = getattr(losses, cls_name)()
    assert loss.reduction == "sum_over_batch_size"
    y_true, y_pred = K.constant(t, dtype="float32"), K.constant(p, dtype="float32")
    np.testing.assert_allclose(_run(loss(y_true, y_pred)), per_sample.mean(), rtol=2e-5,
                               atol=1e-6)
    np.testing.assert_allclose(_run(loss(y_true, y_pred, sample_weight=w)),
                               (per_sample * w).mean(), rtol=2e-5, atol=1e-6)
    summed = getattr(losses, cls_name)(reduction="sum")
    np.testing.assert_allclose(_run(summed(y_true, y_pred)), per_sample.sum(), rtol=2e-5,
                               atol=1e-6)
