"""Stateful metrics: accumulation over batches equals the metric over all the data (NumPy
references), sample weights, reset_state, results that include the current batch within one
run, AUC against a trapezoid reference, name resolution and configs."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers import losses, metrics


def _stream(metric, batches, true_shape, pred_shape, true_dtype="float32", weighted=False):
    """Feed ``batches`` of (y_true, y_pred[, w]) through one compiled function; return the
    result after each batch."""
    y_true = K.placeholder(true_shape, dtype=true_dtype, name="y_true")
    y_pred = K.placeholder(pred_shape, name="y_pred")
    inputs = [y_true, y_pred]
    weight = None
    if weighted:
        weight = K.placeholder((None,), name="w")
        inputs.append(weight)
    updates = metric.update_state(y_true, y_pred, sample_weight=weight)
    f = K.function(inputs, metric.result(), updates=updates)
    return [f(list(b)) for b in batches]


def _split(n, *arrays, sizes=(3, 5, 4)):
    bounds = np.cumsum((0,) + sizes)
    assert bounds[-1] == n
    return [tuple(a[s:e] for a in arrays) for s, e in zip(bounds[:-1], bounds[1:])]


def test_mean_accumulates_weighted_values_and_includes_current_batch(rng):
    values, w = rng.normal(size=12).astype("float32"), rng.uniform(0, 2, 12).astype("float32")
    x, wp = K.placeholder((None,)), K.placeholder((None,))
    m = metrics.Mean()
    updates = m.update_state(x, sample_weight=wp)      # before result(): see metrics.base
    f = K.function([x, wp], m.result(), updates=updates)
    outs = [f([values[s:e], w[s:e]]) for s, e in [(0, 3), (3, 8), (8, 12)]]
    np.testing.assert_allclose(outs[0], np.average(values[:3], weights=w[:3]), rtol=1e-5)
    np.testing.assert_allclose(outs[-1], np.average(values, weights=w), rtol=1e-5)
    np.testing.assert_allclose(m.result_value(), outs[-1], rtol=1e-6)
    m.reset_state()
    assert m.result_value() == 0.0
    np.testing.assert_allclose(f([values[:2], w[:2]]), np.average(values[:2], weights=w[:2]),
                               rtol=1e-5)


def test_sum_and_mean_of_sequences_with_per_sample_weights(rng):
    values = rng.normal(size=(4, 3)).astype("float32")
    w = np.array([1.0, 0.0, 2.0, 1.0], dtype="float32")
    s, m = metrics.Sum(), metrics.Mean()
    pairs = s.update_state(values, w) + m.update_state(values, w)
    f = K.function([], [s.result(), m.result()], updates=pairs)
    total, mean = f([])
    np.testing.assert_allclose(total, (values * w[:, None]).sum(), rtol=1e-5)
    np.testing.assert_allclose(mean, (values * w[:, None]).sum() / (3 * w.sum()), rtol=1e-5)


def test_result_reads_new_values_not_start_of_run_values():
    m = metrics.Sum()
    pairs = m.update_state(K.constant([2.0, 3.0]))
    f = K.function([], m.result(), updates=pairs)
    assert f([]) == 5.0 and f([]) == 10.0
    assert float(m.total.get_value()) == 10.0


def _onehot(labels, classes=4):
    return np.eye(classes, dtype="float32")[labels]


def _probs(rng, n, classes=4):
    p = rng.uniform(size=(n, classes)).astype("float32")
    return p / p.sum(-1, keepdims=True)


def test_binary_accuracy_over_batches(rng):
    t = rng.integers(0, 2, (12, 1)).astype("float32")
    p = rng.uniform(size=(12, 1)).astype("float32")
    for threshold in (0.5, 0.7):
        K.reset_default_graph()
        outs = _stream(metrics.BinaryAccuracy(threshold=threshold), _split(12, t, p),
                       (None, 1), (None, 1))
        np.testing.assert_allclose(outs[-1], np.mean(t == (p > threshold)), rtol=1e-6)
        np.testing.assert_allclose(outs[0], np.mean(t[:3] == (p[:3] > threshold)), rtol=1e-6)


def test_categorical_and_sparse_accuracy_with_weights(rng):
    labels = rng.integers(0, 4, 12)
    p = _probs(rng, 12)
    w = rng.uniform(0, 1, 12).astype("float32")
    hits = labels == p.argmax(-1)
    expected = np.sum(hits * w) / w.sum()
    outs = _stream(metrics.CategoricalAccuracy(), _split(12, _onehot(labels), p, w),
                   (None, 4), (None, 4), weighted=True)
    np.testing.assert_allclose(outs[-1], expected, rtol=1e-5)
    for shape, fed in [((None,), labels.astype("int32")),
                       ((None, 1), labels[:, None].astype("float32"))]:
        K.reset_default_graph()
        outs = _stream(metrics.SparseCategoricalAccuracy(), _split(12, fed, p, w), shape,
                       (None, 4), true_dtype=fed.dtype.name, weighted=True)
        np.testing.assert_allclose(outs[-1], expected, rtol=1e-5)


def test_top_k_accuracies_count_ties_as_in(rng):
    p = np.array([[0.1, 0.5, 0.5, 0.2], [0.4, 0.3, 0.2, 0.1], [0.2, 0.2, 0.2, 0.4]],
                 dtype="float32")
    labels = np.array([2, 2, 0])
    # ranks: row 0 label 2 ties for first (in top 1); row 1 label 2 is third; row 2 label 0
    # is tied second with two others (in top 2).
    for k, expected in [(1, 1 / 3), (2, 2 / 3), (3, 1.0)]:
        K.reset_default_graph()
        got = _stream(metrics.SparseTopKCategoricalAccuracy(k=k), [(labels, p)], (None,),
                      (None, 4), true_dtype="int64")
        np.testing.assert_allclose(got[-1], expected, rtol=1e-6)
        got = _stream(metrics.TopKCategoricalAccuracy(k=k), [(_onehot(labels), p)],
                      (None, 4), (None, 4))
        np.testing.assert_allclose(got[-1], expected, rtol=1e-6)


def test_accuracy_exact_match():
    got = _stream(metrics.Accuracy(), [([[1.0], [2.0]], [[1.0], [3.0]]), ([[4.0]], [[4.0]])],
                  (None, 1), (None, 1))
    np.testing.assert_allclose(got, [0.5, 2 / 3], rtol=1e-6)


def test_regression_metrics_over_batches(rng):
    t, p = rng.normal(size=(12, 3)).astype("float32"), rng.normal(size=(12, 3)).astype("float32")
    w = rng.uniform(0, 1, 12).astype("float32")
    cases = [(metrics.MeanSquaredError(), ((p - t) ** 2).mean(-1)),
             (metrics.MeanAbsoluteError(), np.abs(p - t).mean(-1))]
    for metric, per_sample in cases:
        outs = _stream(metric, _split(12, t, p, w), (None, 3), (None, 3), weighted=True)
        np.testing.assert_allclose(outs[-1], np.average(per_sample, weights=w), rtol=1e-5)
    K.reset_default_graph()
    outs = _stream(metrics.RootMeanSquaredError(), _split(12, t, p), (None, 3), (None, 3))
    np.testing.assert_allclose(outs[-1], np.sqrt(((p - t) ** 2).mean()), rtol=1e-5)


def test_crossentropy_metric_is_mean_over_all_samples(rng):
    labels = rng.integers(0, 4, 12)
    p = _probs(rng, 12)
    per_sample = -np.log(p[np.arange(12), labels])
    outs = _stream(metrics.SparseCategoricalCrossentropy(), _split(12, labels, p), (None,),
                   (None, 4), true_dtype="int32")
    np.testing.assert_allclose(outs[-1], per_sample.mean(), rtol=1e-5)


def _np_confusion(t, p, thresholds, w=None):
    w = np.ones_like(p) if w is None else np.broadcast_to(w[:, None], p.shape)
    pos = p.reshape(-1, 1) > np.asarray(thresholds)[None]
    lab = (t.reshape(-1, 1) != 0)
    w = w.reshape(-1, 1)
    return {"tp": ((lab & pos) * w).sum(0),
            "fp": ((~lab & pos) * w).sum(0), "tn": ((~lab & ~pos) * w).sum(0),
            "fn": ((lab & ~pos) * w).sum(0)}


def test_precision_recall_thresholds_and_weights(rng):
    t = rng.integers(0, 2, (12, 2)).astype("float32")
    p = rng.uniform(size=(12, 2)).astype("float32")
    w = rng.uniform(0, 1, 12).astype("float32")
    thresholds = [0.2, 0.5, 0.8]
    c = _np_confusion(t, p, thresholds, w)
    got = _stream(metrics.Precision(thresholds=thresholds), _split(12, t, p, w), (None, 2),
                  (None, 2), weighted=True)
    np.testing.assert_allclose(got[-1], c["tp"] / (c["tp"] + c["fp"]), rtol=1e-5)
    K.reset_default_graph()
    got = _stream(metrics.Recall(thresholds=thresholds), _split(12, t, p, w), (None, 2),
                  (None, 2), weighted=True)
    np.testing.assert_allclose(got[-1], c["tp"] / (c["tp"] + c["fn"]), rtol=1e-5)
    K.reset_default_graph()
    got = _stream(metrics.Precision(), _split(12, t, p), (None, 2), (None, 2))
    c = _np_confusion(t, p, [0.5])
    assert np.ndim(got[-1]) == 0
    np.testing.assert_allclose(got[-1], c["tp"][0] / (c["tp"][0] + c["fp"][0]), rtol=1e-5)
    K.reset_default_graph()
    got = _stream(metrics.Recall(class_id=1), _split(12, t, p), (None, 2), (None, 2))
    c = _np_confusion(t[:, 1], p[:, 1], [0.5])
    np.testing.assert_allclose(got[-1], c["tp"][0] / (c["tp"][0] + c["fn"][0]), rtol=1e-5)


def test_precision_is_zero_without_positive_predictions():
    got = _stream(metrics.Precision(), [([[1.0], [0.0]], [[0.1], [0.2]])], (None, 1), (None, 1))
    assert got[-1] == 0.0


def test_confusion_counts(rng):
    t = rng.integers(0, 2, (12, 1)).astype("float32")
    p = rng.uniform(size=(12, 1)).astype("float32")
    c = _np_confusion(t, p, [0.5])
    for cls, key in [(metrics.TruePositives, "tp"), (metrics.FalsePositives, "fp"),
                     (metrics.TrueNegatives, "tn"), (metrics.FalseNegatives, "fn")]:
        K.reset_default_graph()
        got = _stream(cls(), _split(12, t, p), (None, 1), (None, 1))
        assert got[-1] == c[key][0]


def _np_roc_auc(t, p):
    """Exact ROC AUC: trapezoids through the curve at every distinct score."""
    order = np.argsort(-p)
    t, p = t[order], p[order]
    distinct = np.r_[np.nonzero(np.diff(p))[0], len(p) - 1]
    tps, fps = np.cumsum(t)[distinct], np.cumsum(1 - t)[distinct]
    tpr, fpr = np.r_[0, tps] / t.sum(), np.r_[0, fps] / (1 - t).sum()
    return np.trapz(tpr, fpr) if hasattr(np, "trapz") else np.trapezoid(tpr, fpr)


def _np_pr_auc(t, p):
    order = np.argsort(-p)
    t, p = t[order], p[order]
    distinct = np.r_[np.nonzero(np.diff(p))[0], len(p) - 1]
    tps, fps = np.cumsum(t)[distinct], np.cumsum(1 - t)[distinct]
    precision, recall = tps / (tps + fps), tps / t.sum()
    precision, recall = np.r_[precision[0], precision], np.r_[0, recall]
    return np.sum(np.diff(recall) * (precision[1:] + precision[:-1]) / 2)


def _auc_data(rng, n=600):
    t = rng.integers(0, 2, n).astype("float32")
    p = np.clip(rng.normal(0.35 + 0.3 * t, 0.2), 0, 1).astype("float32")
    return t, p


def test_auc_roc_matches_trapezoid_reference(rng):
    t, p = _auc_data(rng)
    batches = [(t[i:i + 100, None], p[i:i + 100, None]) for i in range(0, 600, 100)]
    got = _stream(metrics.AUC(num_thresholds=4001), batches, (None, 1), (None, 1))
    np.testing.assert_allclose(got[-1], _np_roc_auc(t, p), atol=1e-3)
    K.reset_default_graph()
    coarse = {}
    for method in ("minoring", "interpolation", "majoring"):
        K.reset_default_graph()
        coarse[method] = _stream(metrics.AUC(num_thresholds=20, summation_method=method),
                                 batches, (None, 1), (None, 1))[-1]
    assert coarse["minoring"] <= coarse["interpolation"] <= coarse["majoring"]


def test_auc_pr_matches_reference_and_weights(rng):
    t, p = _auc_data(rng)
    got = _stream(metrics.AUC(num_thresholds=4001, curve="PR"), [(t[:, None], p[:, None])],
                  (None, 1), (None, 1))
    np.testing.assert_allclose(got[-1], _np_pr_auc(t, p), atol=5e-3)
    K.reset_default_graph()
    # Integer weights are the same as repeating samples.
    w = rng.integers(0, 3, 600).astype("float32")
    got = _stream(metrics.AUC(num_thresholds=4001), [(t[:, None], p[:, None], w)], (None, 1),
                  (None, 1), weighted=True)
    reps = w.astype(int)
    np.testing.assert_allclose(got[-1], _np_roc_auc(np.repeat(t, reps), np.repeat(p, reps)),
                               atol=1e-3)


def test_auc_from_logits_and_thresholds():
    t = np.array([[0.0], [1.0], [1.0], [0.0]], dtype="float32")
    logits = np.array([[-2.0], [3.0], [0.5], [0.1]], dtype="float32")
    got = _stream(metrics.AUC(from_logits=True), [(t, logits)], (None, 1), (None, 1))
    np.testing.assert_allclose(got[-1], 1.0, atol=1e-6)
    auc = metrics.AUC(thresholds=[0.5, 0.25])
    assert auc.num_thresholds == 4 and auc.thresholds[1:3] == [0.25, 0.5]


def test_resolve_accuracy():
    r = metrics.resolve_accuracy
    assert type(r("binary_crossentropy", 2, (None, 10))) is metrics.BinaryAccuracy
    assert type(r(losses.BinaryCrossentropy(), 2, (None, 3))) is metrics.BinaryAccuracy
    assert type(r("mse", 2, (None, 1))) is metrics.BinaryAccuracy
    assert type(r("sparse_categorical_crossentropy", 2, (None, 10))) is \
        metrics.SparseCategoricalAccuracy
    assert type(r(losses.sparse_categorical_crossentropy, 2, (None, 10))) is \
        metrics.SparseCategoricalAccuracy
    assert type(r(None, 1, (None, 10))) is metrics.SparseCategoricalAccuracy
    assert type(r("categorical_crossentropy", 2, (None, 10))) is metrics.CategoricalAccuracy
    assert type(r(None, 2, (None, 10))) is metrics.CategoricalAccuracy
    assert r("categorical_crossentropy", 2, (None, 10), name="acc").name == "acc"


def test_reset_state_restores_initial_values(rng):
    m = metrics.AUC(num_thresholds=5)
    pairs = m.update_state(K.constant([[1.0], [0.0]]), K.constant([[0.9], [0.2]]))
    K.function([], m.result(), updates=pairs)([])
    assert any(v.get_value().sum() > 0 for v in m.variables)
    m.reset_state()
    assert all(v.get_value().sum() == 0 for v in m.variables)
    assert [v.name for v in m.variables] == [f"auc/{k}:0" for k in (
        "true_positives", "false_positives", "true_negatives", "false_negatives")]


def test_custom_metric_with_add_weight_in_init():
    class CountPositives(metrics.Metric):
        def __init__(self, name="count_positives"):
            super().__init__(name=name)
            self.count = self.add_weight("count", initializer=2.0)

        def update_state(self, y_true, y_pred, sample_weight=None):
            hits = K.sum(K.cast(K.greater(y_pred, 0.0), "float32"))
            return self._record([(self.count, self.count + hits)])

        def result(self):
            return K.identity(self.current(self.count))

    m = CountPositives()
    updates = m.update_state(None, K.constant([1.0, -1.0, 3.0]))
    f = K.function([], m.result(), updates=updates)
    assert f([]) == 4.0
    m.reset_state()
    assert m.count.get_value() == 2.0


def test_state_in_another_graph_raises():
    m = metrics.Mean()
    m.update_state(K.constant([1.0]))
    g = K.Graph()
    with g.as_default():
        with pytest.raises(ValueError, match="metrics cannot be shared across graphs"):
            m.update_state(K.constant([1.0]))


ALL_CLASSES = [
    metrics.Accuracy, metrics.BinaryAccuracy, metrics.CategoricalAccuracy,
    metrics.SparseCategoricalAccuracy, metrics.TopKCategoricalAccuracy,
    metrics.SparseTopKCategoricalAccuracy, metrics.Mean, metrics.Sum, metrics.Precision,
    metrics.Recall, metrics.AUC, metrics.TruePositives, metrics.MeanSquaredError,
    metrics.MeanAbsoluteError, metrics.RootMeanSquaredError, metrics.BinaryCrossentropy,
    metrics.CategoricalCrossentropy, metrics.SparseCategoricalCrossentropy,
    metrics.CosineSimilarity, metrics.KLDivergence, metrics.Poisson, metrics.Hinge]


def test_training_step_fetches_metrics_of_the_weights_it_starts_from(rng):
    """Loss, optimizer and metrics in one compiled function, as Model.fit builds it: the
    fetched metrics cover every batch so far, computed with each batch's pre-step weights."""
    from hilayers import optimizers
    x_data = rng.normal(size=(40, 3)).astype("float32")
    y_data = (x_data @ [1.0, -2.0, 0.5] > 0).astype("float32")[:, None]
    x, y = K.placeholder((None, 3), name="x"), K.placeholder((None, 1), name="y")
    w = K.variable(np.zeros((3, 1)), name="w")
    prob = K.sigmoid(x @ w)
    loss = losses.BinaryCrossentropy()(y, prob)
    acc, auc = metrics.BinaryAccuracy(), metrics.AUC(num_thresholds=50)
    updates = optimizers.SGD(0.5).get_updates(loss, [w])
    updates += acc.update_state(y, prob) + auc.update_state(y, prob)
    step = K.function([x, y], [loss, acc.result(), auc.result()], updates=updates)
    hits = []
    for start in range(0, 40, 10):
        w_before = w.get_value()
        xb, yb = x_data[start:start + 10], y_data[start:start + 10]
        batch_loss, running_acc, _ = step([xb, yb])
        p = 1 / (1 + np.exp(-(xb @ w_before)))
        np.testing.assert_allclose(batch_loss, np.mean(-(yb * np.log(p) + (1 - yb) *
                                                         np.log(1 - p))), rtol=1e-5)
        hits.extend(((p > 0.5) == yb)[:, 0])
        np.testing.assert_allclose(running_acc, np.mean(hits), rtol=1e-6)
    assert 0.0 <= float(auc.result_value()) <= 1.0


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    metric = cls(name="custom")
    config = metrics.serialize(metric)
    assert config["class_name"] == cls.__name__
    again = metrics.deserialize(config)
    assert type(again) is cls and again.get_config() == metric.get_config()
    assert type(metrics.get(cls.__name__)) is cls


def test_config_keeps_arguments():
    assert metrics.BinaryAccuracy(threshold=0.7).get_config()["threshold"] == 0.7
    assert metrics.TopKCategoricalAccuracy(k=3).k == 3
    config = metrics.AUC(num_thresholds=50, curve="PR").get_config()
    again = metrics.AUC.from_config(config)
    assert (again.num_thresholds, again.curve) == (50, "PR")
    assert metrics.Precision(thresholds=[0.1, 0.9]).get_config()["thresholds"] == [0.1, 0.9]


def test_get_names_and_errors():
    assert metrics.get("binary_accuracy") is metrics.binary_accuracy
    assert metrics.get("mse") is losses.mean_squared_error
    assert metrics.get("top_k_categorical_accuracy") is metrics.top_k_categorical_accuracy
    assert metrics.serialize(metrics.categorical_accuracy) == "categorical_accuracy"
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'.*binary_accuracy"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="Could not interpret metric identifier 3"):
        metrics.get(3)
    with pytest.raises(ValueError, match="curve 'XY'"):
        metrics.AUC(curve="xy")
    with pytest.raises(ValueError, match="num_thresholds must be > 1"):
        metrics.AUC(num_thresholds=1)
