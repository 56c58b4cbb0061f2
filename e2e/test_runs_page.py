"""The runs dashboard as a person uses it: train in the console, open /runs, read the curve; smoothing,
live points, runs written by another library. Screenshots of each state go to e2e/artifacts/."""
from __future__ import annotations

import httpx
import numpy as np
from playwright.sync_api import expect

from .test_console import open_console, run

TRAIN = """import webgrad as wg
x = wg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = wg.tensor([[0.0], [1.0], [1.0], [0.0]])
model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(8, activation="tanh"), wg.layers.Dense(1)])
model.compile(wg.optimizers.Adam(0.05), "mse")
history = model.fit(x, y, epochs=40, batch_size=4, verbose=0, callbacks=[wg.callbacks.TensorBoard("console/xor")])
print("final loss", round(history.history["loss"][-1], 4))
"""


def open_runs(page, server, hash=""):
    page.goto(server + "/runs" + hash)
    expect(page.locator("body")).to_have_attribute("data-state", "ready", timeout=20_000)
    expect(page.locator("#live")).to_have_text("live", timeout=10_000)


def card(page, tag):
    return page.locator(f'.card[data-tag="{tag}"]')


def plot_pixels(page, tag) -> np.ndarray:
    """The chart canvas's RGBA pixels, as drawn."""
    data = card(page, tag).locator(".plot canvas").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)")
    return np.array(data, dtype=np.int16).reshape(-1, 4)


def logdir_of(server) -> str:
    return httpx.get(server + "/api/runs").json()["logdir"]


def test_a_run_trained_in_the_console_shows_its_loss_curve_and_smoothing_redraws_it(page, server, artifacts):
    open_console(page, server)
    out = run(page, TRAIN)
    assert "final loss" in out, out
    open_runs(page, server, "#runs=%5Econsole%2F")
    expect(page.locator("#runs label", has_text="console/xor/train")).to_be_visible()
    loss = card(page, "epoch_loss")
    expect(loss).to_have_attribute("data-points", "40", timeout=10_000)       # one point an epoch
    expect(loss).to_have_attribute("data-runs", "console/xor/train")
    rows = httpx.get(server + "/api/scalars", params={"run": "console/xor/train", "tag": "epoch_loss"}).json()
    assert [r[1] for r in rows] == list(range(40)) and rows[-1][2] < rows[0][2]
    page.screenshot(path=str(artifacts / "runs_console_run.png"))

    before = plot_pixels(page, "epoch_loss")
    page.locator("#smoothing").fill("0.95")
    expect(page.locator("#smoothing-value")).to_have_value("0.95")
    assert "smoothing=0.95" in page.evaluate("location.hash")
    after = plot_pixels(page, "epoch_loss")
    assert np.abs(before - after).sum(axis=1).astype(bool).sum() > 200      # the smoothed line moved
    page.screenshot(path=str(artifacts / "runs_smoothed.png"))

    box = loss.locator(".plot").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
    readout = loss.locator(".readout")
    expect(readout).to_be_visible()
    expect(readout).to_contain_text("console/xor/train")


def test_a_point_written_while_the_page_is_open_arrives_without_a_reload(page, server, artifacts):
    post = lambda step, value: httpx.post(server + "/api/runs/live-page/scalars",
                                          json=[{"tag": "loss", "step": step, "value": value}]).raise_for_status()
    for step in range(5):
        post(step, 1.0 / (step + 1))
    open_runs(page, server, "#runs=%5Elive-page%24")
    expect(card(page, "loss")).to_have_attribute("data-points", "5", timeout=10_000)
    post(5, 0.1)
    expect(card(page, "loss")).to_have_attribute("data-points", "6", timeout=3_000)   # the stream polls every 0.25 s
    httpx.post(server + "/api/runs/live-page/scalars", json=[{"tag": "accuracy", "step": 0, "value": 0.5}])
    expect(card(page, "accuracy")).to_have_attribute("data-points", "1", timeout=3_000)   # a new tag: a new card
    page.screenshot(path=str(artifacts / "runs_live.png"))


def test_a_logdir_written_by_tensorboardx_shows_its_curves(page, server, artifacts):
    import tensorboardX

    w = tensorboardX.SummaryWriter(f"{logdir_of(server)}/tbx/run_a")
    for step in range(30):
        w.add_scalar("metrics/loss", 1.0 / (step + 1), step)
        w.add_scalar("metrics/accuracy", 1.0 - 1.0 / (step + 2), step)
    w.add_histogram("weights", np.random.default_rng(0).normal(size=200), 0)
    w.close()
    open_runs(page, server, "#runs=%5Etbx%2F")
    expect(page.locator('.group[data-group="metrics"]')).to_be_visible()
    expect(card(page, "metrics/loss")).to_have_attribute("data-points", "30", timeout=10_000)
    expect(card(page, "metrics/accuracy")).to_have_attribute("data-points", "30")
    page.screenshot(path=str(artifacts / "runs_tensorboardx.png"))
    page.locator('.tab[data-tab="histograms"]').click()
    expect(page.locator(".card.histogram")).to_have_count(1)
    expect(page.locator(".card.histogram .card-note")).to_contain_text("1 step")


def test_runs_grouped_by_a_regex_draw_their_mean_over_a_band(page, server, artifacts):
    for seed, offset in (("1", 0.0), ("2", 0.2), ("3", 0.4)):
        httpx.post(f"{server}/api/runs/sweep/lr=0.1/seed={seed}/scalars",
                   json=[{"tag": "loss", "step": s, "value": 1.0 / (s + 1) + offset} for s in range(20)]).raise_for_status()
    open_runs(page, server, "#runs=%5Esweep%2F&smoothing=0")
    loss = card(page, "loss")
    expect(loss).to_have_attribute("data-points", "60", timeout=10_000)
    lines = plot_pixels(page, "loss")
    page.locator("#group-by").fill(r"^sweep/(lr=[\d.]+)/")
    expect(loss).to_have_attribute("data-groups", "lr=0.1 (3)")
    assert "group=" in page.evaluate("location.hash")
    grouped = plot_pixels(page, "loss")
    assert np.abs(lines - grouped).sum(axis=1).astype(bool).sum() > 500       # three lines became a band
    box = loss.locator(".plot").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    expect(loss.locator(".readout")).to_contain_text("3 of 3")
    page.screenshot(path=str(artifacts / "runs_grouped.png"))


def test_text_renders_as_markdown_and_never_as_html(page, server, artifacts):
    httpx.post(server + "/api/runs/notes-run/text", json=[
        {"tag": "notes", "step": 3, "text": "lr **0.1**, `batch 32`\n\n- one\n- two\n\n<script>window.hacked = 1</script>"}
    ]).raise_for_status()
    open_runs(page, server, "#runs=%5Enotes-run%24&tab=text")
    cell = page.locator(".card.text td.markdown")
    expect(cell.locator("strong")).to_have_text("0.1")
    expect(cell.locator("code")).to_have_text("batch 32")
    expect(cell.locator("li")).to_have_count(2)
    expect(cell).to_contain_text("<script>window.hacked = 1</script>")       # shown as text
    assert page.evaluate("window.hacked") is None
    page.screenshot(path=str(artifacts / "runs_text.png"))
