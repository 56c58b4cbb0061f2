"""The browser device's queue: submits are merged into one queue submission, and order is kept."""
from __future__ import annotations

from .test_console import open_console, run

# Chrome charges about 0.3 ms per queue submission, so core/devices/browser.py holds submitted
# commands until the queue must see them. A write into a buffer that held work is one such point:
# a's buffer returns to the pool once its dispatch is submitted, and b's values are written into it.
QUEUE_ORDER = """import webgrad as wg
dev = wg.default_device()
(wg.ones(3) * 2).tolist()                    # compiled
a = wg.tensor([1.0, 2.0, 3.0])
handle = a.data.buffer.handle
doubled = a * 2
dev.submit()
del a
b = wg.tensor([10.0, 20.0, 30.0])
print("reused", b.data.buffer.handle == handle, doubled.tolist(), b.tolist())

backend, sent = dev.backend, []
send = backend._send
backend._send = lambda: (sent.append(len(backend.commands)), send())[1]
double = wg.function(lambda x: x * 2 + 1)
x = wg.ones(32, 64)
double(x).sum().item()
sent.clear()
for _ in range(20):
    y = double(x)
print("queue submissions", sum(1 for n in sent if n), "then", y.sum().item())
"""


def test_merged_submits_keep_queue_order(page, server):
    open_console(page, server)
    out = run(page, QUEUE_ORDER)
    assert "reused True [2.0, 4.0, 6.0] [10.0, 20.0, 30.0]" in out, out
    assert f"queue submissions 0 then {3.0 * 32 * 64}" in out, out
