"""The graph viewer as a person uses it: open a logged run's graph from /runs, open its phases and layers
down to the ops, switch to the kernels that run them, read an op's line and WGSL; open a graph file chosen
on disk, search it, and get a clear message for a file that is not one. Screenshots go to e2e/artifacts/."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
from playwright.sync_api import expect

from .test_runs_page import logdir_of, open_runs


def ready(page):
    expect(page.locator("body")).to_have_attribute("data-state", "ready", timeout=30_000)


def click_box(page, title: str):
    page.locator("#viewport .box .title", has_text=title).first.click()
    ready(page)


def test_a_logged_runs_graph_opens_from_runs_with_its_phases_layers_ops_and_kernels(page, server, artifacts):
    import webgrad as wg

    model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(8, activation="tanh", name="hidden"),
                           wg.layers.Dense(1, name="out")])
    model.compile(wg.optimizers.Adam(0.01), "mse")
    model.fit(wg.ones(16, 2), wg.zeros(16, 1), batch_size=4, epochs=1, verbose=0,
              callbacks=[wg.callbacks.TensorBoard(str(Path(logdir_of(server)) / "graphs" / "mlp"))])
    view = httpx.get(server + "/api/graph", params={"run": "graphs/mlp/train"}).json()

    phases = ["backward", "forward", "loss", "metrics", "update"]
    open_runs(page, server)
    page.locator("#runs li", has_text="graphs/mlp/train").locator("a.graph-link").click()   # the Graphs tab
    expect(page.locator('.tab[data-tab="graphs"]')).to_have_attribute("aria-selected", "true")
    expect(page.locator("#graph-run")).to_have_value("graphs/mlp/train")
    frame = page.frame_locator("#graph-frame")
    ready(frame)
    titles = frame.locator("#viewport .box.collapsed .title").all_text_contents()
    assert sorted(t.split()[1] for t in titles) == phases, titles
    page.screenshot(path=str(artifacts / "graph_run_in_runs.png"))

    page.click("#graph-own-page")                   # the same graph in its own page
    ready(page)
    titles = page.locator("#viewport .box.collapsed .title").all_text_contents()
    assert sorted(t.split()[1] for t in titles) == phases, titles
    page.screenshot(path=str(artifacts / "graph_run_collapsed.png"))

    click_box(page, "forward")                      # the phase opens in place: its layers, closed
    click_box(page, "hidden")                       # the layer: its ops
    hidden = page.locator("#viewport .node[data-kind=matmul]")
    expect(hidden).to_have_count(1)
    hidden.click()
    details = page.locator("#details")
    expect(details).to_contain_text("out = inputs @ self.kernel")       # the line that made it
    expect(details).to_contain_text("forward / hidden")
    expect(details.locator("pre.wgsl").first).to_contain_text("@compute")
    page.screenshot(path=str(artifacts / "graph_run_layer_open.png"))

    page.click("#expand-all")
    ready(page)
    expect(page.locator("#viewport .node")).to_have_count(len(view["nodes"]))
    page.screenshot(path=str(artifacts / "graph_run_expanded.png"))

    page.select_option("#group-by", "kernels")       # one box a kernel, in the order they run
    ready(page)
    expect(page.locator("#viewport .box.kernel")).to_have_count(len(view["kernels"]))
    plan = model._traced_train_steps[1].plan.summary()
    assert sum(k["dispatches"] for k in view["kernels"]) == plan["dispatches"]
    assert page.inner_text("#summary").endswith(f"{plan['dispatches']} dispatches a call (plan)")
    page.screenshot(path=str(artifacts / "graph_run_kernels.png"))


def test_a_graph_file_opens_and_searches_and_a_file_that_is_not_one_says_so(page, server, tmp_path, artifacts):
    import webgrad as wg

    w1, w2 = wg.randn(4, 16, requires_grad=True), wg.randn(16, 1, requires_grad=True)

    @wg.function
    def step(x, y):
        loss = ((x @ w1).tanh() @ w2 - y).square().mean()
        loss.backward()
        with wg.no_grad():
            for w in (w1, w2):
                w.assign(w - 0.1 * w.grad)
                w.grad = None
        return loss

    step(wg.ones(8, 4), wg.zeros(8, 1))
    view = wg.graph_view(step)
    (tmp_path / "step.json").write_text(json.dumps(view))
    page.goto(server + "/graph")
    expect(page.locator("#empty")).to_be_visible()
    page.set_input_files("#file", str(tmp_path / "step.json"))
    ready(page)
    expect(page.locator("#summary")).to_contain_text(f"step: {len(view['nodes'])} nodes")
    # a small graph opens whole: every node on screen
    expect(page.locator("#viewport .node")).to_have_count(len(view["nodes"]))
    page.fill("#search", "tanh")
    tanh = [n for n in view["nodes"] if "tanh" in n["op"]]
    expect(page.locator("#viewport .node.match")).to_have_count(len(tanh))
    page.screenshot(path=str(artifacts / "graph_file_search.png"))

    (tmp_path / "other.json").write_text(json.dumps({"nodes": []}))
    page.set_input_files("#file", str(tmp_path / "other.json"))
    expect(page.locator("#status")).to_contain_text("other.json is not a graph view")
    expect(page.locator("#viewport .node")).to_have_count(len(view["nodes"]))       # what was open stays
