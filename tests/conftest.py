import numpy as np
import pytest

import webgrad as wg


@pytest.fixture(scope="session")
def gpu():
    """The wgpu-py WebGPU device (lavapipe on CI). Tests fail, not skip, when no adapter exists."""
    return wg.get_device("webgpu")


@pytest.fixture(scope="session")
def ref():
    return wg.get_device("numpy")


def to(device, arrays):
    return [wg.tensor(a, device=device) for a in arrays]


def assert_close(got, want, tol, what=""):
    """Relative error under ``tol``: |got - want| <= tol * (|want| + 1e-2 * max|want|)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != reference {want.shape}"
    if want.dtype == bool or want.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    assert not np.isnan(got).any() or np.isnan(want).any(), f"{what}: NaN where the reference has a number"
    scale = np.abs(want) + 1e-2 * (np.abs(want).max() if want.size else 0) + 1e-6
    err = np.abs(got.astype(np.float64) - want) / scale
    worst = float(err.max()) if err.size else 0.0
    assert worst <= tol, f"{what}: relative error {worst:.2e} > {tol:.0e}\ngot  {got}\nwant {want}"
