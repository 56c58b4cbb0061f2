"""The six problems of the TensorFlow Playground, with the Playground's own generators
(src/dataset.ts of tensorflow/playground): four classifications (circle, xor, gauss, spiral)
and two regressions (plane, multi_gauss).

``noise`` is the Playground's slider divided by 100 (0 to 0.5). Class labels are 0/1 (the
Playground draws -1/+1), so they fit ``binary_crossentropy``; regression targets are the
Playground's (about -1 to 1).
As in the Playground, 500 points are drawn for a classification and 1,200 for a regression,
shuffled, then split in half for training and testing.

    >>> import webgrad as wg
    >>> (x, y), (x_test, y_test) = wg.datasets.playground.load("spiral", noise=0.0, seed=0)
    >>> x.shape, y.shape, x_test.shape
    ((250, 2), (250, 1), (250, 2))
"""
from __future__ import annotations

import math
import random

from ..tensor import tensor

CLASSIFICATIONS = ("circle", "xor", "gauss", "spiral")
REGRESSIONS = ("plane", "multi_gauss")
PROBLEMS = CLASSIFICATIONS + REGRESSIONS
FEATURES = {
    "x1": lambda x, y: x, "x2": lambda x, y: y,
    "x1_squared": lambda x, y: x * x, "x2_squared": lambda x, y: y * y, "x1_x2": lambda x, y: x * y,
    "sin_x1": lambda x, y: math.sin(x), "sin_x2": lambda x, y: math.sin(y),
}


def _uniform(rng: random.Random, a: float, b: float) -> float:
    return rng.random() * (b - a) + a


def _normal(rng: random.Random, mean: float = 0.0, variance: float = 1.0) -> float:
    # The Playground's polar method, so the same draws make the same points.
    while True:
        v1, v2 = 2 * rng.random() - 1, 2 * rng.random() - 1
        s = v1 * v1 + v2 * v2
        if 0 < s <= 1:
            break
    return mean + math.sqrt(variance) * math.sqrt(-2 * math.log(s) / s) * v1


def circle(n_samples: int = 500, noise: float = 0.0, seed=None) -> list[tuple[float, float, float]]:
    """Points inside radius 2.5 (label +1) and in the ring 3.5..5 (label -1); noise moves the
    point that decides the label."""
    rng = random.Random(seed)
    radius, points = 5.0, []

    def label(x, y):
        return 1.0 if math.hypot(x, y) < radius * 0.5 else -1.0

    for lo, hi in ((0.0, radius * 0.5), (radius * 0.7, radius)):
        for _ in range(n_samples // 2):
            r, angle = _uniform(rng, lo, hi), _uniform(rng, 0, 2 * math.pi)
            x, y = r * math.sin(angle), r * math.cos(angle)
            nx, ny = _uniform(rng, -radius, radius) * noise, _uniform(rng, -radius, radius) * noise
            points.append((x, y, label(x + nx, y + ny)))
    return points


def xor(n_samples: int = 500, noise: float = 0.0, seed=None):
    """Label +1 where x * y >= 0, else -1; points keep 0.3 away from the axes."""
    rng = random.Random(seed)
    points = []
    for _ in range(n_samples):
        x = _uniform(rng, -5, 5)
        x += 0.3 if x > 0 else -0.3
        y = _uniform(rng, -5, 5)
        y += 0.3 if y > 0 else -0.3
        nx, ny = _uniform(rng, -5, 5) * noise, _uniform(rng, -5, 5) * noise
        points.append((x, y, 1.0 if (x + nx) * (y + ny) >= 0 else -1.0))
    return points


def gauss(n_samples: int = 500, noise: float = 0.0, seed=None, classes: int = 2):
    """Two Gaussians, around (2, 2) (label +1) and (-2, -2) (label -1); noise widens them
    (variance 0.5 at noise 0 to 4 at noise 0.5). With ``classes`` of 3 to 5 (TF Playground issue
    #68), that many around a circle of radius 3, labelled 0, 1, ...

    Example:
        >>> sorted({p[2] for p in gauss(9, classes=3, seed=0)})
        [0.0, 1.0, 2.0]
    """
    rng = random.Random(seed)
    variance = 0.5 + (4 - 0.5) * noise / 0.5
    centres = ((2, 2, 1.0), (-2, -2, -1.0)) if classes == 2 else [
        (3 * math.cos(a), 3 * math.sin(a), float(k))
        for k, a in ((k, math.pi / 4 + 2 * math.pi * k / classes) for k in range(classes))]
    points = []
    for cx, cy, label in centres:
        for _ in range(n_samples // classes):
            points.append((_normal(rng, cx, variance), _normal(rng, cy, variance), label))
    return points


def spiral(n_samples: int = 500, noise: float = 0.0, seed=None, classes: int = 2):
    """Two interleaved spirals (labels +1 and -1), 1.75 turns out to radius 5. With ``classes`` of
    3 to 5 (TF Playground issue #68), that many arms, labelled 0, 1, ...

    Example:
        >>> sorted({p[2] for p in spiral(12, classes=4, seed=0)})
        [0.0, 1.0, 2.0, 3.0]
    """
    rng = random.Random(seed)
    n = n_samples // classes
    arms = ((0.0, 1.0), (math.pi, -1.0)) if classes == 2 else \
        [(2 * math.pi * k / classes, float(k)) for k in range(classes)]
    points = []
    for delta, label in arms:
        for i in range(n):
            r = i / n * 5
            t = 1.75 * i / n * 2 * math.pi + delta
            x = r * math.sin(t) + _uniform(rng, -1, 1) * noise
            y = r * math.cos(t) + _uniform(rng, -1, 1) * noise
            points.append((x, y, label))
    return points


def plane(n_samples: int = 1200, noise: float = 0.0, seed=None):
    """Regression: the target (x + y) / 10 (within ±1.2 on [-6, 6]^2, as the Playground's unclamped scale)."""
    rng = random.Random(seed)
    radius, points = 6.0, []
    for _ in range(n_samples):
        x, y = _uniform(rng, -radius, radius), _uniform(rng, -radius, radius)
        nx, ny = _uniform(rng, -radius, radius) * noise, _uniform(rng, -radius, radius) * noise
        points.append((x, y, (x + nx + y + ny) / 10))
    return points


_GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def multi_gauss(n_samples: int = 1200, noise: float = 0.0, seed=None):
    """Regression: six bumps of alternating sign; the target is the strongest bump at the point."""
    rng = random.Random(seed)

    def label(x, y):
        best = 0.0
        for cx, cy, sign in _GAUSSIANS:
            v = sign * min(max(1 - math.hypot(x - cx, y - cy) / 2, 0.0), 1.0)
            if abs(v) > abs(best):
                best = v
        return best

    radius, points = 6.0, []
    for _ in range(n_samples):
        x, y = _uniform(rng, -radius, radius), _uniform(rng, -radius, radius)
        nx, ny = _uniform(rng, -radius, radius) * noise, _uniform(rng, -radius, radius) * noise
        points.append((x, y, label(x + nx, y + ny)))
    return points


GENERATORS = {"circle": circle, "xor": xor, "gauss": gauss, "spiral": spiral, "plane": plane,
              "multi_gauss": multi_gauss}


MANY_CLASSES = ("gauss", "spiral")       # the problems that take classes=3..5
MAX_CLASSES = 5


def generate(problem: str, n_samples: int | None = None, noise: float = 0.0, seed=None, classes: int = 2):
    """The points (x, y, label) of ``problem`` in the Playground's order (not yet shuffled);
    gauss and spiral take ``classes`` of 2 (labels +1, -1) to 5 (labels 0 to 4).

    Example:
        >>> generate("circle", 10, classes=3)
        Traceback (most recent call last):
        ...
        ValueError: classes=3: only gauss and spiral have more than two classes; circle has two
    """
    if problem not in GENERATORS:
        raise ValueError(f"unknown Playground problem {problem!r}; valid names: {', '.join(PROBLEMS)}")
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise is a fraction (the Playground's slider / 100, 0 to 0.5), got {noise}")
    if not 2 <= classes <= MAX_CLASSES:
        raise ValueError(f"classes is 2 to {MAX_CLASSES}, got {classes}")
    n = n_samples if n_samples is not None else (500 if problem in CLASSIFICATIONS else 1200)
    if classes == 2:
        return GENERATORS[problem](n, noise, seed)
    if problem not in MANY_CLASSES:
        raise ValueError(f"classes={classes}: only {' and '.join(MANY_CLASSES)} have more than two classes; "
                         f"{problem} has two")
    return GENERATORS[problem](n, noise, seed, classes)


def features(points, names=("x1", "x2")) -> list[list[float]]:
    """The Playground's input features of each point: any of x1, x2, x1_squared, x2_squared,
    x1_x2, sin_x1, sin_x2."""
    for name in names:
        if name not in FEATURES:
            raise ValueError(f"unknown feature {name!r}; valid names: {', '.join(FEATURES)}")
    fns = [FEATURES[n] for n in names]
    return [[f(p[0], p[1]) for f in fns] for p in points]


def load(problem: str = "circle", noise: float = 0.0, n_samples: int | None = None, train_fraction: float = 0.5,
         seed=0, features=("x1", "x2"), as_tensors: bool = True, device=None):
    """``(x_train, y_train), (x_test, y_test)`` for a Playground problem.

    x is (n, len(features)) float32; y is (n, 1): 0/1 for classifications, the target for
    regressions. The points are shuffled with ``seed`` and the first ``train_fraction`` train.
    With ``as_tensors=False`` the parts are Python lists.

    Example:
        >>> (x, y), (x_test, y_test) = load("circle", n_samples=8, features=("x1", "x2", "x1_squared"))
        >>> x.shape, y.shape, sorted(set(v for row in y.tolist() for v in row))
        ((4, 3), (4, 1), [0.0, 1.0])
        >>> (x, y), _ = load("plane", n_samples=10, as_tensors=False)
        >>> len(x), len(x[0]), len(y)
        (5, 2, 5)
    """
    points = generate(problem, n_samples, noise, seed)
    rng = random.Random(None if seed is None else seed + 1)
    rng.shuffle(points)
    cut = int(len(points) * train_fraction)
    classify = problem in CLASSIFICATIONS
    feature_fn = globals()["features"]

    def part(ps):
        x = feature_fn(ps, features)
        y = [[(p[2] + 1) / 2 if classify else p[2]] for p in ps]
        if not as_tensors:
            return x, y
        return tensor(x, dtype="float32", device=device), tensor(y, dtype="float32", device=device)

    return part(points[:cut]), part(points[cut:])
