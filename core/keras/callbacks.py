"""Callbacks: code that ``fit`` runs at the start and end of training, epochs and batches.

``fit`` always adds a ``History`` and, when ``verbose`` is not 0, a ``ProgbarLogger``. The
others are passed in ``callbacks=[...]``: EarlyStopping, ModelCheckpoint, LearningRateScheduler,
ReduceLROnPlateau, CSVLogger, TerminateOnNaN, TensorBoard, LambdaCallback, and ProgressHook, which
hands plain dicts to a function (the browser page streams them to its charts).

Batch logs are read lazily: ``logs`` given to ``on_train_batch_end`` is a mapping whose values
are read back from the device only when a callback looks at them, so callbacks that ignore them
(or look every few hundred milliseconds, as the progress bar does) cost no synchronization.

    >>> import webgrad as wg
    >>> seen = []
    >>> cb = wg.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(round(logs["loss"], 2)))
"""
from __future__ import annotations

import csv
import math
import os
import sys
import time
import weakref
from collections.abc import Mapping

from ..event_files import writer as event_writer


class Callback:
    """Base class: override any of the ``on_*`` methods. ``self.model`` is the model being fit,
    ``self.params`` holds epochs, steps and verbose.

    Example:
        >>> class Printer(wg.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, self.params["steps"], self.model.name)
        >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1)], name="tiny")
        >>> model.compile(wg.optimizers.SGD(0.1), "mse")
        >>> _ = model.fit([[0.0], [1.0], [2.0]], [[0.0], [2.0], [4.0]], batch_size=2, epochs=2, verbose=0,
        ...               callbacks=[Printer()])
        0 2 tiny
        1 2 tiny
    """

    def __init__(self):
        self.model, self.params = None, {}

    # The model is held weakly: fit stores its History on the model, and a model <-> callback
    # cycle would leave the model's tensors to the cycle collector instead of freeing them.
    @property
    def model(self):
        """The model being trained (``fit`` sets it), or None before.

        Example:
            >>> cb = wg.callbacks.Callback()
            >>> print(cb.model)
            None
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1)])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.fit([[0.0]], [[1.0]], verbose=0, callbacks=[cb])
            >>> cb.model is model
            True
        """
        return self._model_ref() if self._model_ref is not None else None

    @model.setter
    def model(self, model) -> None:
        self._model_ref = weakref.ref(model) if model is not None else None

    def set_model(self, model) -> None:
        """Set ``self.model``; ``fit`` and ``evaluate`` call it before the first hook.

        Example:
            >>> cb, model = wg.callbacks.Callback(), wg.Sequential([wg.layers.Dense(1)])
            >>> cb.set_model(model)
            >>> cb.model is model
            True
        """
        self.model = model

    def set_params(self, params: dict) -> None:
        """Set ``self.params``: ``fit`` passes ``{"epochs", "steps", "verbose"}`` (steps per epoch).

        Example:
            >>> class Params(wg.callbacks.Callback):
            ...     def on_train_begin(self, logs=None):
            ...         print(self.params)
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1)])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.fit([[0.0], [1.0], [2.0]], [[0.0], [2.0], [4.0]], batch_size=2, epochs=3, verbose=0,
            ...               callbacks=[Params()])
            {'epochs': 3, 'steps': 2, 'verbose': 0, 'batch_size': 2}
        """
        self.params = params

    def on_train_begin(self, logs=None):
        """Called once when ``fit`` starts; ``logs`` is empty.

        Example:
            >>> class Begin(wg.callbacks.Callback):
            ...     def on_train_begin(self, logs=None):
            ...         print("training for", self.params["epochs"], "epochs, logs:", logs)
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.fit([[0.0]], [[1.0]], epochs=2, verbose=0, callbacks=[Begin()])
            training for 2 epochs, logs: {}
        """

    def on_train_end(self, logs=None):
        """Called once when ``fit`` ends (after the last epoch, or when training was stopped);
        ``logs`` holds the last epoch's logs, as given to ``on_epoch_end``.

        Example:
            >>> class End(wg.callbacks.Callback):
            ...     def on_train_end(self, logs=None):
            ...         print(sorted(logs))
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.fit([[0.0]], [[1.0]], verbose=0, validation_data=([[1.0]], [[2.0]]), callbacks=[End()])
            ['loss', 'val_loss']
        """

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch of ``fit``, ``epoch`` counting from 0; ``logs`` is empty.

        Example:
            >>> class Epochs(wg.callbacks.Callback):
            ...     def on_epoch_begin(self, epoch, logs=None):
            ...         print("epoch", epoch)
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.fit([[0.0]], [[1.0]], initial_epoch=1, epochs=3, verbose=0, callbacks=[Epochs()])
            epoch 1
            epoch 2
        """

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
        """Called before each training step of ``fit``, ``batch`` being its index in the epoch; ``logs`` is empty.

        Example:
            >>> class Steps(wg.callbacks.Callback):
            ...     seen = []
            ...     def on_train_batch_begin(self, batch, logs=None):
            ...         self.seen.append(batch)
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.fit([[0.0], [1.0], [2.0]], [[0.0], [2.0], [4.0]], batch_size=2, epochs=2, verbose=0,
            ...               callbacks=[Steps()])
            >>> Steps.seen
            [0, 1, 0, 1]
        """

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training step of ``fit``; ``logs`` holds the loss and metrics averaged over the
        epoch's batches so far, read back from the device only when a value is looked at.

        Example:
            >>> class Losses(wg.callbacks.Callback):
            ...     def on_train_batch_end(self, batch, logs=None):
            ...         print(batch, round(logs["loss"], 4))
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.fit([[0.0], [1.0], [2.0]], [[0.0], [2.0], [4.0]], batch_size=2, shuffle=False, verbose=0,
            ...               callbacks=[Losses()])
            0 2.0
            1 5.1867

        (The second value is the mean of the batch losses 2.0 and 11.56, weighted by their 2 and 1 samples.)
        """

    def on_test_begin(self, logs=None):
        """Called when ``evaluate`` starts (``fit``'s validation passes call no hooks); ``logs`` is empty.

        Example:
            >>> class Test(wg.callbacks.Callback):
            ...     def on_test_begin(self, logs=None):
            ...         print("evaluating", self.params["steps"], "batches")
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.evaluate([[0.0], [1.0], [2.0]], [[0.0], [2.0], [4.0]], batch_size=2, verbose=0,
            ...                    callbacks=[Test()])
            evaluating 2 batches
        """

    def on_test_end(self, logs=None):
        """Called when ``evaluate`` ends; ``logs`` holds the loss and metrics over all its batches.

        Example:
            >>> class Result(wg.callbacks.Callback):
            ...     def on_test_end(self, logs=None):
            ...         print(logs)
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse", metrics=["mae"])
            >>> _ = model.evaluate([[0.0], [1.0]], [[0.0], [2.0]], verbose=0, callbacks=[Result()])
            {'loss': 2.0, 'mae': 1.0}
        """

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of ``evaluate``, ``batch`` being its index; ``logs`` is empty.

        Example:
            >>> class Batches(wg.callbacks.Callback):
            ...     def on_test_batch_begin(self, batch, logs=None):
            ...         print("batch", batch, logs)
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.evaluate([[0.0], [1.0], [2.0]], [[0.0], [2.0], [4.0]], batch_size=2, verbose=0,
            ...                    callbacks=[Batches()])
            batch 0 {}
            batch 1 {}
        """

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of ``evaluate``; ``logs`` holds the loss and metrics over the batches so
        far, read back only when a value is looked at.

        Example:
            >>> class Losses(wg.callbacks.Callback):
            ...     def on_test_batch_end(self, batch, logs=None):
            ...         print(batch, round(logs["loss"], 4))
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.evaluate([[0.0], [1.0], [2.0]], [[0.0], [2.0], [4.0]], batch_size=2, verbose=0,
            ...                    callbacks=[Losses()])
            0 2.0
            1 6.6667
        """

    def on_predict_begin(self, logs=None):
        """Called when ``predict`` starts, in Keras; webgrad's ``predict`` does not call it yet.

        Example:
            >>> class Hook(wg.callbacks.Callback):
            ...     def on_predict_begin(self, logs=None):
            ...         print("on_predict_begin", logs)
            >>> wg.callbacks.CallbackList([Hook()]).on_predict_begin()
            on_predict_begin {}
        """

    def on_predict_end(self, logs=None):
        """Called when ``predict`` ends, in Keras; webgrad's ``predict`` does not call it yet.

        Example:
            >>> class Hook(wg.callbacks.Callback):
            ...     def on_predict_end(self, logs=None):
            ...         print("on_predict_end", logs)
            >>> wg.callbacks.CallbackList([Hook()]).on_predict_end()
            on_predict_end {}
        """

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of ``predict``, in Keras; webgrad's ``predict`` does not call it yet.

        Example:
            >>> class Hook(wg.callbacks.Callback):
            ...     def on_predict_batch_begin(self, batch, logs=None):
            ...         print("on_predict_batch_begin", batch, logs)
            >>> wg.callbacks.CallbackList([Hook()]).on_predict_batch_begin(0)
            on_predict_batch_begin 0 {}
        """

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of ``predict``, in Keras; webgrad's ``predict`` does not call it yet.

        Example:
            >>> class Hook(wg.callbacks.Callback):
            ...     def on_predict_batch_end(self, batch, logs=None):
            ...         print("on_predict_batch_end", batch, logs)
            >>> wg.callbacks.CallbackList([Hook()]).on_predict_batch_end(0)
            on_predict_batch_end 0 {}
        """


class LazyLogs(Mapping):
    """Metric values by name, read back from the device on first access (all at once).

    Example:
        >>> reads = []
        >>> logs = wg.callbacks.LazyLogs(lambda: reads.append("read") or {"loss": 0.5, "mae": 0.25})
        >>> reads
        []
        >>> logs["loss"], sorted(logs), reads
        (0.5, ['loss', 'mae'], ['read'])
    """

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
    """Calls every callback in order.

    Example:
        >>> a = wg.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: print("a", epoch, logs))
        >>> b = wg.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: print("b", epoch, logs))
        >>> wg.callbacks.CallbackList([a, b]).on_epoch_end(0, {"loss": 0.5})
        a 0 {'loss': 0.5}
        b 0 {'loss': 0.5}
        >>> wg.callbacks.CallbackList([print])
        Traceback (most recent call last):
        ...
        TypeError: callbacks must be Callback instances, got <built-in function print>
    """

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
    method.__doc__ = f"""Calls ``{name}`` of every callback, in order (with empty ``logs`` when none are given).

        Example:
            >>> class A(wg.callbacks.Callback):
            ...     def {name}(self, *args):
            ...         print(type(self).__name__, args)
            >>> class B(A): pass
            >>> wg.callbacks.CallbackList([A(), B()]).{name}({'0' if indexed else ''})
            A {'(0, {})' if indexed else '({},)'}
            B {'(0, {})' if indexed else '({},)'}
        """
    return method


for _name in [n for n in vars(Callback) if n.startswith("on_")]:
    setattr(CallbackList, _name, _broadcast(_name))
del _name


class History(Callback):
    """Records the epoch logs: ``history.history["val_loss"]`` is a list with one value per epoch.
    ``fit`` returns it.

    Example:
        >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(wg.optimizers.SGD(0.1), "mse")
        >>> history = model.fit([[0.0], [1.0]], [[0.0], [2.0]], epochs=2, verbose=0, validation_data=([[1.0]], [[2.0]]))
        >>> history.epoch, sorted(history.history), round(history.history["loss"][0], 4)
        ([0, 1], ['loss', 'val_loss'], 2.0)
    """

    def __init__(self):
        super().__init__()
        self.epoch, self.history = [], {}

    def on_train_begin(self, logs=None):
        """Empties ``epoch``, the list of epochs seen (``fit`` makes a new History for each call).

        Example:
            >>> history = wg.callbacks.History()
            >>> history.epoch = [0, 1]
            >>> history.on_train_begin()
            >>> history.epoch
            []
        """
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        """Appends ``epoch`` to ``epoch`` and each value of ``logs`` to ``history[name]``.

        Example:
            >>> history = wg.callbacks.History()
            >>> history.on_epoch_end(0, {"loss": 0.5})
            >>> history.on_epoch_end(1, {"loss": 0.25})
            >>> history.epoch, history.history
            ([0, 1], {'loss': [0.5, 0.25]})
        """
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

    Example:
        >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(wg.optimizers.SGD(0.1), "mse")
        >>> _ = model.fit([[0.0], [1.0]], [[0.0], [2.0]], epochs=2, verbose=2)
        Epoch 1/2
        1/1 - ... - loss: 2.0000
        Epoch 2/2
        1/1 - ... - loss: 1.3000
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
        """Reads the number of epochs and of steps per epoch from ``params``.

        Example:
            >>> bar = wg.callbacks.ProgbarLogger(verbose=2)
            >>> bar.set_params({"epochs": 3, "steps": 10, "verbose": 2})
            >>> bar.on_train_begin()
            >>> bar.epochs, bar.steps
            (3, 10)
        """
        self.epochs = self.params.get("epochs", 1)
        self.steps = self.params.get("steps")

    def on_epoch_begin(self, epoch, logs=None):
        """Starts the epoch's clock and prints ``Epoch n/epochs`` (unless there is one epoch and ``verbose=2``).

        Example:
            >>> bar = wg.callbacks.ProgbarLogger(verbose=2)
            >>> bar.set_params({"epochs": 3, "steps": 10, "verbose": 2})
            >>> bar.on_train_begin()
            >>> bar.on_epoch_begin(1)
            Epoch 2/3
        """
        self.start, self.last_draw, self.seen = time.perf_counter(), 0.0, 0
        if self.epochs > 1 or self.verbose == 1:
            self._write(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_train_batch_end(self, batch, logs=None):
        """Counts the step and, on a terminal with ``verbose=1``, redraws the bar (at most every ``interval``
        seconds, reading ``logs`` only then).

        Example:
            >>> bar = wg.callbacks.ProgbarLogger(verbose=2)
            >>> bar.set_params({"epochs": 3, "steps": 10, "verbose": 2})
            >>> bar.on_train_begin()
            >>> for batch in range(4):
            ...     bar.on_train_batch_end(batch, {"loss": 0.5})
            >>> bar.seen
            4
        """
        self.seen = batch + 1
        if not self._live():
            return
        now = time.perf_counter()
        if now - self.last_draw >= self.interval or self.seen == self.steps:
            self.last_draw = now
            self._write("\r" + self._line(self.seen, dict(logs or {}), final=False) + "\x1b[K")

    def on_epoch_end(self, epoch, logs=None):
        """Prints the epoch's final line: steps, time, and each value of ``logs`` by name.

        Example:
            >>> bar = wg.callbacks.ProgbarLogger(verbose=2)
            >>> bar.set_params({"epochs": 3, "steps": 10, "verbose": 2})
            >>> bar.on_train_begin()
            >>> bar.on_epoch_begin(0)
            Epoch 1/3
            >>> for batch in range(10):
            ...     bar.on_train_batch_end(batch)
            >>> bar.on_epoch_end(0, {"loss": 0.25, "accuracy": 0.875})
            10/10 - ... - accuracy: 0.8750 - loss: 0.2500
        """
        line = self._line(self.seen, dict(logs or {}), final=True)
        self._write(("\r" if self._live() else "") + line + ("\x1b[K" if self._live() else "") + "\n")

    def on_test_begin(self, logs=None):
        """Starts the clock of an ``evaluate`` pass of ``params["steps"]`` batches.

        Example:
            >>> bar = wg.callbacks.ProgbarLogger(verbose=2)
            >>> bar.set_params({"epochs": 1, "steps": 4, "verbose": 2})
            >>> bar.on_test_begin()
            >>> bar.steps, bar.seen
            (4, 0)
        """
        # evaluate() on its own: one line for the whole pass (fit's validation runs silently)
        self.steps = self.params.get("steps")
        self.start, self.last_draw, self.seen = time.perf_counter(), 0.0, 0

    def on_test_batch_end(self, batch, logs=None):
        """Counts the batch and redraws the bar, as ``on_train_batch_end`` does.

        Example:
            >>> bar = wg.callbacks.ProgbarLogger(verbose=2)
            >>> bar.set_params({"epochs": 1, "steps": 4, "verbose": 2})
            >>> bar.on_test_begin()
            >>> bar.on_test_batch_end(0)
            >>> bar.seen
            1
        """
        self.on_train_batch_end(batch, logs)

    def on_test_end(self, logs=None):
        """Prints the one line of an ``evaluate`` pass, with its loss and metrics.

        Example:
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> model.evaluate([[0.0], [1.0]], [[0.0], [2.0]], verbose=2)
            1/1 - ... - loss: 2.0000
            2.0
        """
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

    def on_train_begin(self, logs=None):
        """Resets the wait count and the best value, so one callback can serve several fits.

        Example:
            >>> stop = wg.callbacks.EarlyStopping(monitor="loss", baseline=0.5)
            >>> stop.wait = 3
            >>> stop.on_train_begin()
            >>> stop.wait, stop.best
            (0, None)
        """
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best, self.best_weights = None, None

    def on_epoch_end(self, epoch, logs=None):
        """Compares the monitored value with the best so far; after ``patience`` epochs without an
        improvement it sets ``model.stop_training``, which ends ``fit`` after this epoch.

        Example:
            >>> stop = wg.callbacks.EarlyStopping(monitor="loss", patience=1)
            >>> model = wg.Sequential([wg.layers.Dense(1)])
            >>> stop.set_model(model)
            >>> stop.on_train_begin()
            >>> for epoch, loss in enumerate([1.0, 0.5, 0.7]):
            ...     stop.on_epoch_end(epoch, {"loss": loss})
            >>> model.stop_training, stop.best, stop.stopped_epoch
            (True, 0.5, 2)
        """
        value = _monitored(self, logs)
        if value is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # as Keras: the best epoch is tracked always; the patience restarts only past the baseline
            if self.baseline is None or _improved(value, self.baseline, self.mode, self.min_delta):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        """When training was stopped early: says so (with ``verbose``) and, with ``restore_best_weights``,
        sets the weights of the best epoch back.

        Example:
            >>> stop = wg.callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True, verbose=1)
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1)])
            >>> stop.set_model(model)
            >>> stop.on_train_begin()
            >>> for epoch, loss in enumerate([1.0, 0.5, 0.7]):
            ...     stop.on_epoch_end(epoch, {"loss": loss})
            >>> stop.on_train_end()
            Epoch 3: early stopping
            Restoring model weights from the end of the best epoch: 2.
        """
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


def _improved(value, reference, mode: str, min_delta: float) -> bool:
    """Whether ``value`` beats ``reference`` (None: nothing yet) by more than ``min_delta`` in ``mode``."""
    if reference is None:
        return True
    return value < reference - min_delta if mode == "min" else value > reference + min_delta


def _monitored(cb, logs):
    value = (logs or {}).get(cb.monitor)
    if value is None:
        import warnings
        warnings.warn(f"{type(cb).__name__}: the monitored metric {cb.monitor!r} is not in the logs; available: "
                      f"{', '.join(sorted(logs or {}))}", stacklevel=3)
    return value


class ModelCheckpoint(Callback):
    """Saves the weights (safetensors) after each epoch, or only when ``monitor`` improves
    (``save_best_only``). ``filepath`` may name the epoch and logs: ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``.

    Example:
        >>> import os, tempfile
        >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(wg.optimizers.SGD(0.1), "mse")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     ckpt = wg.callbacks.ModelCheckpoint(os.path.join(d, "ckpt-{epoch:02d}.safetensors"))
        ...     _ = model.fit([[0.0], [1.0]], [[0.0], [2.0]], epochs=2, verbose=0, callbacks=[ckpt])
        ...     sorted(os.listdir(d))
        ['ckpt-01.safetensors', 'ckpt-02.safetensors']
    """

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
        """Saves the model's weights to ``filepath`` filled in with this epoch (from 1) and its logs; with
        ``save_best_only``, only when the monitored value is the best so far.

        Example:
            >>> import os, tempfile
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1)])
            >>> with tempfile.TemporaryDirectory() as d:
            ...     ckpt = wg.callbacks.ModelCheckpoint(os.path.join(d, "best.safetensors"), monitor="loss",
            ...                                         save_best_only=True, verbose=1)
            ...     ckpt.set_model(model)
            ...     for epoch, loss in enumerate([0.5, 0.7, 0.25]):
            ...         ckpt.on_epoch_end(epoch, {"loss": loss})
            Epoch 1: loss improved from None to 0.50000, saving to ...best.safetensors
            Epoch 3: loss improved from 0.5 to 0.25000, saving to ...best.safetensors
        """
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
        """Sets the optimizer's learning rate to ``schedule(epoch, lr)``, ``lr`` being the current one.

        Example:
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> halve = wg.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch else lr, verbose=1)
            >>> _ = model.fit([[0.0], [1.0]], [[0.0], [2.0]], epochs=3, verbose=0, callbacks=[halve])
            Epoch 1: LearningRateScheduler setting learning rate to 0.1.
            Epoch 2: LearningRateScheduler setting learning rate to 0.05.
            Epoch 3: LearningRateScheduler setting learning rate to 0.025.
        """
        opt = self.model.optimizer
        lr = float(self.schedule(epoch, opt.current_learning_rate))
        if not math.isfinite(lr):
            raise ValueError(f"LearningRateScheduler: the schedule returned {lr} at epoch {epoch}")
        opt.learning_rate = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        """Adds ``learning_rate`` (the current one) to the epoch's logs, so ``History`` records it.

        Example:
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> decay = wg.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
            >>> history = model.fit([[0.0], [1.0]], [[0.0], [2.0]], epochs=3, verbose=0, callbacks=[decay])
            >>> history.history["learning_rate"]
            [0.1, 0.05, 0.025]
        """
        if logs is not None and isinstance(logs, dict):
            logs["learning_rate"] = self.model.optimizer.current_learning_rate


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` when ``monitor`` has not improved by ``min_delta`` for
    ``patience`` epochs, then waits ``cooldown`` epochs before counting again, never below ``min_lr``
    (as Keras's, epoch for epoch).

    Example:
        >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1)])
        >>> model.compile(wg.optimizers.SGD(0.1), "mse")
        >>> plateau = wg.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
        >>> plateau.set_model(model)
        >>> plateau.on_train_begin()
        >>> for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.7]):
        ...     plateau.on_epoch_end(epoch, {"loss": loss})
        >>> model.optimizer.learning_rate
        0.025
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be below 1 (it multiplies the learning rate), "
                             f"got {factor}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, float(factor), patience, verbose
        self.min_delta, self.cooldown, self.min_lr = min_delta, cooldown, float(min_lr)
        self.mode = _mode(mode, monitor)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        """Resets the wait, the cooldown and the best value.

        Example:
            >>> plateau = wg.callbacks.ReduceLROnPlateau()
            >>> plateau.wait = 4
            >>> plateau.on_train_begin()
            >>> plateau.wait, plateau.best
            (0, inf)
        """
        self.wait, self.cooldown_counter = 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch, logs=None):
        """Adds ``learning_rate`` to the logs, then lowers it after ``patience`` epochs without an improvement.

        Example:
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1)])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> plateau = wg.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, verbose=1)
            >>> plateau.set_model(model)
            >>> plateau.on_epoch_end(0, {"loss": 1.0}); plateau.on_epoch_end(1, {"loss": 1.0})
            Epoch 2: ReduceLROnPlateau reducing learning rate to 0.010000000000000002.
        """
        opt = self.model.optimizer
        if callable(opt.learning_rate):
            raise TypeError(f"ReduceLROnPlateau: the optimizer's learning rate is a schedule "
                            f"({type(opt.learning_rate).__name__}); it needs a float learning rate to lower")
        if logs is not None and isinstance(logs, dict):
            logs["learning_rate"] = opt.learning_rate
        value = _monitored(self, logs)
        if value is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.wait = value, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience and opt.learning_rate > self.min_lr:
                opt.learning_rate = max(opt.learning_rate * self.factor, self.min_lr)
                if self.verbose:
                    print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {opt.learning_rate}.")
                self.cooldown_counter, self.wait = self.cooldown, 0


class CSVLogger(Callback):
    """Writes each epoch's logs as a row of a CSV file (``epoch`` and the logs' keys in name order, with a
    ``val_`` column of each, "NA" while there is no validation, as Keras writes it); each row is flushed, so
    a run killed mid-fit leaves every finished epoch in the file. ``append=True`` continues a file.

    Example:
        >>> import os, tempfile
        >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(wg.optimizers.SGD(0.1), "mse")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = os.path.join(d, "log.csv")
        ...     log = wg.callbacks.CSVLogger(path)
        ...     _ = model.fit([[0.0], [1.0]], [[0.0], [2.0]], epochs=2, verbose=0, callbacks=[log])
        ...     print(open(path).read().splitlines()[0])
        epoch,loss,val_loss
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename, self.sep, self.append = str(filename), separator, append
        self.file = self.writer = self.keys = None

    def on_train_begin(self, logs=None):
        """Opens the file (truncated, or appended to with ``append``; a header only in an empty file).

        Example:
            >>> import os, tempfile
            >>> log = wg.callbacks.CSVLogger(os.path.join(tempfile.mkdtemp(), "log.csv"))
            >>> log.on_train_begin(); log.file.closed
            False
        """
        self.header = not (self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0)
        if self.file is not None and not self.file.closed:
            self.file.close()
        self.file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer = self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        """Writes the epoch's row (the header first, from the first epoch's keys) and flushes it.

        Example:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
            >>> log = wg.callbacks.CSVLogger(path, separator=";")
            >>> log.on_train_begin(); log.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75}); log.on_train_end()
            >>> open(path).read().splitlines()
            ['epoch;loss;val_loss', '0;0.5;0.75']
        """
        logs = dict(logs or {})
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.file, delimiter=self.sep)
            if self.header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [_csv_value(logs.get(k, "NA")) for k in self.keys])
        self.file.flush()

    def on_train_end(self, logs=None):
        """Closes the file.

        Example:
            >>> import os, tempfile
            >>> log = wg.callbacks.CSVLogger(os.path.join(tempfile.mkdtemp(), "log.csv"))
            >>> log.on_train_begin(); log.on_train_end(); log.file.closed
            True
        """
        if self.file is not None and not self.file.closed:
            self.file.close()
        self.writer = None


def _csv_value(v):
    """A log value as Keras's CSVLogger writes it: a list as "[a, b]", anything else as it is."""
    if isinstance(v, (list, tuple)):
        return f'"[{", ".join(map(str, v))}]"'
    return v


class TerminateOnNaN(Callback):
    """Stops training quietly when the loss becomes NaN or infinite, printing where.

    ``fit`` watches the loss itself (without reading it back every step); with this callback a
    bad loss ends training and ``fit`` returns its History, without it ``fit`` raises
    ``FloatingPointError`` naming the epoch and step.

    Example:
        >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(wg.optimizers.SGD(0.1), "mse")
        >>> history = model.fit([[float("nan")]], [[0.0]], verbose=0, callbacks=[wg.callbacks.TerminateOnNaN()])
        Batch 0: Invalid loss, terminating training. (the loss became nan at epoch 1, step 1 ...)
        >>> history.history["loss"], model.stop_training
        ([nan], True)
    """

    def on_nan(self, epoch: int, step: int, message: str) -> None:
        """Called by ``fit`` when the loss has become NaN or infinite at ``step`` of ``epoch`` (both from 0);
        ``message`` says where and what to try. Prints it and stops training.

        Example:
            >>> stop = wg.callbacks.TerminateOnNaN()
            >>> model = wg.Sequential([wg.layers.Dense(1)])
            >>> stop.set_model(model)
            >>> stop.on_nan(0, 7, "the loss became inf")
            Batch 7: Invalid loss, terminating training. (the loss became inf)
            >>> model.stop_training
            True
        """
        print(f"Batch {step}: Invalid loss, terminating training. ({message})")
        self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Example:
        >>> seen = []
        >>> cb = wg.callbacks.LambdaCallback(on_train_begin=lambda logs: seen.append("begin"),
        ...                                  on_epoch_end=lambda epoch, logs: seen.append(epoch))
        >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(wg.optimizers.SGD(0.1), "mse")
        >>> _ = model.fit([[0.0], [1.0]], [[0.0], [2.0]], epochs=2, verbose=0, callbacks=[cb])
        >>> seen
        ['begin', 0, 1]
    """

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
        """Sends ``{"event": "train_begin", "epochs", "steps"}``.

        Example:
            >>> events = []
            >>> hook = wg.callbacks.ProgressHook(events.append, every=0)
            >>> hook.set_params({"epochs": 2, "steps": 5, "verbose": 0})
            >>> hook.on_train_begin()
            >>> events
            [{'event': 'train_begin', 'epochs': 2, 'steps': 5}]
        """
        self.fn({"event": "train_begin", "epochs": self.params.get("epochs"), "steps": self.params.get("steps")})

    def on_epoch_begin(self, epoch, logs=None):
        """Notes the epoch, which the batch events carry; sends nothing.

        Example:
            >>> events = []
            >>> hook = wg.callbacks.ProgressHook(events.append, every=0)
            >>> hook.on_epoch_begin(1)
            >>> hook.on_train_batch_end(0, {"loss": 0.5})
            >>> events[0]["epoch"], events[0]["step"]
            (1, 1)
        """
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        """Sends ``{"event": "batch", "epoch", "step", "steps", "logs"}``, ``step`` counting from 1, at most
        every ``every`` seconds and always for an epoch's last step.

        Example:
            >>> events = []
            >>> hook = wg.callbacks.ProgressHook(events.append, every=0)
            >>> hook.set_params({"epochs": 1, "steps": 3, "verbose": 0})
            >>> hook.on_train_batch_end(2, {"loss": 0.25})
            >>> events
            [{'event': 'batch', 'epoch': 0, 'step': 3, 'steps': 3, 'logs': {'loss': 0.25}}]
        """
        now = time.perf_counter()
        steps = self.params.get("steps")
        if now - self.last >= self.every or (steps and batch + 1 == steps):
            self.last = now
            self.fn({"event": "batch", "epoch": self.epoch, "step": batch + 1, "steps": steps,
                     "logs": dict(logs or {})})

    def on_epoch_end(self, epoch, logs=None):
        """Sends ``{"event": "epoch", "epoch", "logs"}`` with the epoch's logs, validation metrics included.

        Example:
            >>> events = []
            >>> hook = wg.callbacks.ProgressHook(events.append, every=0)
            >>> hook.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
            >>> events
            [{'event': 'epoch', 'epoch': 0, 'logs': {'loss': 0.5, 'val_loss': 0.75}}]
        """
        self.fn({"event": "epoch", "epoch": epoch, "logs": dict(logs or {})})

    def on_train_end(self, logs=None):
        """Sends ``{"event": "train_end", "logs"}`` with the last epoch's logs.

        Example:
            >>> events = []
            >>> hook = wg.callbacks.ProgressHook(events.append, every=0)
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> _ = model.fit([[0.0], [1.0]], [[0.0], [2.0]], verbose=0, callbacks=[hook])
            >>> [e["event"] for e in events], events[-1]
            (['train_begin', 'batch', 'epoch', 'train_end'], {'event': 'train_end', 'logs': {'loss': 2.0}})
        """
        self.fn({"event": "train_end", "logs": dict(logs or {})})


class TensorBoard(Callback):
    """Writes what ``fit`` does as TensorBoard event files, with Keras's own arguments: the epoch logs
    as scalars ``epoch_loss``, ``epoch_accuracy``... (the training metrics under ``<log_dir>/train``, the
    ``val_*`` ones under ``<log_dir>/validation``, the epoch as the step); with ``update_freq="batch"``
    (or every N batches) the running ``batch_*`` values at the global step too; every
    ``histogram_freq`` epochs each weight's histogram (``dense/kernel/histogram``: the layer's name and the
    weight's, so two layers' kernels do not collide); with ``write_graph`` the model's layers as a graph, and
    ``write_steps_per_second`` adds ``epoch_steps_per_second``. The hyper-parameters of ``compile`` and
    ``fit`` (optimizer, learning rate, loss, batch size, epochs) go to ``<log_dir>`` itself, so
    TensorBoard's HParams tab and the dashboard list the run by them.

    View with ``tensorboard --logdir <log_dir>`` or ``webgrad serve --logdir <log_dir>`` (its ``/runs``
    page). In the page (Pyodide) the records go to the server that serves it, which writes them under
    its ``--logdir`` as run ``<log_dir>/train``.

        >>> import webgrad as wg
        >>> tb = wg.callbacks.TensorBoard("logs/run1", histogram_freq=1)   # then model.fit(..., callbacks=[tb])
    """

    def __init__(self, log_dir: str = "logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False, update_freq="epoch",
                 profile_batch=0, embeddings_freq: int = 0, embeddings_metadata=None):
        super().__init__()
        if update_freq != "epoch" and update_freq != "batch" and (isinstance(update_freq, bool)
                                                                  or not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a number of batches >= 1, "
                             f"not {update_freq!r}")
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be a whole number of epochs >= 0, not {histogram_freq!r}")
        for name, value in (("write_images", write_images), ("profile_batch", profile_batch),
                            ("embeddings_freq", embeddings_freq), ("embeddings_metadata", embeddings_metadata)):
            if value:
                raise NotImplementedError(f"TensorBoard: {name} is not supported by webgrad yet "
                                          f"(scalars, histograms, the graph and hyper-parameters are)")
        self.log_dir = str(log_dir)
        self.histogram_freq, self.write_graph = histogram_freq, bool(write_graph)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._writers = {}
        self._global_step, self._viewed = 0, False

    def _writer(self, name: str):
        if name not in self._writers:
            import os

            self._writers[name] = event_writer(os.path.join(self.log_dir, name) if name else self.log_dir)
        return self._writers[name]

    def _hparams(self) -> dict:
        model, params = self.model, dict(self.params or {})
        optimizer = getattr(model, "optimizer", None)
        hp = {"optimizer": type(optimizer).__name__} if optimizer is not None else {}
        rate = getattr(optimizer, "learning_rate", None)
        if isinstance(rate, (int, float)) and not isinstance(rate, bool):
            hp["learning_rate"] = float(rate)
        loss = getattr(model, "loss", None)
        if loss is not None:
            hp["loss"] = loss if isinstance(loss, str) else getattr(loss, "name", None) or type(loss).__name__
        for key in ("batch_size", "epochs"):
            if isinstance(params.get(key), int):
                hp[key] = params[key]
        return hp

    def _graph(self) -> list[tuple[str, str, list[str]]]:
        """The model's layers as (name, op, inputs) nodes: a functional model's connections, else a chain."""
        model = self.model
        inputs, nodes = getattr(model, "inputs", None), getattr(model, "nodes", None)
        if isinstance(inputs, (list, tuple)) and isinstance(nodes, (list, tuple)) and nodes:
            out = [(t.layer.name, type(t.layer).__name__, []) for t in inputs]
            for t in nodes:
                parents = t.inputs if isinstance(t.inputs, (list, tuple)) else [t.inputs]
                out.append((t.layer.name, type(t.layer).__name__, [p.layer.name for p in parents]))
            return out
        out, previous = [("input", "InputLayer", [])], "input"
        for layer in getattr(model, "layers", []):
            out.append((layer.name, type(layer).__name__, [previous]))
            previous = layer.name
        return out

    def on_train_begin(self, logs=None):
        """Closes the files of an earlier ``fit``, so that each ``fit`` writes new event files.

        Example:
            >>> import os, tempfile
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> with tempfile.TemporaryDirectory() as d:
            ...     tb = wg.callbacks.TensorBoard(d)
            ...     for _ in range(2):
            ...         _ = model.fit([[0.0]], [[1.0]], verbose=0, callbacks=[tb])
            ...     len(os.listdir(os.path.join(d, "train")))
            2

        It also records the hyper-parameters (in ``<log_dir>`` itself) and, with ``write_graph``, the graph.
        """
        self._close()
        self._global_step, self._viewed = 0, False
        self._writer("").hparams(self._hparams())
        if self.write_graph:
            self._writer("train").graph(self._graph())

    def on_epoch_begin(self, epoch, logs=None):
        """Notes when the epoch starts (for ``epoch_steps_per_second``) and its first global step.

        Example:
            >>> tb = wg.callbacks.TensorBoard("logs")
            >>> tb.on_epoch_begin(0); tb._epoch_start_step
            0
        """
        self._epoch_start, self._epoch_start_step = time.perf_counter(), self._global_step

    def on_train_batch_end(self, batch, logs=None):
        """With ``update_freq`` "batch" or N: the running ``batch_*`` values every N batches, at the global step.

        Example:
            >>> import pathlib, tempfile
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> with tempfile.TemporaryDirectory() as d:
            ...     tb = wg.callbacks.TensorBoard(d, update_freq=2)
            ...     _ = model.fit([[0.0]] * 8, [[1.0]] * 8, batch_size=1, epochs=2, verbose=0, callbacks=[tb])
            ...     b"batch_loss" in next(pathlib.Path(d, "train").glob("events.*")).read_bytes()
            True
        """
        before, self._global_step = self._global_step, self._epoch_start_step + batch + 1
        self._write_graph_view()
        if self.update_freq == "epoch" or before // self.update_freq == self._global_step // self.update_freq:
            return
        for key, value in dict(logs or {}).items():
            try:
                self._writer("train").scalar(f"batch_{key}", float(value), self._global_step)
            except (TypeError, ValueError):
                continue

    def on_epoch_end(self, epoch, logs=None):
        """Logs each number of ``logs`` as the scalar ``epoch_<name>`` at step ``epoch``: ``val_*`` values in
        ``<log_dir>/validation``, the others in ``<log_dir>/train``.

        Example:
            >>> import pathlib, tempfile
            >>> with tempfile.TemporaryDirectory() as d:
            ...     tb = wg.callbacks.TensorBoard(d)
            ...     tb.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
            ...     tb.on_train_end()
            ...     files = sorted(pathlib.Path(d).glob("*/events.*"))
            ...     [(p.parent.name, b"epoch_loss" in p.read_bytes()) for p in files]
            [('train', True), ('validation', True)]
        """
        self._write_graph_view()
        logs = dict(logs or {})
        if self.write_steps_per_second:
            logs["steps_per_second"] = (self._global_step - self._epoch_start_step) / max(
                time.perf_counter() - self._epoch_start, 1e-9)
        for key, value in logs.items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            name, tag = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            self._writer(name).scalar(f"epoch_{tag}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for layer in self.model.layers:             # "<layer name>/<weight>", as Keras's weight.path
                for path, weight in layer.named_weights():
                    self._writer("train").histogram(f"{layer.name}/{path}/histogram", weight, epoch)

    def on_train_end(self, logs=None):
        """Closes the event files (each record is on disk already: they are flushed as written).

        Example:
            >>> import pathlib, tempfile
            >>> model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(wg.optimizers.SGD(0.1), "mse")
            >>> with tempfile.TemporaryDirectory() as d:
            ...     tb = wg.callbacks.TensorBoard(d)
            ...     _ = model.fit([[0.0]], [[1.0]], verbose=0, validation_data=([[1.0]], [[2.0]]), callbacks=[tb])
            ...     sorted(p.parent.name for p in pathlib.Path(d).glob("*/events.*"))
            ['train', 'validation']
        """
        self._close()

    def _write_graph_view(self) -> None:
        """With ``write_graph``, once a fit: the traced training step as the graph viewer draws it (its first
        batch has traced it), beside the layer graph TensorBoard draws."""
        if not self.write_graph or self._viewed or self.model is None:
            return
        self._viewed = True
        try:
            self._writer("train").graph_view(self.model)
        except ValueError as e:              # a model the viewer cannot trace: the run goes on without it
            print(f"webgrad: TensorBoard: no graph view of {self.model.name!r}: {e}", file=sys.stderr)

    def _close(self):
        for w in self._writers.values():
            w.close()
        self._writers = {}
