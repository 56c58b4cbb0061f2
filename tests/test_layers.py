"""Layers against NumPy: Dense, Conv2D (strides, same/valid), pools, normalization, Dropout,
Embedding; the shapes they report and the errors they raise."""
import math

import numpy as np
import pytest

import webgrad as wg
from webgrad import layers as L
from webgrad.ops import ShapeError
from webgrad.tensor import apply

from conftest import assert_close


def conv_reference(x, k, stride, padding):
    """Direct NHWC cross-correlation in float64, TensorFlow's 'same' padding."""
    n, h, w, c = x.shape
    kh, kw, _, f = k.shape
    if padding == "same":
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
        ph = max((oh - 1) * stride[0] + kh - h, 0)
        pw = max((ow - 1) * stride[1] + kw - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    oh = (x.shape[1] - kh) // stride[0] + 1
    ow = (x.shape[2] - kw) // stride[1] + 1
    out = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw, :]
            out[:, i, j, :] = np.tensordot(win, k, axes=([1, 2, 3], [0, 1, 2]))
    return out


def pool_reference(x, size, stride, padding, kind):
    n, h, w, c = x.shape
    pad_value = -np.inf if kind == "max" else np.nan
    if padding == "same":
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
        ph = max((oh - 1) * stride[0] + size[0] - h, 0)
        pw = max((ow - 1) * stride[1] + size[1] - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)), constant_values=pad_value)
    oh = (x.shape[1] - size[0]) // stride[0] + 1
    ow = (x.shape[2] - size[1]) // stride[1] + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * stride[0]:i * stride[0] + size[0], j * stride[1]:j * stride[1] + size[1], :]
            out[:, i, j, :] = win.max((1, 2)) if kind == "max" else np.nanmean(win, (1, 2))
    return out


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [(1, 1), (2, 2), (2, 1)])
@pytest.mark.parametrize("kernel", [(3, 3), (2, 3), (1, 1)])
def test_conv2d_matches_direct_convolution(gpu, padding, stride, kernel):
    rng = np.random.default_rng(hash((padding, stride, kernel)) % 2**32)
    x = rng.standard_normal((2, 7, 6, 3)).astype("float32")
    layer = L.Conv2D(4, kernel, strides=stride, padding=padding, use_bias=True, bias_initializer=wg.initializers.Constant(0.5))
    got = layer(wg.tensor(x, device=gpu))
    want = conv_reference(x.astype(np.float64), layer.kernel.numpy().astype(np.float64), stride, padding) + 0.5
    assert got.shape == want.shape == (2,) + layer.compute_output_shape((None, 7, 6, 3))[1:]
    assert_close(got.numpy(), want, 1e-4, f"conv2d {kernel} {stride} {padding}")


def test_conv2d_gradient_matches_finite_differences(gpu):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 5, 5, 2))
    k = rng.standard_normal((3, 3, 2, 2))
    w = rng.standard_normal((1, 3, 3, 2))
    xt = wg.tensor(x.astype("float32"), device=gpu, requires_grad=True)
    kt = wg.tensor(k.astype("float32"), device=gpu, requires_grad=True)
    (wg.conv2d(xt, kt, strides=2, padding="same") * wg.tensor(w.astype("float32"), device=gpu)).sum().backward()

    def f(x_, k_):
        return (conv_reference(x_, k_, (2, 2), "same") * w).sum()

    for arr, grad, which in ((x, xt.grad, 0), (k, kt.grad, 1)):
        fd = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            hi, lo = arr.copy(), arr.copy()
            hi[idx] += 1e-5
            lo[idx] -= 1e-5
            args_hi = (hi, k) if which == 0 else (x, hi)
            args_lo = (lo, k) if which == 0 else (x, lo)
            fd[idx] = (f(*args_hi) - f(*args_lo)) / 2e-5
        assert_close(grad.numpy(), fd, 1e-3, f"d conv / d input {which}")


def test_unfold_reads_strided_views(gpu):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6, 5, 2)).astype("float32")
    base = wg.tensor(x.transpose(0, 2, 1, 3).copy(), device=gpu).permute(0, 2, 1, 3)[1:, 1:]   # a view
    op = wg.OPS["unfold"]
    attrs = dict(kernel=(2, 2), stride=(1, 2), padding=((1, 0), (0, 1)), value=0.0)
    got = apply(op, base, **attrs)
    assert_close(got.numpy(), op.reference(x[1:, 1:], **attrs), 1e-6, "unfold of a view")


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("size,stride", [((2, 2), None), ((3, 3), (2, 2)), ((2, 3), (1, 1))])
def test_pools_match_reference(gpu, kind, padding, size, stride):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 5, 3)).astype("float32")
    layer = (L.MaxPool2D if kind == "max" else L.AvgPool2D)(size, stride, padding)
    got = layer(wg.tensor(x, device=gpu))
    want = pool_reference(x.astype(np.float64), size, stride or size, padding, kind)
    assert got.shape == want.shape == (2,) + layer.compute_output_shape((None, 7, 5, 3))[1:]
    assert_close(got.numpy(), want, 1e-5, f"{kind} pool {size} {stride} {padding}")


def test_max_pool_gradient_goes_to_the_max(gpu):
    x = wg.tensor([[[[1.0], [5.0]], [[3.0], [2.0]]]], device=gpu, requires_grad=True)
    L.MaxPool2D()(x).sum().backward()
    assert x.grad.reshape(-1).tolist() == [0.0, 1.0, 0.0, 0.0]


def test_dense_matches_numpy_and_tracks_weights(gpu):
    layer = L.Dense(5, activation="tanh", kernel_regularizer=wg.regularizers.L2(0.1))
    x = np.random.default_rng(3).standard_normal((4, 3)).astype("float32")
    got = layer(wg.tensor(x, device=gpu)).numpy()
    want = np.tanh(x @ layer.kernel.numpy() + layer.bias.numpy())
    assert_close(got, want, 1e-5, "dense")
    assert [t.shape for t in layer.trainable_weights] == [(3, 5), (5,)]
    assert [n for n, _ in layer.named_weights()] == ["kernel", "bias"]
    assert layer.count_params() == 20
    assert_close(layer.losses[0].numpy(), 0.1 * (layer.kernel.numpy() ** 2).sum(), 1e-5, "l2 penalty")


def test_batch_normalization_train_and_inference(gpu):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((16, 3)) * 2 + 1).astype("float32")
    bn = L.BatchNormalization(momentum=0.9)
    y = bn(wg.tensor(x, device=gpu), training=True).numpy()
    assert_close(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), 1e-4, "batch statistics")
    assert_close(bn.moving_mean.numpy(), 0.1 * x.mean(0), 1e-4, "moving mean")
    assert_close(bn.moving_variance.numpy(), 0.9 + 0.1 * x.var(0), 1e-4, "moving variance")
    y_inf = bn(wg.tensor(x, device=gpu), training=False).numpy()
    want = (x - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3)
    assert_close(y_inf, want, 1e-4, "inference uses moving averages")
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    bn.trainable = False      # frozen: inference mode even when training=True, as Keras
    assert_close(bn(wg.tensor(x, device=gpu), training=True).numpy(), want, 1e-4, "frozen")


def test_layer_normalization(gpu):
    x = np.random.default_rng(5).standard_normal((4, 6)).astype("float32")
    y = L.LayerNormalization(epsilon=1e-3)(wg.tensor(x, device=gpu)).numpy()
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    assert_close(y, want, 1e-4, "layer norm")


def test_dropout_only_while_training(gpu):
    wg.manual_seed(0)
    x = wg.ones(200, 50, device=gpu)
    drop = L.Dropout(0.3)
    assert drop(x, training=False) is x
    y = drop(x, training=True).numpy()
    assert np.allclose(np.unique(y), [0.0, 1 / 0.7])
    assert abs((y == 0).mean() - 0.3) < 0.02


def test_embedding_and_its_gradient(gpu):
    emb = L.Embedding(10, 4)
    ids = wg.tensor([[1, 2], [2, 9]], device=gpu)
    out = emb(ids)
    assert out.shape == (2, 2, 4)
    assert_close(out.numpy(), emb.embeddings.numpy()[[[1, 2], [2, 9]]], 1e-6, "lookup")
    out.sum().backward()
    counts = np.zeros(10)
    np.add.at(counts, [1, 2, 2, 9], 1)
    assert_close(emb.embeddings.grad.numpy(), np.repeat(counts[:, None], 4, 1), 1e-6, "scatter of the gradient")


def test_flatten_reshape_activation(gpu):
    x = wg.ones(2, 3, 4, device=gpu)
    assert L.Flatten()(x).shape == (2, 12)
    assert L.Reshape((4, 3))(x).shape == (2, 4, 3)
    assert L.Reshape((-1, 2))(x).shape == (2, 6, 2)
    assert L.Activation("relu")(wg.tensor([-1.0, 2.0], device=gpu)).tolist() == [0.0, 2.0]


@pytest.mark.parametrize("name", sorted(wg.activations.ALL))
def test_activations_match_numpy(gpu, name):
    x = np.linspace(-4, 4, 17).astype("float32")
    got = wg.activations.get(name)(wg.tensor(x, device=gpu)).numpy()
    xs = x.astype(np.float64)
    sig = 1 / (1 + np.exp(-xs))
    want = {
        "linear": xs, "relu": np.maximum(xs, 0), "relu6": np.clip(xs, 0, 6), "tanh": np.tanh(xs), "sigmoid": sig,
        "hard_sigmoid": np.clip(xs + 3, 0, 6) / 6, "softmax": np.exp(xs) / np.exp(xs).sum(),
        "gelu": 0.5 * xs * (1 + np.vectorize(math.erf)(xs / np.sqrt(2))), "silu": xs * sig,   # exact, as Keras 3
        "swish": xs * sig, "leaky_relu": np.where(xs > 0, xs, 0.2 * xs), "elu": np.where(xs > 0, xs, np.exp(xs) - 1),
        "selu": 1.0507009873554805 * np.where(xs > 0, xs, 1.6732632423543772 * (np.exp(xs) - 1)),
        "softplus": np.log1p(np.exp(xs)), "softsign": xs / (1 + np.abs(xs)), "exponential": np.exp(xs),
    }[name]
    assert_close(got, want, 1e-4, name)


def test_gelu_is_exact_by_default_and_approximate_on_request(gpu):
    """Keras 3 and PyTorch default to x·Φ(x) with erf; the tanh form differs by up to 4e-4."""
    x = np.linspace(-6, 6, 97).astype("float32")
    xs = x.astype(np.float64)
    exact = 0.5 * xs * (1 + np.vectorize(math.erf)(xs / np.sqrt(2)))
    tanh_form = 0.5 * xs * (1 + np.tanh(np.sqrt(2 / np.pi) * (xs + 0.044715 * xs ** 3)))
    t = wg.tensor(x, device=gpu)
    assert_close(wg.activations.gelu(t).numpy(), exact, 1e-5, "exact")
    assert_close(L.Activation("gelu")(t).numpy(), exact, 1e-5, "Activation('gelu')")
    assert_close(wg.gelu(t, approximate=True).numpy(), tanh_form, 1e-5, "approximate")
    assert np.abs(tanh_form - exact).max() > 1e-4                # the two really differ
    dense = L.Dense(3, activation="gelu")
    h = wg.tensor(np.random.default_rng(0).normal(size=(5, 4)).astype("float32"), device=gpu)
    out = dense(h).numpy()
    w, b = (v.numpy().astype(np.float64) for v in dense.weights)
    z = h.numpy().astype(np.float64) @ w + b
    assert_close(out, 0.5 * z * (1 + np.vectorize(math.erf)(z / np.sqrt(2))), 1e-5, "Dense gelu")


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown activation 'relux'; valid names: .*leaky_relu.*tanh"):
        L.Dense(3, activation="relux")
    with pytest.raises(ValueError, match="unknown initializer 'glorot'; valid names: .*glorot_uniform"):
        L.Dense(3, kernel_initializer="glorot")(wg.ones(1, 2))
    with pytest.raises(ValueError, match="unknown loss 'crossentropy'; valid names: .*binary_crossentropy"):
        wg.losses.get("crossentropy")
    with pytest.raises(ValueError, match="unknown optimizer 'nadamx'; valid names: adadelta, adagrad, adam, adamax, adamw, lion, nadam, rmsprop, sgd"):
        wg.optimizers.get("nadamx")
    with pytest.raises(ValueError, match="unknown metric 'acuracy'; valid names: .*accuracy"):
        wg.metrics.get("acuracy")


def test_layer_shape_errors_name_the_layer_and_shapes(gpu):
    dense = L.Dense(3, name="hidden")
    dense(wg.ones(2, 4, device=gpu))
    with pytest.raises(ShapeError, match=r"layer 'hidden' \(Dense\) was built for inputs of shape \(None, 4\) "
                                         r"and got shape \(2, 5\): axis -1 should have size 4"):
        dense(wg.ones(2, 5, device=gpu))
    with pytest.raises(ShapeError, match=r"layer 'conv' \(Conv2D\) expects inputs of rank 4 .* got shape \(2, 64\).*Reshape"):
        L.Conv2D(4, 3, name="conv")(wg.ones(2, 64, device=gpu))
    conv = L.Conv2D(4, 3, name="conv2")
    conv(wg.ones(1, 8, 8, 1, device=gpu))
    with pytest.raises(ShapeError, match=r"layer 'conv2' \(Conv2D\) was built for inputs of shape \(None, 8, 8, 1\) "
                                         r"and got shape \(1, 8, 8, 3\): axis -1 should have size 1"):
        conv(wg.ones(1, 8, 8, 3, device=gpu))
    with pytest.raises(ShapeError, match="Reshape.*cannot reshape samples of shape \\(6,\\)"):
        L.Reshape((4, 2))(wg.ones(2, 6, device=gpu))
    with pytest.raises(ShapeError, match="conv2d: a window of 3 does not fit|unfold: a window of 3 does not fit"):
        L.Conv2D(2, 3)(wg.ones(1, 2, 2, 1, device=gpu))


def test_initializers_statistics(gpu):
    n_in, n_out = 300, 200
    for name, std in (("glorot_uniform", np.sqrt(2 / (n_in + n_out))), ("glorot_normal", np.sqrt(2 / (n_in + n_out))),
                      ("he_uniform", np.sqrt(2 / n_in)), ("he_normal", np.sqrt(2 / n_in))):
        w = wg.initializers.get(name)((n_in, n_out), seed=1).numpy()
        assert abs(w.std() / std - 1) < 0.05, (name, w.std(), std)
        assert abs(w.mean()) < 0.01
    a = wg.initializers.GlorotUniform(seed=7)((3, 3, 2, 4)).numpy()
    assert np.array_equal(a, wg.initializers.GlorotUniform(seed=7)((3, 3, 2, 4)).numpy())
    assert np.abs(a).max() <= np.sqrt(6 / (18 + 36))
    assert wg.initializers.compute_fans((3, 3, 2, 4)) == (18.0, 36.0)
    assert wg.initializers.get("zeros")((2,)).tolist() == [0.0, 0.0]
    assert wg.initializers.get("ones")((2,)).tolist() == [1.0, 1.0]


def test_regularizers(gpu):
    w = wg.tensor([1.0, -2.0, 3.0], device=gpu)
    assert abs(wg.regularizers.L1(0.5)(w).item() - 3.0) < 1e-6
    assert abs(wg.regularizers.L2(0.5)(w).item() - 7.0) < 1e-6
    assert abs(wg.regularizers.L1L2(0.5, 0.5)(w).item() - 10.0) < 1e-6


def test_build_called_directly_marks_the_layer_built(gpu):
    # As Keras: weights set after a direct build survive the first call (no second build).
    embed = L.Embedding(3, 2)
    embed.build((None, 2))
    assert embed.built and len(embed.weights) == 1
    embed.set_weights([np.array([[0, 0], [1, 1], [2, 2]], np.float32)])
    assert embed(wg.tensor([2], device=gpu)).tolist() == [[2.0, 2.0]]
    dense = L.Dense(1)
    dense.build((None, 2))
    dense(wg.ones(1, 2, device=gpu))
    assert dense.count_params() == 3


def test_a_seeded_dropout_draws_its_own_stream(gpu):
    masks = []
    for global_seed in (0, 5):
        wg.manual_seed(global_seed)
        masks.append(L.Dropout(0.5, seed=1)(wg.ones(64, device=gpu), training=True).tolist())
    assert masks[0] == masks[1]
    assert 0 < masks[0].count(0.0) < 64
