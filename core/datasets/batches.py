"""Mini-batches of tensors, shuffled each epoch: what ``fit`` iterates over.

    >>> import webgrad as wg
    >>> x, y = wg.arange(10, dtype="float32").reshape(10, 1), wg.arange(10)
    >>> batches = wg.datasets.Batches(x, y, batch_size=4, shuffle=True, seed=0)
    >>> len(batches), [tuple(b[0].shape) for b in batches]
    (3, [(4, 1), (4, 1), (2, 1)])
"""
from __future__ import annotations

import random

from ..devices.gpu import GPUArray
from ..ops import ShapeError
from ..random import default_generator
from ..tensor import Tensor, tensor


def as_device_tensor(data, device=None, dtype=None) -> Tensor:
    """A contiguous tensor on the device from a tensor, NumPy array or nested lists.

    Tensors are copied only when they are views (slices, transposes) of a WebGPU buffer: the
    batch gather reads its input from the start of the buffer. Others are used as they are.

    Example:
        >>> t = as_device_tensor([[1, 2], [3, 4]], dtype="float32")
        >>> t.tolist(), as_device_tensor(t.T).tolist(), as_device_tensor(t) is t
        ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 3.0], [2.0, 4.0]], True)
    """
    if isinstance(data, Tensor):
        t = data if dtype is None else data.cast(dtype)
        strided = isinstance(t.data, GPUArray) and not (t.data.view.is_contiguous and not t.data.view.offset)
        return t.contiguous() if t is data and strided else t
    return tensor(data, dtype=dtype, device=device)


class Batches:
    """Iterates over aligned tensors ``arrays`` (same first dimension) in batches of ``batch_size``.

    With ``shuffle`` each pass visits the samples in a new order, drawn from ``seed`` (or from
    webgrad's generator, so ``wg.manual_seed`` makes it reproducible). Each batch is gathered on
    the device, so nothing is read back.

    Example:
        >>> x, y = wg.arange(6, dtype="float32").reshape(3, 2), wg.tensor([0, 1, 2])
        >>> [yb.tolist() for xb, yb in Batches(x, y, batch_size=2)]
        [[0, 1], [2]]
        >>> len(Batches(x, y, batch_size=2, drop_remainder=True))
        1
    """

    def __init__(self, *arrays, batch_size: int = 32, shuffle: bool = False, seed: int | None = None,
                 drop_remainder: bool = False, device=None):
        if not arrays:
            raise ValueError("Batches: give at least one array")
        if int(batch_size) <= 0:
            raise ValueError(f"Batches: batch_size must be a positive integer, got {batch_size!r}")
        self.arrays = [as_device_tensor(a, device) for a in arrays]
        n = {a.shape[0] if a.shape else None for a in self.arrays}
        if len(n) != 1 or None in n:
            raise ShapeError(f"Batches: all arrays need the same number of samples (first dimension), got shapes "
                             f"{', '.join(str(a.shape) for a in self.arrays)}")
        self.n = n.pop()
        self.batch_size, self.shuffle, self.drop_remainder = int(batch_size), bool(shuffle), bool(drop_remainder)
        if seed is None:
            key0, _, counter, _, _ = default_generator.take(4)
            seed = key0 * 1_000_003 + counter
        self.rng = random.Random(seed)

    def __len__(self) -> int:
        return self.n // self.batch_size if self.drop_remainder else -(-self.n // self.batch_size)

    def order(self) -> list[int]:
        """The sample order of the next pass: a new shuffle each call with ``shuffle``, else 0, 1, 2, ...

        Example:
            >>> b = Batches(wg.arange(5), batch_size=2, shuffle=True, seed=0)
            >>> b.order(), b.order()
            ([2, 1, 0, 4, 3], [0, 2, 1, 3, 4])
            >>> Batches(wg.arange(5), batch_size=2).order()
            [0, 1, 2, 3, 4]
        """
        order = list(range(self.n))
        if self.shuffle:
            self.rng.shuffle(order)
        return order

    def __iter__(self):
        order = self.order()
        device = self.arrays[0].device
        for b in range(len(self)):
            chosen = order[b * self.batch_size:(b + 1) * self.batch_size]
            if not self.shuffle and len(self) == 1:
                yield tuple(self.arrays)
                continue
            index = tensor(chosen, dtype="int32", device=device)
            yield tuple(a.gather(index, 0) for a in self.arrays)


    def blocks(self, steps: int):
        """One pass in blocks of ``steps`` batches, each array stacked to (steps, batch_size, ...) with one
        gather: what a training step run ``steps`` times per call takes (``compile(steps_per_execution=)``).
        The batches left over, and a last short one, come one at a time, as ``__iter__`` gives them.
        Yields ``(k, arrays)``: how many steps the arrays hold (with ``k == 1`` they are a plain batch).

        Example:
            >>> b = Batches(wg.arange(10), batch_size=2)
            >>> [(k, a.tolist()) for k, (a,) in b.blocks(2)]
            [(2, [[0, 1], [2, 3]]), (2, [[4, 5], [6, 7]]), (1, [8, 9])]
        """
        order = self.order()
        device = self.arrays[0].device
        size, per_block = self.batch_size, steps * self.batch_size
        full = self.n // per_block if steps > 1 else 0
        for b in range(full):
            if self.shuffle:
                index = tensor(order[b * per_block:(b + 1) * per_block], dtype="int32", device=device)
                block = [a.gather(index, 0) for a in self.arrays]
            else:                   # in order: a slice of each array, no kernel
                block = [a[b * per_block:(b + 1) * per_block] for a in self.arrays]
            yield steps, tuple(a.reshape(steps, size, *a.shape[1:]) for a in block)
        rest = order[full * per_block:]
        for b in range(len(rest) // size if self.drop_remainder else -(-len(rest) // size)):
            index = tensor(rest[b * size:(b + 1) * size], dtype="int32", device=device)
            yield 1, tuple(a.gather(index, 0) for a in self.arrays)


def split(n: int, test_fraction: float, seed: int | None) -> tuple[list[int], list[int]]:
    """Shuffled indices of a train/test split of ``n`` samples."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    n_test = int(round(n * test_fraction))
    return order[n_test:], order[:n_test]
