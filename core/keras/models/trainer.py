"""compile / fit / evaluate / predict / train_on_batch: the training loop of every Model.

One training step runs the model with ``training=True``, takes the loss (plus the layers'
regularization penalties), backpropagates, and lets the optimizer update each trainable weight.
Nothing is read back from the device during an epoch unless a callback asks for a value (the
progress bar does, a few times a second): the running loss and metrics stay on the device,
and a NaN loss is found from the running sum, then traced to its step.

    >>> import webgrad as wg
    >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1)])
    >>> model.compile(optimizer=wg.optimizers.SGD(0.1), loss="mse")
    >>> history = model.fit([[0.0], [1.0]], [[1.0], [3.0]], epochs=100, verbose=0)
    >>> round(model.predict([[2.0]]).item(), 1)
    5.0
"""
from __future__ import annotations

import math
import sys

from ...autograd import current_tracer, enable_grad, no_grad, scope
from ...datasets.batches import Batches, as_device_tensor
from ...graph import function
from ...graph.single_kernel import run_eagerly, step_arguments
from ...ops import ShapeError
from ...tensor import Tensor, cat, stack, zeros
from .. import callbacks as callbacks_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module

NAN_CHECK_EVERY = 256    # steps at most between two looks at the running loss


class Trainer:
    """The training half of ``Model`` (mixed in; see model.py)."""

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled_metrics: list = []
        self.stop_training = False
        self.history = None
        self._loss_tracker = metrics_module.Mean("loss")

    # ---- compile -------------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, run_eagerly=None, steps_per_execution: int = 1,
                **kwargs) -> None:
        """Choose the optimizer, the loss and the metrics to report.

            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

        Names and objects are both accepted; an unknown name lists the valid ones. With
        ``steps_per_execution=N`` (as Keras), ``fit`` runs N steps per call: one single-kernel dispatch
        where the step fits in one kernel, the traced plan N times otherwise; batch callbacks then
        see every N-th step.
        """
        unsupported = {k: v for k, v in kwargs.items() if v not in (None, False, 1, "auto")}
        if unsupported:
            raise NotImplementedError(f"compile: {', '.join(sorted(unsupported))} not supported yet")
        if loss is None:
            raise ValueError("compile: give a loss, e.g. loss='mse' or loss='sparse_categorical_crossentropy'")
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(f"compile: steps_per_execution must be a positive integer, got {steps_per_execution!r}")
        self.steps_per_execution = steps_per_execution
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses_module.get(loss)
        if isinstance(metrics, (str, metrics_module.Metric)) or callable(metrics):
            metrics = [metrics]
        self.compiled_metrics = [metrics_module.get(m, self.loss) for m in (metrics or [])]
        self.run_eagerly = run_eagerly
        self._stepped = False               # a new optimizer: its first step runs eagerly again
        self._traced_train_steps: dict[int, object] = {}    # steps per call -> the traced train_step

    def _require_compiled(self, what: str) -> None:
        if self.loss is None:
            raise RuntimeError(f"{what}: compile the model first, e.g. model.compile(optimizer='adam', loss='mse')")

    @property
    def metrics(self) -> list:
        """The loss tracker ("loss") and the compiled metrics, in the order the logs report them."""
        return [self._loss_tracker] + self.compiled_metrics

    @property
    def metrics_names(self) -> list[str]:
        """The names of ``metrics``: ``["loss", ...]``, the keys of the logs."""
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Clear the running loss and metrics (``fit`` does at each epoch's start, ``evaluate`` at its start)."""
        for m in self.metrics:
            m.reset_state()

    def _metric_tensors(self) -> dict:
        return {m.name: m.result_tensor() for m in self.metrics}

    def _read_metrics(self) -> dict:
        return {name: float(t.item()) for name, t in self._metric_tensors().items()}

    # ---- one step ------------------------------------------------------------------------------

    def compute_loss(self, x, y, y_pred) -> Tensor:
        """The compiled loss plus the layers' regularization penalties."""
        loss = self.loss(y, y_pred)
        for penalty in self.losses:
            loss = loss + penalty
        return loss

    def train_step(self, x, y) -> Tensor:
        """One optimizer step on the batch (x, y); returns the loss (a 0-d tensor, not read back)."""
        with enable_grad():            # traced, the graph's phases: forward, loss, backward, update, metrics
            with scope("forward"):
                y_pred = self(x, training=True)
            with scope("loss"):
                loss = self.compute_loss(x, y, y_pred)
        params = self.trainable_weights        # after the call: a subclassed model builds in it
        if not params:
            raise ValueError(f"model {self.name!r} has no trainable weights to fit")
        if not loss.requires_grad:
            raise RuntimeError("the loss does not depend on any trainable weight (was the model frozen?)")
        loss.backward()
        grads = [p.grad for p in params]
        for p in params:
            p.grad = None
        with scope("update"):
            names = self._weight_labels() if current_tracer() else {}
            self.optimizer.apply(grads, params, [names.get(id(p), f"{k}") for k, p in enumerate(params)])
        with scope("metrics"):
            self._update_metrics(x, y, y_pred.detach(), loss.detach())
        return loss

    def _train_function(self, steps: int = 1):
        """train_step as fit calls it, for ``steps`` stacked batches a call: traced into one graph
        (forward, backward, optimizer update, metrics) with @wg.function once the model and its
        optimizer exist, unless compiled with run_eagerly=True. A model that makes its weights in its
        first call (a subclassed model, a Sequential without an Input) runs that call eagerly, so the
        weights are real tensors before tracing captures them; a built model is traced from its first
        step (the optimizer makes its state as the trace reaches it), which saves the page compiling
        every eager kernel of the step before the traced ones: in a fresh page the digits CNN's first
        step took 3.6 s with an eager first step and 2.3-2.6 s traced, its second 2.3-2.6 s and 0.5-0.6 s."""
        if self.run_eagerly:
            return self.train_step if steps == 1 else lambda x, y: run_eagerly(self.train_step, (x, y), steps)
        if not getattr(self, "_stepped", False):
            self._stepped = True
            if not self.trainable_weights:
                return self.train_step if steps == 1 else self._first_steps
        traced = self._traced_train_steps.get(steps)
        if traced is None or traced.fn != self.train_step:
            traced = self._traced_train_steps[steps] = function(self.train_step, steps_per_execution=steps)
        return traced

    def _graph_source(self):
        """What ``wg.graph_view`` draws of this model: the traced training step fit ran, the one of most steps a
        call where it ran several (``steps_per_execution``'s, not the short last call of an epoch), else the
        forward pass traced on one example; with the weights' labels ("hidden/kernel")."""
        ran = {steps: f for steps, f in getattr(self, "_traced_train_steps", {}).items() if f._last is not None}
        if ran:
            weights = self._weight_labels()
            metrics = {id(t): f"{m.name}/{attr}" for m in self.metrics
                       for attr, t in vars(m).items() if isinstance(t, Tensor)}
            return ran[max(ran)], {**metrics, **self.optimizer._state_labels(weights), **weights}
        try:
            shape = self.input_shape
        except (AttributeError, ValueError):
            shape = None
        if not isinstance(shape, tuple) or not all(isinstance(d, int) or d is None for d in shape):
            raise ValueError(f"graph_view: model {self.name!r} has not been built or fit, or takes several inputs; "
                             f"fit it once (its training step is drawn) or call it on a batch first")
        def forward(x):
            return self(x, training=False)
        forward.__name__ = self.name
        traced = function(forward)
        traced(zeros(1, *shape[1:]))
        return traced, self._weight_labels()

    def _first_steps(self, x, y) -> Tensor:
        """A first call of several stacked steps: the first eagerly, the rest by the traced single step
        (shape-generic kernels, compiled in milliseconds), their losses stacked."""
        steps = (x[0] if isinstance(x, (list, tuple)) else x).shape[0]
        losses = [self.train_step(*step_arguments((x, y), steps, 0))]
        one = self._train_function(1)
        losses += [one(*step_arguments((x, y), steps, k)) for k in range(1, steps)]
        return stack(losses)

    def test_step(self, x, y) -> Tensor:
        """One evaluation step on the batch (x, y) in inference mode: updates the running loss and metrics
        and returns the loss (a 0-d tensor, not read back)."""
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred)
        self._update_metrics(x, y, y_pred, loss)
        return loss

    def _update_metrics(self, x, y, y_pred, loss) -> None:
        n = (x[0] if isinstance(x, (list, tuple)) else x).shape[0]
        with no_grad():
            self._loss_tracker.add(loss * float(n), n)
            for m in self.compiled_metrics:
                m.update_state(y, y_pred)

    # ---- data ----------------------------------------------------------------------------------

    def _n_inputs(self) -> int:
        graph = getattr(self, "_graph", None)
        return len(graph.inputs) if graph is not None else 1

    def _batches(self, x, y, batch_size, shuffle: bool, what: str):
        """(iterable of (x, y) batches, number of batches or None)."""
        if isinstance(x, Batches) or (y is None and hasattr(x, "__iter__") and not isinstance(x, (Tensor, list, tuple))
                                      and not hasattr(x, "__array_interface__")):
            if isinstance(x, Batches):
                n_in = self._n_inputs()
                return _Split(x, n_in, has_y=len(x.arrays) > n_in), len(x)
            return x, (len(x) if hasattr(x, "__len__") else None)
        if x is None:
            raise ValueError(f"{what}: give the inputs x")
        n_in = self._n_inputs()
        xs = [as_device_tensor(a) for a in x] if n_in > 1 else [as_device_tensor(x)]
        self._check_model_input(xs if n_in > 1 else xs[0], what)
        arrays = list(xs)
        if y is not None:
            yt = as_device_tensor(y, xs[0].device)
            if not yt.shape or yt.shape[0] != xs[0].shape[0]:
                raise ShapeError(f"{what}: x has {xs[0].shape[0]} samples but y has "
                                 f"{yt.shape[0] if yt.shape else 'no sample axis'} (shapes {xs[0].shape} and {yt.shape})")
            arrays.append(yt)
        batches = Batches(*arrays, batch_size=batch_size or 32, shuffle=shuffle)
        return _Split(batches, n_in, has_y=y is not None), len(batches)

    # ---- fit -----------------------------------------------------------------------------------

    def fit(self, x=None, y=None, batch_size: int | None = None, epochs: int = 1, verbose="auto", callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True, initial_epoch: int = 0,
            class_weight=None, sample_weight=None, validation_batch_size: int | None = None):
        """Train for ``epochs`` passes over (x, y); returns a ``History``.

        x and y may be tensors, NumPy arrays or nested lists (or a ``Batches``, or any iterable
        of (x, y) batches, with y None). ``validation_data=(x_val, y_val)`` or
        ``validation_split`` (the last fraction of x and y, before shuffling) adds val_ metrics.
        ``verbose``: 0 silent, 1 progress bar, 2 one line per epoch, "auto" 1 on a terminal else 2.
        """
        self._require_compiled("fit")
        if class_weight is not None or sample_weight is not None:
            raise NotImplementedError("fit: class_weight and sample_weight are not supported yet")
        if validation_split and validation_data is None:
            if not 0.0 < validation_split < 1.0:
                raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split}")
            x, y, validation_data = _split_validation(x, y, validation_split, self._n_inputs())
        data, steps = self._batches(x, y, batch_size, shuffle, "fit")
        verbose = _resolve_verbose(verbose)
        history = callbacks_module.History()
        user = list(callbacks or [])
        cbs = ([callbacks_module.ProgbarLogger(verbose)] if verbose else []) + user + [history]
        cb = callbacks_module.CallbackList(cbs, model=self, params={"epochs": epochs, "steps": steps, "verbose": verbose,
                                                                    "batch_size": batch_size})
        self.history = history
        self.stop_training = False
        watch = _NanWatch(self, [c for c in user if isinstance(c, callbacks_module.TerminateOnNaN)])
        logs: dict = {}
        spe = getattr(self, "steps_per_execution", 1)
        cb.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            watch.epoch = epoch
            cb.on_epoch_begin(epoch)
            step = -1
            for k, xb, yb in data.blocks(spe) if spe > 1 and isinstance(data, _Split) else _one_by_one(data):
                cb.on_train_batch_begin(step + 1)
                loss = self._train_function(k)(xb, yb)
                step += k
                watch.add(step, loss if k == 1 else loss[-1])
                cb.on_train_batch_end(step, callbacks_module.LazyLogs(watch.read_logs))
                if self.stop_training:
                    break
            if step < 0:
                raise ValueError("fit: the data gave no batches")
            logs = self._read_metrics()
            watch.check(logs)
            if validation_data is not None and not self.stop_training:
                val = self.evaluate(*_unpack_validation(validation_data), batch_size=validation_batch_size or batch_size,
                                    verbose=0, return_dict=True)
                logs.update({f"val_{k}": v for k, v in val.items()})
            cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cb.on_train_end(logs)
        return history

    # ---- evaluate, predict ---------------------------------------------------------------------

    def evaluate(self, x=None, y=None, batch_size: int | None = None, verbose="auto", return_dict: bool = False,
                 callbacks=None):
        """The loss and metrics over (x, y), in inference mode: a float, a list [loss, metrics...],
        or with ``return_dict`` a dict by name."""
        self._require_compiled("evaluate")
        data, steps = self._batches(x, y, batch_size, False, "evaluate")
        verbose = _resolve_verbose(verbose)
        cbs = ([callbacks_module.ProgbarLogger(verbose)] if verbose else []) + list(callbacks or [])
        cb = callbacks_module.CallbackList(cbs, model=self, params={"epochs": 1, "steps": steps, "verbose": verbose})
        self.reset_metrics()
        cb.on_test_begin()
        for step, (xb, yb) in enumerate(data):
            cb.on_test_batch_begin(step)
            self.test_step(xb, yb)
            cb.on_test_batch_end(step, callbacks_module.LazyLogs(self._read_metrics))
        logs = self._read_metrics()
        cb.on_test_end(logs)
        if return_dict:
            return logs
        values = [logs[m.name] for m in self.metrics]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size: int | None = None, verbose=0, callbacks=None) -> Tensor:
        """The model's outputs for x (inference mode), as one tensor (``.numpy()`` or ``.tolist()`` it)."""
        data, steps = self._batches(x, None, batch_size, False, "predict")
        outs = []
        with no_grad():
            for batch in data:
                xb = batch[0] if isinstance(batch, tuple) else batch
                outs.append(self(xb, training=False))
        return cat(outs, axis=0) if len(outs) > 1 else outs[0]

    def train_on_batch(self, x, y, return_dict: bool = False):
        """One optimizer step on (x, y) as given; returns the loss (and metrics) of this batch."""
        self._require_compiled("train_on_batch")
        xs, ys = self._as_batch(x, y, "train_on_batch")
        self.reset_metrics()
        self.train_step(xs, ys)
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y, return_dict: bool = False):
        """The loss (and metrics) of the batch (x, y) in inference mode, the weights left as they are;
        a dict by name with ``return_dict``."""
        self._require_compiled("test_on_batch")
        xs, ys = self._as_batch(x, y, "test_on_batch")
        self.reset_metrics()
        self.test_step(xs, ys)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x) -> Tensor:
        """The model's outputs for x as one batch, in inference mode."""
        xs, _ = self._as_batch(x, None, "predict_on_batch")
        with no_grad():
            return self(xs, training=False)

    def _as_batch(self, x, y, what):
        n_in = self._n_inputs()
        xs = [as_device_tensor(a) for a in x] if n_in > 1 else as_device_tensor(x)
        self._check_model_input(xs, what)
        return xs, (as_device_tensor(y) if y is not None else None)

    def _batch_result(self, return_dict):
        logs = self._read_metrics()
        if return_dict:
            return logs
        values = [logs[m.name] for m in self.metrics]
        return values[0] if len(values) == 1 else values


class _Split:
    """Batches of (x..., y) as (x, y) pairs: x a tensor (or a list for several inputs)."""

    def __init__(self, batches: Batches, n_inputs: int, has_y: bool):
        self.batches, self.n_inputs, self.has_y = batches, n_inputs, has_y

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for parts in self.batches:
            yield self._pair(parts)

    def blocks(self, steps: int):
        """(k, x, y): blocks of ``steps`` batches stacked, then the batches left over (k 1)."""
        for k, parts in self.batches.blocks(steps):
            yield (k, *self._pair(parts))

    def _pair(self, parts):
        n = self.n_inputs
        return (parts[0] if n == 1 else list(parts[:n])), (parts[n] if self.has_y else None)


def _one_by_one(data):
    for x, y in data:
        yield 1, x, y


class _NanWatch:
    """Finds a non-finite loss without reading the loss back every step.

    The epoch's running loss sum (kept on the device by the loss tracker) turns NaN or inf
    once any step's does; it is read when the progress display reads metrics, every
    ``NAN_CHECK_EVERY`` steps, and at the epoch's end. Only then are the recent steps' losses
    read, to name the first bad step.
    """

    def __init__(self, model, terminators):
        self.model, self.terminators = model, terminators
        self.epoch, self.pending = 0, []

    def add(self, step: int, loss: Tensor) -> None:
        self.pending.append((step, loss.detach()))
        if len(self.pending) >= NAN_CHECK_EVERY:
            self.check()

    def read_logs(self) -> dict:
        logs = self.model._read_metrics()
        if not math.isfinite(logs.get("loss", 0.0)):
            self.check()
        return logs

    def check(self, logs: dict | None = None) -> None:
        """Raise (or tell the TerminateOnNaN callbacks) when a recent step's loss is not finite;
        ``logs`` already read at an epoch's end spare reading the running loss again."""
        if not self.pending:
            return
        if logs is not None and math.isfinite(logs.get("loss", 0.0)):
            self.pending.clear()
            return
        total = self.model._loss_tracker.total
        if total is None or math.isfinite(float(total.item())):
            self.pending.clear()
            return
        step, value = next(((s, v) for s, l in self.pending if not math.isfinite(v := float(l.item()))),
                           (self.pending[0][0], float("nan")))
        self.pending.clear()
        opt = self.model.optimizer
        message = (f"the loss became {value} at epoch {self.epoch + 1}, step {step + 1} (the weights are now "
                   f"unusable). Lower the learning rate (now {opt.current_learning_rate:g}), clip gradients "
                   f"(e.g. {type(opt).__name__}(clipnorm=1.0)), or check the data for NaN or inf")
        if self.terminators:
            for t in self.terminators:
                t.on_nan(self.epoch, step, message)
            return
        raise FloatingPointError(f"fit: {message}. (Pass callbacks=[TerminateOnNaN()] to stop without an error.)")


def _resolve_verbose(verbose) -> int:
    if verbose == "auto":
        isatty = getattr(sys.stdout, "isatty", None)
        try:
            return 1 if isatty and isatty() else 2
        except Exception:
            return 2
    return int(verbose)


def _split_validation(x, y, fraction, n_inputs):
    xs = [as_device_tensor(a) for a in x] if n_inputs > 1 else [as_device_tensor(x)]
    n = xs[0].shape[0]
    cut = int(n * (1 - fraction))
    if cut <= 0 or cut >= n:
        raise ValueError(f"fit: validation_split={fraction} leaves no training or no validation samples of {n}")
    yt = as_device_tensor(y, xs[0].device) if y is not None else None
    train_x = [a[:cut] for a in xs]
    val_x = [a[cut:] for a in xs]
    pick = (lambda v: v) if n_inputs > 1 else (lambda v: v[0])
    return pick(train_x), (yt[:cut] if yt is not None else None), (pick(val_x), yt[cut:] if yt is not None else None)


def _unpack_validation(data):
    if isinstance(data, Batches):
        return data, None
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return data[0], data[1]
    raise ValueError("fit: validation_data must be (x_val, y_val)")
