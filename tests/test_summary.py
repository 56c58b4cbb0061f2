"""webgrad.event_files writes TensorBoard event files in pure Python; the real tensorboard library reads them."""
import os
import struct

import numpy as np
import pytest

import webgrad as wg
from webgrad import event_files

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def read(logdir):
    acc = event_accumulator.EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_crc32c_known_vector():
    assert event_files.crc32c(b"123456789") == 0xE3069283
    assert event_files.crc32c(b"") == 0
    # TFRecord's length CRC of an 8-byte zero length, as TensorFlow writes it
    rec = event_files.tfrecord(b"")
    assert rec[:8] == b"\0" * 8 and struct.unpack("<I", rec[8:12])[0] == event_files.masked_crc32c(b"\0" * 8)


def test_scalars_read_by_tensorboard(tmp_path):
    want = {"loss": [(s, 1.0 / (s + 1)) for s in range(5)], "acc/train": [(0, 0.25), (3, -1.5), (7, 1e6)]}
    with event_files.SummaryWriter(tmp_path) as w:
        for tag, points in want.items():
            for step, v in points:
                w.scalar(tag, v, step)
        w.scalar("big_step", 2.0, 2**40)
    assert os.path.basename(w.path).startswith("events.out.tfevents.")
    acc = read(tmp_path)
    assert set(acc.Tags()["scalars"]) == {"loss", "acc/train", "big_step"}
    for tag, points in want.items():
        got = scalars(acc, tag)
        assert [s for s, _ in got] == [s for s, _ in points]
        np.testing.assert_allclose([v for _, v in got], [v for _, v in points], rtol=1e-6)  # stored as float32
    assert scalars(acc, "big_step") == [(2**40, 2.0)]
    assert acc.file_version == 2.0


def test_truncated_last_record_keeps_earlier_steps(tmp_path):
    w = event_files.SummaryWriter(tmp_path)
    for step in range(4):
        w.scalar("loss", float(step), step)
    # no close(): every write is flushed, so the file is complete as a crashed run would leave it
    size = os.path.getsize(w.path)
    w.scalar("loss", 99.0, 4)
    w._file.close()
    with open(w.path, "r+b") as f:         # the crash cut the last record in half
        f.truncate(size + (os.path.getsize(w.path) - size) // 2)
    assert scalars(read(tmp_path), "loss") == [(s, float(s)) for s in range(4)]


def test_reader_checks_our_crc(tmp_path):
    with event_files.SummaryWriter(tmp_path) as w:
        w.scalar("a", 1.0, 0)
        w.scalar("a", 2.0, 1)
    data = bytearray(open(w.path, "rb").read())
    data[-1] ^= 1                          # a wrong data CRC on the last record: tensorboard drops it
    open(w.path, "wb").write(bytes(data))
    assert scalars(read(tmp_path), "a") == [(0, 1.0)]


def test_histogram_read_by_tensorboard(tmp_path):
    values = [0.1, -0.2, 0.3, 0.3, 1.5]
    with event_files.SummaryWriter(tmp_path) as w:
        w.histogram("weights", values, step=3, bins=4)
        w.histogram("const", [[2.0, 2.0]], step=1)
    acc = read(tmp_path)
    (h,) = acc.Histograms("weights")
    assert h.step == 3
    hv = h.histogram_value
    assert (hv.min, hv.max, hv.num) == (-0.2, 1.5, 5)
    assert hv.sum == pytest.approx(sum(values)) and hv.sum_squares == pytest.approx(sum(v * v for v in values))
    assert list(hv.bucket) == [2.0, 2.0, 0.0, 1.0] and hv.bucket_limit[-1] == 1.5
    (c,) = acc.Histograms("const")
    assert list(c.histogram_value.bucket) == [2.0]


def test_tensorboard_callback(gpu, tmp_path):
    wg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (32, 2)).astype("float32")
    y = (x[:, :1] > x[:, 1:]).astype("float32")
    model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(4, activation="tanh"), wg.layers.Dense(1)])
    model.compile(wg.optimizers.Adam(0.01), wg.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=2, validation_data=(x, y), verbose=0,
                        callbacks=[wg.callbacks.TensorBoard(tmp_path)])
    for sub, prefix in (("train", ""), ("validation", "val_")):
        acc = read(tmp_path / sub)
        assert set(acc.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy"}
        for name in ("loss", "accuracy"):
            got = scalars(acc, f"epoch_{name}")
            assert [s for s, _ in got] == [0, 1]
            np.testing.assert_allclose([v for _, v in got], history.history[prefix + name], rtol=1e-6)


def test_text_and_hparams_read_by_tensorboards_plugins(tmp_path):
    from tensorboard.backend.event_processing import plugin_event_accumulator
    from tensorboard.plugins.hparams import metadata as hparams_metadata
    from tensorboard.util import tensor_util

    with event_files.SummaryWriter(tmp_path) as w:
        w.hparams({"learning_rate": 0.03, "activation": "tanh", "batch_norm": True, "layers": 2})
        w.text("notes", "two layers of **8**", step=3)
        w.scalar("loss", 0.5, step=3)
    acc = plugin_event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    acc.Reload()
    [note] = acc.Tensors("notes")
    assert note.step == 3 and tensor_util.make_ndarray(note.tensor_proto).item() == b"two layers of **8**"
    assert acc.PluginTagToContent("text") == {"notes": b""}
    content = acc.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    start = hparams_metadata.parse_session_start_info_plugin_data(content)
    got = {k: getattr(v, v.WhichOneof("kind")) for k, v in start.hparams.items()}
    assert got == {"learning_rate": 0.03, "activation": "tanh", "batch_norm": True, "layers": 2.0}
    assert start.start_time_secs > 0
