"""The accuracies issue 4 asks for, trained with the Keras-style API on the WebGPU device:
the Playground's spiral (2 hidden layers of 8 tanh; X1, X2 and their sines), circle and xor;
an MLP and a small CNN on the 8x8 digits."""
import webgrad as wg
from webgrad import layers as L


def playground_accuracy(problem, features, epochs, lr=0.03, batch_size=25, seed=0):
    wg.manual_seed(seed)
    (x, y), (xt, yt) = wg.datasets.load_playground(problem, noise=0.0, seed=seed, features=features)
    model = wg.Sequential([wg.Input(shape=(len(features),)), L.Dense(8, activation="tanh"),
                           L.Dense(8, activation="tanh"), L.Dense(1)])
    model.compile(wg.optimizers.Adam(lr), wg.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return model.evaluate(xt, yt, verbose=0, return_dict=True)["accuracy"]


def test_spiral_reaches_95_percent(gpu):
    acc = playground_accuracy("spiral", ("x1", "x2", "sin_x1", "sin_x2"), epochs=50)
    assert acc >= 0.95, f"spiral test accuracy {acc:.3f}"


def test_circle_reaches_98_percent(gpu):
    acc = playground_accuracy("circle", ("x1", "x2"), epochs=20)
    assert acc >= 0.98, f"circle test accuracy {acc:.3f}"


def test_xor_reaches_98_percent(gpu):
    acc = playground_accuracy("xor", ("x1", "x2"), epochs=20)
    assert acc >= 0.98, f"xor test accuracy {acc:.3f}"


def digits_accuracy(layers, images, epochs, lr, batch_size=32, seed=0):
    wg.manual_seed(seed)
    (x, y), (xt, yt) = wg.datasets.load_digits(seed=seed, images=images)
    model = wg.Sequential([wg.Input(shape=x.shape[1:])] + layers)
    steps = epochs * -(-x.shape[0] // batch_size)
    model.compile(wg.optimizers.Adam(wg.optimizers.CosineDecay(lr, steps)),
                  wg.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return model.evaluate(xt, yt, verbose=0, return_dict=True)["accuracy"]


def test_digits_mlp_reaches_95_percent(gpu):
    acc = digits_accuracy([L.Dense(128, activation="relu"), L.Dense(10)], images=False, epochs=12, lr=0.005)
    assert acc >= 0.95, f"digits MLP test accuracy {acc:.3f}"


def test_digits_cnn_reaches_97_percent(gpu):
    layers = [L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPool2D(),
              L.Conv2D(32, 3, padding="same", activation="relu"), L.Flatten(),
              L.Dense(64, activation="relu"), L.Dense(10)]
    acc = digits_accuracy(layers, images=True, epochs=10, lr=0.004)
    assert acc >= 0.97, f"digits CNN test accuracy {acc:.3f}"
