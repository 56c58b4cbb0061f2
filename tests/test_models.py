"""Sequential, functional and subclassed models: compile/fit/evaluate/predict, summary, callbacks,
the errors bad input gets, and safetensors weights (read back by the real `safetensors`)."""
import io
import math
import re

import numpy as np
import pytest

import webgrad as wg
from webgrad import layers as L
from webgrad.ops import ShapeError

from conftest import assert_close


def small_model(n_in=2, name=None, out_activation=None):
    return wg.Sequential([wg.Input(shape=(n_in,)), L.Dense(8, activation="tanh"), L.Dense(1, activation=out_activation)],
                         name=name)


def line_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2)).astype("float32")
    return x, (x[:, :1] * 2 - x[:, 1:] + 0.5).astype("float32")


def test_fit_regression_and_history(gpu):
    wg.manual_seed(0)
    x, y = line_data()
    model = small_model()
    model.compile(optimizer=wg.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=16, epochs=15, validation_split=0.25, verbose=0)
    assert isinstance(history, wg.callbacks.History) and history is model.history
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert len(history.history["loss"]) == 15 and history.epoch == list(range(15))
    assert history.history["loss"][-1] < 0.05 < history.history["loss"][0]
    loss, mae = model.evaluate(x, y, verbose=0)
    assert loss < 0.05 and mae < 0.2
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "mae"}
    pred = model.predict(x, batch_size=10)
    assert pred.shape == (64, 1)
    assert np.abs(pred.numpy() - y).mean() < 0.2


def test_train_on_batch_and_friends(gpu):
    wg.manual_seed(1)
    x, y = line_data(16)
    model = small_model()
    model.compile("sgd", "mse", metrics=["mae"])
    loss, mae = model.train_on_batch(x, y)
    assert math.isfinite(loss) and math.isfinite(mae)
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "mae"}
    assert model.predict_on_batch(x).shape == (16, 1)
    for _ in range(30):
        last = model.train_on_batch(x, y)[0]
    assert last < loss


def test_functional_and_subclassed_models_train(gpu):
    wg.manual_seed(2)
    x, y = line_data()
    a = wg.Input(shape=(2,))
    h = L.Dense(8, activation="tanh")(a)
    out = L.Dense(1)(L.Concatenate()([h, a]))
    functional = wg.Model(a, out)

    class Residual(wg.Model):
        def __init__(self):
            super().__init__()
            self.hidden = L.Dense(8, activation="relu")
            self.out = L.Dense(1)

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

    sub = Residual()
    for model in (functional, sub):
        model.compile(wg.optimizers.Adam(0.05), "mse")
        hist = model.fit(x, y, batch_size=16, epochs=10, verbose=0)
        assert hist.history["loss"][-1] < 0.3 * hist.history["loss"][0]
    assert len(sub.trainable_weights) == 4 and [n for n, _ in sub.named_weights()] == [
        "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]


def test_multi_input_functional_model(gpu):
    a, b = wg.Input(shape=(3,)), wg.Input(shape=(2,))
    out = L.Dense(1)(L.Concatenate()([L.Dense(4)(a), b]))
    model = wg.Model([a, b], out)
    model.compile("adam", "mse")
    xa, xb = np.ones((8, 3), "float32"), np.ones((8, 2), "float32")
    model.fit([xa, xb], np.zeros((8, 1), "float32"), epochs=2, verbose=0)
    assert model.predict([xa, xb]).shape == (8, 1)
    with pytest.raises(ShapeError, match=r"expects input 1 of shape \(None, 2\), given \(8, 3\)"):
        model.predict([xa, xa])


def test_summary_table(gpu):
    model = wg.Sequential([wg.Input(shape=(8, 8, 1)), L.Conv2D(4, 3, padding="same", name="conv"),
                           L.MaxPool2D(name="pool"), L.Flatten(name="flat"), L.BatchNormalization(name="bn"),
                           L.Dense(10, name="out")], name="digits_cnn")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert text.startswith('Model: "digits_cnn"')
    rows = {m.group(1): (m.group(2), m.group(3)) for m in
            re.finditer(r"│ (\w+) \(\w+\)\s+│ (\([^)]*\))\s+│\s+([\d,]+) │", text)}
    assert rows == {"conv": ("(None, 8, 8, 4)", "40"), "pool": ("(None, 4, 4, 4)", "0"),
                    "flat": ("(None, 64)", "0"), "bn": ("(None, 64)", "256"), "out": ("(None, 10)", "650")}
    assert " Total params: 946 (3.70 KB)" in text
    assert " Trainable params: 818 (3.20 KB)" in text
    assert " Non-trainable params: 128 (512.00 B)" in text


def test_summary_before_and_after_build(gpu):
    model = wg.Sequential([L.Dense(3, name="later")])
    lines = []
    model.summary(print_fn=lines.append)
    assert re.search(r"│ later \(Dense\)\s+│ \?\s+│\s+0 \(unbuilt\) │", lines[0]), lines[0]
    model.build((None, 5))
    assert model.count_params() == 18
    lazy = wg.Sequential([L.Dense(3, input_shape=(4,))])
    assert lazy.output_shape == (None, 3)


def test_wrong_input_shape_names_layer_and_shapes(gpu):
    model = wg.Sequential([wg.Input(shape=(2,)), L.Dense(8, name="hidden"), L.Dense(1)])
    model.compile("adam", "mse")
    msg = r"fit: model '\w+' expects input of shape \(None, 2\), given \(10, 3\) \(the input of layer 'hidden' \(Dense\)\)"
    with pytest.raises(ShapeError, match=msg):
        model.fit(np.zeros((10, 3), "float32"), np.zeros((10, 1), "float32"), verbose=0)
    with pytest.raises(ShapeError, match=r"predict: .* expects input of shape \(None, 2\), given \(4, 2, 1\)"):
        model.predict(np.zeros((4, 2, 1), "float32"))
    with pytest.raises(ShapeError, match="x has 10 samples but y has 9"):
        model.fit(np.zeros((10, 2), "float32"), np.zeros((9, 1), "float32"), verbose=0)
    lazy = wg.Sequential([L.Dense(4, name="first"), L.Dense(1)])
    lazy.compile("adam", "mse")
    lazy.fit(np.zeros((4, 3), "float32"), np.zeros((4, 1), "float32"), verbose=0)
    with pytest.raises(ShapeError, match=r"layer 'first' \(Dense\) was built for inputs of shape \(None, 3\) and got "
                                         r"shape \(4, 5\)"):
        lazy.predict(np.zeros((4, 5), "float32"))
    with pytest.raises(RuntimeError, match="compile the model first"):
        small_model().fit(np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32"))
    with pytest.raises(ValueError, match="unknown loss 'cross_entropy'; valid names: "):
        model.compile("adam", "cross_entropy")
    with pytest.raises(ValueError, match="unknown optimizer 'sgdm'; valid names: adadelta, adagrad, adam, adamax, adamw, lion, nadam, rmsprop, sgd"):
        model.compile("sgdm", "mse")


def test_nan_loss_stops_fit_naming_epoch_and_step(gpu):
    x = np.ones((40, 2), "float32")
    y = np.ones((40, 1), "float32")
    y[25] = np.nan                                   # batch 3 of epoch 1 (batch size 8, no shuffle)
    model = small_model()
    model.compile("sgd", "mse")
    with pytest.raises(FloatingPointError, match=r"the loss became nan at epoch 1, step 4 .*learning rate.*clipnorm"):
        model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    model = small_model()
    model.compile("sgd", "mse")
    out = io.StringIO()
    import contextlib
    with contextlib.redirect_stdout(out):
        history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
                            callbacks=[wg.callbacks.TerminateOnNaN()])
    assert "Batch 3: Invalid loss, terminating training" in out.getvalue()
    assert history.epoch == [0]


def test_callbacks(gpu, tmp_path):
    wg.manual_seed(3)
    x, y = line_data()
    model = small_model()
    model.compile(wg.optimizers.SGD(0.1), "mse")
    events, lrs = [], []
    early = wg.callbacks.EarlyStopping(monitor="loss", patience=2, min_delta=10.0, restore_best_weights=True)
    ckpt = wg.callbacks.ModelCheckpoint(str(tmp_path / "ep{epoch:02d}.safetensors"))
    sched = wg.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    spy = wg.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: lrs.append(model.optimizer.current_learning_rate))
    hook = wg.callbacks.ProgressHook(events.append, every=0)
    history = model.fit(x, y, batch_size=16, epochs=10, verbose=0, callbacks=[sched, spy, early, ckpt, hook])
    assert history.epoch == [0, 1, 2]                 # no improvement by 10.0: stops after patience 2
    assert early.stopped_epoch == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep01.safetensors", "ep02.safetensors", "ep03.safetensors"]
    assert lrs == [0.1, 0.05, 0.1 / 3]
    assert history.history["learning_rate"] == lrs
    kinds = [e["event"] for e in events]
    assert kinds[0] == "train_begin" and kinds[-1] == "train_end" and kinds.count("epoch") == 3
    batch = next(e for e in events if e["event"] == "batch")
    assert batch["steps"] == 4 and isinstance(batch["logs"]["loss"], float)
    import json
    json.dumps(events)                                 # plain data, ready for postMessage


def test_model_checkpoint_best_only(gpu, tmp_path):
    x, y = line_data()
    model = small_model()
    model.compile(wg.optimizers.SGD(0.05), "mse")
    path = tmp_path / "best.safetensors"
    ckpt = wg.callbacks.ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True)
    model.fit(x, y, epochs=3, validation_data=(x, y), verbose=0, callbacks=[ckpt])
    assert path.exists() and ckpt.best == min(model.history.history["val_loss"])


def test_progress_bar_lines(gpu):
    x, y = line_data(40)
    model = small_model()
    model.compile("adam", "mse", metrics=["mae"])
    out = io.StringIO()
    model.fit(x, y, batch_size=16, epochs=2, verbose=2, validation_data=(x, y),
              callbacks=[wg.callbacks.ProgbarLogger(2, stream=out)])
    lines = out.getvalue().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.fullmatch(r"3/3 - \d+s \d+(s|ms|us)/step - loss: [\d.]+ - mae: [\d.]+ - val_loss: [\d.]+ - "
                        r"val_mae: [\d.]+", lines[1]), lines[1]
    printed = io.StringIO()
    import contextlib
    with contextlib.redirect_stdout(printed):
        model.evaluate(x, y, batch_size=8, verbose=2)
    assert re.fullmatch(r"5/5 - \d+s \d+(ms|us)/step - loss: [\d.]+ - mae: [\d.]+\n", printed.getvalue())

    class Tty(io.StringIO):
        def isatty(self):
            return True
    live = Tty()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[wg.callbacks.ProgbarLogger(1, stream=live, interval=0)])
    text = live.getvalue()
    assert "\r" in text and "━" in text and text.endswith("\n")


def test_save_load_roundtrip_predicts_bitwise_the_same(gpu, tmp_path):
    wg.manual_seed(4)

    def build():
        return wg.Sequential([wg.Input(shape=(8, 8, 1)), L.Conv2D(4, 3, padding="same", activation="relu"),
                              L.BatchNormalization(), L.MaxPool2D(), L.Flatten(), L.Dense(10)])
    model = build()
    model.compile("adam", wg.losses.SparseCategoricalCrossentropy(from_logits=True))
    (x, y), _ = wg.datasets.load_digits(images=True)
    model.fit(x[:64], y[:64], epochs=1, verbose=0)        # moves BN's moving statistics too
    path = tmp_path / "m.safetensors"
    model.save_weights(path)
    fresh = build()
    assert not np.array_equal(fresh.predict(x[:32]).numpy(), model.predict(x[:32]).numpy())
    fresh.load_weights(path)
    assert np.array_equal(fresh.predict(x[:32]).numpy(), model.predict(x[:32]).numpy())
    for (n1, a), (n2, b) in zip(model.named_weights(), fresh.named_weights()):
        assert n1 == n2 and np.array_equal(a.numpy(), b.numpy())


def test_safetensors_library_reads_our_file_and_we_read_its(gpu, tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    model = wg.Sequential([wg.Input(shape=(3,)), L.Dense(5), L.BatchNormalization(), L.Dense(2)])
    path = tmp_path / "w.safetensors"
    model.save_weights(path)
    loaded = safetensors_numpy.load_file(str(path))
    ours = dict(model.named_weights())
    assert set(loaded) == set(ours) == {"dense/kernel", "dense/bias", "batch_normalization/gamma",
                                        "batch_normalization/beta", "batch_normalization/moving_mean",
                                        "batch_normalization/moving_variance", "dense_1/kernel", "dense_1/bias"}
    for name, t in ours.items():
        assert loaded[name].dtype == np.float32 and np.array_equal(loaded[name], t.numpy()), name
    from safetensors import safe_open
    with safe_open(str(path), "np") as f:
        assert f.metadata()["format"] == "webgrad"
    # and the other way: a file the library wrote, with every dtype we support
    theirs = {"f": np.arange(6, dtype=np.float32).reshape(2, 3), "h": np.array([1.5, -2], np.float16),
              "i": np.array([[-3, 7]], np.int32), "b": np.array([True, False, True]), "e": np.zeros((0, 2), np.float32)}
    safetensors_numpy.save_file(theirs, str(tmp_path / "t.safetensors"))
    back = wg.saving.load_file(tmp_path / "t.safetensors", device=gpu)
    for k, v in theirs.items():
        if k == "h" and not gpu.has_f16:
            continue
        assert back[k].shape == v.shape and np.array_equal(back[k].numpy(), v), k
    rewritten = wg.saving.save({k: v for k, v in back.items() if k != "h" or gpu.has_f16})
    again = safetensors_numpy.load(rewritten)
    assert np.array_equal(again["b"], theirs["b"]) and np.array_equal(again["i"], theirs["i"])


def test_load_weights_mismatch_errors(gpu, tmp_path):
    path = tmp_path / "w.safetensors"
    small_model().save_weights(path)
    with pytest.raises(ShapeError, match=r"weight 'dense/kernel' of layer '\w+' has shape \(3, 8\) in the model and "
                                         r"\(2, 8\)"):
        small_model(n_in=3).load_weights(path)
    bigger = wg.Sequential([wg.Input(shape=(2,)), L.Dense(8), L.Dense(1), L.Dense(1)])
    with pytest.raises(ValueError, match=r"missing \['dense_2/kernel', 'dense_2/bias'\]"):
        bigger.load_weights(path)


def test_get_set_weights(gpu):
    a, b = small_model(), small_model()
    b.set_weights(a.get_weights())
    x = wg.ones(3, 2, device=gpu)
    assert np.array_equal(a.predict(x).numpy(), b.predict(x).numpy())
    with pytest.raises(ValueError, match="has 4 weights, got 1 values"):
        b.set_weights([np.zeros((2, 8))])


def test_fit_holds_pool_memory_flat(gpu):
    """Epochs after the first reuse pooled buffers: fit, validation and metrics leak nothing."""
    (x, y), (xt, yt) = wg.datasets.load_digits(images=True, device=gpu)
    model = wg.Sequential([wg.Input(shape=(8, 8, 1)), L.Conv2D(4, 3, padding="same", activation="relu"),
                           L.BatchNormalization(), L.MaxPool2D(), L.Flatten(), L.Dropout(0.2), L.Dense(10)])
    model.compile("adam", wg.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    for _ in range(4):      # the pool reaches its working set (the first step is eager, then traced)
        model.fit(x[:256], y[:256], epochs=1, verbose=0, validation_data=(xt[:64], yt[:64]))
    gpu.synchronize()
    warm = gpu.stats()
    model.fit(x[:256], y[:256], epochs=3, verbose=0, validation_data=(xt[:64], yt[:64]))
    gpu.synchronize()
    after = gpu.stats()
    assert after["buffers_created"] == warm["buffers_created"], (warm, after)
    assert after["bytes_created"] == warm["bytes_created"]   # no new memory (what is alive right now may differ)


def test_a_new_layer_width_or_a_new_layer_compiles_no_pipeline(gpu):
    """The playground's loop: train a small network, change a width or add a layer, train again.
    Small kernels read their sizes at run time (view.Sizes), so the change compiles nothing."""
    (x, y), _ = wg.datasets.load_playground("circle", n_samples=200, seed=0, device=gpu)

    def fit(widths):
        model = wg.Sequential([wg.Input(shape=(2,))] + [L.Dense(w, activation="tanh") for w in widths] + [L.Dense(1)])
        model.compile(wg.optimizers.SGD(0.03), "mse")
        return model.fit(x, y, batch_size=10, epochs=2, verbose=0).history["loss"]

    fit([4, 2])
    before = gpu.stats()["compiled"]
    for widths in ([5, 2], [5, 2, 3], [8, 8, 8, 8, 8, 8], [1, 7]):
        losses = fit(widths)
        assert np.isfinite(losses).all() and len(losses) == 2
    assert gpu.stats()["compiled"] == before, "a change of width or depth compiled new pipelines"


def test_output_shapes_follow_the_graph_and_pop():
    x = wg.Input(shape=(3,))
    assert wg.Model(x, L.Dense(2)(x)).output_shape == (None, 2)          # before any call, as Keras
    model = wg.Sequential([wg.Input(shape=(3,)), L.Dense(4), L.Dense(1)])
    model.pop()
    assert model.output_shape == (None, 4)


def test_early_stopping_tracks_the_best_epoch_below_its_baseline():
    # Keras: the baseline holds back the patience reset, not the best epoch (restored at the end).
    model = wg.Sequential([wg.Input(shape=(1,)), L.Dense(1)])
    stop = wg.callbacks.EarlyStopping(monitor="loss", baseline=0.1, patience=2, restore_best_weights=True)
    stop.set_model(model)
    stop.on_train_begin()
    for epoch, loss in enumerate([1.0, 0.5, 0.7]):
        stop.on_epoch_end(epoch, {"loss": loss})
    assert (stop.best, stop.best_epoch, stop.stopped_epoch, model.stop_training) == (0.5, 1, 2, True)


def test_fit_with_steps_per_execution_trains_as_step_by_step_in_one_kernel(gpu):
    # Keras's compile(steps_per_execution=N): N steps a call, here one single-kernel dispatch; the same
    # numbers as one step a call, and batch callbacks at every N-th step (the last short block alone).
    (x, y), _ = wg.datasets.load_playground("circle", n_samples=230, seed=0, device=gpu)     # 11 batches + 5
    ends, histories, models = [], [], []
    for spe in (1, 5):
        wg.manual_seed(0)
        model = wg.Sequential([wg.Input(shape=(2,)), L.Dense(4, activation="tanh"), L.Dense(1)])
        model.compile(wg.optimizers.Adam(0.03), "mse", steps_per_execution=spe)
        seen = []
        cb = wg.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
        histories.append(model.fit(x, y, batch_size=10, epochs=3, verbose=0, shuffle=False, callbacks=[cb]).history)
        ends.append(seen[:len(seen) // 3])
        models.append(model)
    assert_close(np.array(histories[1]["loss"]), np.array(histories[0]["loss"]), 1e-5, "losses")
    assert ends == [list(range(12)), [4, 9, 10, 11]]
    assert models[1]._traced_train_steps[5].plan.summary()["lowering"] == "single_kernel"
    with pytest.raises(ValueError, match="steps_per_execution must be a positive integer"):
        models[1].compile("sgd", "mse", steps_per_execution=0)


@pytest.mark.parametrize("state", [
    {"problem": "regression", "regDataset": "reg-gauss", "networkShape": [5], "activation": "relu", "initZero": True},
    {"dataset": "xor", "networkShape": [], "xTimesY": True, "regularization": "L1", "regularizationRate": 0.01},
    {"dataset": "spiral", "networkShape": [4, 3], "sinY": True, "noise": 20, "percTrainData": 70, "batchSize": 7},
    {"dataset": "gauss", "networkShape": [2], "optimizer": "adam", "loss": "crossentropy", "learningRate": 0.01},
    {"networkShape": [3], "optimizer": "momentum"},
    {"networkShape": [3, 2], "activations": "relu,sigmoid"},
    {"dataset": "spiral", "classes": 3, "networkShape": [5], "optimizer": "adam", "loss": "crossentropy"},
    {"dataset": "gauss", "classes": 4, "networkShape": [3], "noise": 10},
    {"networkShape": [4, 3], "batchNorm": True, "dropout": 0.2, "learningRate": 0.1},
], ids=["regression", "no_hidden_layer", "spiral", "adam_crossentropy", "momentum", "layer_activations",
        "three_classes_crossentropy", "four_classes_squared", "batch_norm_dropout"])
def test_the_playgrounds_exported_weights_give_its_test_loss_in_its_script(state):
    """The playground's export on the desktop: its script, run with its weights, rebuilds the same
    points and network and prints the test loss the playground computes for them."""
    import asyncio
    import os
    import subprocess
    import sys
    import tempfile

    from webgrad.playground import Playground
    pg = Playground()
    asyncio.run(pg.configure(dict(state, seed="0.75")))
    frame = asyncio.run(pg.train(5))
    out = asyncio.run(pg.export())
    with tempfile.TemporaryDirectory() as folder:
        script, weights = (os.path.join(folder, name) for name in out["names"])
        with open(script, "w") as f:
            f.write(out["script"])
        with open(weights, "wb") as f:
            f.write(out["weights"])
        ran = subprocess.run([sys.executable, script, weights], capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.strip() == f"test loss {frame['loss_test']:.3f}", (ran.stdout, frame["loss_test"])


def test_the_playgrounds_three_class_spiral_reaches_90_percent_on_its_test_points(gpu):
    """TF Playground issue #68 on the desktop: a spiral of three arms, a softmax output trained
    with cross-entropy; the frame's accuracy is the test points' argmax against their class, and
    its confusion matrix counts every test point once, its diagonal the right ones."""
    import asyncio

    from webgrad.playground import Playground
    pg = Playground()
    shown = asyncio.run(pg.configure({"dataset": "spiral", "classes": 3, "networkShape": [8, 8, 8], "optimizer": "adam",
                                      "learningRate": 0.01, "loss": "crossentropy", "sinX": True, "sinY": True,
                                      "seed": "0.5"}))
    assert shown["network"] == [4, 8, 8, 8, 3] and shown["classes"] == 3
    assert sorted({label for label in shown["train"][2::3]}) == [0.0, 1.0, 2.0]
    for _ in range(12):                     # 60 epochs, 5 a call as the page plays them
        frame = asyncio.run(pg.train(5))
    assert frame["metric"] == "accuracy" and frame["metric_test"] >= 0.9, frame["metric_test"]
    confusion = np.array(frame["confusion"]).reshape(3, 3)
    n_test = len(shown["test"]) // 3
    assert confusion.sum() == n_test
    assert confusion.trace() / n_test == pytest.approx(frame["metric_test"], abs=1e-6)
    # the output's heatmap: each grid value is a class (0, 1, 2) plus its probability
    grid = np.frombuffer(frame["maps"], dtype=np.float32)[:100 * 100]
    assert set(np.floor(grid).astype(int)) == {0, 1, 2} and ((grid % 1) >= 1 / 3 - 1e-6).all()


def test_a_playground_script_with_batch_norm_and_dropout_comes_back_as_its_state():
    """The code panel's run reads batch norm and dropout back from the model it builds; a model the page cannot
    draw (batch norm on one hidden layer only) is refused by name, and the network stays."""
    import asyncio

    from webgrad.playground import Playground, PlaygroundError
    from webgrad.playground.script import script
    pg = Playground()
    asyncio.run(pg.configure({"seed": "1", "networkShape": [3, 2]}))
    shown = asyncio.run(pg.run(script(dict(pg.state, batchNorm=True, dropout=0.3), epochs=1)))
    assert (shown["state"]["batchNorm"], shown["state"]["dropout"], shown["network"]) == (True, 0.3, [2, 3, 2, 1])
    text = script(dict(pg.state, batchNorm=False, dropout=0.0), epochs=1)
    one = text.replace('    L.Dense(2, activation="tanh"',
                       '    L.Dense(2, activation="linear"', 1).replace(
        'bias_initializer=bias),\n    L.Dense(1,', 'bias_initializer=bias),\n    L.BatchNormalization(), L.Activation("tanh"),\n    L.Dense(1,', 1)
    assert "BatchNormalization" in one
    with pytest.raises(PlaygroundError, match="on every hidden layer or on none"):
        asyncio.run(pg.run(one))
    assert pg.state["batchNorm"] is True and [type(x).__name__ for x in pg.model.layers].count("Dropout") == 2
