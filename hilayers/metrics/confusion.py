"""Metrics built on confusion counts at thresholds: ``TruePositives`` ...,
``Precision``, ``Recall`` and ``AUC``.

A prediction counts as positive at threshold ``t`` when ``y_pred > t``; a target is positive
when it is non-zero. Every element of ``y_pred`` is one decision (multi-label outputs are
flattened), weighted by ``sample_weight`` broadcast to ``y_pred``'s shape.

Example:
    >>> m = Precision(thresholds=[0.3, 0.7])
    >>> m.thresholds
    [0.3, 0.7]
"""
import numpy as np

from .. import backend as K
from ..backend import Tensor
from ..losses.classes import match_weight_rank
from ..losses.functions import match_targets
from .base import Metric, _graph_of, div_no_nan

_COUNTS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


class _ConfusionMetric(Metric):
    """Keeps the counts in ``kinds`` (a subset of :data:`_COUNTS`) at each threshold."""

    kinds = _COUNTS

    def __init__(self, thresholds, name=None, dtype=None, class_id=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        values = [float(t) for t in np.atleast_1d(np.asarray(thresholds, dtype=float))]
        self._scalar = np.ndim(thresholds) == 0
        self.thresholds = values
        self.class_id = class_id
        self.from_logits = from_logits

    def build_state(self):
        for kind in self.kinds:
            setattr(self, kind, self.add_weight(kind, shape=(len(self.thresholds),)))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add this batch's counts at every threshold.

        Args:
            y_true: targets (non-zero is positive), ``y_pred``'s shape or one axis less.
            y_pred: scores, usually probabilities in ``[0, 1]``.
            sample_weight: None or weights broadcastable to ``y_pred`` (``(batch,)``).

        Returns:
            The ``(variable, new_value)`` pairs.
        """
        self._ensure_state(_graph_of(y_true, y_pred, sample_weight))
        y_true, y_pred = match_targets(y_true, y_pred)
        if y_pred.dtype != np.dtype(self.dtype):
            y_true, y_pred = K.cast(y_true, self.dtype), K.cast(y_pred, self.dtype)
        if self.from_logits:
            y_pred = K.sigmoid(y_pred)
        weights = None
        if sample_weight is not None:
            if not isinstance(sample_weight, Tensor):
                sample_weight = K.constant(np.asarray(sample_weight, dtype=self.dtype))
            elif sample_weight.dtype != y_pred.dtype:
                sample_weight = K.cast(sample_weight, y_pred.dtype)
            weights = K.broadcast_like(match_weight_rank(sample_weight, y_pred), y_pred)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
            weights = None if weights is None else weights[..., self.class_id]
        label = K.reshape(K.cast(K.not_equal(y_true, 0.0), self.dtype), (-1, 1))
        thresholds = K.constant(np.array([self.thresholds], dtype=self.dtype))
        predicted = K.cast(K.greater(K.reshape(y_pred, (-1, 1)), thresholds), self.dtype)
        if weights is not None:
            weights = K.reshape(weights, (-1, 1))
        masks = {"true_positives": label * predicted,
                 "false_positives": (1.0 - label) * predicted,
                 "true_negatives": (1.0 - label) * (1.0 - predicted),
                 "false_negatives": label * (1.0 - predicted)}
        pairs = []
        for kind in self.kinds:
            hits = masks[kind] if weights is None else masks[kind] * weights
            var = getattr(self, kind)
            pairs.append((var, var + K.sum(hits, axis=0)))
        return self._record(pairs)

    def _maybe_scalar(self, values):
        return values[0] if len(self.thresholds) == 1 else values

    def get_config(self):
        config = super().get_config()
        config.update(thresholds=self.thresholds[0] if self._scalar else list(self.thresholds))
        if self.class_id is not None:
            config["class_id"] = self.class_id
        return config


class _Count(_ConfusionMetric):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(0.5 if thresholds is None else thresholds, name=name, dtype=dtype)

    def result(self):
        self._ensure_state(self._graph)
        return self._maybe_scalar(self.current(getattr(self, self.kinds[0])))


class TruePositives(_Count):
    """Weighted count of positives predicted positive (``y_pred > threshold``; default
    0.5; a list gives one count per threshold)."""
    kinds = ("true_positives",)


class FalsePositives(_Count):
    """Weighted count of negatives predicted positive."""
    kinds = ("false_positives",)


class TrueNegatives(_Count):
    """Weighted count of negatives predicted negative."""
    kinds = ("true_negatives",)


class FalseNegatives(_Count):
    """Weighted count of positives predicted negative."""
    kinds = ("false_negatives",)


class Precision(_ConfusionMetric):
    """``TP / (TP + FP)`` over everything seen (0 when nothing was predicted positive).

    Args:
        thresholds: a float or a list of floats in ``[0, 1]`` (default 0.5); a list gives
            one precision per threshold.
        class_id: only this class (last-axis index) is counted.
        name, dtype: as :class:`Metric`.

    Example:
        >>> m = Precision(thresholds=0.6, class_id=1)
    """

    kinds = ("true_positives", "false_positives")

    def __init__(self, thresholds=None, class_id=None, name=None, dtype=None):
        super().__init__(0.5 if thresholds is None else thresholds, name=name, dtype=dtype,
                         class_id=class_id)

    def result(self):
        self._ensure_state(self._graph)
        tp, fp = self.current(self.true_positives), self.current(self.false_positives)
        return self._maybe_scalar(div_no_nan(tp, tp + fp))


class Recall(_ConfusionMetric):
    """``TP / (TP + FN)`` over everything seen (0 when there was no positive target).

    Args: as :class:`Precision`.

    Example:
        >>> m = Recall()
    """

    kinds = ("true_positives", "false_negatives")

    def __init__(self, thresholds=None, class_id=None, name=None, dtype=None):
        super().__init__(0.5 if thresholds is None else thresholds, name=name, dtype=dtype,
                         class_id=class_id)

    def result(self):
        self._ensure_state(self._graph)
        tp, fn = self.current(self.true_positives), self.current(self.false_negatives)
        return self._maybe_scalar(div_no_nan(tp, tp + fn))


class AUC(_ConfusionMetric):
    """Area under the ROC or precision-recall curve, approximated with confusion counts at
    ``num_thresholds`` thresholds (``tf.keras.metrics.AUC``).

    The thresholds are ``i / (num_thresholds - 1)`` for ``i = 1 .. num_thresholds - 2`` plus
    ``-epsilon`` and ``1 + epsilon`` at the ends (or the given ``thresholds`` plus those
    two). The curve points ``(x_i, y_i)`` are ``(FPR, TPR)`` for ROC and
    ``(recall, precision)`` for PR; the area is ``sum_i (x_i - x_{i+1}) * h_i`` with
    ``h_i`` the mean (``'interpolation'``), the minimum (``'minoring'``) or the maximum
    (``'majoring'``) of ``y_i`` and ``y_{i+1}``. PR with ``'interpolation'`` instead
    integrates precision exactly under linear interpolation of TP against TP + FP between
    thresholds (Davis & Goadrich, "The relationship between precision-recall and ROC
    curves", ICML 2006).

    Args:
        num_thresholds: int > 1 (default 200); more gives a closer approximation.
        curve: ``'ROC'`` or ``'PR'``.
        summation_method: ``'interpolation'``, ``'minoring'`` or ``'majoring'``.
        name, dtype: as :class:`Metric`.
        thresholds: optional list of thresholds in ``[0, 1]`` (overrides num_thresholds).
        from_logits: apply a sigmoid to the predictions first.

    Raises:
        ValueError: for num_thresholds <= 1, or an unknown curve or summation method.

    Example:
        >>> m = AUC(curve="PR", num_thresholds=500)
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, from_logits=False):
        curve, summation_method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve {curve!r}; expected 'ROC' or 'PR'.")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: summation_method {summation_method!r}; expected "
                             "'interpolation', 'minoring' or 'majoring'.")
        eps = K.epsilon()
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
        else:
            if int(num_thresholds) <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1; received {num_thresholds}.")
            n = int(num_thresholds)
            inner = [(i + 1) / (n - 1) for i in range(n - 2)]
        super().__init__([0.0 - eps] + inner + [1.0 + eps], name=name, dtype=dtype,
                         from_logits=from_logits)
        self._given_thresholds = None if thresholds is None else inner
        self.num_thresholds = len(self.thresholds)
        self.curve = curve
        self.summation_method = summation_method

    def result(self):
        self._ensure_state(self._graph)
        tp, fp = self.current(self.true_positives), self.current(self.false_positives)
        tn, fn = self.current(self.true_negatives), self.current(self.false_negatives)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc(tp, fp, fn)
        recall = div_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = div_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, div_no_nan(tp, tp + fp)
        left, right = y[:-1], y[1:]
        if self.summation_method == "interpolation":
            heights = (left + right) * 0.5
        elif self.summation_method == "minoring":
            heights = K.minimum(left, right)
        else:
            heights = K.maximum(left, right)
        return K.sum((x[:-1] - x[1:]) * heights)

    @staticmethod
    def _interpolated_pr_auc(tp, fp, fn):
        # Between thresholds i and i+1 assume TP = slope * P + intercept with P = TP + FP.
        # Then precision = slope + intercept / P and recall = TP / (TP + FN), and the area
        # under precision over that recall step integrates in closed form to
        # slope / positives * (dTP + intercept * log(P_i / P_{i+1})).
        predicted = tp + fp
        d_tp = tp[:-1] - tp[1:]
        d_p = predicted[:-1] - predicted[1:]
        slope = div_no_nan(d_tp, K.maximum(d_p, 0.0))
        intercept = tp[1:] - slope * predicted[1:]
        both_positive = K.logical_and(K.greater(predicted[:-1], 0.0),
                                      K.greater(predicted[1:], 0.0))
        ratio = K.where(both_positive, div_no_nan(predicted[:-1], K.maximum(predicted[1:], 0.0)),
                        K.ones_like(predicted[1:]))
        steps = div_no_nan(slope * (d_tp + intercept * K.log(ratio)),
                           K.maximum(tp[1:] + fn[1:], 0.0))
        return K.sum(steps)

    def get_config(self):
        config = Metric.get_config(self)
        config.update(num_thresholds=self.num_thresholds, curve=self.curve,
                      summation_method=self.summation_method, from_logits=self.from_logits)
        if self._given_thresholds is not None:
            config["thresholds"] = list(self._given_thresholds)
        return config


CLASSES = [TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall,
           AUC]
