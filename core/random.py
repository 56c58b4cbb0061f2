"""Counter-based random numbers (Philox4x32-10), the same on every device.

The generator's state is a key (from the seed) and a counter; each call takes the next blocks of
the stream. WebGPU devices run webgpu_kernels/philox.wgsl; the NumPy device runs ``philox``
below, which computes the same words.

    >>> import webgrad as wg
    >>> wg.manual_seed(0); a = wg.rand(3).tolist()
    >>> wg.manual_seed(0); a == wg.rand(3).tolist()
    True
"""
from __future__ import annotations

_M0, _M1, _W0, _W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
_MASK = 0xFFFFFFFF


class Generator:
    """A stream of Philox4x32-10 random numbers: a 64-bit key from the seed and a counter, so the
    same seed gives the same numbers on every device (``wg.rand(3, generator=Generator(7))``).

    Example:
        >>> a = wg.rand(3, generator=Generator(7)).tolist()
        >>> a == wg.rand(3, generator=Generator(7)).tolist(), a == wg.rand(3, generator=Generator(8)).tolist()
        (True, False)
    """

    def __init__(self, seed: int = 0):
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        """Start the stream again from ``seed``.

        Example:
            >>> g = Generator(7)
            >>> a = wg.rand(2, generator=g).tolist()
            >>> g.manual_seed(7); wg.rand(2, generator=g).tolist() == a
            True
        """
        self.key = (seed & _MASK, (seed >> 32) & _MASK)
        self.counter = 0

    def take(self, n_values: int) -> list[int]:
        """Params of the next draw of ``n_values`` numbers (key0, key1, counter_lo, counter_hi,
        n_values); advances past its blocks. The count travels with them, so one compiled
        kernel draws any number of values.

        Example:
            >>> g = Generator(1)
            >>> g.take(10), g.take(3)         # 10 values take 3 blocks of 4, so the next draw starts at 3
            ([1, 0, 0, 0, 10], [1, 0, 3, 0, 3])
        """
        c = self.counter
        self.counter += -(-n_values // 4)
        return [self.key[0], self.key[1], c & _MASK, (c >> 32) & _MASK, n_values]


default_generator = Generator(0)


def philox(params, n_blocks: int):
    """The Philox words of ``n_blocks`` blocks as a (n_blocks, 4) uint32 array (NumPy)."""
    import numpy as np
    k0, k1, c_lo, c_hi = (int(p) & _MASK for p in list(params)[:4])
    block = np.arange(n_blocks, dtype=np.uint64)
    lo = (c_lo + block) & _MASK
    hi = (c_hi + (lo < block).astype(np.uint64)) & _MASK
    c = [lo, hi, np.zeros_like(lo), np.zeros_like(lo)]
    key0, key1 = np.uint64(k0), np.uint64(k1)
    for _ in range(10):
        p0 = np.uint64(_M0) * c[0]
        p1 = np.uint64(_M1) * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ key0, p1 & np.uint64(_MASK),
             (p0 >> np.uint64(32)) ^ c[3] ^ key1, p0 & np.uint64(_MASK)]
        key0 = (key0 + np.uint64(_W0)) & np.uint64(_MASK)
        key1 = (key1 + np.uint64(_W1)) & np.uint64(_MASK)
    return np.stack(c, axis=1).astype(np.uint32)


def unit(words):
    import numpy as np
    return (words >> np.uint32(8)).astype(np.float32) * np.float32(1 / 16777216)


def reference(kind: str, params, n: int, low: int = 0, high: int = 1):
    """What the Philox kernel writes, computed in NumPy."""
    import numpy as np
    w = philox(params, -(-n // 4))
    if kind == "uniform":
        v = unit(w)
    elif kind == "normal":
        u_open = ((w >> np.uint32(8)).astype(np.float32) + 1) * np.float32(1 / 16777216)
        r0, r1 = np.sqrt(-2 * np.log(u_open[:, 0])), np.sqrt(-2 * np.log(u_open[:, 2]))
        a = np.float32(6.283185307179586) * unit(w)
        v = np.stack([r0 * np.cos(a[:, 1]), r0 * np.sin(a[:, 1]), r1 * np.cos(a[:, 3]), r1 * np.sin(a[:, 3])], 1)
        v = v.astype(np.float32)
    else:
        v = (low + (w % np.uint32(high - low)).astype(np.int64)).astype(np.int32)
    return v.reshape(-1)[:n]
