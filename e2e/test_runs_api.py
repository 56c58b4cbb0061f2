"""The dashboard's HTTP API over a real logdir: runs written by webgrad, by tensorboardX and by posts to the
server, read back in TensorBoard's shapes; bad names and bad bodies are refused and write nothing."""
from __future__ import annotations

import json
import math
import os
import threading
import urllib.parse

import httpx
import numpy as np
import pytest
import warnings

with warnings.catch_warnings():                 # "install httpx2": the test client works with httpx as it is
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from webgrad import event_files
from webgrad_server.app import create_app


@pytest.fixture
def logdir(tmp_path):
    root = tmp_path / "logs"
    root.mkdir()
    return root


@pytest.fixture
def client(logdir):
    with TestClient(create_app(logdir=logdir)) as c:          # runs the lifespan: posted runs are closed after
        yield c


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_runs_nested_folders_with_tags_by_kind(client, logdir):
    with event_files.SummaryWriter(logdir / "mlp" / "train") as w:
        for step in range(5):
            w.scalar("epoch_loss", 1.0 / (step + 1), step)
        w.histogram("dense/kernel", [0.1, -0.2, 0.3, 0.3], step=4, bins=3)
        w.text("notes", "hello", step=0)
    with event_files.SummaryWriter(logdir / "mlp" / "validation") as w:
        w.scalar("epoch_loss", 0.9, 0)
    with event_files.SummaryWriter(logdir) as w:           # the logdir itself is the run "."
        w.scalar("top", 1.0, 0)
    runs = {r["name"]: r for r in client.get("/api/runs").json()["runs"]}
    assert list(runs) == [".", "mlp/train", "mlp/validation"]
    assert runs["mlp/train"]["tags"] == {"scalars": ["epoch_loss"], "histograms": ["dense/kernel"], "text": ["notes"]}
    assert runs["mlp/validation"]["tags"]["scalars"] == ["epoch_loss"]

    rows = client.get("/api/scalars", params={"run": "mlp/train", "tag": "epoch_loss"}).json()
    assert [r[1] for r in rows] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([r[2] for r in rows], [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5], rtol=1e-6)
    assert all(abs(r[0] - rows[0][0]) < 60 for r in rows)
    assert client.get("/api/scalars", params={"run": "mlp/train", "tag": "epoch_loss", "from": 3}).json() == rows[3:]

    csv = client.get("/api/scalars", params={"run": "mlp/train", "tag": "epoch_loss", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().split("\n")
    assert lines[0] == "Wall time,Step,Value" and len(lines) == 6 and lines[2].split(",")[1:] == ["1", "0.5"]

    [(wall, step, buckets)] = client.get("/api/histograms", params={"run": "mlp/train", "tag": "dense/kernel"}).json()
    assert step == 4 and [b[2] for b in buckets] == [1.0, 1.0, 2.0]
    assert buckets[0][0] == pytest.approx(-0.2) and buckets[-1][1] == pytest.approx(0.3)
    assert client.get("/api/text", params={"run": "mlp/train", "tag": "notes"}).json()[0][1:] == [0, "hello"]


def test_downsampling_keeps_spikes_and_the_ends(client, logdir):
    with event_files.SummaryWriter(logdir / "long") as w:
        for step in range(10_000):
            w.scalar("loss", 50.0 if step == 6_789 else -20.0 if step == 1_234 else 1.0 / (step + 1), step)
    full = client.get("/api/scalars", params={"run": "long", "tag": "loss"}).json()
    assert len(full) == 10_000
    rows = client.get("/api/scalars", params={"run": "long", "tag": "loss", "points": 200}).json()
    steps = [r[1] for r in rows]
    assert len(rows) <= 200 and steps[0] == 0 and steps[-1] == 9_999 and steps == sorted(steps)
    assert {1_234, 6_789} <= set(steps)
    zoomed = client.get("/api/scalars", params={"run": "long", "tag": "loss", "points": 200,
                                                "start": 6_700, "end": 6_800}).json()
    assert [r[1] for r in zoomed] == list(range(6_700, 6_801))       # a zoom fetches finer points


def test_runs_written_by_tensorboardx_read_like_ours(client, logdir):
    tensorboardX = pytest.importorskip("tensorboardX")
    w = tensorboardX.SummaryWriter(str(logdir / "tbx"))
    for step in range(4):
        w.add_scalar("train/loss", 2.0 - step * 0.5, step)
    w.add_histogram("weights", np.array([0.0, 1.0, 1.0, 2.0]), 3)
    w.add_text("config", "lr=0.1", 0)
    w.close()
    [run] = client.get("/api/runs").json()["runs"]
    assert run["name"] == "tbx" and run["tags"]["scalars"] == ["train/loss"]
    assert run["tags"]["histograms"] == ["weights"] and run["tags"]["text"] == ["config/text_summary"]
    rows = client.get("/api/scalars", params={"run": "tbx", "tag": "train/loss"}).json()
    assert [(r[1], r[2]) for r in rows] == [(0, 2.0), (1, 1.5), (2, 1.0), (3, 0.5)]
    [(_, step, buckets)] = client.get("/api/histograms", params={"run": "tbx", "tag": "weights"}).json()
    assert step == 3 and sum(b[2] for b in buckets) == 4
    assert client.get("/api/text", params={"run": "tbx", "tag": "config/text_summary"}).json()[0][2] == "lr=0.1"


def test_a_file_cut_mid_record_shows_every_complete_record_and_resumes(client, logdir):
    w = event_files.SummaryWriter(logdir / "killed")
    for step in range(6):
        w.scalar("loss", float(step), step)
    w.close()
    data = open(w.path, "rb").read()
    cut = len(data) - 7                                    # the last record lacks its last 7 bytes
    with open(w.path, "wb") as f:
        f.write(data[:cut])
    rows = client.get("/api/scalars", params={"run": "killed", "tag": "loss"}).json()
    assert [r[1] for r in rows] == [0, 1, 2, 3, 4]
    with open(w.path, "ab") as f:                          # the writer finishes the record
        f.write(data[cut:])
    rows = client.get("/api/scalars", params={"run": "killed", "tag": "loss"}).json()
    assert [r[1] for r in rows] == [0, 1, 2, 3, 4, 5]


def test_posted_records_are_written_as_event_files_that_tensorboard_reads(client, logdir):
    from tensorboard.backend.event_processing import event_accumulator

    r = client.post("/api/runs/page/spiral/scalars", json=[
        {"tag": "loss", "step": s, "value": 1.0 / (s + 1), "wall_time": 1_700_000_000.0 + s} for s in range(3)])
    assert r.status_code == 200 and r.json() == {"run": "page/spiral", "written": 3}
    assert client.post("/api/runs/page/spiral/histograms",
                       json=[{"tag": "w", "step": 2, "values": [0.5, 1.5], "bins": 2}]).json()["written"] == 1
    assert client.post("/api/runs/page/spiral/text", json=[{"tag": "note", "step": 0, "text": "hi"}]).status_code == 200
    assert client.post("/api/runs/page/spiral/hparams", json={"hparams": {"lr": 0.03, "act": "tanh"}}).status_code == 200
    rows = client.get("/api/scalars", params={"run": "page/spiral", "tag": "loss"}).json()
    assert rows == [[1_700_000_000.0 + s, s, pytest.approx(1.0 / (s + 1))] for s in range(3)]
    acc = event_accumulator.EventAccumulator(str(logdir / "page" / "spiral"), size_guidance={"scalars": 0})
    acc.Reload()
    assert [(e.step, round(e.value, 6)) for e in acc.Scalars("loss")] == [(0, 1.0), (1, 0.5), (2, 0.333333)]
    hp = client.get("/api/hparams").json()
    assert hp["runs"] == [{"run": "page/spiral", "hparams": {"lr": 0.03, "act": "tanh"},
                           "metrics": {"loss": pytest.approx(1 / 3)}}]


def test_hparams_take_the_metrics_of_the_runs_below(client, logdir):
    with event_files.SummaryWriter(logdir / "lr=0.1") as w:
        w.hparams({"lr": 0.1})
    for sub, loss in (("train", 0.25), ("validation", 0.5)):
        with event_files.SummaryWriter(logdir / "lr=0.1" / sub) as w:
            w.scalar("epoch_loss", 9.0, 0)
            w.scalar("epoch_loss", loss, 1)
    hp = client.get("/api/hparams").json()
    assert hp["hparams"] == ["lr"] and hp["metrics"] == ["train/epoch_loss", "validation/epoch_loss"]
    assert hp["runs"][0]["metrics"] == {"train/epoch_loss": 0.25, "validation/epoch_loss": 0.5}


def test_two_runs_posted_at_once_stay_separate(client, logdir):
    def post(run, value):
        for step in range(20):
            assert client.post(f"/api/runs/{run}/scalars", json=[{"tag": "loss", "step": step, "value": value}]).status_code == 200
    threads = [threading.Thread(target=post, args=(run, v)) for run, v in (("a", 1.0), ("b", 2.0))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for run, v in (("a", 1.0), ("b", 2.0)):
        rows = client.get("/api/scalars", params={"run": run, "tag": "loss"}).json()
        assert [r[1] for r in rows] == list(range(20)) and {r[2] for r in rows} == {v}


@pytest.mark.parametrize("run", ["..", "../escape", "a/../../escape", "a/./b", "a//b", "a\\..\\b", "a\x00b",
                                 "a\u202eb", "a\x1bb", "%2e%2e/escape", "C:/escape", "x" * 300])
def test_a_run_name_that_could_leave_the_logdir_is_refused(client, logdir, run):
    before = files_under(logdir.parent)
    url = "/api/runs/" + urllib.parse.quote(run, safe="/").replace(".", "%2E") + "/scalars"   # as sent, not normalized
    r = client.post(url, json=[{"tag": "loss", "step": 0, "value": 1.0}])
    assert r.status_code == 400, r.text
    assert r.json()["error"]
    assert client.post(url, json=[]).status_code == 400          # refused even with nothing to write
    assert files_under(logdir.parent) == before


def test_absolute_and_symlinked_run_names_are_refused(client, logdir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, logdir / "link")
    for url in ("/api/runs//etc/scalars", "/api/runs/link/scalars", "/api/runs/link/deeper/scalars"):
        r = client.post(url, json=[{"tag": "loss", "step": 0, "value": 1.0}])
        assert r.status_code in (400, 404) and r.json()["error"], (url, r.text)
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("body, status, says", [
    (b"not json", 400, "not JSON"),
    (b'{"tag": "loss"}', 422, "a JSON list"),
    (b'[{"tag": "loss", "step": 0}]', 422, "'value' missing"),
    (b'[{"tag": "loss", "step": 1.5, "value": 1}]', 422, "'step' must be a whole number"),
    (b'[{"tag": "loss", "step": 0, "value": true}]', 422, "'value' must be a number"),
    (b'[{"tag": "", "step": 0, "value": 1}]', 422, "'tag' must be a non-empty string"),
    (b'[{"tag": "loss", "step": 0, "value": 1}, 7]', 422, "record 1"),
    (json.dumps([{"tag": "loss", "step": i, "value": 1} for i in range(10_001)]).encode(), 413, "at most 10,000"),
    (b"[" + b" " * (5 << 20) + b"]", 413, "at most"),
])
def test_a_malformed_or_oversized_post_is_a_4xx_that_writes_nothing(client, logdir, body, status, says):
    r = client.post("/api/runs/good/scalars", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status and says in r.json()["error"], r.text
    assert files_under(logdir) == []


def test_a_graph_view_post_that_is_oversized_or_leaves_the_logdir_is_refused_and_writes_nothing(client, logdir):
    before = files_under(logdir.parent)
    view = {"format": "webgrad.graph", "version": 1, "nodes": [{"id": "a", "label": "x" * (5 << 20)}], "edges": []}
    r = client.post("/api/runs/good/graph_view", json=view)
    assert r.status_code == 413 and "at most" in r.json()["error"], r.text
    small = {"format": "webgrad.graph", "version": 1, "nodes": [{"id": "a"}], "edges": []}
    for run in ("..", "a/../../escape", "%2e%2e/escape"):
        url = "/api/runs/" + urllib.parse.quote(run, safe="/").replace(".", "%2E") + "/graph_view"
        r = client.post(url, json=small)
        assert r.status_code == 400 and r.json()["error"], (run, r.text)
    assert files_under(logdir.parent) == before and files_under(logdir) == []


def test_bad_queries_name_what_is_wrong(client, logdir):
    with event_files.SummaryWriter(logdir / "run1") as w:
        w.scalar("loss", 1.0, 0)
    r = client.get("/api/scalars", params={"run": "nope", "tag": "loss"})
    assert r.status_code == 404 and "runs: run1" in r.json()["error"]
    r = client.get("/api/scalars", params={"run": "run1", "tag": "acc"})
    assert r.status_code == 404 and "scalars tags: loss" in r.json()["error"]
    assert client.get("/api/scalars", params={"run": "run1"}).status_code == 400
    assert "not a whole number" in client.get("/api/scalars", params={"run": "run1", "tag": "loss", "points": "x"}).json()["error"]
    assert client.get("/api/scalars", params={"run": "run1", "tag": "loss", "format": "xml"}).status_code == 400
    assert client.post("/api/runs/run1/images", json=[]).status_code == 404


def test_nan_and_infinity_are_kept_as_tensorboard_writes_them(client, logdir):
    with event_files.SummaryWriter(logdir / "diverged") as w:
        for step, v in enumerate([1.0, math.inf, math.nan]):
            w.scalar("loss", v, step)
    rows = client.get("/api/scalars", params={"run": "diverged", "tag": "loss"}).json()
    assert [r[2] for r in rows] == [1.0, "Infinity", "NaN"]


def test_the_event_stream_tells_of_a_new_point(server):
    """Against the real server: a point posted while the stream is open arrives as an event."""
    with httpx.Client(base_url=server, timeout=10) as c:
        with c.stream("GET", "/api/events") as stream:
            lines = stream.iter_lines()
            assert next(lines) == "event: hello"
            assert c.post("/api/runs/live/scalars", json=[{"tag": "loss", "step": 7, "value": 0.5}]).status_code == 200
            for line in lines:
                if line.startswith("data: ") and "live" in line:
                    changes = json.loads(line[6:])
                    break
    assert {"run": "live", "kind": "scalars", "tag": "loss", "count": 1} in changes


def test_the_pages_writer_posts_batches_that_the_server_writes(client, logdir):
    """PostingWriter (what the page's Python uses) through the real routes: its run is the logdir it names."""
    def post(path, body):
        r = client.post(path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text
    w = event_files.PostingWriter("/home/pyodide/logs/run1/train", post=post, batch=4, every_s=60)
    for step in range(10):
        w.scalar("epoch_loss", 1.0 / (step + 1), step)
    rows = client.get("/api/scalars", params={"run": "home/pyodide/logs/run1/train", "tag": "epoch_loss"}).json()
    assert [r[1] for r in rows] == list(range(8))           # two full batches of 4 are on disk, the rest waits
    w.scalar("epoch_loss", float("nan"), 10)
    w.histogram("kernel", [0.0, 1.0, 2.0], step=10, bins=2)
    w.hparams({"lr": 0.01})
    w.close()
    rows = client.get("/api/scalars", params={"run": "home/pyodide/logs/run1/train", "tag": "epoch_loss"}).json()
    assert [r[1] for r in rows] == list(range(11)) and rows[-1][2] == "NaN"
    run = {r["name"]: r for r in client.get("/api/runs").json()["runs"]}["home/pyodide/logs/run1/train"]
    assert run["tags"]["histograms"] == ["kernel"] and run["hparams"] == {"lr": 0.01}


def test_the_keras_callback_writes_what_its_arguments_ask_for(client, logdir):
    import webgrad as wg

    model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(3, activation="tanh", name="hidden"),
                           wg.layers.Dense(1, name="out")])
    model.compile(wg.optimizers.Adam(0.01), "mse", metrics=["mae"])
    x, y = wg.ones(8, 2), wg.zeros(8, 1)
    tb = wg.callbacks.TensorBoard(str(logdir / "keras"), histogram_freq=2, update_freq=3, write_steps_per_second=True)
    model.fit(x, y, batch_size=2, epochs=4, verbose=0, validation_data=(x, y), callbacks=[tb])
    runs = {r["name"]: r for r in client.get("/api/runs").json()["runs"]}
    train = runs["keras/train"]["tags"]
    assert train["scalars"] == ["batch_loss", "batch_mae", "epoch_loss", "epoch_mae", "epoch_steps_per_second"]
    assert runs["keras/validation"]["tags"]["scalars"] == ["epoch_loss", "epoch_mae"]
    assert train["histograms"] == ["hidden/bias/histogram", "hidden/kernel/histogram", "out/bias/histogram",
                                   "out/kernel/histogram"]
    steps = [r[1] for r in client.get("/api/scalars", params={"run": "keras/train", "tag": "batch_loss"}).json()]
    assert steps == [3, 6, 9, 12, 15]                   # 4 batches an epoch, every 3rd global step
    hist = client.get("/api/histograms", params={"run": "keras/train", "tag": "hidden/kernel/histogram"}).json()
    assert [h[1] for h in hist] == [0, 2] and sum(b[2] for b in hist[0][2]) == 6
    assert runs["keras"]["hparams"] == {"optimizer": "Adam", "learning_rate": 0.01, "loss": runs["keras"]["hparams"]["loss"],
                                        "batch_size": 2, "epochs": 4}
    # the graph viewer's: the traced training step, its phases and layers, and the kernels the plan runs
    view = client.get("/api/graph", params={"run": "keras/train"}).json()
    assert (view["format"], view["version"], view["name"]) == ("webgrad.graph", 1, "train_step")
    scopes = {tuple(n["scope"][:2]) for n in view["nodes"] if n["role"] in ("op", "output")}
    assert {("forward", "hidden"), ("forward", "out"), ("loss",), ("backward", "hidden"), ("backward", "out"),
            ("update", "hidden/kernel"), ("update", "out/bias")} <= scopes, scopes
    plan = model._traced_train_steps[1].plan.summary()
    assert sum(k["dispatches"] for k in view["kernels"]) == view["dispatches"] == plan["dispatches"]
    matmul = next(n for n in view["nodes"] if n["op"] == "matmul" and n["scope"] == ["forward", "hidden"])
    assert matmul["shape"] == [2, 3] and matmul["code"] == "out = inputs @ self.kernel", matmul
    assert "@compute" in view["kernels"][matmul["kernel"]]["wgsl"][0]
    assert client.get("/api/graph", params={"run": "keras/validation"}).status_code == 404
    # TensorBoard's Graphs tab still has the layers as a GraphDef
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    tb = EventAccumulator(str(logdir / "keras" / "train")).Reload()
    assert [n.name for n in tb.Graph().node] == ["input", "hidden", "out"]
    with pytest.raises(ValueError, match="update_freq"):
        wg.callbacks.TensorBoard("x", update_freq="often")
    with pytest.raises(NotImplementedError, match="write_images"):
        wg.callbacks.TensorBoard("x", write_images=True)


def test_the_pages_writer_sends_one_batch_at_a_time_in_order_and_close_waits(client, logdir):
    """During training the batches go without waiting (fetch in the page), one at a time; close sends the rest
    and waits, so a page that navigates away right after fit loses nothing."""
    flights = []

    def post(path, body):
        assert client.post(path, content=body, headers={"content-type": "application/json"}).status_code == 200

    def post_later(path, body, done):
        flights.append((path, body, done))

    w = event_files.PostingWriter("later", post=post, post_later=post_later, batch=2, every_s=60)
    for step in range(6):
        w.scalar("loss", float(step), step)
    assert len(flights) == 1                         # the second and third batches wait for the first's answer
    path, body, done = flights.pop()
    post(path, body)
    done(None)
    assert len(flights) == 1
    w.close()                                        # the queued third batch and the rest, sent and waited for
    rows = client.get("/api/scalars", params={"run": "later", "tag": "loss"}).json()
    assert [r[1] for r in rows] == [0, 1, 4, 5]      # the second batch is still in flight (its fetch not answered)
    path, body, done = flights.pop()
    post(path, body)
    done(None)
    rows = client.get("/api/scalars", params={"run": "later", "tag": "loss"}).json()
    assert sorted(r[1] for r in rows) == list(range(6))


def test_steps_past_int32_and_wall_times_read_back(client, logdir):
    """Points are kept in 12 bytes (int32 steps until one needs int64, float32 seconds after the first point)."""
    with event_files.SummaryWriter(logdir / "big") as w:
        w.scalar("loss", 1.0, 5, wall_time=1_750_000_000.25)
        w.scalar("loss", 2.0, 2**40, wall_time=1_750_003_600.5)
    rows = client.get("/api/scalars", params={"run": "big", "tag": "loss"}).json()
    assert rows == [[1_750_000_000.25, 5, 1.0], [1_750_003_600.5, 2**40, 2.0]]


@pytest.mark.parametrize("kind, body, says", [
    ("hparams", {"lr": 0.1}, "the body must be"),
    ("hparams", {"hparams": {}}, "the body must be"),
    ("hparams", {"hparams": {"layers": [4, 2]}}, "hparam 'layers'"),
    ("graph", {"nodes": []}, "with 1 to 10,000 nodes"),
    ("graph", {"nodes": [{"name": "a"}]}, "node 0: needs"),
    ("graph", {"nodes": [{"name": "a", "op": "Dense", "inputs": [3]}]}, "node 0: needs"),
    ("graph", {"nodes": [{"name": "a", "op": "X"}, {"name": "a", "op": "Y"}]}, "distinct"),
    ("graph_view", {"nodes": []}, "must be a graph view"),
    ("graph_view", {"format": "webgrad.graph", "version": 9, "nodes": []}, "versions up to 1"),
    ("graph_view", {"format": "webgrad.graph", "version": 1, "nodes": [{"id": "a"}, {"id": "a"}]}, "distinct"),
    ("graph_view", {"format": "webgrad.graph", "version": 1, "nodes": [{"id": "a"}], "edges": [{"from": "a", "to": "b"}]},
     "edge 0"),
    ("histograms", [{"tag": "w", "step": 0, "values": []}], "'values' must be"),
    ("histograms", [{"tag": "w", "step": 0, "values": [1.0], "bins": 0}], "'bins' must be"),
    ("text", [{"tag": "t", "step": 0, "text": 7}], "'text' must be a string"),
])
def test_a_malformed_hparams_graph_histogram_or_text_post_writes_nothing(client, logdir, kind, body, says):
    r = client.post(f"/api/runs/good/{kind}", json=body)
    assert r.status_code == 422 and says in r.json()["error"], r.text
    assert files_under(logdir) == []


def test_a_graph_view_posted_by_the_page_and_a_graphdef_of_another_tool_open_in_the_viewer_format(client, logdir):
    import webgrad as wg

    f = wg.function(lambda x: (x * 2 + 1).tanh().sum())
    f(wg.ones(4))
    view = wg.graph_view(f)
    assert client.post("/api/runs/page/graph_view", json=view).json() == {"run": "page", "written": 1}
    assert client.get("/api/graph", params={"run": "page"}).json() == view
    assert {r["name"]: r["graph"] for r in client.get("/api/runs").json()["runs"]}["page"] is True

    with event_files.SummaryWriter(logdir / "other") as w:       # a GraphDef only, nested by name as TF writes them
        w.graph([("x", "Placeholder", []), ("model/dense/MatMul", "MatMul", ["x"]),
                 ("model/dense/BiasAdd", "BiasAdd", ["model/dense/MatMul", "^x"])])
    other = client.get("/api/graph", params={"run": "other"}).json()
    assert [(n["id"], n["label"], n["scope"]) for n in other["nodes"]] == [
        ("x", "x", []), ("model/dense/MatMul", "MatMul", ["model", "dense"]),
        ("model/dense/BiasAdd", "BiasAdd", ["model", "dense"])]
    assert other["edges"] == [{"from": "x", "to": "model/dense/MatMul"}, {"from": "model/dense/MatMul", "to": "model/dense/BiasAdd"},
                              {"from": "x", "to": "model/dense/BiasAdd"}]
