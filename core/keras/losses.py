"""Loss functions, as Keras: ``model.compile(loss="sparse_categorical_crossentropy")``.

Each loss is a class (configurable: ``BinaryCrossentropy(from_logits=True)``) and a function of
``(y_true, y_pred)`` returning one value per sample; the class averages them over the batch.
Probabilities are clipped to [1e-7, 1 - 1e-7] before the log, as Keras does; pass
``from_logits=True`` with a linear last layer for the exact, stable form.

    >>> import webgrad as wg
    >>> bce = wg.losses.BinaryCrossentropy(from_logits=True)
    >>> round(bce(wg.tensor([[1.0], [0.0]]), wg.tensor([[0.0], [0.0]])).item(), 4)
    0.6931
"""
from __future__ import annotations

import math

from .. import functional as F
from ..ops import ShapeError
from ..ops.registry import fmt
from ..tensor import Tensor, tensor, where
from .identifiers import from_identifier

EPSILON = 1e-7


def as_tensor(y, like: Tensor | None = None, dtype=None) -> Tensor:
    """Labels or targets as a tensor on ``like``'s device (lists and NumPy arrays are uploaded).

    Example:
        >>> y = wg.losses.as_tensor([0, 2])
        >>> y.dtype, y.tolist()
        (webgrad.int32, [0, 2])
    """
    if isinstance(y, Tensor):
        return y if dtype is None else y.cast(dtype)
    return tensor(y, dtype=dtype, device=like.device if like is not None else None)


def _align(loss: str, y_true, y_pred: Tensor) -> Tensor:
    """``y_true`` as a float tensor of ``y_pred``'s shape; (N,) against (N, 1) is reshaped, not broadcast."""
    y_true = as_tensor(y_true, y_pred)
    if not y_true.dtype.is_float:
        y_true = y_true.float()
    if y_true.shape == y_pred.shape:
        return y_true
    if y_true.numel() == y_pred.numel() and y_true.shape and y_true.shape[0] == y_pred.shape[0]:
        return y_true.reshape(y_pred.shape)
    raise ShapeError(f"{loss}: targets of shape {fmt(y_true.shape)} do not match predictions of shape "
                     f"{fmt(y_pred.shape)}" + (
                         "; for integer class labels use sparse_categorical_crossentropy"
                         if len(y_pred.shape) == 2 and y_pred.shape[-1] > 1 and y_true.numel() == y_pred.shape[0] else ""))


def _sparse_labels(loss: str, y_true, y_pred: Tensor) -> Tensor:
    """Integer class ids (N,) for predictions (N, C): accepts (N,) or (N, 1), ints or whole floats."""
    y_true = as_tensor(y_true, y_pred)
    want = y_pred.shape[:-1]
    if y_true.shape == want + (1,):
        y_true = y_true.reshape(want)
    if y_true.shape != want:
        hint = "; for one-hot targets use categorical_crossentropy" if y_true.shape == y_pred.shape else ""
        raise ShapeError(f"{loss}: integer labels should have shape {fmt(want)} (or {fmt(want + (1,))}) for "
                         f"predictions of shape {fmt(y_pred.shape)}, got {fmt(y_true.shape)}{hint}")
    return y_true.int() if y_true.dtype.name != "int32" else y_true


# ---- per-sample functions ------------------------------------------------------------------

def mean_last(x: Tensor) -> Tensor:
    """The mean over the last axis (a reshape when it has size 1: one op less per step).

    Example:
        >>> wg.losses.mean_last(wg.tensor([[1.0, 3.0], [2.0, 4.0]])).tolist(), wg.losses.mean_last(wg.ones(4, 1)).shape
        ([2.0, 3.0], (4,))
    """
    return x.reshape(x.shape[:-1]) if x.shape and x.shape[-1] == 1 else x.mean(-1)


def mean_squared_error(y_true, y_pred: Tensor) -> Tensor:
    """mean((y_true - y_pred) ** 2) over the last axis.

    Example:
        >>> y_true, y_pred = wg.tensor([[1.0, 2.0], [0.0, 0.0]]), wg.tensor([[1.0, 4.0], [1.0, 1.0]])
        >>> wg.losses.mean_squared_error(y_true, y_pred).tolist()
        [2.0, 1.0]
    """
    d = y_pred - _align("mean_squared_error", y_true, y_pred)
    return mean_last(d * d)


def mean_absolute_error(y_true, y_pred: Tensor) -> Tensor:
    """mean(|y_true - y_pred|) over the last axis.

    Example:
        >>> y_true, y_pred = wg.tensor([[1.0, 2.0], [0.0, 0.0]]), wg.tensor([[1.0, 4.0], [1.0, 1.0]])
        >>> wg.losses.mean_absolute_error(y_true, y_pred).tolist()
        [1.0, 1.0]
    """
    return mean_last((y_pred - _align("mean_absolute_error", y_true, y_pred)).abs())


def huber(y_true, y_pred: Tensor, delta: float = 1.0) -> Tensor:
    """Squared error below ``delta``, linear above it; mean over the last axis.

    Example:
        >>> wg.losses.huber(wg.tensor([[0.0], [0.0]]), wg.tensor([[0.5], [3.0]])).tolist()   # 0.5 * 0.5**2; 0.5 + 2
        [0.125, 2.5]
    """
    d = (y_pred - _align("huber", y_true, y_pred)).abs()
    quad = d.minimum(delta)
    return mean_last(quad * quad * 0.5 + (d - quad) * delta)


def binary_crossentropy(y_true, y_pred: Tensor, from_logits: bool = False, label_smoothing: float = 0.0) -> Tensor:
    """Sigmoid cross-entropy, mean over the last axis.

    Example:
        >>> y_true = wg.tensor([[1.0], [0.0]])
        >>> bce = wg.losses.binary_crossentropy(y_true, wg.tensor([[0.9], [0.2]]))
        >>> [round(v, 4) for v in bce.tolist()]              # -log 0.9, -log 0.8
        [0.1054, 0.2231]
        >>> bce = wg.losses.binary_crossentropy(y_true, wg.tensor([[0.0], [0.0]]), from_logits=True)
        >>> [round(v, 4) for v in bce.tolist()]              # log 2
        [0.6931, 0.6931]
    """
    y = _align("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        per = F.binary_cross_entropy_with_logits(y_pred, y, reduction="none")
    else:
        p = y_pred.clip(EPSILON, 1.0 - EPSILON)
        per = -(y * p.log() + (1.0 - y) * (1.0 - p).log())
    return mean_last(per)


def categorical_crossentropy(y_true, y_pred: Tensor, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1) -> Tensor:
    """Softmax cross-entropy against one-hot (or soft) targets, summed over the class axis.

    Example:
        >>> y_true = wg.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        >>> y_pred = wg.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
        >>> [round(v, 4) for v in wg.losses.categorical_crossentropy(y_true, y_pred).tolist()]   # -log 0.95, -log 0.1
        [0.0513, 2.3026]
    """
    y = _align("categorical_crossentropy", y_true, y_pred)
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    return -(y * _log_probs(y_pred, from_logits, axis)).sum(axis)


def sparse_categorical_crossentropy(y_true, y_pred: Tensor, from_logits: bool = False, axis: int = -1) -> Tensor:
    """Softmax cross-entropy against integer class ids.

    Example:
        >>> y_pred = wg.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
        >>> [round(v, 4) for v in wg.losses.sparse_categorical_crossentropy(wg.tensor([1, 2]), y_pred).tolist()]
        [0.0513, 2.3026]
    """
    labels = _sparse_labels("sparse_categorical_crossentropy", y_true, y_pred)
    # picked, not multiplied by the one-hot: a masked logit of -inf must give 0, not 0 * -inf = nan
    picked = where(labels.one_hot(y_pred.shape[-1]) > 0, _log_probs(y_pred, from_logits, axis), 0.0)
    return -picked.sum(axis)


_EPSILON = 1e-7        # Keras's backend.epsilon(): the clip of probabilities and rates


def kl_divergence(y_true, y_pred: Tensor) -> Tensor:
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1] (as Keras).

    Example:
        >>> round(wg.losses.kl_divergence(wg.tensor([[0.5, 0.5]]), wg.tensor([[0.25, 0.75]])).item(), 4)
        0.1438
    """
    y_true = _align("kl_divergence", y_true, y_pred).clip(_EPSILON, 1.0)
    y_pred = y_pred.clip(_EPSILON, 1.0)
    return (y_true * (y_true / y_pred).log()).sum(-1)


def hinge(y_true, y_pred: Tensor) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0)) over the last axis; labels of 0 and 1 are taken as -1 and 1 (as Keras).

    Example:
        >>> [round(v, 4) for v in wg.losses.hinge(wg.tensor([[1.0], [0.0]]), wg.tensor([[0.3], [0.5]])).tolist()]
        [0.7, 1.5]
    """
    y_true = _align("hinge", y_true, y_pred)
    binary = (y_true * (y_true - 1.0) == 0).all()
    y_true = (y_true * 2.0 - 1.0).where(binary, y_true)
    return mean_last((1.0 - y_true * y_pred).relu())


def log_cosh(y_true, y_pred: Tensor) -> Tensor:
    """mean(log(cosh(y_pred - y_true))) over the last axis, computed as x + softplus(-2x) - log 2 (no overflow).

    Example:
        >>> round(wg.losses.log_cosh(wg.tensor([[0.0]]), wg.tensor([[1.0]])).item(), 4)   # log(cosh(1))
        0.4338
    """
    x = y_pred - _align("log_cosh", y_true, y_pred)
    z = x * -2.0
    softplus = z.relu() + ((-z.abs()).exp() + 1.0).log()
    return mean_last(x + softplus - math.log(2.0))


def poisson(y_true, y_pred: Tensor) -> Tensor:
    """mean(y_pred - y_true * log(y_pred + 1e-7)) over the last axis.

    Example:
        >>> round(wg.losses.poisson(wg.tensor([[2.0]]), wg.tensor([[1.0]])).item(), 4)   # 1 - 2 log 1
        1.0
    """
    y_true = _align("poisson", y_true, y_pred)
    return mean_last(y_pred - y_true * (y_pred + _EPSILON).log())


def cosine_similarity(y_true, y_pred: Tensor, axis: int = -1) -> Tensor:
    """The negative cosine of the angle between ``y_true`` and ``y_pred`` along ``axis`` (-1: the same
    direction, 0: at right angles), as Keras: a loss to minimize.

    Example:
        >>> y_true, y_pred = wg.tensor([[1.0, 0.0], [1.0, 1.0]]), wg.tensor([[2.0, 0.0], [-1.0, 1.0]])
        >>> [round(v, 4) + 0.0 for v in wg.losses.cosine_similarity(y_true, y_pred).tolist()]
        [-1.0, 0.0]
    """
    y_true = _align("cosine_similarity", y_true, y_pred)
    unit = lambda v: v / (v * v).sum(axis, keepdims=True).maximum(1e-12).sqrt()
    return -(unit(y_true) * unit(y_pred)).sum(axis)


def _log_probs(y_pred: Tensor, from_logits: bool, axis: int) -> Tensor:
    if from_logits:
        return F.log_softmax(y_pred, axis)
    p = y_pred / y_pred.sum(axis, keepdims=True)
    return p.clip(EPSILON, 1.0 - EPSILON).log()


mse, mae = mean_squared_error, mean_absolute_error


# ---- classes -------------------------------------------------------------------------------

class Loss:
    """Averages a per-sample loss over the batch (``reduction="sum_over_batch_size"``, as Keras),
    or sums it (``"sum"``), or returns it per sample (``"none"``).

    Example:
        >>> y_true, y_pred = wg.tensor([[0.0], [1.0]]), wg.tensor([[2.0], [1.0]])
        >>> [wg.losses.MeanSquaredError(reduction=r)(y_true, y_pred).tolist() for r in ("mean", "sum", "none")]
        [2.0, 4.0, [4.0, 0.0]]
    """

    fn = None

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None, **kwargs):
        if reduction not in ("sum_over_batch_size", "mean", "sum", "none", None):
            raise ValueError(f"reduction must be 'sum_over_batch_size', 'sum' or 'none', got {reduction!r}")
        self.reduction, self.kwargs = reduction, kwargs
        self.name = name or _snake(type(self).__name__)

    @property
    def from_logits(self) -> bool:
        """Whether the loss takes logits rather than probabilities (``from_logits=True``); ``compile``'s
        "accuracy" follows it.

        Example:
            >>> wg.losses.BinaryCrossentropy(from_logits=True).from_logits, wg.losses.MeanSquaredError().from_logits
            (True, False)
        """
        return bool(self.kwargs.get("from_logits", False))

    def call(self, y_true, y_pred: Tensor) -> Tensor:
        """The loss of each sample, before the reduction that calling the loss applies.

            >>> wg.losses.MeanSquaredError().call(wg.tensor([[0.0], [1.0]]), wg.tensor([[2.0], [1.0]])).tolist()
            [4.0, 0.0]
        """
        return type(self).fn(y_true, y_pred, **self.kwargs)

    def __call__(self, y_true, y_pred: Tensor) -> Tensor:
        per = self.call(y_true, y_pred)
        if self.reduction in ("sum_over_batch_size", "mean"):
            return per.mean()
        if self.reduction == "sum":
            return per.sum()
        return per

    def get_config(self) -> dict:
        """The loss's arguments (``from_logits``, ``delta``...), ``reduction`` and ``name``, as a dict.

        Example:
            >>> wg.losses.Huber(delta=2.0).get_config()
            {'delta': 2.0, 'reduction': 'sum_over_batch_size', 'name': 'huber'}
        """
        return dict(self.kwargs, reduction=self.reduction, name=self.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.kwargs.items())})"


def _snake(name: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return out


class MeanSquaredError(Loss):
    """``MeanSquaredError()``, also ``"mse"``.

    Example:
        >>> wg.losses.MeanSquaredError()(wg.tensor([[0.0], [1.0]]), wg.tensor([[2.0], [1.0]])).item()   # (4 + 0) / 2
        2.0
    """
    fn = staticmethod(mean_squared_error)


class MeanAbsoluteError(Loss):
    """``MeanAbsoluteError()``, also ``"mae"``.

    Example:
        >>> wg.losses.MeanAbsoluteError()(wg.tensor([[0.0], [1.0]]), wg.tensor([[2.0], [1.0]])).item()   # (2 + 0) / 2
        1.0
    """
    fn = staticmethod(mean_absolute_error)


class Huber(Loss):
    """``Huber(delta=1.0)``.

    Example:
        >>> wg.losses.Huber()(wg.tensor([[0.0], [0.0]]), wg.tensor([[0.5], [3.0]])).item()   # (0.125 + 2.5) / 2
        1.3125
    """
    fn = staticmethod(huber)

    def __init__(self, delta: float = 1.0, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction, name, delta=delta)


class BinaryCrossentropy(Loss):
    """``BinaryCrossentropy(from_logits=False, label_smoothing=0.0)`` for 0/1 targets.

    Example:
        >>> bce = wg.losses.BinaryCrossentropy()
        >>> round(bce(wg.tensor([[1.0], [0.0]]), wg.tensor([[0.9], [0.2]])).item(), 4)   # (-log 0.9 - log 0.8) / 2
        0.1643
    """
    fn = staticmethod(binary_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, reduction="sum_over_batch_size",
                 name=None):
        super().__init__(reduction, name, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(Loss):
    """``CategoricalCrossentropy(from_logits=False, label_smoothing=0.0)`` for one-hot targets.

    Example:
        >>> cce = wg.losses.CategoricalCrossentropy(from_logits=True)
        >>> round(cce(wg.tensor([[0.0, 1.0], [1.0, 0.0]]), wg.tensor([[0.0, 0.0], [0.0, 0.0]])).item(), 4)   # log 2
        0.6931
    """
    fn = staticmethod(categorical_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, reduction="sum_over_batch_size",
                 name=None):
        super().__init__(reduction, name, from_logits=from_logits, label_smoothing=label_smoothing)


class SparseCategoricalCrossentropy(Loss):
    """``SparseCategoricalCrossentropy(from_logits=False)`` for integer class ids.

    Example:
        >>> scce = wg.losses.SparseCategoricalCrossentropy()
        >>> round(scce(wg.tensor([1, 2]), wg.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])).item(), 4)
        1.1769
    """
    fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, from_logits: bool = False, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction, name, from_logits=from_logits)


class KLDivergence(Loss):
    """``KLDivergence()``, also ``"kld"``, for probability distributions.

    Example:
        >>> round(wg.losses.KLDivergence()(wg.tensor([[0.5, 0.5]]), wg.tensor([[0.25, 0.75]])).item(), 4)
        0.1438
    """
    fn = staticmethod(kl_divergence)


class Hinge(Loss):
    """``Hinge()`` for labels of -1 and 1 (or 0 and 1).

    Example:
        >>> round(wg.losses.Hinge()(wg.tensor([[1.0], [0.0]]), wg.tensor([[0.3], [0.5]])).item(), 4)   # (0.7 + 1.5) / 2
        1.1
    """
    fn = staticmethod(hinge)


class LogCosh(Loss):
    """``LogCosh()``: like squared error for small errors, like absolute error for large ones.

    Example:
        >>> round(wg.losses.LogCosh()(wg.tensor([[0.0], [0.0]]), wg.tensor([[1.0], [-1.0]])).item(), 4)
        0.4338
    """
    fn = staticmethod(log_cosh)


class Poisson(Loss):
    """``Poisson()`` for counts predicted as rates.

    Example:
        >>> round(wg.losses.Poisson()(wg.tensor([[2.0], [0.0]]), wg.tensor([[1.0], [3.0]])).item(), 4)   # (1 + 3) / 2
        2.0
    """
    fn = staticmethod(poisson)


class CosineSimilarity(Loss):
    """``CosineSimilarity(axis=-1)``: minus the mean cosine of the angle between target and prediction.

    Example:
        >>> wg.losses.CosineSimilarity()(wg.tensor([[1.0, 0.0]]), wg.tensor([[3.0, 0.0]])).item()
        -1.0
    """
    fn = staticmethod(cosine_similarity)

    def __init__(self, axis: int = -1, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction, name, axis=axis)


ALL = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "huber": Huber, "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "hinge": Hinge, "log_cosh": LogCosh, "poisson": Poisson,
    "cosine_similarity": CosineSimilarity,
}
FUNCTIONS = {"mean_squared_error": mean_squared_error, "mse": mean_squared_error, "mae": mean_absolute_error,
             "mean_absolute_error": mean_absolute_error, "huber": huber, "binary_crossentropy": binary_crossentropy,
             "categorical_crossentropy": categorical_crossentropy,
             "sparse_categorical_crossentropy": sparse_categorical_crossentropy, "kl_divergence": kl_divergence,
             "kld": kl_divergence, "hinge": hinge, "log_cosh": log_cosh, "poisson": poisson,
             "cosine_similarity": cosine_similarity}


def get(identifier) -> Loss:
    """A Loss from a name ('mse'), a Loss, or a function ``f(y_true, y_pred)`` of per-sample values.

    Example:
        >>> wg.losses.get("mse"), wg.losses.get("huber").name
        (MeanSquaredError(), 'huber')
        >>> wg.losses.get(lambda y_true, y_pred: (y_pred - y_true).abs())
        LossFunctionWrapper()
    """
    function = lambda f: LossFunctionWrapper(f) if callable(f) else None
    return from_identifier("loss", identifier, Loss, ALL, ignore_case=False, otherwise=function)


class LossFunctionWrapper(Loss):
    """Any ``f(y_true, y_pred) -> per-sample (or scalar) tensor`` as a Loss.

    Example:
        >>> l1 = wg.losses.LossFunctionWrapper(lambda y_true, y_pred: (y_pred - y_true).abs().sum(-1), name="l1")
        >>> l1(wg.tensor([[0.0, 0.0], [1.0, 1.0]]), wg.tensor([[1.0, -2.0], [1.0, 1.0]])).item()   # (3 + 0) / 2
        1.5
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction, name or getattr(fn, "__name__", "loss"), **kwargs)
        self._fn = fn

    def call(self, y_true, y_pred):
        """The wrapped function's values, ``fn(y_true, y_pred, **kwargs)``, before the reduction.

        Example:
            >>> l1 = wg.losses.LossFunctionWrapper(lambda y_true, y_pred: (y_pred - y_true).abs().sum(-1))
            >>> l1.call(wg.tensor([[0.0, 0.0], [1.0, 1.0]]), wg.tensor([[1.0, -2.0], [1.0, 1.0]])).tolist()
            [3.0, 0.0]
        """
        return self._fn(y_true, y_pred, **self.kwargs)
