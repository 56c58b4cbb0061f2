"""Callbacks: code that ``fit`` runs at the start and end of training, epochs and batches.

``fit`` always adds a ``History`` and, when ``verbose`` is not 0, a ``ProgbarLogger``. The
others are passed in ``callbacks=[...]``: EarlyStopping, ModelCheckpoint, LearningRateScheduler,
TerminateOnNaN, LambdaCallback, and ProgressHook, which hands plain dicts to a function (the
browser page streams them to its charts).

Batch logs are read lazily: ``logs`` given to ``on_train_batch_end`` is a mapping whose values
are read back from the device only when a callback looks at them, so callbacks that ignore them
(or look every few hundred milliseconds, as the progress bar does) cost no synchronization.

    >>> import webgrad as wg
    >>> seen = []
    >>> cb = wg.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(round(logs["loss"], 2)))
"""
from __future__ import annotations

import math
import sys
import time
import weakref
from collections.abc import Mapping

from ..event_files import SummaryWriter


class Callback:
    """Base class: override any of the ``on_*`` methods. ``self.model`` is the model being fit,
    ``self.params`` holds epochs, steps and verbose."""

    def __init__(self):
        self.model, self.params = None, {}

    # The model is held weakly: fit stores its History on the model, and a model <-> callback
    # cycle would leave the model's tensors to the cycle collector instead of freeing them.
    @property
    def model(self):
        """The model being trained (``fit`` sets it), or None before."""
        return self._model_ref() if self._model_ref is not None else None

    @model.setter
    def model(self, model) -> None:
        self._model_ref = weakref.ref(model) if model is not None else None

    def set_model(self, model) -> None:
        """Set ``self.model``; ``fit`` and ``evaluate`` call it before the first hook."""
        self.model = model

    def set_params(self, params: dict) -> None:
        """Set ``self.params``: ``fit`` passes ``{"epochs", "steps", "verbose"}`` (steps per epoch)."""
        self.params = params

    def on_train_begin(self, logs=None):
        """Called once when ``fit`` starts; ``logs`` is empty."""

    def on_train_end(self, logs=None):
        """Called once when ``fit`` ends (after the last epoch, or when training was stopped);
        ``logs`` holds the last epoch's logs, as given to ``on_epoch_end``."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch of ``fit``, ``epoch`` counting from 0; ``logs`` is empty."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch of ``fit``; ``logs`` maps "loss" and each metric's name to its
        mean over the epoch (floats), and with validation data ``val_loss``, ``val_<metric>`` too.

            >>> class Names(wg.callbacks.Callback):
            ...     def on_epoch_end(self, epoch, logs=None):
            ...         self.names = sorted(logs)
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1)])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse", metrics=["mae"])
            >>> names = Names()
            >>> history = model.fit([[0.0], [1.0], [2.0], [3.0]], [[1.0], [3.0], [5.0], [7.0]], epochs=2, verbose=0,
            ...                     validation_data=([[4.0]], [[9.0]]), callbacks=[names])
            >>> names.names
            ['loss', 'mae', 'val_loss', 'val_mae']
        """

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training step of ``fit``, ``batch`` being its index in the epoch; ``logs`` is empty."""

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training step of ``fit``; ``logs`` holds the loss and metrics averaged over the
        epoch's batches so far, read back from the device only when a value is looked at."""

    def on_test_begin(self, logs=None):
        """Called when ``evaluate`` starts (``fit``'s validation passes call no hooks); ``logs`` is empty."""

    def on_test_end(self, logs=None):
        """Called when ``evaluate`` ends; ``logs`` holds the loss and metrics over all its batches."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of ``evaluate``, ``batch`` being its index; ``logs`` is empty."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of ``evaluate``; ``logs`` holds the loss and metrics over the batches so
        far, read back only when a value is looked at."""

    def on_predict_begin(self, logs=None):
        """Called when ``predict`` starts, in Keras; webgrad's ``predict`` does not call it yet."""

    def on_predict_end(self, logs=None):
        """Called when ``predict`` ends, in Keras; webgrad's ``predict`` does not call it yet."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of ``predict``, in Keras; webgrad's ``predict`` does not call it yet."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of ``predict``, in Keras; webgrad's ``predict`` does not call it yet."""


class LazyLogs(Mapping):
    """Metric values by name, read back from the device on first access (all at once)."""

    def __init__(self, read):
        self._read, self._values = read, None

    def _load(self) -> dict:
        if self._values is None:
            self._values = self._read()
        return self._values

    def __getitem__(self, key):
        return self._load()[key]

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def __repr__(self):
        return repr(self._load())


class CallbackList(Callback):
    """Calls every callback in order."""

    def __init__(self, callbacks=None, model=None, params=None):
        super().__init__()
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {cb!r}")
            if model is not None:
                cb.set_model(model)
            if params is not None:
                cb.set_params(params)



def _broadcast(name):
    indexed = "epoch" in name or "batch" in name

    def method(self, *args):
        # Always pass logs (a dict, maybe empty), as Keras does: LambdaCallback functions take two arguments.
        if len(args) < (2 if indexed else 1):
            args = args + ({},)
        for cb in self.callbacks:
            getattr(cb, name)(*args)
    method.__name__ = name
    method.__doc__ = f"Calls ``{name}`` of every callback, in order (with empty ``logs`` when none are given)."
    return method


for _name in [n for n in vars(Callback) if n.startswith("on_")]:
    setattr(CallbackList, _name, _broadcast(_name))
del _name


class History(Callback):
    """Records the epoch logs: ``history.history["val_loss"]`` is a list with one value per epoch.
    ``fit`` returns it."""

    def __init__(self):
        super().__init__()
        self.epoch, self.history = [], {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


def _format_value(v) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.4e}"
    return str(v)


def _format_time(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"


def _format_per_step(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class ProgbarLogger(Callback):
    """The Keras-like progress display, with no dependency (tqdm is not needed, nor in Pyodide).

    On a terminal it redraws one line in place, at most every ``interval`` seconds, then leaves
    the epoch's final line:

        Epoch 3/20
        45/45 ━━━━━━━━━━━━━━━━━━━━ 0s 4ms/step - accuracy: 0.9554 - loss: 0.1570 - val_accuracy: ...

    Elsewhere (a pipe, a log file, the browser console) and with ``verbose=2`` it prints only
    the final line of each epoch.
    """

    def __init__(self, verbose: int = 1, interval: float = 0.1, stream=None, width: int = 20):
        super().__init__()
        self.verbose, self.interval, self.width = verbose, interval, width
        self.stream = stream

    def _out(self):
        return self.stream or sys.stdout

    def _live(self) -> bool:
        if self.verbose != 1:
            return False
        isatty = getattr(self._out(), "isatty", None)
        try:
            return bool(isatty and isatty())
        except Exception:
            return False

    def on_train_begin(self, logs=None):
        self.epochs = self.params.get("epochs", 1)
        self.steps = self.params.get("steps")

    def on_epoch_begin(self, epoch, logs=None):
        self.start, self.last_draw, self.seen = time.perf_counter(), 0.0, 0
        if self.epochs > 1 or self.verbose == 1:
            self._write(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_train_batch_end(self, batch, logs=None):
        self.seen = batch + 1
        if not self._live():
            return
        now = time.perf_counter()
        if now - self.last_draw >= self.interval or self.seen == self.steps:
            self.last_draw = now
            self._write("\r" + self._line(self.seen, dict(logs or {}), final=False) + "\x1b[K")

    def on_epoch_end(self, epoch, logs=None):
        line = self._line(self.seen, dict(logs or {}), final=True)
        self._write(("\r" if self._live() else "") + line + ("\x1b[K" if self._live() else "") + "\n")

    def on_test_begin(self, logs=None):
        # evaluate() on its own: one line for the whole pass (fit's validation runs silently)
        self.steps = self.params.get("steps")
        self.start, self.last_draw, self.seen = time.perf_counter(), 0.0, 0

    def on_test_batch_end(self, batch, logs=None):
        self.on_train_batch_end(batch, logs)

    def on_test_end(self, logs=None):
        self.on_epoch_end(0, logs)

    def _bar(self, seen: int) -> str:
        if not self.steps:
            return ""
        filled = int(self.width * seen / self.steps)
        return " " + "━" * filled + ("╸" if filled < self.width else "") + " " * max(0, self.width - filled - 1)

    def _line(self, seen: int, logs: dict, final: bool) -> str:
        elapsed = time.perf_counter() - self.start
        total = f"{seen}/{self.steps}" if self.steps else f"{seen}"
        if final or not self.steps:
            timing = f"{_format_time(elapsed)} {_format_per_step(elapsed / max(seen, 1))}"
        else:
            timing = f"{_format_time(elapsed / seen * (self.steps - seen))} {_format_per_step(elapsed / max(seen, 1))}"
        parts = [f"{total}{self._bar(seen)} {timing}" if self._live() else f"{total} - {timing}"]
        parts += [f"{k}: {_format_value(v)}" for k, v in sorted(logs.items())]
        return " - ".join(parts)

    def _write(self, text: str) -> None:
        out = self._out()
        out.write(text)
        flush = getattr(out, "flush", None)
        if flush:
            flush()


class EarlyStopping(Callback):
    """Stops training when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs;
    with ``restore_best_weights`` the model gets the weights of its best epoch back.

        >>> import webgrad as wg
        >>> stop = wg.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0):
        super().__init__()
        self.monitor, self.min_delta, self.patience, self.verbose = monitor, abs(min_delta), patience, verbose
        self.baseline, self.restore_best_weights, self.start_from_epoch = baseline, restore_best_weights, start_from_epoch
        self.mode = _mode(mode, monitor)
        self.stopped_epoch = 0

    def _better(self, value, reference) -> bool:
        if reference is None:
            return True
        return value < reference - self.min_delta if self.mode == "min" else value > reference + self.min_delta

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best, self.best_weights = self.baseline, None

    def on_epoch_end(self, epoch, logs=None):
        value = _monitored(self, logs)
        if value is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._better(value, self.best):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None and self.stopped_epoch:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


def _mode(mode: str, monitor: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if any(k in monitor for k in ("acc", "auc", "precision", "recall")) else "min"


def _monitored(cb, logs):
    value = (logs or {}).get(cb.monitor)
    if value is None:
        import warnings
        warnings.warn(f"{type(cb).__name__}: the monitored metric {cb.monitor!r} is not in the logs; available: "
                      f"{', '.join(sorted(logs or {}))}", stacklevel=3)
    return value


class ModelCheckpoint(Callback):
    """Saves the weights (safetensors) after each epoch, or only when ``monitor`` improves
    (``save_best_only``). ``filepath`` may name the epoch and logs: ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``."""

    def __init__(self, filepath: str, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = True, mode: str = "auto", save_freq="epoch"):
        super().__init__()
        if save_freq != "epoch":
            raise NotImplementedError("ModelCheckpoint: only save_freq='epoch' is supported")
        if not save_weights_only:
            raise NotImplementedError("ModelCheckpoint: webgrad saves weights (safetensors); pass save_weights_only=True")
        self.filepath, self.monitor, self.verbose, self.save_best_only = str(filepath), monitor, verbose, save_best_only
        self.mode, self.best = _mode(mode, monitor), None

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            value = _monitored(self, logs)
            if value is None:
                return
            if self.best is not None and not (value < self.best if self.mode == "min" else value > self.best):
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best} to {value:.5f}, saving to {path}")
            self.best = value
        self.model.save_weights(path)


class LearningRateScheduler(Callback):
    """Sets the learning rate at each epoch's start to ``schedule(epoch, lr)``.

        >>> import webgrad as wg
        >>> cb = wg.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.9 if epoch > 5 else lr)
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        lr = float(self.schedule(epoch, opt.current_learning_rate))
        if not math.isfinite(lr):
            raise ValueError(f"LearningRateScheduler: the schedule returned {lr} at epoch {epoch}")
        opt.learning_rate = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        """Adds ``learning_rate`` (the current one) to the epoch's logs, so ``History`` records it."""
        if logs is not None and isinstance(logs, dict):
            logs["learning_rate"] = self.model.optimizer.current_learning_rate


class TerminateOnNaN(Callback):
    """Stops training quietly when the loss becomes NaN or infinite, printing where.

    ``fit`` watches the loss itself (without reading it back every step); with this callback a
    bad loss ends training and ``fit`` returns its History, without it ``fit`` raises
    ``FloatingPointError`` naming the epoch and step.
    """

    def on_nan(self, epoch: int, step: int, message: str) -> None:
        """Called by ``fit`` when the loss has become NaN or infinite at ``step`` of ``epoch`` (both from 0);
        ``message`` says where and what to try. Prints it and stops training."""
        print(f"Batch {step}: Invalid loss, terminating training. ({message})")
        self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None):
        super().__init__()
        for name, fn in (("on_epoch_begin", on_epoch_begin), ("on_epoch_end", on_epoch_end),
                         ("on_train_begin", on_train_begin), ("on_train_end", on_train_end),
                         ("on_train_batch_begin", on_train_batch_begin), ("on_train_batch_end", on_train_batch_end)):
            if fn is not None:
                setattr(self, name, fn)


class ProgressHook(Callback):
    """Calls ``fn(event)`` with plain, JSON-ready dicts as training runs: for the browser to
    stream progress to the page (``postMessage``), or any logger.

    Events: ``{"event": "train_begin", "epochs", "steps"}``;
    ``{"event": "batch", "epoch", "step", "steps", "logs"}`` at most every ``every`` seconds
    (0: every batch, which reads the metrics back each step); ``{"event": "epoch", "epoch",
    "logs"}`` with the validation metrics; ``{"event": "train_end", "logs"}``.

        >>> import webgrad as wg
        >>> events = []
        >>> hook = wg.callbacks.ProgressHook(events.append, every=0.25)
    """

    def __init__(self, fn, every: float = 0.1):
        super().__init__()
        self.fn, self.every = fn, float(every)
        self.epoch, self.last = 0, 0.0

    def on_train_begin(self, logs=None):
        self.fn({"event": "train_begin", "epochs": self.params.get("epochs"), "steps": self.params.get("steps")})

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        steps = self.params.get("steps")
        if now - self.last >= self.every or (steps and batch + 1 == steps):
            self.last = now
            self.fn({"event": "batch", "epoch": self.epoch, "step": batch + 1, "steps": steps,
                     "logs": dict(logs or {})})

    def on_epoch_end(self, epoch, logs=None):
        self.fn({"event": "epoch", "epoch": epoch, "logs": dict(logs or {})})

    def on_train_end(self, logs=None):
        self.fn({"event": "train_end", "logs": dict(logs or {})})


class TensorBoard(Callback):
    """Writes the epoch logs as TensorBoard scalars, as Keras does: the training metrics under
    ``<log_dir>/train`` and the ``val_*`` ones under ``<log_dir>/validation``, tagged
    ``epoch_loss``, ``epoch_accuracy``... with the epoch as the step. Pure Python (runs in Pyodide);
    view with ``tensorboard --logdir <log_dir>``.

        >>> import webgrad as wg
        >>> tb = wg.callbacks.TensorBoard("logs/run1")   # then model.fit(..., callbacks=[tb])
    """

    def __init__(self, log_dir: str = "logs"):
        super().__init__()
        self.log_dir = str(log_dir)
        self._writers = {}

    def _writer(self, name: str):
        if name not in self._writers:
            import os

            self._writers[name] = SummaryWriter(os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_train_begin(self, logs=None):
        self._close()

    def on_epoch_end(self, epoch, logs=None):
        for key, value in dict(logs or {}).items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            name, tag = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            self._writer(name).scalar(f"epoch_{tag}", value, epoch)

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        for w in self._writers.values():
            w.close()
        self._writers = {}
