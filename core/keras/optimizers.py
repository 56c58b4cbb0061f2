"""Optimizers and learning-rate schedules, as Keras: ``model.compile(optimizer=Adam(1e-3))``.

Each optimizer's rule is one method, ``update(p, g, state, **scalars)``: plain tensor math on one
parameter, its gradient and its state tensors (momenta), ending in ``assign``s. The per-step
scalars (the learning rate, Adam's bias-corrected step size) come from ``scalars(lr, step)``,
computed once per step and passed as 0-d tensors, not Python floats: a changing schedule is an
input of the computation rather than a constant baked into it. Graph mode traces ``update`` and
fuses it into one kernel per parameter; ``scalars`` is written with operators only, so it takes
a Python step or a 0-d tensor step alike.

    >>> import webgrad as wg
    >>> w = wg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = wg.optimizers.SGD(learning_rate=0.1)
    >>> (w * w).sum().backward()
    >>> opt.apply([w.grad], [w])
    >>> w.tolist()
    [0.800000011920929, -1.600000023841858]
"""
from __future__ import annotations

import math
from types import SimpleNamespace

from .. import autograd
from ..autograd import no_grad
from ..graph import function
from ..tensor import Tensor, full, full_like, tensor, zeros
from .identifiers import from_identifier

# ---- learning-rate schedules ---------------------------------------------------------------

def _is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def _floor(x):
    return x.floor() if _is_tensor(x) else math.floor(x)


def _cos(x):
    return x.cos() if _is_tensor(x) else math.cos(x)


def _min(x, v):
    return x.minimum(v) if _is_tensor(x) else min(x, v)


class LearningRateSchedule:
    """A function of the step count (0 on the first step) giving the learning rate.

    The step may be a Python number (the optimizer computes the rate on the host and uploads it)
    or a 0-d tensor (inside a traced step), so schedules are written with math that takes both.
    

    Example:
        >>> class Halving(wg.optimizers.LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.5 ** step
        >>> opt = wg.optimizers.SGD(learning_rate=Halving())
        >>> opt.iterations = 3
        >>> opt.current_learning_rate
        0.125
    """

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self) -> dict:
        """The schedule's arguments as a dict, as ``repr`` shows them.

            >>> wg.optimizers.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5).get_config()
            {'initial_learning_rate': 0.1, 'decay_steps': 100, 'decay_rate': 0.5, 'staircase': False}
        """
        return dict(vars(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class ExponentialDecay(LearningRateSchedule):
    """``initial * decay_rate ** (step / decay_steps)``, in whole steps of ``decay_steps`` when ``staircase``.

        >>> s = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
        >>> round(s(200), 6)
        0.025
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False):
        if decay_steps <= 0:
            raise ValueError(f"ExponentialDecay: decay_steps must be positive, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), int(decay_steps)
        self.decay_rate, self.staircase = float(decay_rate), bool(staircase)

    def __call__(self, step):
        p = step * (1.0 / self.decay_steps)
        if self.staircase:
            p = _floor(p)
        return self.decay_rate ** p * self.initial_learning_rate


class CosineDecay(LearningRateSchedule):
    """Cosine from ``initial`` down to ``alpha * initial`` over ``decay_steps``, after an optional
    linear warmup from ``initial`` to ``warmup_target`` over ``warmup_steps``.

        >>> s = CosineDecay(0.1, decay_steps=100)
        >>> round(s(50), 6), round(s(100), 6)
        (0.05, 0.0)
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 warmup_target: float | None = None, warmup_steps: int = 0):
        if decay_steps <= 0:
            raise ValueError(f"CosineDecay: decay_steps must be positive, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps, self.alpha = float(initial_learning_rate), int(decay_steps), float(alpha)
        self.warmup_target, self.warmup_steps = warmup_target, int(warmup_steps)

    def __call__(self, step):
        peak = self.initial_learning_rate if self.warmup_target is None else float(self.warmup_target)
        if self.warmup_steps and not _is_tensor(step) and step < self.warmup_steps:
            return self.initial_learning_rate + (peak - self.initial_learning_rate) * step / self.warmup_steps
        t = _min(step - self.warmup_steps if self.warmup_steps else step, self.decay_steps) * (1.0 / self.decay_steps)
        cosine = (_cos(t * math.pi) + 1.0) * 0.5
        decayed = (cosine * (1 - self.alpha) + self.alpha) * peak
        if self.warmup_steps and _is_tensor(step):
            warm = (step * (1.0 / self.warmup_steps)) * (peak - self.initial_learning_rate) + self.initial_learning_rate
            return warm.where(step < self.warmup_steps, decayed)
        return decayed


class StepDecay(LearningRateSchedule):
    """``initial * factor ** floor(step / step_size)``: drop by ``factor`` every ``step_size`` steps.

        >>> [StepDecay(1.0, step_size=10, factor=0.5)(s) for s in (0, 9, 10, 25)]
        [1.0, 1.0, 0.5, 0.25]
    """

    def __init__(self, initial_learning_rate: float, step_size: int, factor: float = 0.1):
        if step_size <= 0:
            raise ValueError(f"StepDecay: step_size must be positive, got {step_size}")
        self.initial_learning_rate, self.step_size, self.factor = float(initial_learning_rate), int(step_size), float(factor)

    def __call__(self, step):
        return self.factor ** _floor(step * (1.0 / self.step_size)) * self.initial_learning_rate


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``step <= boundaries[i]`` (the last value after the last boundary).

        >>> s = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
        >>> s(50), s(150), s(250)
        (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: needs one more value than boundaries, got "
                             f"{len(boundaries)} boundaries and {len(values)} values")
        self.boundaries, self.values = [int(b) for b in boundaries], [float(v) for v in values]

    def __call__(self, step):
        if _is_tensor(step):
            out = full_like(step, self.values[-1])
            for b, v in reversed(list(zip(self.boundaries, self.values))):
                out = out.where(step > b, v)
            return out
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return v
        return self.values[-1]


schedules = SimpleNamespace(LearningRateSchedule=LearningRateSchedule, ExponentialDecay=ExponentialDecay,
                            CosineDecay=CosineDecay, StepDecay=StepDecay, PiecewiseConstantDecay=PiecewiseConstantDecay)


# ---- optimizers ----------------------------------------------------------------------------

class Optimizer:
    """Base class. Subclasses name their per-parameter state in ``slots`` and write ``update``.

    Gradient clipping, as Keras: ``clipnorm`` rescales each gradient to at most that norm,
    ``global_clipnorm`` rescales all of them together, ``clipvalue`` clips each entry.

    Example:
        >>> w = wg.tensor([1.0, -2.0])
        >>> opt = wg.optimizers.SGD(learning_rate=0.1, clipvalue=0.5)
        >>> opt.apply([wg.tensor([3.0, -0.2])], [w])          # the gradient is clipped to [0.5, -0.2] first
        >>> [round(v, 4) for v in w.tolist()]
        [0.95, -1.98]
    """

    slots: tuple[str, ...] = ()

    def __init__(self, learning_rate=0.01, clipnorm: float | None = None, global_clipnorm: float | None = None,
                 clipvalue: float | None = None, name: str | None = None):
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("pass clipnorm (per gradient) or global_clipnorm (all gradients together), not both")
        self.learning_rate = learning_rate
        self.clipnorm, self.global_clipnorm, self.clipvalue = clipnorm, global_clipnorm, clipvalue
        self.name = name or type(self).__name__.lower()
        self._iterations = 0                  # steps taken eagerly
        self._step: Tensor | None = None      # steps taken, on the device, once a traced step uses it
        self.state: dict[int, dict[str, Tensor]] = {}
        self._scalars: dict = {}              # uploaded 0-d tensors, reused while the value holds

    # The learning rate is a float or a schedule; `current_learning_rate` is this step's value.
    @property
    def learning_rate(self):
        """The learning rate as set: a float, or a schedule (a ``LearningRateSchedule`` or any function of
        the step). A new value takes effect at the next step, traced steps included; ``lr`` is an alias.

        Example:
            >>> opt = wg.optimizers.SGD(learning_rate=0.1)
            >>> opt.learning_rate = 0.05
            >>> opt.learning_rate, opt.lr
            (0.05, 0.05)
        """
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if not isinstance(value, LearningRateSchedule) and not callable(value):
            value = float(value)
        self._learning_rate = value
        if not callable(value) and "lr" in getattr(self, "_scalars", {}):
            self._scalar("lr", value, self._scalars["lr"][1].device)   # traced steps read the new rate

    lr = learning_rate

    @property
    def iterations(self) -> int:
        """Steps taken (read back from the device once a traced step counts them there).

        Example:
            >>> opt, w = wg.optimizers.SGD(), wg.zeros(2)
            >>> opt.apply([wg.ones(2)], [w])
            >>> opt.apply([wg.ones(2)], [w])
            >>> opt.iterations
            2
        """
        return int(self._step.item()) if self._step is not None else self._iterations

    @iterations.setter
    def iterations(self, value: int) -> None:
        self._iterations = int(value)
        if self._step is not None:
            self._step.assign(float(value))

    @property
    def current_learning_rate(self) -> float:
        """The learning rate of the next step as a float: the schedule at ``iterations``, or the float set.

        Example:
            >>> opt = wg.optimizers.SGD(learning_rate=wg.optimizers.StepDecay(1.0, step_size=1, factor=0.5))
            >>> opt.current_learning_rate
            1.0
            >>> opt.iterations = 2
            >>> opt.current_learning_rate
            0.25
        """
        lr = self._learning_rate
        return float(lr(self.iterations)) if callable(lr) else lr

    def _scalar(self, key: str, value: float, device) -> Tensor:
        """A 0-d tensor holding ``value``: uploaded when the value changes, never a cached constant."""
        held = self._scalars.get(key)
        if held is None or held[1].device is not device:
            held = self._scalars[key] = [value, tensor(float(value), device=device)]
        elif held[0] != value:
            with no_grad():
                held[1].assign(float(value))       # in place: traced steps that captured it see it
            held[0] = value
        return held[1]

    def build(self, params, device=None) -> None:
        """Create the state of each parameter (zeros, or ``initial_state``) on ``device``.

        Example:
            >>> opt, w = wg.optimizers.SGD(momentum=0.9), wg.zeros(3)
            >>> opt.build([w])
            >>> opt.state[id(w)]["momentum"].tolist()
            [0.0, 0.0, 0.0]
        """
        for p in params:
            if id(p) not in self.state:
                self.state[id(p)] = {name: self.initial_state(name, p, device or p.device) for name in self.slots}

    def initial_state(self, name: str, p: Tensor, device) -> Tensor:
        """The starting value of the state slot ``name`` of parameter ``p``, on ``device``: zeros of ``p``'s
        shape (Adagrad starts from ``initial_accumulator_value``).

        Example:
            >>> w = wg.ones(2, 2)
            >>> wg.optimizers.Adam().initial_state("m", w, w.device).tolist()
            [[0.0, 0.0], [0.0, 0.0]]
        """
        return zeros(p.shape, dtype=p.dtype, device=device)

    def variables(self) -> list[Tensor]:
        """The state tensors (momenta, accumulators) of every parameter stepped so far.

        Example:
            >>> opt, w, b = wg.optimizers.Adam(), wg.zeros(2, 3), wg.zeros(3)
            >>> opt.build([w, b])
            >>> [v.shape for v in opt.variables()]           # m and v of each
            [(2, 3), (2, 3), (3,), (3,)]
        """
        return [t for s in self.state.values() for t in s.values()]

    def _state_labels(self, weight_labels: dict[int, str]) -> dict[int, str]:
        """id(state tensor) -> its label in the graph viewer: "hidden/kernel/m", "adam/iterations", "adam/lr"."""
        out = {id(t): f"{weight_labels.get(pid, 'param')}/{slot}" for pid, state in self.state.items()
               for slot, t in state.items()}
        if self._step is not None:
            out[id(self._step)] = f"{self.name}/iterations"
        out.update({id(held[1]): f"{self.name}/{key}" for key, held in self._scalars.items()})
        return out

    def clip(self, grads: list[Tensor]) -> list[Tensor]:
        """The gradients after ``clipvalue``, ``clipnorm`` and ``global_clipnorm``, in that order (as given
        when none is set); ``apply`` calls it before ``update``.

            >>> wg.optimizers.SGD(clipnorm=1.0).clip([wg.tensor([3.0, 4.0])])[0].tolist()
            [0.6000000238418579, 0.800000011920929]
        """
        if self.clipvalue is not None:
            grads = [g.clip(-self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            grads = [g * (self.clipnorm / (g * g).sum().sqrt().maximum(self.clipnorm)) for g in grads]
        if self.global_clipnorm is not None:
            total = None
            for g in grads:
                s = (g * g).sum()
                total = s if total is None else total + s
            scale = self.global_clipnorm / total.sqrt().maximum(self.global_clipnorm)
            grads = [g * scale for g in grads]
        return grads

    def scalars(self, lr, step) -> dict:
        """The per-step scalars ``update`` takes, from the learning rate and the step count (1 on
        the first step): floats on the host, or 0-d tensors when traced.

        Example:
            >>> wg.optimizers.SGD().scalars(0.1, 1)
            {'lr': 0.1}
        """
        return {"lr": lr}

    def apply(self, grads, params, names=None) -> None:
        """One step: ``params[i]`` moves along ``grads[i]`` (None gradients are skipped); traced, the
        update of ``params[i]`` is grouped under ``names[i]`` (the graph viewer's boxes).

        Example:
            >>> w, b = wg.tensor([1.0, 2.0]), wg.zeros(1)
            >>> wg.optimizers.SGD(learning_rate=0.5).apply([wg.tensor([1.0, 1.0]), None], [w, b])
            >>> w.tolist(), b.tolist()
            ([0.5, 1.5], [0.0])
        """
        names = [f"{k}" for k in range(len(params))] if names is None else list(names)
        named = [(g, p, n) for g, p, n in zip(grads, params, names) if g is not None]
        pairs = [(g, p) for g, p, _ in named]
        if not pairs:
            return
        device = autograd.real_device(pairs[0][1])
        if autograd.current_tracer() is not None:
            scalars = self._traced_scalars(device)
        else:
            lr = self.current_learning_rate
            self.iterations += 1
            scalars = {k: self._scalar(k, float(v), device) for k, v in self.scalars(lr, self.iterations).items()}
        with autograd.outside_trace():           # state is real even when first made in a trace
            self.build([p for _, p in pairs], device)
        if autograd.current_tracer() is not None:
            self._update_all([g for g, _ in pairs], [p for _, p in pairs], scalars, [n for *_, n in named])
        else:
            self._fused_update([p for _, p in pairs], scalars)(*(g.detach() for g, _ in pairs))

    def _update_all(self, grads, params, scalars, names=None) -> None:
        with no_grad():
            grads = self.clip([g.detach() for g in grads])
            for k, (g, p) in enumerate(zip(grads, params)):
                with autograd.scope(names[k] if names else f"{k}"):
                    self.update(p, g, self.state[id(p)], **scalars)

    def _fused_update(self, params, scalars):
        """The whole update as a traced function, so that eagerly too it runs as fused kernels (one
        per parameter, state updated in place) rather than a chain of small ops. The scalars are
        tensors updated in place between steps, so the trace stays valid."""
        key = tuple(id(p) for p in params) + tuple(sorted(scalars))
        cache = self.__dict__.setdefault("_fused", {})
        if key not in cache:
            cache[key] = function(lambda *grads: self._update_all(list(grads), params, scalars))
        return cache[key]

    def _traced_scalars(self, device) -> dict:
        """Inside @wg.function the step count lives on the device and the per-step scalars are
        computed in the graph, so every call takes its own step (Adam's bias correction, schedules)
        instead of the values seen while tracing."""
        with autograd.outside_trace():
            if self._step is None:
                self._step = tensor(float(self._iterations), device=device)
            lr = self._learning_rate
            lr_const = None if callable(lr) else self._scalar("lr", lr, device)
        lr = lr(self._step) if lr_const is None else lr_const
        with no_grad():
            self._step.assign(self._step + 1.0)
        out = {}
        for k, v in self.scalars(lr, self._step).items():
            if not isinstance(v, Tensor):
                with autograd.outside_trace():
                    v = self._scalar(k, float(v), device)
            out[k] = v
        return out

    def apply_gradients(self, grads_and_vars) -> None:
        """Keras' form: ``apply_gradients(zip(grads, params))``.

        Example:
            >>> w = wg.tensor([1.0, 2.0])
            >>> wg.optimizers.SGD(learning_rate=0.5).apply_gradients(zip([wg.tensor([1.0, -1.0])], [w]))
            >>> w.tolist()
            [0.5, 2.5]
        """
        grads, params = zip(*grads_and_vars) if grads_and_vars else ((), ())
        self.apply(list(grads), list(params))

    def update(self, p: Tensor, g: Tensor, state: dict, lr: Tensor) -> None:
        """The rule for one parameter: move ``p`` along its (clipped) gradient ``g`` and update its
        ``state`` tensors (by slot name), all with ``assign``; the keyword scalars are those of ``scalars``.

        Example:
            >>> class SignSGD(wg.optimizers.Optimizer):
            ...     def update(self, p, g, state, lr):
            ...         p.assign(p - lr * g.sign())
            >>> w = wg.tensor([1.0, 1.0])
            >>> SignSGD(learning_rate=0.5).apply([wg.tensor([3.0, -0.1])], [w])
            >>> w.tolist()
            [0.5, 1.5]
        """
        raise NotImplementedError

    def get_config(self) -> dict:
        """The optimizer's settings as a dict: the learning rate (a float or a schedule), the clipping set,
        and each optimizer's own arguments.

            >>> wg.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0).get_config()
            {'learning_rate': 0.001, 'clipnorm': 1.0,
             'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-07, 'amsgrad': False}
        """
        cfg = {"learning_rate": self._learning_rate}
        for k in ("clipnorm", "global_clipnorm", "clipvalue"):
            if getattr(self, k) is not None:
                cfg[k] = getattr(self, k)
        return cfg

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, as Keras:
    ``v = momentum * v - lr * g``; ``p += v`` (or ``p += momentum * v - lr * g`` with nesterov).

    Example:
        >>> w, opt = wg.tensor([1.0]), wg.optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> opt.apply([wg.tensor([1.0])], [w])              # v = -0.1
        >>> opt.apply([wg.tensor([1.0])], [w])              # v = 0.9 * -0.1 - 0.1 = -0.19
        >>> round(w.item(), 4)
        0.71
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.slots = ("momentum",) if momentum else ()

    def update(self, p, g, state, lr):
        """``p -= lr * g``, or the momentum (Nesterov) step with ``state["momentum"]``.

        Example:
            >>> w = wg.tensor([1.0, 2.0])
            >>> wg.optimizers.SGD().update(w, wg.tensor([1.0, -1.0]), {}, lr=0.5)
            >>> w.tolist()
            [0.5, 2.5]
        """
        if not self.momentum:
            p.assign(p - lr * g)
            return
        v = state["momentum"]
        v.assign(v * self.momentum - lr * g)
        p.assign(p + v * self.momentum - lr * g if self.nesterov else p + v)

    def get_config(self):
        """The learning rate and clipping, ``momentum`` and ``nesterov``.

        Example:
            >>> wg.optimizers.SGD(0.1, momentum=0.9).get_config()
            {'learning_rate': 0.1, 'momentum': 0.9, 'nesterov': False}
        """
        return dict(super().get_config(), momentum=self.momentum, nesterov=self.nesterov)


class Adam(Optimizer):
    """Adam (Kingma and Ba), as Keras: bias-corrected step ``lr * sqrt(1 - b2^t) / (1 - b1^t)``,
    ``p -= alpha * m / (sqrt(v) + epsilon)``; ``amsgrad`` keeps the running max of ``v``.

    Example:
        >>> w = wg.tensor([1.0, -2.0])
        >>> wg.optimizers.Adam(learning_rate=0.1).apply([wg.tensor([0.5, 0.5])], [w])
        >>> [round(v, 4) for v in w.tolist()]           # the first step is lr * sign(g)
        [0.9, -2.1]
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = float(beta_1), float(beta_2), float(epsilon), bool(amsgrad)
        self.slots = ("m", "v", "v_max") if amsgrad else ("m", "v")

    def scalars(self, lr, step):
        """The learning rate and the bias-corrected step size ``alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)``.

        Example:
            >>> s = wg.optimizers.Adam().scalars(0.1, 1)
            >>> s["lr"], round(s["alpha"], 6)              # 0.1 * sqrt(0.001) / 0.1
            (0.1, 0.031623)
        """
        return {"lr": lr, "alpha": lr * (1.0 - self.beta_2 ** step) ** 0.5 / (1.0 - self.beta_1 ** step)}

    def update(self, p, g, state, lr, alpha):
        """Update the moments ``state["m"]`` and ``state["v"]``, then step ``p`` by ``alpha * m / (sqrt(v) + epsilon)``.

        Example:
            >>> opt, w, state = wg.optimizers.Adam(), wg.tensor([1.0]), {"m": wg.zeros(1), "v": wg.zeros(1)}
            >>> opt.update(w, wg.tensor([2.0]), state, **opt.scalars(0.1, 1))
            >>> round(state["m"].item(), 4), round(state["v"].item(), 4), round(w.item(), 4)
            (0.2, 0.004, 0.9)
        """
        b1, b2 = self.beta_1, self.beta_2
        m, v = state["m"], state["v"]
        m.assign(m + (g - m) * (1.0 - b1))
        v.assign(v + (g * g - v) * (1.0 - b2))
        if self.amsgrad:
            state["v_max"].assign(state["v_max"].maximum(v))
            v = state["v_max"]
        p.assign(p - alpha * m / (v.sqrt() + self.epsilon))

    def get_config(self):
        """The learning rate and clipping, ``beta_1``, ``beta_2``, ``epsilon`` and ``amsgrad``.

        Example:
            >>> wg.optimizers.Adam(amsgrad=True).get_config()
            {'learning_rate': 0.001, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-07, 'amsgrad': True}
        """
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                    amsgrad=self.amsgrad)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): ``p -= lr * weight_decay * p``
    before the Adam step.

    Example:
        >>> w = wg.tensor([1.0, -2.0])
        >>> wg.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5).apply([wg.tensor([0.5, 0.5])], [w])
        >>> [round(v, 4) for v in w.tolist()]           # p -= 0.1 * 0.5 * p, then Adam's first step of 0.1
        [0.85, -2.0]
    """

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, **kwargs)
        self.weight_decay = float(weight_decay)

    def update(self, p, g, state, lr, alpha):
        """Decay ``p`` by ``lr * weight_decay * p``, then take Adam's step.

        Example:
            >>> opt, w = wg.optimizers.AdamW(weight_decay=0.5), wg.tensor([2.0])
            >>> opt.update(w, wg.tensor([0.0]), {"m": wg.zeros(1), "v": wg.zeros(1)}, **opt.scalars(0.1, 1))
            >>> round(w.item(), 4)                          # 2 - 0.1 * 0.5 * 2; a zero gradient moves nothing else
            1.9
        """
        p.assign(p - p * lr * self.weight_decay)
        super().update(p, g, state, lr, alpha)

    def get_config(self):
        """Adam's settings and ``weight_decay``.

        Example:
            >>> wg.optimizers.AdamW(weight_decay=0.01).get_config()
            {'learning_rate': 0.001, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-07, 'amsgrad': False,
             'weight_decay': 0.01}
        """
        return dict(super().get_config(), weight_decay=self.weight_decay)


class RMSprop(Optimizer):
    """RMSprop, as Keras: ``v = rho * v + (1 - rho) * g^2``; ``p -= lr * g / sqrt(v + epsilon)``
    (``centered`` subtracts the squared running mean of g; ``momentum`` smooths the step).

    Example:
        >>> w = wg.tensor([1.0])
        >>> wg.optimizers.RMSprop(learning_rate=0.1).apply([wg.tensor([0.5])], [w])
        >>> round(w.item(), 4)                          # v = 0.1 * 0.25; p -= 0.1 * 0.5 / sqrt(v)
        0.6838
    """

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), float(epsilon), bool(centered)
        self.slots = ("v",) + (("mean_g",) if centered else ()) + (("momentum",) if momentum else ())

    def update(self, p, g, state, lr):
        """Update ``state["v"]`` (and ``mean_g``, ``momentum`` when used), then step ``p``.

        Example:
            >>> opt, w, v = wg.optimizers.RMSprop(rho=0.5), wg.tensor([1.0]), wg.zeros(1)
            >>> opt.update(w, wg.tensor([2.0]), {"v": v}, lr=0.1)
            >>> v.item(), round(w.item(), 4)                # v = 0.5 * 4; p -= 0.1 * 2 / sqrt(2)
            (2.0, 0.8586)
        """
        rho = self.rho
        v = state["v"]
        v.assign(v * rho + g * g * (1.0 - rho))
        denominator = v
        if self.centered:
            mg = state["mean_g"]
            mg.assign(mg * rho + g * (1.0 - rho))
            denominator = v - mg * mg
        increment = lr * g * (denominator + self.epsilon).rsqrt()
        if self.momentum:
            mom = state["momentum"]
            mom.assign(mom * self.momentum + increment)
            increment = mom
        p.assign(p - increment)

    def get_config(self):
        """The learning rate and clipping, ``rho``, ``momentum``, ``epsilon`` and ``centered``.

        Example:
            >>> wg.optimizers.RMSprop(centered=True).get_config()
            {'learning_rate': 0.001, 'rho': 0.9, 'momentum': 0.0, 'epsilon': 1e-07, 'centered': True}
        """
        return dict(super().get_config(), rho=self.rho, momentum=self.momentum, epsilon=self.epsilon,
                    centered=self.centered)


class Adagrad(Optimizer):
    """Adagrad: ``acc += g^2``; ``p -= lr * g / sqrt(acc + epsilon)``.

    Example:
        >>> w = wg.tensor([1.0])
        >>> wg.optimizers.Adagrad(learning_rate=0.1).apply([wg.tensor([0.5])], [w])
        >>> round(w.item(), 4)                          # acc = 0.1 + 0.25; p -= 0.1 * 0.5 / sqrt(0.35)
        0.9155
    """

    slots = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def initial_state(self, name, p, device):
        """The accumulator starts at ``initial_accumulator_value``, not at zero.

        Example:
            >>> w = wg.ones(2)
            >>> wg.optimizers.Adagrad(initial_accumulator_value=0.5).initial_state("accumulator", w, w.device).tolist()
            [0.5, 0.5]
        """
        return full(p.shape, self.initial_accumulator_value, dtype=p.dtype, device=device)

    def update(self, p, g, state, lr):
        """Add ``g^2`` to ``state["accumulator"]``, then step ``p`` by ``lr * g / sqrt(acc + epsilon)``.

        Example:
            >>> opt, w, acc = wg.optimizers.Adagrad(), wg.tensor([1.0]), wg.zeros(1)
            >>> opt.update(w, wg.tensor([2.0]), {"accumulator": acc}, lr=0.1)
            >>> acc.item(), round(w.item(), 4)              # acc = 4; p -= 0.1 * 2 / sqrt(4)
            (4.0, 0.9)
        """
        acc = state["accumulator"]
        acc.assign(acc + g * g)
        p.assign(p - lr * g * (acc + self.epsilon).rsqrt())

    def get_config(self):
        """The learning rate and clipping, ``initial_accumulator_value`` and ``epsilon``.

        Example:
            >>> wg.optimizers.Adagrad(initial_accumulator_value=0.5).get_config()
            {'learning_rate': 0.001, 'initial_accumulator_value': 0.5, 'epsilon': 1e-07}
        """
        return dict(super().get_config(), initial_accumulator_value=self.initial_accumulator_value,
                    epsilon=self.epsilon)


class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm), as Keras: ``u = max(b2 * u, |g|)``,
    ``p -= lr / (1 - b1^t) * m / (u + epsilon)``.

    Example:
        >>> w = wg.tensor([1.0, -2.0])
        >>> wg.optimizers.Adamax(learning_rate=0.1).apply([wg.tensor([0.5, -0.5])], [w])
        >>> [round(v, 4) for v in w.tolist()]           # the first step is lr * sign(g)
        [0.9, -1.9]
    """

    slots = ("m", "u")

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def scalars(self, lr, step):
        """The learning rate and the bias-corrected step size ``alpha = lr / (1 - b1^t)``.

        Example:
            >>> round(wg.optimizers.Adamax().scalars(0.1, 1)["alpha"], 6)
            1.0
        """
        return {"lr": lr, "alpha": lr / (1.0 - self.beta_1 ** step)}

    def update(self, p, g, state, lr, alpha):
        """Update ``state["m"]`` and the infinity norm ``state["u"]``, then step ``p`` by ``alpha * m / (u + epsilon)``.

        Example:
            >>> opt, w, state = wg.optimizers.Adamax(), wg.tensor([1.0]), {"m": wg.zeros(1), "u": wg.zeros(1)}
            >>> opt.update(w, wg.tensor([2.0]), state, **opt.scalars(0.1, 1))
            >>> round(state["m"].item(), 4), state["u"].item(), round(w.item(), 4)
            (0.2, 2.0, 0.9)
        """
        m, u = state["m"], state["u"]
        m.assign(m + (g - m) * (1.0 - self.beta_1))
        u.assign((u * self.beta_2).maximum(abs(g)))
        p.assign(p - alpha * m / (u + self.epsilon))

    def get_config(self):
        """The learning rate and clipping, ``beta_1``, ``beta_2`` and ``epsilon``.

        Example:
            >>> wg.optimizers.Adamax().get_config()
            {'learning_rate': 0.001, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-07}
        """
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)


class Lion(Optimizer):
    """Lion (Chen et al., "Symbolic discovery of optimization algorithms"), as Keras: the step is the sign of
    ``b1 * m + (1 - b1) * g`` times the learning rate; then ``m = b2 * m + (1 - b2) * g``.

    Example:
        >>> w = wg.tensor([1.0, -2.0])
        >>> wg.optimizers.Lion(learning_rate=0.1).apply([wg.tensor([0.5, -3.0])], [w])
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -1.9]
    """

    slots = ("m",)

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0.0 < beta_1 <= 1.0:
            raise ValueError(f"Lion: beta_1 must be in (0, 1], got {beta_1}")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)

    def update(self, p, g, state, lr):
        """Step ``p`` by ``lr * sign(b1 * m + (1 - b1) * g)``, then move ``state["m"]`` towards ``g`` by ``1 - b2``.

        Example:
            >>> opt, w, state = wg.optimizers.Lion(), wg.tensor([1.0]), {"m": wg.zeros(1)}
            >>> opt.update(w, wg.tensor([2.0]), state, lr=0.1)
            >>> round(w.item(), 4), round(state["m"].item(), 4)
            (0.9, 0.02)
        """
        m = state["m"]
        p.assign(p - lr * (m * self.beta_1 + g * (1.0 - self.beta_1)).sign())
        m.assign(m * self.beta_2 + g * (1.0 - self.beta_2))

    def get_config(self):
        """The learning rate and clipping, ``beta_1`` and ``beta_2``.

        Example:
            >>> wg.optimizers.Lion().get_config()
            {'learning_rate': 0.001, 'beta_1': 0.9, 'beta_2': 0.99}
        """
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2)


class Nadam(Adam):
    """Nadam (Adam with Nesterov momentum, Dozat), as Keras: a momentum schedule
    ``u_t = b1 * (1 - 0.5 * 0.96^t)`` and its running product, ``m_hat = u_(t+1) m / (1 - prod u_(t+1))
    + (1 - u_t) g / (1 - prod u_t)``, ``p -= lr * m_hat / (sqrt(v / (1 - b2^t)) + epsilon)``.

    Example:
        >>> w = wg.tensor([1.0, -2.0])
        >>> wg.optimizers.Nadam(learning_rate=0.1).apply([wg.tensor([0.5, -0.5])], [w])
        >>> [round(v, 4) for v in w.tolist()]           # a little over lr * sign(g): the look-ahead
        [0.8937, -1.8937]
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)
        self._u_product: Tensor | None = None      # prod u_k up to the last traced step, on the device

    def _u(self, step):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** step)

    def _u_product_at(self, step: int) -> float:
        """prod_{k=1..step} u_k on the host: one factor more than the last step's (recomputed after a jump)."""
        at, out = getattr(self, "_host_product", (0, 1.0))
        if step < at:
            at, out = 0, 1.0
        for k in range(at + 1, step + 1):
            out *= self._u(k)
        self._host_product = (step, out)
        return out

    def scalars(self, lr, step):
        """The learning rate and the three factors of this step's update, from the momentum schedule.

        Example:
            >>> s = wg.optimizers.Nadam().scalars(0.1, 1)
            >>> round(s["c_m"], 4), round(s["c_g"], 4), round(s["c_v"], 4)
            (0.6279, 1.0, 1000.0)
        """
        if isinstance(step, Tensor):                # traced: the running product lives on the device
            with autograd.outside_trace():
                if self._u_product is None:
                    device = autograd.real_device(step)
                    self._u_product = tensor(self._u_product_at(self._iterations), device=device)
            u_t = (1.0 - 0.5 * (step * math.log(0.96)).exp()) * self.beta_1
            u_next = (1.0 - 0.5 * ((step + 1.0) * math.log(0.96)).exp()) * self.beta_1
            with no_grad():
                self._u_product.assign(self._u_product * u_t)
            product = self._u_product
            b2_power = (step * math.log(self.beta_2)).exp()
        else:
            if self._u_product is not None:           # a traced step ran: the device holds the product
                with no_grad():
                    self._u_product.assign(self._u_product_at(step))
            u_t, u_next, product, b2_power = self._u(step), self._u(step + 1), self._u_product_at(step), \
                self.beta_2 ** step
        return {"lr": lr, "c_m": u_next / (1.0 - product * u_next), "c_g": (1.0 - u_t) / (1.0 - product),
                "c_v": 1.0 / (1.0 - b2_power)}

    def update(self, p, g, state, lr, c_m, c_g, c_v):
        """Update the moments ``state["m"]`` and ``state["v"]``, then step ``p`` by
        ``lr * (c_m m + c_g g) / (sqrt(c_v v) + epsilon)``.

        Example:
            >>> opt, w, state = wg.optimizers.Nadam(), wg.tensor([1.0]), {"m": wg.zeros(1), "v": wg.zeros(1)}
            >>> opt.update(w, wg.tensor([2.0]), state, **opt.scalars(0.1, 1))
            >>> round(state["m"].item(), 4), round(w.item(), 4)
            (0.2, 0.8937)
        """
        b1, b2 = self.beta_1, self.beta_2
        m, v = state["m"], state["v"]
        m.assign(m + (g - m) * (1.0 - b1))
        v.assign(v + (g * g - v) * (1.0 - b2))
        p.assign(p - lr * (m * c_m + g * c_g) / ((v * c_v).sqrt() + self.epsilon))

    def get_config(self):
        """The learning rate and clipping, ``beta_1``, ``beta_2`` and ``epsilon``.

        Example:
            >>> wg.optimizers.Nadam().get_config()
            {'learning_rate': 0.001, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-07}
        """
        cfg = super().get_config()
        del cfg["amsgrad"]
        return cfg


class Adadelta(Optimizer):
    """Adadelta (Zeiler), as Keras: running averages of the squared gradients and of the squared steps,
    ``delta = -sqrt(acc_delta + eps) / sqrt(acc_grad + eps) * g``, ``p += lr * delta``.

    Example:
        >>> w = wg.tensor([1.0, -2.0])
        >>> wg.optimizers.Adadelta(learning_rate=1.0).apply([wg.tensor([0.5, -0.5])], [w])
        >>> [round(v, 5) for v in w.tolist()]
        [0.99859, -1.99859]
    """

    slots = ("accumulated_grad", "accumulated_delta")

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def update(self, p, g, state, lr):
        """Update ``state["accumulated_grad"]``, take the step, then update ``state["accumulated_delta"]``.

        Example:
            >>> opt, w = wg.optimizers.Adadelta(), wg.tensor([1.0])
            >>> state = {"accumulated_grad": wg.zeros(1), "accumulated_delta": wg.zeros(1)}
            >>> opt.update(w, wg.tensor([2.0]), state, lr=1.0)
            >>> round(state["accumulated_grad"].item(), 4), round(w.item(), 5)
            (0.2, 0.99859)
        """
        acc_g, acc_d = state["accumulated_grad"], state["accumulated_delta"]
        acc_g.assign(acc_g * self.rho + g * g * (1.0 - self.rho))
        delta = -((acc_d + self.epsilon).sqrt() * g) / (acc_g + self.epsilon).sqrt()
        acc_d.assign(acc_d * self.rho + delta * delta * (1.0 - self.rho))
        p.assign(p + delta * lr)

    def get_config(self):
        """The learning rate and clipping, ``rho`` and ``epsilon``.

        Example:
            >>> wg.optimizers.Adadelta().get_config()
            {'learning_rate': 0.001, 'rho': 0.95, 'epsilon': 1e-07}
        """
        return dict(super().get_config(), rho=self.rho, epsilon=self.epsilon)


ALL = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad, "adamax": Adamax,
       "lion": Lion, "nadam": Nadam, "adadelta": Adadelta}


def get(identifier) -> Optimizer:
    """An optimizer from a name ('adam', with its default settings) or an Optimizer.

    Example:
        >>> wg.optimizers.get("adam")
        Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False)
    """
    return from_identifier("optimizer", identifier, Optimizer, ALL)
