"""Metrics: running statistics over the batches of an epoch, as Keras.

A metric accumulates on the device (``update_state`` dispatches a few ops and reads nothing
back), so training is not slowed by readbacks; ``result()`` reads the value when it is asked for.

    >>> import webgrad as wg
    >>> m = wg.metrics.SparseCategoricalAccuracy()
    >>> m.update_state(wg.tensor([2, 0]), wg.tensor([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]))
    >>> m.result()
    0.5
"""
from __future__ import annotations

from .. import autograd as _autograd
from ..autograd import no_grad
from ..ops import ShapeError
from ..ops.registry import fmt
from ..tensor import Tensor, ones_like, stack, tensor, where, zeros
from . import losses as L
from .identifiers import unknown


class Metric:
    """Base class: ``update_state(y_true, y_pred)``, ``result()`` (a float), ``reset_state()``.

    ``result_tensor()`` gives the value as a 0-d tensor without reading it back.

    Example:
        >>> m = wg.metrics.MeanAbsoluteError()
        >>> m(wg.tensor([[0.0], [1.0]]), wg.tensor([[2.0], [1.0]]))      # update_state, then result
        1.0
        >>> m.result_tensor().shape, m.name
        ((), 'mean_absolute_error')
    """

    def __init__(self, name: str | None = None):
        self.name = name or _snake(type(self).__name__)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add a batch of targets and predictions to the running state, on the device (nothing is read
        back). ``sample_weight`` is not supported yet.

            >>> m = wg.metrics.MeanSquaredError()
            >>> m.update_state(wg.tensor([[0.0], [1.0]]), wg.tensor([[1.0], [1.0]]))
            >>> m.update_state(wg.tensor([[2.0], [2.0]]), wg.tensor([[2.0], [0.0]]))
            >>> m.result()
            1.25
            >>> m.reset_state()
            >>> m.result()
            0.0
        """
        raise NotImplementedError

    def result_tensor(self) -> Tensor:
        """The value over the batches seen so far, as a 0-d tensor left on the device (``fit`` reads all
        its metrics at once).

        Example:
            >>> m = wg.metrics.Mean()
            >>> m.update_state([1.0, 2.0])
            >>> m.result_tensor().shape, m.result_tensor().item()
            ((), 1.5)
        """
        raise NotImplementedError

    def result(self) -> float:
        """The value over the batches seen so far, read back from the device as a float.

        Example:
            >>> m = wg.metrics.Mean()
            >>> m.update_state([1.0, 2.0])
            >>> m.result()
            1.5
        """
        return float(self.result_tensor().item())

    def reset_state(self) -> None:
        """Forget the batches seen so far (``fit`` does at each epoch's start, ``evaluate`` at its start).

        Example:
            >>> m = wg.metrics.Mean()
            >>> m.update_state([4.0])
            >>> m.reset_state()
            >>> m.result()
            0.0
        """
        raise NotImplementedError

    def __call__(self, y_true, y_pred) -> float:
        """Update with one batch and return the running result."""
        self.update_state(y_true, y_pred)
        return self.result()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class Mean(Metric):
    """The mean of the values given to ``update_state(values)``; the sum stays on the device.

    Example:
        >>> m = wg.metrics.Mean()
        >>> m.update_state([1.0, 2.0, 3.0])
        >>> m.result()
        2.0
    """

    def __init__(self, name: str = "mean"):
        super().__init__(name)
        self.reset_state()

    def reset_state(self):
        """Zero the running sum and count (in place, once they exist).

        Example:
            >>> m = wg.metrics.Mean()
            >>> m.update_state([4.0])
            >>> m.reset_state()
            >>> m.result(), m.total.item()         # the same state tensor, zeroed
            (0.0, 0.0)
        """
        # State tensors are kept and zeroed in place: a traced training step captured them.
        if getattr(self, "total", None) is not None:
            with _no_grad():
                self.total.assign(0.0)
                self.count.assign(0.0)
        else:
            self.total = self.count = None

    def add(self, total: Tensor, count: int) -> None:
        """Add a sum of ``count`` values (a 0-d tensor).

        Example:
            >>> m = wg.metrics.Mean()
            >>> m.add(wg.tensor(6.0), 3)          # three values summing to 6
            >>> m.result()
            2.0
        """
        with _no_grad():
            if self.total is None:
                device = _autograd.real_device(total)
                with _autograd.outside_trace():
                    self.total = zeros((), device=device)
                    self.count = zeros((), device=device)
            # assign keeps one state tensor, so a traced training step can update it in place
            self.total.assign(self.total + total.detach())
            self.count.assign(self.count + float(count))

    def update_state(self, values, sample_weight=None):
        """Add ``values`` (a tensor, array or list, any shape) to the running mean.

            >>> m = wg.metrics.Mean()
            >>> m.update_state([1.0, 2.0])
            >>> m.update_state([6.0])
            >>> m.result()
            3.0
        """
        values = L.as_tensor(values)
        self.add(values.float().sum(), values.numel())

    def result_tensor(self):
        """The running mean as a 0-d tensor on the device (0 before any value).

        Example:
            >>> m = wg.metrics.Mean()
            >>> m.result_tensor().item()
            0.0
            >>> m.update_state([2.0, 4.0])
            >>> m.result_tensor().item()
            3.0
        """
        if self.total is None:
            return zeros(())
        return self.total / self.count.maximum(1.0)


class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred)`` (one value per sample).

    Example:
        >>> m = wg.metrics.MeanMetricWrapper(lambda y_true, y_pred: (y_pred - y_true).abs(), name="l1")
        >>> m(wg.tensor([0.0, 0.0]), wg.tensor([1.0, 3.0])), m.name
        (2.0, 'l1')
    """

    def __init__(self, fn, name: str | None = None, **kwargs):
        super().__init__(name or getattr(fn, "__name__", "metric"))
        self.fn, self.kwargs = fn, kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add ``fn(y_true, y_pred)`` of a batch, one value per sample, to the running mean.
        ``sample_weight`` is not supported yet.

        Example:
            >>> m = wg.metrics.MeanMetricWrapper(lambda y_true, y_pred: (y_pred - y_true).abs())
            >>> m.update_state(wg.tensor([0.0, 0.0]), wg.tensor([1.0, 3.0]))
            >>> m.update_state(wg.tensor([0.0]), wg.tensor([5.0]))
            >>> m.result()                         # (1 + 3 + 5) / 3
            3.0
        """
        if sample_weight is not None:
            raise NotImplementedError(f"{self.name}: sample weights are not supported yet")
        with _no_grad():
            per = self.fn(y_true, y_pred, **self.kwargs)
        self.add(per.float().sum(), per.numel())


def _no_grad():
    return no_grad()


# ---- per-sample functions ------------------------------------------------------------------

def binary_accuracy(y_true, y_pred: Tensor, threshold: float = 0.5) -> Tensor:
    """1 where (y_pred > threshold) equals the 0/1 target, averaged over the last axis.

    Example:
        >>> wg.metrics.binary_accuracy(wg.tensor([[1.0], [0.0], [1.0]]), wg.tensor([[0.9], [0.8], [0.3]])).tolist()
        [1.0, 0.0, 0.0]
    """
    y = L._align("binary_accuracy", y_true, y_pred)
    return L.mean_last(((y_pred > threshold) == (y > 0.5)).float())


def categorical_accuracy(y_true, y_pred: Tensor) -> Tensor:
    """1 where the argmax of the one-hot target equals the argmax of the prediction.

    Example:
        >>> y_true, y_pred = wg.tensor([[0.0, 1.0], [1.0, 0.0]]), wg.tensor([[0.2, 0.8], [0.3, 0.7]])
        >>> wg.metrics.categorical_accuracy(y_true, y_pred).tolist()
        [1.0, 0.0]
    """
    y = L._align("categorical_accuracy", y_true, y_pred)
    return (y.argmax(-1) == y_pred.argmax(-1)).float()


def sparse_categorical_accuracy(y_true, y_pred: Tensor) -> Tensor:
    """1 where the integer label equals the argmax of the prediction.

    Example:
        >>> y_pred = wg.tensor([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]])
        >>> wg.metrics.sparse_categorical_accuracy(wg.tensor([2, 0]), y_pred).tolist()
        [1.0, 0.0]
    """
    labels = L._sparse_labels("sparse_categorical_accuracy", y_true, y_pred)
    return (labels == y_pred.argmax(-1)).float()


def accuracy(y_true, y_pred: Tensor) -> Tensor:
    """1 where the prediction equals the target exactly.

    Example:
        >>> wg.metrics.accuracy(wg.tensor([[1.0], [2.0]]), wg.tensor([[1.0], [0.0]])).tolist()
        [1.0, 0.0]
    """
    y = L._align("accuracy", y_true, y_pred)
    return L.mean_last((y == y_pred).float())


class Accuracy(MeanMetricWrapper):
    """Exact equality of prediction and target. (The string "accuracy" in ``compile`` picks
    binary, categorical or sparse categorical accuracy from the loss, as Keras does.)

    Example:
        >>> wg.metrics.Accuracy()(wg.tensor([[1.0], [2.0], [3.0], [4.0]]), wg.tensor([[1.0], [2.0], [0.0], [4.0]]))
        0.75
    """

    def __init__(self, name="accuracy"):
        super().__init__(accuracy, name)


class BinaryAccuracy(MeanMetricWrapper):
    """Share of 0/1 targets predicted right at ``threshold`` (use 0.0 for logits).

    Example:
        >>> y_true, y_pred = wg.tensor([[1.0], [0.0], [1.0], [0.0]]), wg.tensor([[0.9], [0.8], [0.3], [0.1]])
        >>> wg.metrics.BinaryAccuracy()(y_true, y_pred)
        0.5
        >>> wg.metrics.BinaryAccuracy(threshold=0.0)(wg.tensor([[1.0], [0.0]]), wg.tensor([[2.0], [-1.0]]))   # logits
        1.0
    """

    def __init__(self, name="binary_accuracy", threshold: float = 0.5):
        super().__init__(binary_accuracy, name, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """Share of samples whose predicted class (the argmax) is the one-hot target's, as Keras'
    ``CategoricalAccuracy``.

        >>> wg.metrics.CategoricalAccuracy()(wg.tensor([[0.0, 1.0], [1.0, 0.0]]), wg.tensor([[0.2, 0.8], [0.3, 0.7]]))
        0.5
    """

    def __init__(self, name="categorical_accuracy"):
        super().__init__(categorical_accuracy, name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """Share of samples whose predicted class (the argmax) is the integer label, as Keras'
    ``SparseCategoricalAccuracy``.

    Example:
        >>> wg.metrics.SparseCategoricalAccuracy()(wg.tensor([2, 0]), wg.tensor([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]))
        0.5
    """

    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(sparse_categorical_accuracy, name)


def sparse_top_k_categorical_accuracy(y_true, y_pred: Tensor, k: int = 5) -> Tensor:
    """1 where the integer label's score is among the ``k`` highest of the prediction (a label tied
    with the k-th highest counts as in, as tf.math.in_top_k).

    Example:
        >>> y_pred = wg.tensor([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]])
        >>> wg.metrics.sparse_top_k_categorical_accuracy(wg.tensor([1, 2]), y_pred, k=2).tolist()
        [1.0, 0.0]
    """
    labels = L._sparse_labels("sparse_top_k_categorical_accuracy", y_true, y_pred)
    score = (y_pred * labels.one_hot(y_pred.shape[-1]).float()).sum(-1, keepdims=True)
    return ((y_pred > score).float().sum(-1) < k).float()


def top_k_categorical_accuracy(y_true, y_pred: Tensor, k: int = 5) -> Tensor:
    """1 where the one-hot target's class (its argmax) is among the ``k`` highest scores of the prediction.

    Example:
        >>> y_true = wg.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        >>> wg.metrics.top_k_categorical_accuracy(y_true, wg.tensor([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]), k=2).tolist()
        [1.0, 0.0]
    """
    y = L._align("top_k_categorical_accuracy", y_true, y_pred)
    return sparse_top_k_categorical_accuracy(y.argmax(-1), y_pred, k)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """Share of samples whose one-hot target's class is among the ``k`` highest scores, as Keras'
    ``TopKCategoricalAccuracy``.

    Example:
        >>> y_true = wg.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        >>> wg.metrics.TopKCategoricalAccuracy(k=2)(y_true, wg.tensor([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]))
        0.5
    """

    def __init__(self, k: int = 5, name="top_k_categorical_accuracy"):
        super().__init__(top_k_categorical_accuracy, name, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """Share of samples whose integer label is among the ``k`` highest scores, as Keras'
    ``SparseTopKCategoricalAccuracy``.

    Example:
        >>> y_pred = wg.tensor([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]])
        >>> wg.metrics.SparseTopKCategoricalAccuracy(k=2)(wg.tensor([1, 2]), y_pred)
        0.5
    """

    def __init__(self, k: int = 5, name="sparse_top_k_categorical_accuracy"):
        super().__init__(sparse_top_k_categorical_accuracy, name, k=k)


class _ColumnSums(Metric):
    """A metric made of sums per column of (samples, columns) targets and predictions over every batch seen,
    kept on the device (``sums``: one row per sum) and zeroed in place; subclasses give ``_sums(y, p)``."""

    columns = "outputs"         # what a column is, for the shape error

    def __init__(self, name):
        super().__init__(name)
        self.sums = None

    def reset_state(self):
        if self.sums is not None:
            with _no_grad():
                self.sums.assign(zeros(*self.sums.shape, device=self.sums.device))

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise NotImplementedError(f"{self.name}: sample weights are not supported yet")
        with _no_grad():
            y = L._align(self.name, y_true, y_pred).float()
            if y.ndim != 2:
                raise ValueError(f"{type(self).__name__}: expects (samples, {self.columns}) targets and predictions, "
                                 f"got shape {y.shape}")
            part = self._sums(y, y_pred.detach().float())
            if self.sums is None:
                with _autograd.outside_trace():
                    self.sums = zeros(*part.shape, device=_autograd.real_device(part))
            self.sums.assign(self.sums + part)

    def _sums(self, y: Tensor, p: Tensor) -> Tensor:
        raise NotImplementedError


class R2Score(_ColumnSums):
    """The coefficient of determination, 1 - (sum of squared residuals) / (total sum of squares), over
    every batch seen, per output column, then averaged (``class_aggregation="uniform_average"``), as
    Keras' ``R2Score``; "variance_weighted_average" weighs each column by its total sum of squares,
    None returns one value per column (``result_tensor``). The sums stay on the device.

    Example:
        >>> m = wg.metrics.R2Score()
        >>> m.update_state(wg.tensor([[1.0], [2.0]]), wg.tensor([[1.0], [3.0]]))
        >>> m.update_state(wg.tensor([[3.0]]), wg.tensor([[3.0]]))
        >>> m.result()                         # 1 - 1 / 2
        0.5
    """

    AGGREGATIONS = ("uniform_average", "variance_weighted_average", None)

    def __init__(self, class_aggregation: str | None = "uniform_average", num_regressors: int = 0, name="r2_score"):
        super().__init__(name)
        if class_aggregation not in self.AGGREGATIONS:
            raise ValueError(f"R2Score: class_aggregation must be one of {self.AGGREGATIONS}, "
                             f"got {class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be at least 0, got {num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, int(num_regressors)

    def _sums(self, y, p):          # the sum of y, of y², of the squared residuals, the count
        return stack([y.sum(0), (y * y).sum(0), ((y - p) ** 2).sum(0), ones_like(y).sum(0)])

    def result_tensor(self):
        """The score as a 0-d tensor (one per output column with ``class_aggregation=None``).

        Example:
            >>> m = wg.metrics.R2Score(class_aggregation=None)
            >>> m.update_state(wg.tensor([[1.0, 0.0], [3.0, 2.0]]), wg.tensor([[1.0, 1.0], [3.0, 1.0]]))
            >>> m.result_tensor().tolist()
            [1.0, 0.0]
        """
        if self.sums is None:
            return zeros(())
        s_y, s_yy, ss_res, n = self.sums[0], self.sums[1], self.sums[2], self.sums[3]
        ss_tot = s_yy - s_y * s_y / n.maximum(1.0)
        raw = where(ss_tot == 0.0, 0.0, 1.0 - ss_res / where(ss_tot == 0.0, 1.0, ss_tot))   # a constant column: 0
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (raw * ss_tot).sum() / ss_tot.sum().maximum(1e-12)
        else:
            score = raw
        if self.num_regressors:     # adjusted R², with Keras's count: every value seen (samples x outputs)
            count = n.sum()
            score = 1.0 - (1.0 - score) * (count - 1.0) / (count - float(self.num_regressors) - 1.0)
        return score


class FBetaScore(_ColumnSums):
    """The F-beta score of multi-label or one-hot targets, from true and false positives and false negatives
    per class summed over every batch seen, as Keras' ``FBetaScore``: a prediction is positive above
    ``threshold``, or where it is its sample's highest score (``threshold=None``). ``average``: None (a
    score per class, ``result_tensor``), "micro" (counts pooled over classes), "macro" (the classes' mean) or
    "weighted" (weighted by each class's number of positive targets).

    Example:
        >>> m = wg.metrics.FBetaScore(beta=2.0, threshold=0.5, average="micro")
        >>> m.update_state(wg.tensor([[1.0, 0.0], [1.0, 1.0]]), wg.tensor([[0.9, 0.8], [0.2, 0.7]]))
        >>> round(m.result(), 4)          # precision 2/3, recall 2/3
        0.6667
    """

    AVERAGES = (None, "micro", "macro", "weighted")
    columns = "classes"

    def __init__(self, average: str | None = None, beta: float = 1.0, threshold: float | None = None,
                 name="fbeta_score"):
        super().__init__(name)
        if average not in self.AVERAGES:
            raise ValueError(f"{type(self).__name__}: average must be one of {self.AVERAGES}, got {average!r}")
        if not beta > 0:
            raise ValueError(f"{type(self).__name__}: beta must be above 0, got {beta}")
        if threshold is not None and not 0 < threshold <= 1:
            raise ValueError(f"{type(self).__name__}: threshold must be in (0, 1], got {threshold}")
        self.average, self.beta, self.threshold = average, float(beta), threshold

    def _sums(self, y, p):          # true positives, false positives, false negatives, positives
        if self.threshold is None:  # the sample's highest score, unless every score is 0
            said = (p >= p.max(-1, keepdims=True)).float() * (p.abs() > 1e-9).float()
        else:
            said = (p > self.threshold).float()
        return stack([(said * y).sum(0), (said * (1.0 - y)).sum(0), ((1.0 - said) * y).sum(0), y.sum(0)])

    def result_tensor(self):
        """The score as a 0-d tensor (one per class with ``average=None``).

        Example:
            >>> m = wg.metrics.F1Score(threshold=0.5)
            >>> m.update_state(wg.tensor([[1.0, 0.0], [0.0, 1.0]]), wg.tensor([[0.9, 0.2], [0.6, 0.1]]))
            >>> [round(v, 4) for v in m.result_tensor().tolist()]      # class 0: p 1/2, r 1; class 1: none found
            [0.6667, 0.0]
        """
        if self.sums is None:
            return zeros(())
        eps, b2 = 1e-7, self.beta ** 2
        tp, fp, fn, positives = self.sums[0], self.sums[1], self.sums[2], self.sums[3]
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        precision, recall = tp / (tp + fp + eps), tp / (tp + fn + eps)
        score = precision * recall / (b2 * precision + recall + eps) * (1.0 + b2)
        if self.average == "weighted":
            return (score * positives / (positives.sum() + eps)).sum()
        return score.mean() if self.average is not None else score


class F1Score(FBetaScore):
    """The F1 score (F-beta at beta 1), as Keras' ``F1Score``: see ``FBetaScore``; "f1_score".

    Example:
        >>> m = wg.metrics.F1Score(average="macro", threshold=0.5)
        >>> m.update_state(wg.tensor([[1.0, 0.0], [0.0, 1.0]]), wg.tensor([[0.9, 0.2], [0.1, 0.8]]))
        >>> round(m.result(), 4)
        1.0
    """

    def __init__(self, average: str | None = None, threshold: float | None = None, name="f1_score"):
        super().__init__(average, 1.0, threshold, name)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of ``|y_true - y_pred|`` over the batches seen, as Keras' ``MeanAbsoluteError``; "mae".

    Example:
        >>> m = wg.metrics.MeanAbsoluteError()
        >>> m.update_state(wg.tensor([[0.0], [1.0]]), wg.tensor([[2.0], [1.0]]))
        >>> m.update_state(wg.tensor([[0.0]]), wg.tensor([[-4.0]]))
        >>> m.result()                         # (2 + 0 + 4) / 3
        2.0
    """

    def __init__(self, name="mean_absolute_error"):
        super().__init__(L.mean_absolute_error, name)


class MeanSquaredError(MeanMetricWrapper):
    """The mean of ``(y_true - y_pred) ** 2`` over the batches seen, as Keras' ``MeanSquaredError``; "mse".

    Example:
        >>> wg.metrics.MeanSquaredError()(wg.tensor([[0.0], [1.0]]), wg.tensor([[2.0], [1.0]]))     # (4 + 0) / 2
        2.0
    """

    def __init__(self, name="mean_squared_error"):
        super().__init__(L.mean_squared_error, name)


class RootMeanSquaredError(MeanMetricWrapper):
    """The square root of the mean squared error over the batches seen (not a mean of per-batch roots),
    as Keras' ``RootMeanSquaredError``; "rmse".

        >>> m = wg.metrics.RootMeanSquaredError()
        >>> m.update_state(wg.tensor([[0.0], [0.0]]), wg.tensor([[3.0], [5.0]]))
        >>> m.result()
        4.123105525970459
    """

    def __init__(self, name="root_mean_squared_error"):
        super().__init__(L.mean_squared_error, name)

    def result_tensor(self):
        """The square root of the running mean squared error, as a 0-d tensor.

        Example:
            >>> m = wg.metrics.RootMeanSquaredError()
            >>> m.update_state(wg.tensor([[0.0], [0.0]]), wg.tensor([[3.0], [-3.0]]))
            >>> m.result_tensor().item()
            3.0
        """
        return super().result_tensor().sqrt()


class _Confusion(Metric):
    """True/false positives and negatives at a set of thresholds, kept on the device."""

    def __init__(self, thresholds: Tensor | list, name=None, from_logits: bool = False):
        super().__init__(name)
        self.thresholds, self.from_logits = thresholds, from_logits
        self.reset_state()

    def reset_state(self):
        if getattr(self, "counts", None) is not None:      # zeroed in place (see Mean.reset_state)
            with _no_grad():
                self.counts.assign(zeros(*self.counts.shape, device=self.counts.device))
        else:
            self.counts = None      # (4, T): tp, fp, tn, fn

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise NotImplementedError(f"{self.name}: sample weights are not supported yet")
        with _no_grad():
            y = L._align(self.name, y_true, y_pred).reshape(-1, 1)
            p = y_pred.detach().reshape(-1, 1)
            if self.from_logits:
                p = p.sigmoid()
            if not isinstance(self.thresholds, Tensor):       # real, even when first made in a traced step
                with _autograd.outside_trace():
                    self.thresholds = tensor([float(t) for t in self.thresholds], device=_autograd.real_device(p))
            above = (p > self.thresholds.reshape(1, -1)).float()       # (N, T)
            pos = (y > 0.5).float()
            tp = (above * pos).sum(0)
            n_pos = pos.sum()
            predicted = above.sum(0)
            fp = predicted - tp
            fn = n_pos - tp
            tn = (p.shape[0] - n_pos) - fp
            counts = stack([tp, fp, tn, fn])
            if self.counts is None:
                device = _autograd.real_device(counts)
                with _autograd.outside_trace():
                    self.counts = zeros(*counts.shape, device=device)
            self.counts.assign(self.counts + counts)


class AUC(_Confusion):
    """Area under the ROC curve (or the precision-recall curve, ``curve="PR"``), from counts at
    ``num_thresholds`` evenly spaced thresholds, summed by the trapezoid rule.

    Example:
        >>> m = wg.metrics.AUC()
        >>> m.update_state(wg.tensor([[0.0], [0.0], [1.0], [1.0]]), wg.tensor([[0.1], [0.4], [0.35], [0.8]]))
        >>> m.result()                         # 3 of the 4 (positive, negative) pairs ranked right
        0.75
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", name="auc", from_logits: bool = False):
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        eps = 1e-7
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        super().__init__([0.0 - eps] + inner + [1.0 + eps], name, from_logits)
        self.curve = curve

    def result_tensor(self):
        """The area under the curve as a 0-d tensor on the device (0 before any batch).

        Example:
            >>> m = wg.metrics.AUC(num_thresholds=3)
            >>> m.update_state(wg.tensor([[0.0], [1.0]]), wg.tensor([[0.2], [0.9]]))
            >>> m.result_tensor().item()             # perfectly separated
            1.0
        """
        if self.counts is None:
            return zeros(())
        tp, fp, tn, fn = self.counts[0], self.counts[1], self.counts[2], self.counts[3]
        recall = tp / (tp + fn).maximum(1e-7)
        if self.curve == "ROC":
            x, y = fp / (fp + tn).maximum(1e-7), recall
        else:
            x, y = recall, tp / (tp + fp).maximum(1e-7)
        # thresholds rise, so x falls: the area is sum((x[i] - x[i+1]) * (y[i] + y[i+1]) / 2)
        return ((x[:-1] - x[1:]) * (y[:-1] + y[1:]) * 0.5).sum()


class Precision(_Confusion):
    """tp / (tp + fp) at ``threshold``.

    Example:
        >>> m = wg.metrics.Precision()
        >>> m.update_state(wg.tensor([[1.0], [0.0], [1.0], [0.0]]), wg.tensor([[0.9], [0.8], [0.3], [0.1]]))
        >>> m.result()                         # 2 predicted positive, 1 of them right
        0.5
    """

    def __init__(self, threshold: float = 0.5, name="precision", from_logits: bool = False):
        super().__init__([threshold], name, from_logits)

    def result_tensor(self):
        """tp / (tp + fp) as a 0-d tensor on the device (0 before any batch).

        Example:
            >>> m = wg.metrics.Precision()
            >>> m.update_state(wg.tensor([[1.0], [0.0], [1.0]]), wg.tensor([[0.9], [0.8], [0.7]]))
            >>> round(m.result_tensor().item(), 4)
            0.6667
        """
        if self.counts is None:
            return zeros(())
        tp, fp = self.counts[0, 0], self.counts[1, 0]
        return tp / (tp + fp).maximum(1e-7)


class Recall(_Confusion):
    """tp / (tp + fn) at ``threshold``.

    Example:
        >>> m = wg.metrics.Recall()
        >>> m.update_state(wg.tensor([[1.0], [0.0], [1.0], [0.0]]), wg.tensor([[0.9], [0.8], [0.3], [0.1]]))
        >>> m.result()                         # 2 positives, 1 of them found
        0.5
    """

    def __init__(self, threshold: float = 0.5, name="recall", from_logits: bool = False):
        super().__init__([threshold], name, from_logits)

    def result_tensor(self):
        """tp / (tp + fn) as a 0-d tensor on the device (0 before any batch).

        Example:
            >>> m = wg.metrics.Recall(threshold=0.2)
            >>> m.update_state(wg.tensor([[1.0], [0.0], [1.0]]), wg.tensor([[0.9], [0.8], [0.3]]))
            >>> m.result_tensor().item()
            1.0
        """
        if self.counts is None:
            return zeros(())
        tp, fn = self.counts[0, 0], self.counts[3, 0]
        return tp / (tp + fn).maximum(1e-7)


ALL = {
    "accuracy": Accuracy, "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "auc": AUC, "precision": Precision,
    "recall": Recall, "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "root_mean_squared_error": RootMeanSquaredError,
    "rmse": RootMeanSquaredError, "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy, "r2_score": R2Score, "f1_score": F1Score,
    "fbeta_score": FBetaScore,
}
_LOSS_METRICS = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "huber")


def get(identifier, loss=None) -> Metric:
    """A Metric from a name, a Metric, or a function ``f(y_true, y_pred)`` of per-sample values.

    "accuracy" (or "acc") follows the loss, as in Keras: binary accuracy for binary cross-entropy
    (at threshold 0 when the loss takes logits), sparse categorical for sparse labels,
    categorical otherwise.

    Example:
        >>> wg.metrics.get("mae")
        <MeanAbsoluteError 'mae'>
        >>> m = wg.metrics.get("accuracy", loss=wg.losses.BinaryCrossentropy(from_logits=True))
        >>> m, m.kwargs
        (<BinaryAccuracy 'accuracy'>, {'threshold': 0.0})
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if identifier in ("accuracy", "acc"):
        name = getattr(loss, "name", None)
        if name == "binary_crossentropy":
            return BinaryAccuracy(identifier, threshold=0.0 if loss.from_logits else 0.5)
        if name == "sparse_categorical_crossentropy":
            return SparseCategoricalAccuracy(identifier)
        if name == "categorical_crossentropy":
            return CategoricalAccuracy(identifier)
        return _AutoAccuracy(identifier)
    if identifier == "auc" and getattr(loss, "from_logits", False):
        return AUC(from_logits=True)
    if isinstance(identifier, str) and identifier in ALL:
        metric = ALL[identifier]()
        metric.name = identifier          # logs use the name given, as Keras: "mae" -> "mae"
        return metric
    if isinstance(identifier, str) and identifier in _LOSS_METRICS:
        return MeanMetricWrapper(L.FUNCTIONS[identifier], identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise unknown("metric", identifier, {**ALL, **dict.fromkeys(_LOSS_METRICS)})


class _AutoAccuracy(MeanMetricWrapper):
    """Accuracy chosen by shapes at the first batch: one output -> binary, same shapes -> categorical,
    else sparse categorical."""

    def __init__(self, name="accuracy"):
        super().__init__(None, name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.fn is None:
            y_shape = y_true.shape if hasattr(y_true, "shape") else L.as_tensor(y_true, y_pred).shape
            if y_pred.shape[-1] == 1:
                self.fn = binary_accuracy
            elif tuple(y_shape) == y_pred.shape:
                self.fn = categorical_accuracy
            else:
                self.fn = sparse_categorical_accuracy
        super().update_state(y_true, y_pred, sample_weight)


del ShapeError, fmt
