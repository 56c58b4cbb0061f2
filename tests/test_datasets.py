"""Datasets: the Playground generators (seeded, shaped, labelled as the Playground does), the
8x8 digits file (the same data as scikit-learn's copy), batching; and the Keras-style API
running with NumPy unavailable, as under Pyodide."""
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import webgrad as wg
from webgrad.datasets import playground as P


@pytest.mark.parametrize("problem", P.PROBLEMS)
def test_playground_problems(problem):
    pts = P.generate(problem, noise=0.0, seed=1)
    n = 500 if problem in P.CLASSIFICATIONS else 1200
    assert len(pts) == n
    assert pts == P.generate(problem, noise=0.0, seed=1)             # seeded
    assert P.generate(problem, noise=0.1, seed=1) != P.generate(problem, noise=0.1, seed=2)
    xs = np.array([(p[0], p[1]) for p in pts])
    labels = np.array([p[2] for p in pts])
    if problem in P.CLASSIFICATIONS:
        assert set(labels) == {-1.0, 1.0}
    else:
        assert labels.min() >= -1.2 and labels.max() <= 1.2 and labels.std() > 0.2
    if problem == "circle":
        r = np.hypot(xs[:, 0], xs[:, 1])
        assert np.all((r < 2.5) == (labels > 0))
    if problem == "xor":
        assert np.all((xs[:, 0] * xs[:, 1] >= 0) == (labels > 0)) and np.all(np.abs(xs) >= 0.3)
    if problem == "spiral":
        assert np.abs(xs).max() <= 5
    if problem == "plane":
        assert np.allclose(labels, xs.sum(1) / 10)


def test_playground_noise_and_split():
    clean = P.generate("circle", noise=0.0, seed=0)
    noisy = P.generate("circle", noise=0.5, seed=0)
    flipped = sum((math.hypot(p[0], p[1]) < 2.5) != (p[2] > 0) for p in noisy)
    assert flipped > 20 and all((math.hypot(p[0], p[1]) < 2.5) == (p[2] > 0) for p in clean)
    (x, y), (xt, yt) = wg.datasets.load_playground("xor", seed=3, train_fraction=0.8,
                                                   features=("x1", "x2", "x1_x2", "sin_x1"))
    assert x.shape == (400, 4) and xt.shape == (100, 4) and y.shape == (400, 1)
    a = x.numpy()
    assert np.allclose(a[:, 2], a[:, 0] * a[:, 1], atol=1e-5) and np.allclose(a[:, 3], np.sin(a[:, 0]), atol=1e-6)
    assert set(np.unique(y.numpy())) == {0.0, 1.0}
    with pytest.raises(ValueError, match="unknown Playground problem 'moons'; valid names: circle, xor"):
        wg.datasets.load_playground("moons")
    with pytest.raises(ValueError, match="unknown feature 'x3'"):
        wg.datasets.load_playground("xor", features=("x3",))


def test_digits_file_is_scikit_learns_digits():
    images, labels = wg.datasets.digits_lists()
    assert len(images) == len(labels) == 1797 and all(len(i) == 64 for i in images)
    assert sorted(set(labels)) == list(range(10))
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    d = sklearn_datasets.load_digits()
    assert np.array_equal(np.array(images), d.data) and np.array_equal(np.array(labels), d.target)
    from webgrad.datasets import convert_digits
    assert convert_digits.from_sklearn() == convert_digits.PATH.read_bytes()    # the committed file is current


def test_load_digits_split(gpu):
    (x, y), (xt, yt) = wg.datasets.load_digits(test_fraction=0.25, seed=5, device=gpu)
    assert x.shape == (1348, 64) and xt.shape == (449, 64) and y.dtype == wg.int32
    assert 0.0 <= x.min().item() and x.max().item() == 1.0
    (xi, _), _ = wg.datasets.load_digits(test_fraction=0.25, seed=5, images=True, normalize=False, device=gpu)
    assert xi.shape == (1348, 8, 8, 1) and xi.max().item() == 16.0
    assert np.array_equal(xi.numpy().reshape(1348, 64) / 16, x.numpy())
    (x2, _), _ = wg.datasets.load_digits(test_fraction=0.25, seed=6, device=gpu)
    assert not np.array_equal(x.numpy(), x2.numpy())


def test_batches_shuffle_and_cover(gpu):
    x = wg.arange(10, dtype="float32", device=gpu).reshape(10, 1)
    y = wg.arange(10, device=gpu)
    b = wg.datasets.Batches(x, y, batch_size=4, shuffle=True, seed=0)
    assert len(b) == 3
    epochs = [[(xb.numpy().ravel().tolist(), yb.tolist()) for xb, yb in b] for _ in range(2)]
    for epoch in epochs:
        assert [len(xs) for xs, _ in epoch] == [4, 4, 2]
        assert sorted(v for xs, _ in epoch for v in xs) == list(range(10))
        assert all(xs == ys for xs, ys in epoch)                       # x and y stay aligned
    assert epochs[0] != epochs[1]                                       # a new order each pass
    assert len(wg.datasets.Batches(x, batch_size=4, drop_remainder=True)) == 2
    plain = [xb.numpy().ravel().tolist() for (xb,) in wg.datasets.Batches(x[2:], batch_size=3)]
    assert plain == [[2, 3, 4], [5, 6, 7], [8, 9]]                     # a sliced view is read right
    with pytest.raises(wg.ShapeError, match="same number of samples"):
        wg.datasets.Batches(x, y[:5])


def test_keras_api_runs_without_numpy(tmp_path):
    """The core must train, evaluate and save where NumPy is absent (Pyodide)."""
    script = textwrap.dedent(f"""
        import sys
        sys.modules["numpy"] = None                     # every `import numpy` fails
        import webgrad as wg
        wg.manual_seed(0)
        (x, y), (xt, yt) = wg.datasets.load_playground("gauss", seed=0)
        model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(4, activation="relu"), wg.layers.Dense(1)])
        model.compile(wg.optimizers.Adam(0.05), wg.losses.BinaryCrossentropy(from_logits=True),
                      metrics=["accuracy", "auc"])
        model.fit(x, y, batch_size=50, epochs=3, verbose=0, callbacks=[wg.callbacks.ProgressHook(lambda e: None)])
        logs = model.evaluate(xt, yt, verbose=0, return_dict=True)
        (dx, dy), _ = wg.datasets.load_digits(images=True)
        cnn = wg.Sequential([wg.Input(shape=(8, 8, 1)), wg.layers.Conv2D(2, 3, padding="same"),
                             wg.layers.AvgPool2D(), wg.layers.Flatten(), wg.layers.Dense(10)])
        cnn.compile("sgd", wg.losses.SparseCategoricalCrossentropy(from_logits=True))
        cnn.train_on_batch(dx[:8], dy[:8])
        cnn.save_weights({str(tmp_path / 'w.safetensors')!r})
        cnn.load_weights({str(tmp_path / 'w.safetensors')!r})
        assert "numpy" not in [m.split(".")[0] for m in sys.modules if sys.modules[m] is not None]
        print("ok", round(logs["accuracy"], 3))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("ok ")
