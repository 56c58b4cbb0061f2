"""The playground page's model: TensorFlow Playground's data, network and training, on webgrad.

The page (web/js/playground.js) owns the controls and the URL; its worker calls a ``Playground``
with the Playground's own state keys (``networkShape``, ``learningRate``, ``dataset``, ...) and
draws what comes back. Training is the Playground's: weights uniform in [-0.5, 0.5], biases 0.1
(0 with ``initZero``), tanh output and labels -1/+1 for a classification, a linear output for a
regression, the loss the mean of ½(output - label)², plain SGD, one epoch a pass over the
training points in order; keys of our own choose another optimizer (``optimizer``: sgd, momentum,
adam) and loss (``loss``: squared, crossentropy), ``classes`` (3 to 5: gauss and spiral with more
than two classes, a softmax output), and each frame carries the accuracy (R²) too. Here it is a
Keras model trained by ``fit`` with ``steps_per_execution``: many steps in one single-kernel
dispatch.

    >>> import asyncio
    >>> pg = Playground()
    >>> shown = asyncio.run(pg.configure({"networkShape": [4, 2], "seed": "0.5"}))
    >>> shown["network"], shown["epoch"], len(shown["train"]) // 3
    ([2, 4, 2, 1], 0, 250)
    >>> frame = asyncio.run(pg.train(5))
    >>> frame["epoch"], frame["loss_test"] < shown["loss_test"]
    (5, True)
"""
from __future__ import annotations

import contextlib
import io
import random
import re
import struct
import sys
import traceback
import zlib

from .autograd import no_grad
from .datasets import playground as problems
from .keras import activations as activations_module
from .keras import initializers, layers, losses, optimizers, regularizers
from .keras.models import Sequential
from .keras.saving import save
from .graph import function
from .tensor import cat, tensor, zeros

# Feature name (the Playground's state key) -> its function of the points' x1 and x2 columns, its label,
# and the same function as the exported script spells it.
FEATURES = {
    "x": (lambda x, y: x, "X1", "x1"), "y": (lambda x, y: y, "X2", "x2"),
    "xSquared": (lambda x, y: x * x, "X1²", "x1 * x1"), "ySquared": (lambda x, y: y * y, "X2²", "x2 * x2"),
    "xTimesY": (lambda x, y: x * y, "X1X2", "x1 * x2"),
    "sinX": (lambda x, y: x.sin(), "sin(X1)", "x1.sin()"), "sinY": (lambda x, y: y.sin(), "sin(X2)", "x2.sin()"),
}
DATASETS = {"circle": "circle", "xor": "xor", "gauss": "gauss", "spiral": "spiral"}
REG_DATASETS = {"reg-plane": "plane", "reg-gauss": "multi_gauss"}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
# Keys of our own (the Playground has plain SGD and its squared error only): the optimizer and the loss.
# Each optimizer made from the learning rate, and as the exported script spells it.
OPTIMIZERS = {
    "sgd": (lambda lr: optimizers.SGD(lr), "wg.optimizers.SGD({lr!r})"),
    "momentum": (lambda lr: optimizers.SGD(lr, momentum=0.9), "wg.optimizers.SGD({lr!r}, momentum=0.9)"),
    "adam": (lambda lr: optimizers.Adam(lr), "wg.optimizers.Adam({lr!r})"),
}
LOSSES = ("squared", "crossentropy")
DEFAULTS = {
    "activation": "tanh", "regularization": "none", "batchSize": 10, "dataset": "circle",
    "regDataset": "reg-plane", "learningRate": 0.03, "regularizationRate": 0.0, "noise": 0,
    "networkShape": [4, 2], "seed": "0.00000", "percTrainData": 50, "problem": "classification",
    "initZero": False, "x": True, "y": True, "xTimesY": False, "xSquared": False, "ySquared": False,
    "sinX": False, "sinY": False, "optimizer": "sgd", "loss": "squared", "activations": [], "classes": 2,
}
DOMAIN = 6.0          # the heatmaps cover [-6, 6]²
DENSITY = 100         # the output's heatmap is DENSITY x DENSITY, a neuron's DENSITY / 10 squared
NEURON_DENSITY = DENSITY // 10
MAX_LAYERS, MAX_NEURONS = 6, 8
EPOCHS_PER_DISPATCH = 5    # epochs of steps in one single-kernel dispatch (play asks for multiples of it)
# Which keys of the state decide the data, the network, the training: a change rebuilds from there on.
DATA_KEYS = ("dataset", "regDataset", "problem", "noise", "seed", "percTrainData", "classes")
NETWORK_KEYS = DATA_KEYS + ("networkShape", "activation", "activations", "initZero", "regularization", "regularizationRate",
                            "x", "y", "xTimesY", "xSquared", "ySquared", "sinX", "sinY")
TRAINING_KEYS = ("optimizer", "loss")     # a change keeps the weights, with a fresh optimizer


class PlaygroundError(ValueError):
    """A state the Playground cannot take (its message names the key and the values it accepts)."""


MAX_POINTS = 10_000


def parse_points(text: str, problem: str = "classification", classes: int = 2) -> list[tuple[float, float, float]]:
    r"""A person's own data: lines of ``x, y, label`` (commas, semicolons, tabs or spaces; a header
    line and ``#`` comments are skipped), x and y in the heatmap's [-6, 6]; a classification's label
    is 1 or -1 (0 reads as -1), or with ``classes`` of 3 to 5 a class 0, 1, ...; a regression's
    any number. A bad line raises ``PlaygroundError`` naming it, so the page keeps the data it had.

    Example:
        >>> parse_points("x,y,label\n1.5, -2, 1\n0 0 0\n-3;4;1\n2\t2\t-1  # the last point\n")
        [(1.5, -2.0, 1.0), (0.0, 0.0, -1.0), (-3.0, 4.0, 1.0), (2.0, 2.0, -1.0)]
        >>> parse_points("1, 2, 1\n7, 0, 1")
        Traceback (most recent call last):
        ...
        webgrad.playground.PlaygroundError: line 2: x = 7.0 is outside the plot's [-6, 6]
    """
    points, first = [], True
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [f for f in re.split(r"[,;\s]+", line) if f]
        header, first = first and not any(_number(f) for f in fields), False
        if header:
            continue
        try:
            values = [float(f) for f in fields]
        except ValueError:
            raise PlaygroundError(f"line {number}: expected three numbers (x, y, label), got {line!r}") from None
        if len(values) != 3:
            raise PlaygroundError(f"line {number}: expected three numbers (x, y, label), got {len(values)}: {line!r}")
        points.append(_point(*values, problem, f"line {number}: ", classes))
        if len(points) > MAX_POINTS:
            raise PlaygroundError(f"line {number}: more than {MAX_POINTS:,} points")
    if len(points) < 4:
        raise PlaygroundError(f"only {len(points)} point(s): at least 4 are needed (some to train on, some to test)")
    return points


def _point(x: float, y: float, label: float, problem: str, where: str = "",
           classes: int = 2) -> tuple[float, float, float]:
    """One point, checked: x and y in [-6, 6], a classification's label 1 or -1 (0 reads as -1), or
    a class 0 to ``classes`` - 1 where there are more than two."""
    for name, v in (("x", x), ("y", y)):
        if not -DOMAIN <= v <= DOMAIN or v != v:
            raise PlaygroundError(f"{where}{name} = {v} is outside the plot's [-6, 6]")
    if problem == "classification" and classes > 2:
        if label not in range(classes):
            raise PlaygroundError(f"{where}with {classes} classes a label is one of "
                                  f"{', '.join(map(str, range(classes)))}, got {label}")
    elif problem == "classification":
        if label not in (-1.0, 0.0, 1.0):
            raise PlaygroundError(f"{where}a classification's label is 1 or -1 (0 reads as -1), got {label}; "
                                  f"for numbers to fit, choose Problem type: Regression")
        label = 1.0 if label > 0 else -1.0
    elif label != label or abs(label) == float("inf"):
        raise PlaygroundError(f"{where}the label must be a number, got {label}")
    return (float(x), float(y), float(label))


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def normalize(state: dict) -> dict:
    """``state`` with the Playground's defaults filled in and every value checked.

    Example:
        >>> normalize({"networkShape": "3,1", "learningRate": "0.1"})["networkShape"]
        [3, 1]
        >>> normalize({"activation": "swish"})
        Traceback (most recent call last):
        ...
        webgrad.playground.PlaygroundError: activation must be one of relu, tanh, sigmoid, linear, got 'swish'
    """
    s = dict(DEFAULTS)
    s.update({k: v for k, v in state.items() if v is not None})
    if isinstance(s["networkShape"], str):
        s["networkShape"] = [int(v) for v in s["networkShape"].split(",") if v.strip()]
    s["networkShape"] = [int(v) for v in s["networkShape"]]
    for key in ("batchSize", "noise", "percTrainData", "classes"):
        s[key] = int(float(s[key]))
    for key in ("learningRate", "regularizationRate"):
        s[key] = float(s[key])
    for key in ("initZero", *FEATURES):
        s[key] = s[key] not in (False, "false", 0, "0")
    s["seed"] = str(s["seed"])
    _one_of(s, "activation", ACTIVATIONS)
    s["activations"] = _layer_activations(s)
    _one_of(s, "regularization", REGULARIZATIONS)
    _one_of(s, "problem", ("classification", "regression"))
    _one_of(s, "dataset", tuple(DATASETS))
    _one_of(s, "regDataset", tuple(REG_DATASETS))
    _one_of(s, "optimizer", tuple(OPTIMIZERS))
    _one_of(s, "loss", LOSSES)
    if s["loss"] == "crossentropy" and s["problem"] != "classification":
        raise PlaygroundError("loss crossentropy is for a classification; a regression takes loss squared")
    if not 2 <= s["classes"] <= problems.MAX_CLASSES:
        raise PlaygroundError(f"classes is 2 to {problems.MAX_CLASSES}, got {s['classes']}")
    if s["classes"] > 2 and (s["problem"] != "classification" or s["dataset"] not in problems.MANY_CLASSES):
        raise PlaygroundError(f"classes={s['classes']}: more than two classes are for the "
                              f"{' and '.join(problems.MANY_CLASSES)} datasets of a classification")
    if len(s["networkShape"]) > MAX_LAYERS or any(not 1 <= n <= MAX_NEURONS for n in s["networkShape"]):
        raise PlaygroundError(f"networkShape: 0 to {MAX_LAYERS} hidden layers of 1 to {MAX_NEURONS} neurons, "
                              f"got {s['networkShape']}")
    if not 1 <= s["batchSize"] <= 30 or not 0 <= s["noise"] <= 50 or not 10 <= s["percTrainData"] <= 90:
        raise PlaygroundError(f"batchSize 1-30, noise 0-50 and percTrainData 10-90, got {s['batchSize']}, "
                              f"{s['noise']} and {s['percTrainData']}")
    if not any(s[name] for name in FEATURES):
        raise PlaygroundError("choose at least one input feature (x, y, xSquared, ...)")
    return s


def _layer_activations(s: dict) -> list[str]:
    """``activations`` (a key of our own, TF Playground issue #50): one activation per hidden layer,
    or [] when every layer takes ``activation`` (a list all equal to it reads as [])."""
    acts = s["activations"]
    acts = [a.strip() for a in acts.split(",") if a.strip()] if isinstance(acts, str) else [str(a) for a in acts]
    if acts and len(acts) != len(s["networkShape"]):
        raise PlaygroundError(f"activations: one per hidden layer ({len(s['networkShape'])}), got {len(acts)}: "
                              f"{','.join(acts)}")
    for a in acts:
        if a not in ACTIVATIONS:
            raise PlaygroundError(f"activations: each one of {', '.join(ACTIVATIONS)}, got {a!r}")
    return [] if all(a == s["activation"] for a in acts) else acts


def layer_activations(state: dict) -> list[str]:
    """The activation of each hidden layer of a (normalized) state.

    Example:
        >>> layer_activations(normalize({"networkShape": [4, 2], "activations": "relu,tanh"}))
        ['relu', 'tanh']
        >>> layer_activations(normalize({"networkShape": [4, 2], "activation": "sigmoid"}))
        ['sigmoid', 'sigmoid']
    """
    return state["activations"] or [state["activation"]] * len(state["networkShape"])


def _one_of(s: dict, key: str, valid: tuple) -> None:
    if s[key] not in valid:
        raise PlaygroundError(f"{key} must be one of {', '.join(valid)}, got {s[key]!r}")


def _seed(text: str) -> int:
    """The Playground's seeds are strings ("0.52317"): the same string, the same points."""
    return zlib.crc32(text.encode())


def half_squared_error(y_true, y_pred):
    """The Playground's loss of each point: ½(output - label)², the mean of it over a batch.

    Example:
        >>> half_squared_error(wg.tensor([[1.0]]), wg.tensor([[0.0]])).tolist()
        [0.5]
    """
    return 0.5 * ((y_pred - y_true) ** 2).mean(axis=-1)


def tanh_cross_entropy(y_true, y_pred):
    """Cross-entropy for the Playground's tanh output and -1/+1 labels, read as the probability
    (output + 1) / 2 of the +1 class (clipped to [1e-7, 1 - 1e-7]); the mean over a batch.

    Example:
        >>> round(tanh_cross_entropy(wg.tensor([[1.0]]), wg.tensor([[0.0]])).item(), 4)     # p = 1/2: log 2
        0.6931
    """
    p = ((y_pred + 1.0) * 0.5).clip(1e-7, 1.0 - 1e-7)
    t = (y_true + 1.0) * 0.5
    return -(t * p.log() + (1.0 - t) * (1.0 - p).log()).mean(axis=-1)


def class_squared_error(y_true, y_pred):
    """The Playground's loss for more than two classes: ½ Σ (p - one-hot label)² over a softmax
    output's probabilities (the label a class id in an (n, 1) column).

    Example:
        >>> class_squared_error(wg.tensor([[1.0]]), wg.tensor([[0.0, 1.0, 0.0]])).tolist()
        [0.0]
    """
    hot = y_true.reshape(-1).int().one_hot(y_pred.shape[-1])
    return 0.5 * ((y_pred - hot) ** 2).sum(axis=-1)


LOSS_FUNCTIONS = {"squared": half_squared_error, "crossentropy": tanh_cross_entropy}
CLASS_LOSS_FUNCTIONS = {"squared": class_squared_error, "crossentropy": losses.sparse_categorical_crossentropy}


def loss_function(state: dict):
    """The per-point loss a (normalized) state trains on.

    Example:
        >>> loss_function(normalize({"dataset": "spiral", "classes": 3, "loss": "crossentropy"})).__name__
        'sparse_categorical_crossentropy'
    """
    return (CLASS_LOSS_FUNCTIONS if state["classes"] > 2 else LOSS_FUNCTIONS)[state["loss"]]
LOSS_SCRIPTS = {      # each as the exported script defines it
    "squared": ["def loss(y_true, y_pred):",
                '    """The Playground\'s loss: the mean of ½(output - label)²."""',
                "    return 0.5 * ((y_pred - y_true) ** 2).mean(axis=-1)"],
    "crossentropy": ["def loss(y_true, y_pred):",
                     '    """Cross-entropy of the tanh output read as the probability (output + 1) / 2 of label +1."""',
                     "    p = ((y_pred + 1.0) * 0.5).clip(1e-7, 1.0 - 1e-7)",
                     "    t = (y_true + 1.0) * 0.5",
                     "    return -(t * p.log() + (1.0 - t) * (1.0 - p).log()).mean(axis=-1)"],
}
CLASS_LOSS_SCRIPTS = {
    "squared": ["def loss(y_true, y_pred):",
                '    """½ Σ (p - one-hot label)² over the softmax output."""',
                "    hot = y_true.reshape(-1).int().one_hot(y_pred.shape[-1])",
                "    return 0.5 * ((y_pred - hot) ** 2).sum(axis=-1)"],
    "crossentropy": ["loss = wg.losses.sparse_categorical_crossentropy"],
}


class Playground:
    """One playground: its state, data, model and epoch count. Every method returns what the page
    draws next (see ``configure`` and ``frame``)."""

    def __init__(self):
        self.state: dict | None = None
        self.model = None
        self.epoch = 0
        self._warm = None
        self.own = None               # a person's own points (parse_points), or None: the dataset's

    # ---- setting up ----------------------------------------------------------------------------

    async def configure(self, state: dict) -> dict:
        """Take a new state (Playground keys; missing ones default): new data when a data key changed,
        a new network when one of the network's did, else just the new training settings. Returns
        ``frame()`` plus ``network`` (the layer sizes, inputs first), ``features`` (the inputs' names
        and labels) and ``train``/``test`` (x, y, label per point, flat)."""
        s = normalize(dict(state.to_py()) if hasattr(state, "to_py") else dict(state))
        old, self.state = self.state, s
        if old is not None and any(old[k] != s[k] for k in ("dataset", "regDataset", "problem", "classes")):
            self.own = None             # another dataset chosen: a person's own data is put away
        if old is None or any(old[k] != s[k] for k in DATA_KEYS):
            self._make_data()
        if self.model is None or any(old[k] != s[k] for k in NETWORK_KEYS):
            self._make_model()
        elif any(old[k] != s[k] for k in TRAINING_KEYS):
            self._compile()
            self._frame = None
        else:                       # the same network trains on: a new rate takes effect at the next step
            self.model.optimizer.learning_rate = s["learningRate"]
            if old["batchSize"] != s["batchSize"]:
                self._warm = None
        return self._shown()

    def _shown(self) -> dict:
        shown = self.frame()
        shown.update(network=self.sizes, features=[[k, FEATURES[k][1]] for k in self.feature_names],
                     train=_flat(self.train_points), test=_flat(self.test_points), own=self.own is not None,
                     feature_maps=self._feature_maps(), script=script(self.state, SCRIPT_EPOCHS))
        return shown

    async def reset(self) -> dict:
        """A new network with fresh weights, at epoch 0 (the Playground's reset button); returns what
        ``configure`` does."""
        self._make_model()
        return self._shown()

    async def thumbnails(self) -> dict:
        """200 noiseless points of each dataset (x, y, label flat), for the dataset buttons.

        Example:
            >>> import asyncio
            >>> points = asyncio.run(Playground().thumbnails())
            >>> sorted(points), len(points["spiral"])
            (['circle', 'gauss', 'reg-gauss', 'reg-plane', 'spiral', 'xor'], 600)
        """
        names = {**DATASETS, **REG_DATASETS}
        return {key: _flat(problems.generate(name, 200, 0.0, seed=1)) for key, name in names.items()}

    async def own_data(self, data) -> dict:
        r"""Train on a person's own points (``parse_points``'s format) from now on, split and shuffled
        by the state's ratio and seed, on a fresh network; returns what ``configure`` does. ``data`` is
        the text, or ``{"text": ..., "state": ...}`` with the page's state to take first; a text of
        ``None`` puts them away (the dataset's points again). A bad file raises ``PlaygroundError`` and
        changes nothing.

        Example:
            >>> import asyncio
            >>> pg = Playground(); _ = asyncio.run(pg.configure({"seed": "1"}))
            >>> shown = asyncio.run(pg.own_data("1,1,1\n-1,-1,-1\n2,2,1\n-2,-2,-1"))
            >>> shown["own"], len(shown["train"]) // 3, len(shown["test"]) // 3
            (True, 2, 2)
        """
        data = data.to_py() if hasattr(data, "to_py") else data
        text, state = (data.get("text"), data.get("state")) if isinstance(data, dict) else (data, None)
        s = self.state if not isinstance(state, dict) else normalize(dict(state))
        own = parse_points(text, s["problem"], s["classes"]) if isinstance(text, str) else None     # JavaScript's null: not a str
        self.state, self.own = s, own
        self._make_data()
        self._make_model()
        return self._shown()

    async def add_points(self, points) -> dict:
        """Training points where a person clicked (each ``{"x": .., "y": .., "label": 1 or -1}``;
        ConvNetJS's 2-D demo has it): the network trains on with them, from its weights as they are.
        The points shown become the person's own. Returns what ``configure`` does.

        Example:
            >>> import asyncio
            >>> pg = Playground(); _ = asyncio.run(pg.configure({"seed": "1"}))
            >>> shown = asyncio.run(pg.add_points([{"x": 5.5, "y": 5.5, "label": -1}, {"x": 5, "y": 5, "label": 1}]))
            >>> shown["own"], len(shown["train"]) // 3, shown["train"][-6:]
            (True, 252, [5.5, 5.5, -1.0, 5.0, 5.0, 1.0])
        """
        points = points.to_py() if hasattr(points, "to_py") else list(points)
        s = self.state
        added = [_point(float(p["x"]), float(p["y"]), float(p["label"]), s["problem"], "", s["classes"]) for p in points]
        if self.own is None:
            self.own = list(self.train_points) + list(self.test_points)
        self.own += added
        self.train_points += added
        self._make_tensors()
        self._blocks, self._warm, self._frame = {}, None, None
        return self._shown()

    def _make_data(self) -> None:
        s = self.state
        classify = s["problem"] == "classification"
        name = DATASETS[s["dataset"]] if classify else REG_DATASETS[s["regDataset"]]
        points = list(self.own) if self.own is not None else \
            problems.generate(name, noise=s["noise"] / 100, seed=_seed(s["seed"]), classes=s["classes"])
        random.Random(_seed(s["seed"]) + 1).shuffle(points)
        cut = len(points) * s["percTrainData"] // 100
        self.train_points, self.test_points = points[:cut], points[cut:]

    def _features(self, xy):
        """The chosen features of points ``xy`` ((n, 2) tensor) as an (n, features) tensor."""
        x1, x2 = xy[:, :1], xy[:, 1:]
        return cat([FEATURES[k][0](x1, x2) for k in self.feature_names], axis=1)

    def _make_tensors(self) -> None:
        """The points' features and labels as tensors, and the grid's, for training and the frames."""
        self.feature_names = [k for k in FEATURES if self.state[k]]
        self.x_train = self._features(tensor([p[:2] for p in self.train_points]))
        self.y_train = tensor([[p[2]] for p in self.train_points])
        self.x_test = self._features(tensor([p[:2] for p in self.test_points]))
        self.y_test = tensor([[p[2]] for p in self.test_points])
        step = 2 * DOMAIN / (DENSITY - 1)
        grid = [[-DOMAIN + i * step, DOMAIN - j * step] for j in range(DENSITY) for i in range(DENSITY)]
        self.x_grid = self._features(tensor(grid))          # row j (y from +6 down), column i (x from -6)
        self.x_frame = cat([self.x_train, self.x_test, self.x_grid])     # what a frame's forward pass sees
        self.y_eval = cat([self.y_train, self.y_test])

    def _make_model(self) -> None:
        s = self.state
        self._make_tensors()
        classes = s["classes"] if s["classes"] > 2 else 1
        self.sizes = [len(self.feature_names), *s["networkShape"], classes]
        bias = initializers.Zeros() if s["initZero"] else initializers.Constant(0.1)
        reg = None
        if s["regularization"] == "L1":
            reg = regularizers.L1(s["regularizationRate"])
        elif s["regularization"] == "L2":      # the Playground's L2 is ½w², Keras's w²
            reg = regularizers.L2(s["regularizationRate"] / 2)
        output = ("softmax" if classes > 1 else "tanh") if s["problem"] == "classification" else "linear"
        self.model = Sequential(
            [layers.Input(shape=(self.sizes[0],))]
            + [layers.Dense(n, activation=act, kernel_initializer=initializers.RandomUniform(-0.5, 0.5),
                            bias_initializer=bias, kernel_regularizer=reg)
               for n, act in zip(s["networkShape"], layer_activations(s))]
            + [layers.Dense(classes, activation=output, kernel_initializer=initializers.RandomUniform(-0.5, 0.5),
                            bias_initializer=bias, kernel_regularizer=reg)])
        self.epoch = 0
        self._frame = None
        self._compile()

    def _compile(self) -> None:
        s = self.state
        self.model.compile(OPTIMIZERS[s["optimizer"]][0](s["learningRate"]), loss_function(s))
        self._blocks, self._warm = {}, None

    # ---- training ------------------------------------------------------------------------------

    async def warm(self) -> bool:
        """Get training ready before play is pressed: run the many-steps-a-dispatch function once on
        a copy of the weights, which are then put back, so play's first call finds its kernels
        compiled (or compiling in the background). False when it was warm already."""
        key = (id(self.model), self.state["batchSize"])
        if self._warm == key:
            return False
        weights, epoch = self.model.get_weights(), self.epoch
        await self.train(EPOCHS_PER_DISPATCH)
        self.model.set_weights(weights)
        self.epoch, self._warm = epoch, key
        return True

    async def train(self, epochs: int = 1) -> dict:
        """Train ``epochs`` epochs, then return ``frame()``. The steps go EPOCHS_PER_DISPATCH epochs to
        a dispatch (one compiled kernel whatever ``epochs`` is), the rest one step a call."""
        epochs = int(epochs)
        data = self._blocks.get(epochs)
        if data is None:            # the epochs' batches in the Playground's order, as one pass for fit
            data = self._blocks[epochs] = (cat([self.x_train] * epochs), cat([self.y_train] * epochs))
        # the full batches of EPOCHS_PER_DISPATCH epochs in one dispatch (a batch may span two epochs), a
        # last short one on its own: 249 points in batches of 10 are 124 steps a dispatch and one of 5
        self.model.steps_per_execution = max(1, len(self.train_points) * EPOCHS_PER_DISPATCH // self.state["batchSize"])
        self.model.fit(*data, batch_size=self.state["batchSize"], epochs=1, shuffle=False, verbose=0)
        self.epoch += epochs
        return self.frame()

    async def set_weight(self, change) -> dict:
        """Set one weight, as the Playground's link card edits it: ``change`` is ``{"layer": l, "source": i,
        "target": k, "value": v}`` (the link from neuron i of layer l - 1 to neuron k of layer l; layer 0
        is the inputs), or with ``"bias"`` for neuron k's bias. Returns ``frame()``.

        Example:
            >>> import asyncio
            >>> pg = Playground(); _ = asyncio.run(pg.configure({"seed": "1"}))
            >>> frame = asyncio.run(pg.set_weight({"layer": 1, "source": 0, "target": 2, "value": 0.25}))
            >>> pg.model.layers[0].kernel[0, 2].item()
            0.25
        """
        c = dict(change.to_py()) if hasattr(change, "to_py") else dict(change)
        layer = self.model.layers[int(c["layer"]) - 1]
        k, value = int(c["target"]), float(c["value"])
        weight = layer.bias if c.get("bias") else layer.kernel
        values = weight.tolist()                 # at most 8 x 8: read, change one, write back
        if c.get("bias"):
            values[k] = value
        else:
            values[int(c["source"])][k] = value
        with no_grad():
            weight.assign(tensor(values))
        return self.frame()

    async def export(self) -> dict:
        """What the page's download buttons save: ``script``, the Python that builds this network on
        this data and trains it (``script``), and ``weights``, the trained weights as safetensors bytes,
        which that script evaluates when given their file (``python script.py weights.safetensors``).

        Example:
            >>> import asyncio
            >>> pg = Playground(); _ = asyncio.run(pg.configure({"seed": "1"}))
            >>> out = asyncio.run(pg.export())
            >>> sorted(out), out["weights"][8:10]          # after the 8-byte header length: the JSON header
            (['epoch', 'names', 'script', 'weights'], b'{"')
        """
        weights = save(dict(self.model.named_weights()), {"format": "webgrad", "model": self.model.name,
                                                         "epoch": str(self.epoch)})
        return {"script": script(self.state, max(self.epoch, 1)), "weights": weights, "epoch": self.epoch,
                "names": [SCRIPT_NAME, WEIGHTS_NAME]}

    async def run(self, text: str) -> dict:
        r"""Run a person's edit of the code panel (``script``'s text, changed) and take the network it
        leaves in ``model`` as the playground's, trained as the script trained it: the picture, the
        URL and the controls follow its layers, activations and optimizer. Returns what ``configure``
        does, with ``printed`` (what the script printed) and ``state`` (the state it came to). A
        script that fails, or a model the playground cannot draw, raises ``PlaygroundError`` naming
        the line or the layer, and the playground keeps its network.

        Example:
            >>> import asyncio
            >>> pg = Playground(); _ = asyncio.run(pg.configure({"seed": "1"}))
            >>> text = script(pg.state, epochs=1).replace("    L.Dense(2,", "    L.Dense(3, activation='relu'),\n    L.Dense(2,")
            >>> shown = asyncio.run(pg.run(text))
            >>> shown["network"], shown["state"]["activations"], shown["printed"].startswith("test loss")
            ([2, 4, 3, 2, 1], ['tanh', 'relu', 'tanh'], True)
        """
        text = str(text)
        namespace, printed = {"__name__": "__main__"}, io.StringIO()
        try:
            code = compile(text, SCRIPT_NAME, "exec")
            argv, sys.argv = sys.argv, [SCRIPT_NAME]         # run as `python webgrad_playground.py`: it trains
            try:
                with contextlib.redirect_stdout(printed):
                    exec(code, namespace)
            finally:
                sys.argv = argv
        except SyntaxError as e:
            raise PlaygroundError(f"{SCRIPT_NAME}, line {e.lineno}: {e.msg}") from None
        except Exception as e:
            lines = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == SCRIPT_NAME]
            raise PlaygroundError(f"{SCRIPT_NAME}, line {lines[-1] if lines else '?'}: {type(e).__name__}: {e}") from None
        model = namespace.get("model")
        if not isinstance(model, Sequential):
            raise PlaygroundError(f"the script must leave its network in `model` (a wg.Sequential), got "
                                  f"{type(model).__name__}")
        s = self._state_of(model)
        self.state, self.model = s, model
        self.sizes = [len(self.feature_names), *s["networkShape"], self.sizes[-1]]
        history = getattr(model, "history", None)
        self.epoch = len(history.epoch) if history is not None and history.epoch else 0
        self._frame = None
        self._compile()
        return dict(self._shown(), printed=printed.getvalue(), state=s)

    def _state_of(self, model) -> dict:
        """The state that draws ``model``: its hidden layers' widths and activations, its optimizer and
        learning rate, the rest as it was. A model the page cannot draw raises ``PlaygroundError``."""
        dense = [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]
        for layer in dense:
            if not isinstance(layer, layers.Dense):
                raise PlaygroundError(f"the playground draws Dense layers; {layer.name} is a {type(layer).__name__}")
        inputs, outputs = dense[0].kernel.shape[0] if dense else 0, dense[-1].units if dense else 0
        if inputs != len(self.feature_names):
            raise PlaygroundError(f"the model takes {inputs} inputs; the playground's features are "
                                  f"{len(self.feature_names)} ({', '.join(FEATURES[k][1] for k in self.feature_names)})")
        if outputs != self.sizes[-1]:
            raise PlaygroundError(f"the model's last layer has {outputs} units; this problem needs {self.sizes[-1]}")
        names = [activations_module.name_of(layer.activation) for layer in dense[:-1]]
        optimizer = model.optimizer
        kind = "adam" if isinstance(optimizer, optimizers.Adam) else \
            "momentum" if getattr(optimizer, "momentum", 0) else "sgd"
        s = dict(self.state, networkShape=[layer.units for layer in dense[:-1]], activations=names, optimizer=kind,
                 learningRate=float(optimizer.learning_rate))
        s["activation"] = names[0] if names and all(n == names[0] for n in names) else s["activation"]
        return normalize(s)

    # ---- what the page draws -------------------------------------------------------------------

    def frame(self) -> dict:
        """The epoch, both losses (the loss trained on), ``metric`` on both ("accuracy" of a
        classification, the output's sign against the label's, or its most likely class; "r2" of a
        regression), ``confusion`` (the test points' counts: +1 as +1, +1 as -1, -1 as +1, -1 as -1; with
        ``classes`` > 2 row label i, column output j; zeros for a regression), and ``maps``: float32
        bytes of the output's heatmap (DENSITY² values, rows from y = +6 down: the output, or with
        more than two classes the most likely class plus its probability, below 1), then each
        hidden and output neuron's (NEURON_DENSITY², layer by layer), then ``weights``: every kernel and
        bias, layer by layer (kernels row-major)."""
        if self._frame is None:                 # one traced pass: a few dispatches and one readback
            self._frame = function(self._frame_values)
        raw = self._frame().tobytes()
        classes = max(2, self.state["classes"])
        header = 4 + classes * classes
        loss_train, loss_test, metric_train, metric_test, *confusion = struct.unpack_from(f"<{header}f", raw)
        classify = self.state["problem"] == "classification"
        return {"epoch": self.epoch, "loss_train": loss_train, "loss_test": loss_test, "classes": classes,
                "metric": "accuracy" if classify else "r2", "metric_train": metric_train, "metric_test": metric_test,
                "confusion": [round(c) for c in confusion], "maps": raw[4 * header:]}

    def _frame_values(self):
        """One forward pass over the training points, the test points and the grid together (a dispatch
        a layer, not three), then both losses, the metrics, the maps and the weights as one flat tensor."""
        n_train, n_eval = len(self.train_points), len(self.train_points) + len(self.test_points)
        h, maps = self.x_frame, []
        for layer in self.model.layers:
            h = layer(h)
            maps.append(_coarse(h[n_eval:]))
        out, y, grid = h[:n_eval], self.y_eval, h[n_eval:]
        per_point = loss_function(self.state)(y, out)
        parts = [per_point[:n_train].mean(), per_point[n_train:].mean()]
        classes = self.state["classes"]
        if classes > 2:
            said, was = out.argmax(axis=-1), y.reshape(-1).int()
            right = (said == was).float()
            parts += [right[:n_train].mean(), right[n_train:].mean(),
                      was[n_train:].one_hot(classes).T @ said[n_train:].one_hot(classes)]
            grid = grid.argmax(axis=-1).float() + grid.max(axis=-1).clip(0.0, 0.999)   # class + its probability
        elif self.state["problem"] == "classification":
            said, was = (out >= 0).float(), (y > 0).float()
            right = said * was + (1 - said) * (1 - was)
            said, was = said[n_train:], was[n_train:]
            parts += [right[:n_train].mean(), right[n_train:].mean(), (was * said).sum(), (was * (1 - said)).sum(),
                      ((1 - was) * said).sum(), ((1 - was) * (1 - said)).sum()]
        else:
            for part in (slice(0, n_train), slice(n_train, n_eval)):
                o, t = out[part], y[part]
                parts.append(1 - ((o - t) ** 2).sum() / ((t - t.mean()) ** 2).sum().clip(1e-12))
            parts.append(zeros(4))              # no confusion matrix
        return cat([p.reshape(-1) for p in parts] + [grid.reshape(-1)] + [m.reshape(-1) for m in maps]
                   + [w.reshape(-1) for w in self.model.weights])

    def _feature_maps(self) -> bytes:
        """Each input feature's heatmap (NEURON_DENSITY² values), as float32 bytes."""
        return cat([_coarse(self.x_grid[:, k:k + 1]).reshape(-1) for k in range(self.sizes[0])]).tobytes()


SCRIPT_NAME, WEIGHTS_NAME = "webgrad_playground.py", "webgrad_playground.safetensors"   # the downloads' names
SCRIPT_EPOCHS = 100         # the code panel's script trains this long


def script(state: dict, epochs: int = 100) -> str:
    """The playground's setup as a webgrad script that runs anywhere: the same points (the same seed
    string, the same shuffle and split), the same network, loss and optimizer, ``epochs`` epochs of
    ``fit``; given a weights file it evaluates those weights instead of training.

    Example:
        >>> text = script({"networkShape": [3], "sinX": True, "seed": "0.5"}, epochs=2)
        >>> print(text[text.index("model = "):text.index("model.compile")].strip())
        model = wg.Sequential([
            wg.Input(shape=(3,)),
            L.Dense(3, activation="tanh", kernel_initializer=init, bias_initializer=bias),
            L.Dense(1, activation="tanh", kernel_initializer=init, bias_initializer=bias),
        ])
        >>> namespace = {}; exec(text.replace("sys.argv[1:]", "[]"), namespace)     # trains, prints the test loss
        test loss ...
    """
    s = normalize(state)
    classify = s["problem"] == "classification"
    name = DATASETS[s["dataset"]] if classify else REG_DATASETS[s["regDataset"]]
    columns = ", ".join(FEATURES[k][2] for k in FEATURES if s[k])
    n_features = sum(1 for k in FEATURES if s[k])
    reg = {"none": "", "L1": f", kernel_regularizer=wg.regularizers.L1({s['regularizationRate']!r})",
           "L2": f", kernel_regularizer=wg.regularizers.L2({s['regularizationRate'] / 2!r})"}[s["regularization"]]
    classes = s["classes"] if s["classes"] > 2 else 1
    output = ("softmax" if classes > 1 else "tanh") if classify else "linear"
    dense = [f'    L.Dense({n}, activation="{act}", kernel_initializer=init, bias_initializer=bias{reg}),'
             for n, act in zip(s["networkShape"], layer_activations(s))]
    dense.append(f'    L.Dense({classes}, activation="{output}", kernel_initializer=init, bias_initializer=bias{reg}),')
    bias = "wg.initializers.Zeros()" if s["initZero"] else "wg.initializers.Constant(0.1)"
    shape = ",".join(map(str, s["networkShape"]))
    return "\n".join([
        f'"""webgrad playground: {name}, network {shape or "(no hidden layer)"}, {",".join(layer_activations(s))}, '
        f'learning rate {s["learningRate"]}, batch size {s["batchSize"]}.',
        "",
        f"    python {SCRIPT_NAME}                                      # train it: {epochs} epochs, as the page did",
        f"    python {SCRIPT_NAME} {WEIGHTS_NAME}      # the weights the page trained, evaluated",
        '"""',
        "import random",
        "import sys",
        "import zlib",
        "",
        "import webgrad as wg",
        "",
        "L = wg.layers",
        f"seed = zlib.crc32({s['seed']!r}.encode())          # the page's seed string",
        f"points = wg.datasets.playground.generate({name!r}, noise={s['noise'] / 100!r}, seed=seed"
        + (f", classes={classes})" if classes > 1 else ")"),
        "random.Random(seed + 1).shuffle(points)",
        f"train, test = points[:len(points) * {s['percTrainData']} // 100], points[len(points) * {s['percTrainData']} // 100:]",
        "",
        "",
        "def features(points):",
        "    xy = wg.tensor([p[:2] for p in points])",
        "    x1, x2 = xy[:, :1], xy[:, 1:]",
        f"    return wg.cat([{columns}], axis=1)",
        "",
        "",
        *(CLASS_LOSS_SCRIPTS if classes > 1 else LOSS_SCRIPTS)[s["loss"]],
        "",
        "",
        "x, y = features(train), wg.tensor([[p[2]] for p in train])",
        "x_test, y_test = features(test), wg.tensor([[p[2]] for p in test])",
        "init, bias = wg.initializers.RandomUniform(-0.5, 0.5), " + bias,
        "model = wg.Sequential([",
        f"    wg.Input(shape=({n_features},)),",
        *dense,
        "])",
        f"model.compile({OPTIMIZERS[s['optimizer']][1].format(lr=s['learningRate'])}, loss,",
        f"              steps_per_execution=max(1, len(train) // {s['batchSize']}))     # an epoch's batches a call",
        "if sys.argv[1:]:",
        "    model.load_weights(sys.argv[1])",
        "else:",
        f"    model.fit(x, y, batch_size={s['batchSize']}, epochs={int(epochs)}, shuffle=False, verbose=0)",
        'print(f"test loss {loss(y_test, model.predict(x_test, verbose=0)).mean().item():.3f}")',
        "",
    ])


def _coarse(h):
    """A (DENSITY², n) grid of values as (n, NEURON_DENSITY²) means of DENSITY/NEURON_DENSITY-wide squares."""
    n, k = h.shape[1], DENSITY // NEURON_DENSITY
    blocks = h.reshape(NEURON_DENSITY, k, NEURON_DENSITY, k, n).mean(axis=(1, 3))
    return blocks.reshape(NEURON_DENSITY * NEURON_DENSITY, n).T


def _flat(points) -> list[float]:
    return [v for p in points for v in p]


__all__ = ["Playground", "PlaygroundError", "normalize", "layer_activations", "parse_points", "half_squared_error",
           "tanh_cross_entropy", "class_squared_error", "loss_function", "script", "FEATURES", "DEFAULTS"]
