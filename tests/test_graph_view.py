"""wg.graph_view: what the graph viewer draws of a traced step is what runs, in either lowering."""
import webgrad as wg


def _fit(steps_per_execution):
    model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(4, activation="tanh", name="hidden"),
                           wg.layers.Dense(1, name="out")])
    model.compile(wg.optimizers.SGD(0.1), "mse", steps_per_execution=steps_per_execution)
    model.fit(wg.ones(32, 2), wg.zeros(32, 1), batch_size=4, epochs=1, verbose=0)
    return model, wg.graph_view(model)


def test_a_plans_kernels_hold_its_ops_and_count_its_dispatches():
    model, view = _fit(1)
    plan = next(f for f in model._traced_train_steps.values() if f._last is not None).plan.summary()
    assert view["lowering"] == "plan" and sum(k["dispatches"] for k in view["kernels"]) == plan["dispatches"]
    ids = {n["id"]: n for n in view["nodes"]}
    in_kernels = [i for k in view["kernels"] for i in k["nodes"]]
    assert len(in_kernels) == len(set(in_kernels)) and all(ids[i]["kernel"] is not None for i in in_kernels)
    assert all(n["kernel"] is None for n in view["nodes"] if n["role"] in ("capture", "input"))
    assert {n["scope"][0] for n in view["nodes"] if n["scope"]} == {"forward", "loss", "backward", "update", "metrics"}
    kernel_of = {i: k["id"] for k in view["kernels"] for i in k["nodes"]}
    assert all(n["kernel"] == kernel_of.get(n["id"]) for n in view["nodes"])


def test_a_single_kernel_step_is_one_kernel_around_every_op():
    model, view = _fit(8)
    assert view["lowering"] == "single_kernel" and len(view["kernels"]) == 1
    [kernel] = view["kernels"]
    ops = [n["id"] for n in view["nodes"] if n["role"] in ("op", "output")]
    assert set(ops) <= set(kernel["nodes"]) and view["dispatches"] == kernel["dispatches"] >= 1
    assert "@compute" in kernel["wgsl"][0]
    labels = sorted(n["label"] for n in view["nodes"] if n["role"] == "capture")
    assert {"hidden/kernel", "hidden/bias", "out/kernel", "out/bias"} <= set(labels)


def test_a_cnns_view_is_strict_json():
    """Max pooling starts from -inf: JSON has no infinities, so the view writes it as a string."""
    import json
    model = wg.Sequential([wg.Input(shape=(4, 4, 1)), wg.layers.Conv2D(2, 3, padding="same", activation="relu"),
                           wg.layers.MaxPool2D(), wg.layers.Flatten(), wg.layers.Dense(3)])
    model.compile("adam", wg.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(wg.ones(8, 4, 4, 1), wg.zeros(8, dtype=wg.int32), batch_size=4, epochs=1, verbose=0)
    view = wg.graph_view(model)
    assert json.loads(json.dumps(view, allow_nan=False)) == view
    assert any(v == "-inf" for n in view["nodes"] for v in n["attrs"].values())


def test_optimizer_and_metric_state_are_labelled_by_what_they_hold():
    model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(3, name="hidden")])
    model.compile(wg.optimizers.Adam(0.01), "mse", metrics=["mae"])
    model.fit(wg.ones(8, 2), wg.zeros(8, 3), batch_size=4, epochs=1, verbose=0)
    labels = {n["label"] for n in wg.graph_view(model)["nodes"] if n["role"] == "capture"}
    assert {"hidden/kernel/m", "hidden/kernel/v", "hidden/bias/m", "adam/iterations", "adam/lr",
            "loss/total", "mae/count"} <= labels, labels
