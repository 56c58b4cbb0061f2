"""The playground page's model: TensorFlow Playground's data, network and training, on webgrad.

The page (web/js/playground.js) owns the controls and the URL; its worker calls a ``Playground``
with the Playground's own state keys (``networkShape``, ``learningRate``, ``dataset``, ...) and
draws what comes back. Training is the Playground's: weights uniform in [-0.5, 0.5], biases 0.1
(0 with ``initZero``), tanh output and labels -1/+1 for a classification, a linear output for a
regression, the loss the mean of ½(output - label)², plain SGD, one epoch a pass over the
training points in order; keys of our own choose another optimizer (``optimizer``: sgd, momentum,
adam) and loss (``loss``: squared, crossentropy), ``dropout`` and ``batchNorm`` in each hidden layer
(``network.py``), ``classes`` (3 to 5: gauss and spiral with more than two classes, a softmax
output), and each frame carries the accuracy (R²) too. Here it is a
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
import struct
import sys
import time
import traceback

from .. import event_files
from ..autograd import no_grad
from ..datasets import playground as problems
from ..graph import function
from ..graph.view import graph_view
from ..keras import optimizers
from ..keras.models import Sequential
from ..keras.saving import save
from ..tensor import cat, tensor, zeros
from .losses import class_squared_error, half_squared_error, loss_function, tanh_cross_entropy
from .network import blocks, build_model
from .script import SCRIPT_EPOCHS, SCRIPT_NAME, WEIGHTS_NAME, script
from .state import (DATA_KEYS, DATASETS, DEFAULTS, DENSITY, DOMAIN, EPOCHS_PER_DISPATCH, FEATURES, NETWORK_KEYS,
                    NEURON_DENSITY, OPTIMIZERS, REG_DATASETS, TRAINING_KEYS, PlaygroundError, _point, _seed,
                    layer_activations, normalize, parse_points)


class Playground:
    """One playground: its state, data, model and epoch count. Every method returns what the page
    draws next (see ``configure`` and ``frame``).

    With ``log_runs`` (the page's), every run from its first trained epoch to the next new network
    (reset, another shape or activation...) is logged as a TensorBoard run ``playground/<time>-<n>-<dataset>``:
    its hyper-parameters and, each frame, the losses and the metric of both sets at its epoch
    (``event_files.writer``: in the page the server writes them under its ``--logdir``).
    """

    def __init__(self, log_runs: bool = False):
        self.log_runs = log_runs
        self.logged = None            # the event writer of the run being logged
        self.runs_logged = 0
        self._warming = False
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
        """200 noiseless points of each dataset (x, y, label flat), for the dataset buttons, and of
        gauss and spiral with 3 to 5 classes (keys ``gauss:3`` ...).

        Example:
            >>> import asyncio
            >>> points = asyncio.run(Playground().thumbnails())
            >>> sorted(points)[:6], len(points["spiral"]), sorted(set(points["spiral:3"][2::3]))
            (['circle', 'gauss', 'gauss:3', 'gauss:4', 'gauss:5', 'reg-gauss'], 600, [0.0, 1.0, 2.0])
        """
        names = {**DATASETS, **REG_DATASETS}
        points = {key: _flat(problems.generate(name, 200, 0.0, seed=1)) for key, name in names.items()}
        for name in problems.MANY_CLASSES:
            for k in range(3, problems.MAX_CLASSES + 1):
                points[f"{name}:{k}"] = _flat(problems.generate(name, 200, 0.0, seed=1, classes=k))
        return points

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
        self._end_run()
        s = self.state
        self._make_tensors()
        classes = s["classes"] if s["classes"] > 2 else 1
        self.sizes = [len(self.feature_names), *s["networkShape"], classes]
        self.model = build_model(s, self.sizes[0], classes)
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
        self._warming = True
        try:
            await self.train(EPOCHS_PER_DISPATCH)
        finally:
            self._warming = False
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
        shown = self.frame()
        if self.log_runs and not self._warming:     # not the warm-up's epochs, which are put back
            self._log(shown)
        return shown

    # ---- logged runs ----------------------------------------------------------------------------

    def hparams(self) -> dict:
        """The state as TensorBoard hyper-parameters (numbers and strings; the shape and features as text).

        Example:
            >>> import asyncio
            >>> pg = Playground(); _ = asyncio.run(pg.configure({"networkShape": [4, 2]}))
            >>> hp = pg.hparams(); hp["networkShape"], hp["learningRate"], hp["features"]
            ('4,2', 0.03, 'x,y')
        """
        s = self.state
        hp = {k: s[k] for k in ("dataset" if s["problem"] == "classification" else "regDataset", "problem",
                                "learningRate", "activation", "batchSize", "regularization", "regularizationRate",
                                "noise", "percTrainData", "optimizer", "loss", "classes", "initZero", "seed")}
        hp.update(networkShape=",".join(map(str, s["networkShape"])), features=",".join(self.feature_names))
        return {k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in hp.items()}

    def _log(self, shown: dict) -> None:
        if self.logged is None:
            name = self.state["dataset"] if self.state["problem"] == "classification" else self.state["regDataset"]
            self.runs_logged += 1
            self.logged = event_files.writer(f"playground/{time.strftime('%Y%m%d-%H%M%S')}-{self.runs_logged}-{name}")
            self.logged.hparams(self.hparams())
        metric = shown["metric"]
        for tag, value in (("loss/train", shown["loss_train"]), ("loss/test", shown["loss_test"]),
                           (f"{metric}/train", shown["metric_train"]), (f"{metric}/test", shown["metric_test"])):
            self.logged.scalar(tag, value, self.epoch)

    def _end_run(self) -> None:
        if self.logged is not None:
            self.logged.close()
            self.logged = None

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
        layer = blocks(self.model)[int(c["layer"]) - 1].dense
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

    async def graph(self) -> dict:
        """The graph view (``wg.graph_view``) of what trains: the training step that ``fit`` traced (many
        steps to a dispatch, as play runs it), by phase and layer, and the kernels it runs; the forward
        pass before the first training call.

        Example:
            >>> import asyncio
            >>> pg = Playground(); _ = asyncio.run(pg.configure({"seed": "1"})); _ = asyncio.run(pg.train(1))
            >>> view = asyncio.run(pg.graph())
            >>> view["format"], sorted({n["scope"][0] for n in view["nodes"] if n["scope"]})
            ('webgrad.graph', ['backward', 'forward', 'loss', 'metrics', 'update'])
        """
        return graph_view(self.model)

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
        drawn = blocks(model)
        dense = [b.dense for b in drawn]
        inputs, outputs = dense[0].kernel.shape[0] if dense else 0, dense[-1].units if dense else 0
        if inputs != len(self.feature_names):
            raise PlaygroundError(f"the model takes {inputs} inputs; the playground's features are "
                                  f"{len(self.feature_names)} ({', '.join(FEATURES[k][1] for k in self.feature_names)})")
        if outputs != self.sizes[-1]:
            raise PlaygroundError(f"the model's last layer has {outputs} units; this problem needs {self.sizes[-1]}")
        names = [b.activation for b in drawn[:-1]]
        optimizer = model.optimizer
        kind = "adam" if isinstance(optimizer, optimizers.Adam) else \
            "momentum" if getattr(optimizer, "momentum", 0) else "sgd"
        s = dict(self.state, networkShape=[layer.units for layer in dense[:-1]], activations=names, optimizer=kind,
                 learningRate=float(optimizer.learning_rate), batchNorm=any(b.normed for b in drawn),
                 dropout=max([b.rate for b in drawn], default=0.0))
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
        # One traced pass and one readback. Once the training step is traced (its kernel first in the page's
        # background compiles), the pass is one kernel too where it compiles in the background: in the
        # page 6 ms a frame for 8-8, 15 ms for 6x8, against 20-25 and 25-75 ms for the plan's 30-60 dispatches.
        trained = bool(getattr(self.model, "_traced_train_steps", None))
        if self._frame is None or (trained and self._frame.single_kernel is None):
            self._frame = function(self._frame_values, single_kernel="tiered" if trained else None)
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
        shown = {id(b.shown) for b in blocks(self.model)}
        for layer in self.model.layers:
            h = layer(h)
            if id(layer) in shown:
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
                   + [w.reshape(-1) for b in blocks(self.model) for w in (b.dense.kernel, b.dense.bias)])

    def _feature_maps(self) -> bytes:
        """Each input feature's heatmap (NEURON_DENSITY² values), as float32 bytes."""
        return cat([_coarse(self.x_grid[:, k:k + 1]).reshape(-1) for k in range(self.sizes[0])]).tobytes()


def _coarse(h):
    """A (DENSITY², n) grid of values as (n, NEURON_DENSITY²) means of DENSITY/NEURON_DENSITY-wide squares."""
    n, k = h.shape[1], DENSITY // NEURON_DENSITY
    blocks = h.reshape(NEURON_DENSITY, k, NEURON_DENSITY, k, n).mean(axis=(1, 3))
    return blocks.reshape(NEURON_DENSITY * NEURON_DENSITY, n).T


def _flat(points) -> list[float]:
    return [v for p in points for v in p]



__all__ = ["Playground", "PlaygroundError", "normalize", "layer_activations", "parse_points", "half_squared_error",
           "tanh_cross_entropy", "class_squared_error", "loss_function", "script", "FEATURES", "DEFAULTS"]
