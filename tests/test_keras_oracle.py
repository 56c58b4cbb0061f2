"""Keras 3 (on PyTorch CPU) as the oracle: the same layer built in Keras and in webgrad, on the same random
inputs, gives the same outputs and the same gradients with respect to its input."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402  (a dev dependency, pyproject.toml: the oracle)
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import webgrad as wg  # noqa: E402

CASES = [
    ("ReLU", {}, (4, 6)),
    ("ReLU", {"max_value": 1.5, "negative_slope": 0.1, "threshold": 0.2}, (4, 6)),
    ("LeakyReLU", {}, (3, 5)),
    ("LeakyReLU", {"negative_slope": 0.05}, (3, 5)),
    ("Softmax", {}, (3, 7)),
    ("Softmax", {"axis": 1}, (2, 4, 3)),
    ("Identity", {}, (2, 3)),
    ("RepeatVector", {"n": 4}, (3, 5)),
    ("Permute", {"dims": (2, 1)}, (2, 3, 4)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5)),
    ("ZeroPadding2D", {}, (2, 3, 4, 2)),
    ("ZeroPadding2D", {"padding": ((1, 2), (0, 3))}, (2, 3, 4, 2)),
    ("Cropping2D", {"cropping": ((1, 0), (2, 1))}, (2, 5, 6, 3)),
    ("Cropping2D", {"cropping": 1}, (1, 4, 4, 2)),
    ("UpSampling2D", {}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": (3, 1)}, (1, 2, 3, 4)),
]


@pytest.mark.parametrize("name, config, shape", CASES, ids=[f"{n}{c or ''}" for n, c, _ in CASES])
def test_layer_matches_keras(gpu, name, config, shape):
    rng = np.random.default_rng(len(name) + len(config))
    x = (rng.normal(size=shape) * 2).astype(np.float32)
    theirs_in = torch.tensor(x, requires_grad=True)
    theirs = getattr(keras.layers, name)(**config)(theirs_in)
    weight = rng.normal(size=tuple(theirs.shape)).astype(np.float32)       # d(sum(out * weight)) / d input
    (theirs * torch.tensor(weight)).sum().backward()

    ours_in = wg.tensor(x, device=gpu, requires_grad=True)
    ours = getattr(wg.layers, name)(**config)(ours_in)
    assert ours.shape == tuple(theirs.shape), name
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    (ours * wg.tensor(weight, device=gpu)).sum().backward()
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("labels, classes", [([0, 2, 1, 2], None), ([[1], [0], [3]], 5), ([], 3)])
def test_to_categorical_matches_keras(labels, classes):
    ours = wg.utils.to_categorical(labels, num_classes=classes)
    theirs = keras.utils.to_categorical(np.array(labels, dtype=np.int64), num_classes=classes)
    assert ours.shape == theirs.shape and ours.tolist() == theirs.tolist()


def test_to_categorical_names_an_id_out_of_range():
    with pytest.raises(ValueError, match=r"class ids must be in \[0, 2\), got 0..3"):
        wg.utils.to_categorical([0, 3], num_classes=2)


@pytest.mark.parametrize("name, config", [("Adamax", {"learning_rate": 0.05}),
                                          ("Adamax", {"learning_rate": 0.01, "beta_1": 0.8, "epsilon": 1e-3}),
                                          ("Lion", {"learning_rate": 0.02}),
                                          ("Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9}),
                                          ("Nadam", {"learning_rate": 0.05}),
                                          ("Nadam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9,
                                                     "epsilon": 1e-3}),
                                          ("Adadelta", {"learning_rate": 1.0}),
                                          ("Adadelta", {"learning_rate": 0.5, "rho": 0.8, "epsilon": 1e-4})])
def test_optimizer_steps_match_keras(gpu, name, config):
    """Five steps on the same gradients: the same parameters as Keras's optimizer gives."""
    rng = np.random.default_rng(3)
    start = rng.normal(size=(3, 4)).astype(np.float32)
    grads = [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(5)]
    theirs = keras.Variable(start)
    keras_opt = getattr(keras.optimizers, name)(**config)
    ours = wg.tensor(start, device=gpu)
    our_opt = getattr(wg.optimizers, name)(**config)
    for g in grads:
        keras_opt.apply_gradients([(keras.ops.convert_to_tensor(g), theirs)])
        our_opt.apply([wg.tensor(g, device=gpu)], [ours])
    np.testing.assert_allclose(ours.numpy(), keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["Nadam", "Adam"])
def test_traced_optimizer_steps_match_keras(gpu, name):
    """Two eager steps, then five steps inside one @wg.function (its step count and Nadam's momentum
    product live on the device): the parameters Keras's optimizer gives after seven steps."""
    rng = np.random.default_rng(4)
    start = rng.normal(size=(3, 4)).astype(np.float32)
    grads = [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(7)]
    theirs = keras.Variable(start)
    keras_opt = getattr(keras.optimizers, name)(learning_rate=0.05)
    ours = wg.tensor(start, device=gpu)
    our_opt = getattr(wg.optimizers, name)(learning_rate=0.05)

    @wg.function
    def step(g):
        our_opt.apply([g], [ours])

    for k, g in enumerate(grads):
        keras_opt.apply_gradients([(keras.ops.convert_to_tensor(g), theirs)])
        if k < 2:
            our_opt.apply([wg.tensor(g, device=gpu)], [ours])
        else:
            step(wg.tensor(g, device=gpu))
    # traced, the step's scalars are float32 on the device (Keras's are too; ours eagerly are float64)
    np.testing.assert_allclose(ours.numpy(), keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=2e-5)
    assert our_opt.iterations == 7


@pytest.mark.parametrize("name", ["adamax", "lion", "nadam", "adadelta"])
def test_a_new_optimizer_trains_a_model_in_fit(name):
    wg.manual_seed(0)
    model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(8, activation="tanh"), wg.layers.Dense(1)])
    optimizer = wg.optimizers.get(name)          # by its name, as compile("adamax") finds it
    optimizer.learning_rate = 1.0 if name == "adadelta" else 0.01      # Adadelta's steps are small: Keras's advice
    model.compile(optimizer, "mse", steps_per_execution=4)
    x = wg.randn(64, 2)
    y = (x[:, :1] * x[:, 1:]).tanh()
    history = model.fit(x, y, batch_size=16, epochs=30, verbose=0).history["loss"]
    assert history[-1] < 0.6 * history[0], history


@pytest.mark.parametrize("name, config, kind", [("KLDivergence", {}, "probabilities"), ("Hinge", {}, "binary"),
                                                ("Hinge", {}, "signs"), ("LogCosh", {}, "real"),
                                                ("Poisson", {}, "counts"), ("CosineSimilarity", {}, "real"),
                                                ("CosineSimilarity", {"axis": 0}, "real")])
def test_loss_matches_keras(gpu, name, config, kind):
    """The loss and its gradient with respect to the predictions, as Keras's on the same values."""
    rng = np.random.default_rng(5)
    shape = (6, 3)
    if kind == "probabilities":
        y_true = rng.dirichlet(np.ones(3), size=6).astype(np.float32)
        y_pred = rng.dirichlet(np.ones(3), size=6).astype(np.float32)
    else:
        y_pred = rng.normal(size=shape).astype(np.float32)
        y_true = {"binary": rng.integers(0, 2, size=shape), "signs": rng.choice([-1, 1], size=shape),
                  "real": rng.normal(size=shape), "counts": rng.poisson(2.0, size=shape)}[kind].astype(np.float32)
        if kind == "counts":
            y_pred = np.abs(y_pred) + 0.1
    theirs_pred = torch.tensor(y_pred, requires_grad=True)
    theirs = getattr(keras.losses, name)(**config)(torch.tensor(y_true), theirs_pred)
    theirs.backward()
    ours_pred = wg.tensor(y_pred, device=gpu, requires_grad=True)
    ours = getattr(wg.losses, name)(**config)(wg.tensor(y_true, device=gpu), ours_pred)
    ours.backward()
    np.testing.assert_allclose(ours.item(), float(theirs.detach()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours_pred.grad.numpy(), theirs_pred.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["kld", "hinge", "log_cosh", "poisson", "cosine_similarity"])
def test_a_new_loss_is_found_by_name_and_trains_in_fit(name):
    wg.manual_seed(0)
    model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(8, activation="tanh"),
                           wg.layers.Dense(2, activation="softmax" if name in ("kld", "poisson") else None)])
    model.compile(wg.optimizers.Adam(0.02), name, steps_per_execution=4)
    x = wg.randn(64, 2)
    y = wg.tensor(np.eye(2, dtype=np.float32)[((x[:, 0] * x[:, 1]).numpy() > 0).astype(int)])
    if name == "hinge":
        y = y * 2.0 - 1.0
    history = model.fit(x, y, batch_size=16, epochs=30, verbose=0).history["loss"]
    assert history[-1] < history[0] - 0.1 * abs(history[0]), history


@pytest.mark.parametrize("config", [{"factor": 0.5, "patience": 2}, {"factor": 0.2, "patience": 1, "cooldown": 2},
                                    {"factor": 0.1, "patience": 0, "min_lr": 0.002, "min_delta": 0.05},
                                    {"mode": "max", "monitor": "val_accuracy", "patience": 1}])
def test_reduce_lr_on_plateau_lowers_the_rate_at_the_epochs_keras_does(config):
    rng = np.random.default_rng(6)
    values = np.round(1.0 + np.cumsum(rng.normal(scale=0.1, size=25)), 3).tolist()
    monitor = config.get("monitor", "val_loss")
    theirs_model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    theirs_model.compile(keras.optimizers.SGD(0.1), "mse")
    ours_model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1)])
    ours_model.compile(wg.optimizers.SGD(0.1), "mse")
    theirs, ours = keras.callbacks.ReduceLROnPlateau(**config), wg.callbacks.ReduceLROnPlateau(**config)
    theirs.set_model(theirs_model)
    ours.set_model(ours_model)
    theirs.on_train_begin()
    ours.on_train_begin()
    theirs_rates, ours_rates = [], []
    for epoch, v in enumerate(values):
        theirs.on_epoch_end(epoch, {monitor: v})
        ours.on_epoch_end(epoch, {monitor: v})
        theirs_rates.append(float(keras.ops.convert_to_numpy(theirs_model.optimizer.learning_rate)))
        ours_rates.append(ours_model.optimizer.learning_rate)
    np.testing.assert_allclose(ours_rates, theirs_rates, rtol=1e-6)
    assert ours_rates[-1] < 0.1, ours_rates            # it did lower the rate


def test_reduce_lr_on_plateau_in_fit_lowers_the_rate_and_logs_it():
    model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(wg.optimizers.SGD(1e-9), "mse")          # too small to learn: the loss stays on its plateau
    plateau = wg.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
    history = model.fit([[0.0], [1.0]], [[0.0], [2.0]], epochs=7, verbose=0, callbacks=[plateau]).history
    # each epoch logs the rate it trained with: halved after epochs 3 and 5 (2 epochs without improvement each)
    assert history["learning_rate"] == pytest.approx([1e-9, 1e-9, 1e-9, 5e-10, 5e-10, 2.5e-10, 2.5e-10])


@pytest.mark.parametrize("append", [False, True])
def test_csv_logger_writes_the_file_keras_writes(tmp_path, append):
    epochs = [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.25, "accuracy": 0.75}]
    files = {}
    for who, cls in (("theirs", keras.callbacks.CSVLogger), ("ours", wg.callbacks.CSVLogger)):
        path = tmp_path / f"{who}.csv"
        for run in range(2 if append else 1):           # with append, a second fit continues the file
            log = cls(str(path), append=append)
            log.on_train_begin()
            for epoch, logs in enumerate(epochs):
                log.on_epoch_end(epoch, dict(logs))
            log.on_train_end()
        files[who] = path.read_text()
    assert files["ours"] == files["theirs"]
    assert files["ours"].splitlines()[0] == "epoch,accuracy,loss,val_accuracy,val_loss"


def test_csv_logger_keeps_each_finished_epoch_of_a_fit_that_fails(tmp_path):
    path = tmp_path / "log.csv"
    model = wg.Sequential([wg.Input(shape=(1,)), wg.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(wg.optimizers.SGD(0.1), "mse")

    def fail_at_third(epoch, logs):
        if epoch == 2:
            raise KeyboardInterrupt
    callbacks = [wg.callbacks.CSVLogger(str(path)), wg.callbacks.LambdaCallback(on_epoch_end=fail_at_third)]
    with pytest.raises(KeyboardInterrupt):
        model.fit([[0.0], [1.0]], [[0.0], [2.0]], epochs=5, verbose=0, callbacks=callbacks)
    rows = path.read_text().splitlines()
    assert rows[0] == "epoch,loss,val_loss" and [r.split(",")[0] for r in rows[1:]] == ["0", "1", "2"], rows


# ---- metrics: the same values as Keras's over several batches ----------------------------------

def _batches_of_scores(seed, classes=6, batches=3, n=16):
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, classes, n), rng.normal(size=(n, classes)).astype(np.float32)) for _ in range(batches)]


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_accuracies_match_keras(gpu, k):
    batches = _batches_of_scores(k)
    pairs = [(keras.metrics.SparseTopKCategoricalAccuracy(k=k), wg.metrics.SparseTopKCategoricalAccuracy(k=k), False),
             (keras.metrics.TopKCategoricalAccuracy(k=k), wg.metrics.TopKCategoricalAccuracy(k=k), True)]
    for theirs, ours, one_hot in pairs:
        for labels, scores in batches:
            y = np.eye(scores.shape[1], dtype=np.float32)[labels] if one_hot else labels
            theirs.update_state(y, scores)
            ours.update_state(wg.tensor(y, device=gpu), wg.tensor(scores, device=gpu))
        assert ours.name == theirs.name
        assert abs(ours.result() - float(theirs.result())) < 1e-6, (ours.name, ours.result(), float(theirs.result()))


@pytest.mark.parametrize("config", [{}, {"class_aggregation": "variance_weighted_average"},
                                    {"class_aggregation": None}, {"num_regressors": 2}])
def test_r2_score_matches_keras_over_batches(gpu, config):
    rng = np.random.default_rng(7)
    theirs, ours = keras.metrics.R2Score(**config), wg.metrics.R2Score(**config)
    for _ in range(3):
        y = rng.normal(size=(20, 3)).astype(np.float32) * [1.0, 2.0, 0.5]
        p = (y + rng.normal(size=(20, 3)) * 0.7).astype(np.float32)
        theirs.update_state(y, p)
        ours.update_state(wg.tensor(y, device=gpu), wg.tensor(p, device=gpu))
    want = np.asarray(theirs.result(), np.float64)
    got = np.asarray(ours.result_tensor().tolist(), np.float64)
    assert got.shape == want.shape and np.allclose(got, want, rtol=1e-5, atol=1e-6), (got, want)
    ours.reset_state()
    exact = wg.tensor([[1.0, 0.0, 2.0], [3.0, 2.0, 0.0]], device=gpu)
    ours.update_state(exact, exact)                 # a perfect fit after reset_state: 1 (each column's)
    perfect = 1.0 if config.get("class_aggregation", "") is not None else [1.0] * 3
    assert np.allclose(ours.result_tensor().tolist(), perfect)


@pytest.mark.parametrize("name", ["top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "r2_score"])
def test_a_new_metric_is_found_by_name_and_logged_by_fit(name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    kind = type(wg.metrics.get(name))
    if name == "r2_score":
        model, y = wg.Sequential([wg.Input(shape=(4,)), wg.layers.Dense(1)]), 2 * x[:, :1] + x[:, 1:2]
        loss, metric = "mse", name
    else:               # 4 classes: the top 5 hold every one, so the top 1 shows the fit
        labels = (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0)
        y = np.eye(4, dtype=np.float32)[labels] if name.startswith("top") else labels
        model = wg.Sequential([wg.Input(shape=(4,)), wg.layers.Dense(4, activation="softmax")])
        loss = "categorical_crossentropy" if name.startswith("top") else "sparse_categorical_crossentropy"
        metric = kind(k=1)
    assert kind.__name__ == {"r2_score": "R2Score", "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
                             "sparse_top_k_categorical_accuracy": "SparseTopKCategoricalAccuracy"}[name]
    model.compile(wg.optimizers.Adam(0.1), loss, metrics=[metric])
    history = model.fit(x, y, batch_size=16, epochs=40, verbose=0).history
    assert history[name][-1] > history[name][0] and history[name][-1] > 0.8, history[name]


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta, threshold", [(1.0, None), (1.0, 0.5), (2.0, 0.3)])
def test_fbeta_and_f1_scores_match_keras_over_batches(gpu, average, beta, threshold):
    rng = np.random.default_rng(11)
    if beta == 1.0:
        theirs, ours = keras.metrics.F1Score(average, threshold), wg.metrics.F1Score(average, threshold)
    else:
        theirs = keras.metrics.FBetaScore(average, beta, threshold)
        ours = wg.metrics.FBetaScore(average, beta, threshold)
    for _ in range(3):
        y = (rng.random((24, 4)) < 0.4).astype(np.float32)
        p = np.clip(y * 0.5 + rng.random((24, 4)) * 0.6, 0, 1).astype(np.float32)
        theirs.update_state(y, p)
        ours.update_state(wg.tensor(y, device=gpu), wg.tensor(p, device=gpu))
    want = np.asarray(theirs.result(), np.float64)
    got = np.asarray(ours.result_tensor().tolist(), np.float64)
    assert ours.name == theirs.name
    assert got.shape == want.shape and np.allclose(got, want, rtol=1e-5, atol=1e-6), (got, want)


def test_f1_score_is_logged_by_fit_and_refuses_a_bad_average():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[(x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0)]
    model = wg.Sequential([wg.Input(shape=(4,)), wg.layers.Dense(4, activation="softmax")])
    model.compile(wg.optimizers.Adam(0.1), "categorical_crossentropy", metrics=[wg.metrics.F1Score("macro")])
    f1 = model.fit(x, y, batch_size=16, epochs=40, verbose=0).history["f1_score"]
    assert f1[-1] > f1[0] and f1[-1] > 0.8, f1
    assert type(wg.metrics.get("f1_score")).__name__ == "F1Score"
    with pytest.raises(ValueError, match="average must be one of"):
        wg.metrics.F1Score("mean")
