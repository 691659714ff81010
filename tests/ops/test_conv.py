"""gradwork.ops.conv beyond the catalogue: error messages, model-sized parity, double backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gradwork


def _pair(array, requires_grad=True):
    return (
        gradwork.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def _close(ours, theirs, rtol=1e-4, atol=1e-4):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def test_conv2d_weight_error_message():
    with pytest.raises(RuntimeError) as error:
        gradwork.conv2d(gradwork.zeros(2, 3, 28, 28), gradwork.zeros(8, 4, 3, 3))
    assert str(error.value) == (
        "conv2d: expected weight of shape (out_channels, in_channels/groups, kH, kW) = "
        "(?, 3, ?, ?), got (8, 4, 3, 3) for input of shape (2, 3, 28, 28)"
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: gradwork.conv2d(gradwork.zeros(1, 3, 2, 2), gradwork.zeros(4, 3, 3, 3)),
            "conv2d: input of shape (1, 3, 2, 2) is too small: padded spatial size (2, 2) is "
            "smaller than the dilated kernel size (3, 3)",
        ),
        (
            lambda: gradwork.conv1d(gradwork.zeros(1, 2, 4), gradwork.zeros(4, 2, 3), dilation=2),
            "padded spatial size (4,) is smaller than the dilated kernel size (5,)",
        ),
        (
            lambda: gradwork.conv2d(gradwork.zeros(3, 28, 28, 1, 1), gradwork.zeros(4, 3, 3, 3)),
            "expected a 3-D (unbatched) or 4-D (batched) input",
        ),
        (
            lambda: gradwork.conv2d(
                gradwork.zeros(1, 3, 8, 8), gradwork.zeros(4, 1, 3, 3), groups=3
            ),
            "out_channels (4) must be divisible by groups (3)",
        ),
        (
            lambda: gradwork.conv2d(
                gradwork.zeros(1, 4, 8, 8), gradwork.zeros(4, 2, 3, 3), groups=3
            ),
            "in_channels (4) must be divisible by groups (3)",
        ),
        (
            lambda: gradwork.conv2d(
                gradwork.zeros(1, 3, 8, 8), gradwork.zeros(4, 3, 3, 3), gradwork.zeros(3)
            ),
            "expected bias of shape (4,), got (3,)",
        ),
        (
            lambda: gradwork.conv2d(
                gradwork.zeros(1, 3, 8, 8), gradwork.zeros(4, 3, 3, 3, dtype=gradwork.float64)
            ),
            "input dtype gradwork.float32 and weight dtype gradwork.float64 differ",
        ),
        (
            lambda: gradwork.conv_transpose2d(
                gradwork.zeros(1, 3, 8, 8), gradwork.zeros(4, 3, 3, 3)
            ),
            "expected weight of shape (in_channels, out_channels/groups, kH, kW) = (3, ?, ?, ?)",
        ),
        (
            lambda: gradwork.max_pool2d(gradwork.zeros(1, 1, 2, 2), 3),
            "too small",
        ),
        (lambda: gradwork.unfold(gradwork.zeros(1, 1, 2, 2), 3), "unfold: input of shape"),
        (lambda: gradwork.fold(gradwork.zeros(1, 4, 5), (3, 3), 2), "number of sliding blocks"),
    ],
)
def test_runtime_errors(call, message):
    with pytest.raises(RuntimeError) as error:
        call()
    assert message in str(error.value)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: gradwork.conv2d(
                gradwork.zeros(1, 3, 8, 8), gradwork.zeros(4, 3, 3, 3), stride=2, padding="same"
            ),
            "padding='same' is not supported for strided convolutions",
        ),
        (
            lambda: gradwork.conv2d(
                gradwork.zeros(1, 3, 8, 8), gradwork.zeros(4, 3, 3, 3), padding="full"
            ),
            "padding must be an int, a tuple, 'valid' or 'same'",
        ),
        (
            lambda: gradwork.max_pool2d(gradwork.zeros(1, 1, 8, 8), 2, padding=2),
            "pad should be at most half of kernel size",
        ),
        (
            lambda: gradwork.conv_transpose2d(
                gradwork.zeros(1, 3, 8, 8), gradwork.zeros(3, 3, 3, 3), stride=2, output_padding=2
            ),
            "output padding must be smaller than either stride or dilation",
        ),
    ],
)
def test_value_errors(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)


def test_lenet_sized_forward_backward_float32():
    """LeNet-5's feature extractor at batch 16 in float32: values, dtypes and all gradients."""
    rng = np.random.default_rng(0)

    def draw(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    arrays = [
        draw(16, 1, 28, 28),
        draw(6, 1, 5, 5, scale=0.2),
        draw(6, scale=0.1),
        draw(16, 6, 5, 5, scale=0.1),
        draw(16, scale=0.1),
    ]
    (gx, tx), (gw1, tw1), (gb1, tb1), (gw2, tw2), (gb2, tb2) = (_pair(a) for a in arrays)

    def features(lib, x, w1, b1, w2, b2):
        h = lib.conv2d(x, w1, b1, padding=2).relu()
        h = lib.max_pool2d(h, 2)
        h = lib.conv2d(h, w2, b2).relu()
        return lib.avg_pool2d(h, 2)

    ours = features(gradwork, gx, gw1, gb1, gw2, gb2)
    theirs = features(F, tx, tw1, tb1, tw2, tb2)
    assert ours.shape == (16, 16, 5, 5) and ours.dtype == gradwork.float32
    _close(ours, theirs)
    upstream = rng.standard_normal(theirs.shape).astype(np.float32)
    ours.backward(gradwork.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    for mine, reference in [(gx, tx), (gw1, tw1), (gb1, tb1), (gw2, tw2), (gb2, tb2)]:
        assert mine.grad.dtype == gradwork.float32
        _close(mine.grad, reference.grad, rtol=1e-3, atol=1e-3)


def test_resnet_block_sized_parity_float32():
    """Strided 3x3 conv, 1x1 shortcut, overlapping max pool, global average pool."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8, 16, 16)).astype(np.float32)
    w3 = (rng.standard_normal((16, 8, 3, 3)) * 0.1).astype(np.float32)
    w1 = (rng.standard_normal((16, 8, 1, 1)) * 0.1).astype(np.float32)
    (gx, tx), (gw3, tw3), (gw1, tw1) = _pair(x), _pair(w3), _pair(w1)

    def block(lib, x, w3, w1):
        pooled = lib.max_pool2d(x, 3, stride=1, padding=1)
        out = lib.conv2d(pooled, w3, stride=2, padding=1) + lib.conv2d(x, w1, stride=2)
        return lib.adaptive_avg_pool2d(out.relu(), 1)

    ours, theirs = block(gradwork, gx, gw3, gw1), block(F, tx, tw3, tw1)
    _close(ours, theirs)
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    for mine, reference in [(gx, tx), (gw3, tw3), (gw1, tw1)]:
        _close(mine.grad, reference.grad, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("stride", [1, 2])
def test_wide_resnet_layer_parity_float32(stride):
    """32 channels: the channels-last im2col at stride 1 (input gradient by convolution) and 2
    (by fold), with a bias, against PyTorch in float32."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 32, 7, 7)).astype(np.float32)
    w = (rng.standard_normal((32, 32, 3, 3)) * 0.1).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    (gx, tx), (gw, tw), (gb, tb) = _pair(x), _pair(w), _pair(b)
    ours = gradwork.conv2d(gx, gw, gb, stride=stride, padding=1)
    theirs = F.conv2d(tx, tw, tb, stride=stride, padding=1)
    _close(ours, theirs, rtol=1e-4, atol=1e-4)
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    for mine, reference in [(gx, tx), (gw, tw), (gb, tb)]:
        _close(mine.grad, reference.grad, rtol=1e-3, atol=1e-3)


def test_conv1d_cnn_sized_parity_float32():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 4, 40)).astype(np.float32)
    w = (rng.standard_normal((8, 4, 5)) * 0.3).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    (gx, tx), (gw, tw), (gb, tb) = _pair(x), _pair(w), _pair(b)
    ours = gradwork.max_pool1d(gradwork.conv1d(gx, gw, gb, stride=2, padding=2).relu(), 2)
    theirs = F.max_pool1d(F.conv1d(tx, tw, tb, stride=2, padding=2).relu(), 2)
    _close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    for mine, reference in [(gx, tx), (gw, tw), (gb, tb)]:
        _close(mine.grad, reference.grad, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize(
    "options", [{}, {"stride": 2, "padding": 1}, {"groups": 2, "dilation": 2, "padding": 2}]
)
def test_conv2d_gradient_penalty_matches_torch(options):
    """Double backward: the gradient of || d loss / d input ||^2 (WGAN-GP style) in float64."""
    rng = np.random.default_rng(3)
    arrays = [
        rng.standard_normal((2, 4, 7, 7)),
        rng.standard_normal((6, 4 // options.get("groups", 1), 3, 3)),
        rng.standard_normal(6),
        rng.standard_normal((6,)),
    ]
    (gx, tx), (gw, tw), (gb, tb), (gv, tv) = (_pair(a) for a in arrays)

    def penalty(lib, x, w, b, v):
        functional = gradwork if lib is gradwork else F
        out = functional.conv2d(x, w, b, **options).tanh()
        score = (out.sum((0, 2, 3)) * v).sum()
        (grad_x,) = lib.autograd.grad(score, [x], create_graph=True)
        return (grad_x * grad_x).sum()

    ours, theirs = penalty(gradwork, gx, gw, gb, gv), penalty(torch, tx, tw, tb, tv)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)
    our_grads = gradwork.autograd.grad(ours, [gx, gw, gb, gv])
    their_grads = torch.autograd.grad(theirs, [tx, tw, tb, tv])
    for mine, reference in zip(our_grads, their_grads):
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-8, atol=1e-10)


def test_max_pool_ties_follow_torch():
    """With ties, the gradient goes to the first maximum in row-major window order."""
    x = np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 2.0, 2.0]]]])
    (gx, tx) = _pair(x)
    ours = gradwork.max_pool2d(gx, 2, stride=1, return_indices=True)
    theirs = F.max_pool2d(tx, 2, stride=1, return_indices=True)
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    ours[0].sum().backward()
    theirs[0].sum().backward()
    np.testing.assert_array_equal(gx.grad.numpy(), tx.grad.numpy())


def test_unfold_fold_are_adjoint():
    """<unfold(x), y> = <x, fold(y)> for every geometry."""
    rng = np.random.default_rng(4)
    x = gradwork.tensor(rng.standard_normal((2, 3, 7, 6)))
    options = {"kernel_size": (3, 2), "dilation": (2, 1), "padding": (1, 2), "stride": (2, 3)}
    cols = gradwork.unfold(x, **options)
    y = gradwork.tensor(rng.standard_normal(cols.shape))
    left = (cols * y).sum().item()
    right = (x * gradwork.fold(y, (7, 6), **options)).sum().item()
    assert abs(left - right) < 1e-10


def test_pooling_and_conv_keep_float32():
    x = gradwork.ones(2, 3, 8, 8, requires_grad=True)
    w = gradwork.ones(4, 3, 3, 3, requires_grad=True)
    out = gradwork.avg_pool2d(gradwork.max_pool2d(gradwork.conv2d(x, w, padding=1), 2), 2)
    out = gradwork.adaptive_avg_pool2d(out, (1, 1))
    assert out.dtype == gradwork.float32
    out.sum().backward()
    assert x.grad.dtype == gradwork.float32 and w.grad.dtype == gradwork.float32


@pytest.mark.parametrize(
    "shape, weight_shape, options",
    [
        ((2, 3, 7, 6), (4, 3, 3, 3), {"padding": 1}),
        ((2, 4, 9, 5), (6, 2, 3, 2), {"padding": (2, 0), "dilation": (1, 2), "groups": 2}),
        ((1, 2, 6, 6), (3, 2, 5, 5), {"padding": "same"}),
        ((3, 2, 8, 7), (2, 2, 2, 4), {}),
        ((2, 3, 10), (4, 3, 3), {"padding": 1}),  # conv1d
    ],
)
def test_conv_by_rows_equals_conv_by_windows(shape, weight_shape, options, monkeypatch):
    """The whole-row im2col (stride 1, short rows) gives the window im2col's values and
    gradients (first order by the fast rule and by the plain one, second order), in float64."""
    from gradwork.ops import conv

    rng = np.random.default_rng(5)
    x = gradwork.tensor(rng.standard_normal(shape), requires_grad=True)
    w = gradwork.tensor(rng.standard_normal(weight_shape), requires_grad=True)
    convolve = gradwork.conv1d if len(shape) == 3 else gradwork.conv2d
    results = []
    for by_rows in (True, False):
        monkeypatch.setattr(conv, "_rows_pay", lambda *geometry, by_rows=by_rows: by_rows)
        out = convolve(x, w, **options)
        fast = gradwork.autograd.grad((out * out).sum(), [x, w], retain_graph=True)
        (grad_x, grad_w) = gradwork.autograd.grad((out * out).sum(), [x, w], create_graph=True)
        second = gradwork.autograd.grad((grad_x * grad_x).sum() + grad_w.sum(), [x, w])
        results.append([t.detach().numpy() for t in (out, *fast, grad_x, grad_w, *second)])
    for by_rows, by_windows in zip(*results):
        np.testing.assert_allclose(by_rows, by_windows, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "shape, weight_shape, options",
    [
        ((2, 4, 7, 6), (3, 4, 3, 3), {"padding": 1}),  # input gradient by convolution
        ((2, 3, 7, 6), (4, 3, 3, 3), {"padding": 1}),  # C_out > C_in: by fold
        ((2, 3, 9, 8), (5, 3, 3, 2), {"stride": 2, "padding": (1, 0)}),
        ((1, 2, 6, 5), (2, 2, 4, 4), {"padding": "same"}),  # asymmetric padding
        ((3, 2, 8, 7), (2, 2, 2, 4), {}),
        ((2, 3, 6, 6), (4, 3, 1, 1), {"stride": 2}),
        ((2, 4, 9, 5), (6, 2, 3, 2), {"padding": (2, 0), "dilation": (1, 2), "groups": 2}),
        ((2, 3, 10), (4, 3, 3), {"padding": 1}),  # conv1d
        ((2, 4, 11), (4, 4, 5), {"stride": 2, "padding": 2}),
    ],
)
def test_conv_channels_last_equals_the_other_layouts(shape, weight_shape, options, monkeypatch):
    """The channels-last im2col (and its fold) gives the same values and gradients as the row
    and window layouts: fast and plain first order, second order, with a bias, in float64.
    (Grouped or dilated convolutions keep the other layouts whatever the channel count.)"""
    from gradwork.autograd import engine
    from gradwork.ops import conv

    rng = np.random.default_rng(12)
    x = gradwork.tensor(rng.standard_normal(shape), requires_grad=True)
    w = gradwork.tensor(rng.standard_normal(weight_shape), requires_grad=True)
    b = gradwork.tensor(rng.standard_normal(weight_shape[0]), requires_grad=True)
    convolve = gradwork.conv1d if len(shape) == 3 else gradwork.conv2d
    results = []
    for minimum in (1, 10**9):  # every eligible convolution channels-last, then none
        monkeypatch.setattr(conv, "_CHANNELS_LAST_MIN", minimum)
        out = convolve(x, w, b, **options)
        fast = gradwork.autograd.grad((out * out).sum(), [x, w, b], retain_graph=True)
        with monkeypatch.context() as plain:
            plain.setattr(engine.settings, "fast_backward", False)
            slow = gradwork.autograd.grad((out * out).sum(), [x, w, b], retain_graph=True)
        (grad_x, grad_w) = gradwork.autograd.grad((out * out).sum(), [x, w], create_graph=True)
        second = gradwork.autograd.grad((grad_x * grad_x).sum() + grad_w.sum(), [x, w])
        results.append([t.detach().numpy() for t in (out, *fast, *slow, *second)])
    for channels_last, others in zip(*results):
        np.testing.assert_allclose(channels_last, others, rtol=1e-12, atol=1e-12)


def test_layout_follows_the_channel_count():
    from gradwork.ops.conv import _channels_last_pays

    geometry = ((3, 3), (1, 1), (1, 1), (1, 1), (7, 7))
    assert _channels_last_pays(16, geometry, 1, (7, 7))
    assert not _channels_last_pays(8, geometry, 1, (7, 7))
    assert not _channels_last_pays(16, geometry, 2, (7, 7))  # grouped
    assert not _channels_last_pays(16, ((3, 3), (2, 2), (1, 1), (2, 2), (7, 7)), 1, (7, 7))
    assert not _channels_last_pays(32, ((1, 1), (1, 1), (1, 1), (0, 0), (7, 7)), 1, (7, 7))


@pytest.mark.parametrize(
    "shape, geometry",
    [
        ((2, 3, 7, 6), ((3, 2), (1, 2), (1, 1), (1, 0), (7, 4))),  # stride 1, padding (1, 0)
        ((2, 3, 9, 9), ((3, 3), (1, 1), (1, 1), (1, 1), (9, 9))),
        ((1, 2, 6, 5), ((4, 4), (1, 1), (1, 1), (1, 1), (6, 5))),  # 'same': padded 1, then 2
    ],
)
def test_row_unfold_and_fold_are_adjoint_and_match_the_window_layout(shape, geometry):
    """The row layout's columns hold the window layout's (plus dropped columns), and its fold
    is the unfold's adjoint."""
    from gradwork.ops.conv import fold_rows, unfold_rows, unfold_windows

    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape)
    cols = unfold_rows(x, geometry)
    (_, k_w), (_, d_w), _, _, (out_h, out_w) = geometry
    width = out_w + d_w * (k_w - 1)
    by_rows = cols.reshape(-1, shape[0], out_h, width)[..., :out_w]
    by_windows = unfold_windows(x, geometry).reshape(-1, shape[0], out_h, out_w)
    np.testing.assert_array_equal(by_rows, by_windows)
    y = rng.standard_normal(cols.shape)
    left, right = (cols * y).sum(), (x * fold_rows(y, geometry, shape[2:])).sum()
    assert abs(left - right) < 1e-10 * abs(left) + 1e-10


@pytest.mark.parametrize(
    "shape, geometry",
    [
        ((2, 3, 7, 6), ((3, 2), (1, 1), (1, 1), (1, 0), (7, 5))),  # stride 1, padding (1, 0)
        ((2, 3, 9, 8), ((3, 3), (1, 1), (2, 2), (1, 1), (5, 4))),  # stride 2
        ((1, 2, 6, 5), ((4, 4), (1, 1), (1, 1), (1, 1), (6, 5))),  # 'same': padded 1, then 2
    ],
)
def test_channels_last_unfold_and_fold_are_adjoint_and_match_the_window_layout(shape, geometry):
    """The channels-last columns are the window layout's, transposed and reordered (i, j, c);
    the fold is the unfold's adjoint."""
    from gradwork.ops.conv import fold_channels_last, unfold_channels_last, unfold_windows

    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape)
    cols = unfold_channels_last(x, geometry)
    (k_h, k_w), _, _, _, (out_h, out_w) = geometry
    by_windows = unfold_windows(x, geometry).reshape(shape[1], k_h, k_w, shape[0] * out_h * out_w)
    np.testing.assert_array_equal(cols, by_windows.transpose(3, 1, 2, 0).reshape(cols.shape))
    y = rng.standard_normal(cols.shape)
    left, right = (cols * y).sum(), (x * fold_channels_last(y, geometry, shape[2:])).sum()
    assert abs(left - right) < 1e-10 * abs(left) + 1e-10


@pytest.mark.parametrize(
    "shape, weight_shape, options",
    [
        ((2, 4, 7, 6), (3, 4, 3, 3), {"padding": 1}),
        ((2, 3, 9, 8), (3, 3, 3, 2), {"padding": (2, 1), "dilation": (2, 3)}),
        ((1, 2, 6, 5), (2, 2, 4, 4), {"padding": "same"}),  # asymmetric padding
        ((3, 2, 8, 7), (2, 2, 2, 4), {}),
        ((2, 4, 20), (4, 4, 5), {"padding": 2}),  # conv1d, rows long enough for windows
    ],
)
def test_input_gradient_by_convolution_equals_by_fold(shape, weight_shape, options, monkeypatch):
    """The fused convolution's fast rule may take the input gradient as a convolution of the
    padded output gradient with the flipped kernel; it equals the GEMM-and-fold route (float64),
    and both equal the plain rule."""
    from gradwork.autograd import engine
    from gradwork.ops import conv

    rng = np.random.default_rng(9)
    x = gradwork.tensor(rng.standard_normal(shape), requires_grad=True)
    w = gradwork.tensor(rng.standard_normal(weight_shape), requires_grad=True)
    b = gradwork.tensor(rng.standard_normal(weight_shape[0]), requires_grad=True)
    convolve = gradwork.conv1d if len(shape) == 3 else gradwork.conv2d
    upstream = gradwork.tensor(rng.standard_normal(convolve(x, w, **options).shape))
    results = []
    for fast, by_convolution in ((True, True), (True, False), (False, False)):
        monkeypatch.setattr(conv, "_transpose_by_convolution", lambda *a, c=by_convolution: c)
        monkeypatch.setattr(engine.settings, "fast_backward", fast)
        grads = gradwork.autograd.grad(convolve(x, w, b, **options), [x, w, b], upstream)
        results.append([g.numpy() for g in grads])
    for route in results[1:]:
        for mine, reference in zip(results[0], route):
            np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-12)


def test_input_gradient_route_follows_the_channel_counts():
    from gradwork.ops.conv import _transpose_by_convolution

    geometry = ((3, 3), (1, 1), (1, 1), (1, 1), (14, 14))
    same_width = np.zeros((8, 8, 3, 3))
    assert _transpose_by_convolution(same_width, geometry, (14, 14), 1)
    assert not _transpose_by_convolution(np.zeros((16, 8, 3, 3)), geometry, (14, 14), 1)
    assert not _transpose_by_convolution(same_width, geometry, (14, 14), 2)  # grouped
    strided = ((3, 3), (1, 1), (2, 2), (1, 1), (7, 7))
    assert not _transpose_by_convolution(same_width, strided, (14, 14), 1)


@pytest.mark.parametrize("options", [{"padding": 1}, {"padding": 1, "stride": 2}, {}])
def test_frozen_weight_input_gradient_fast_equals_plain(options, monkeypatch):
    """With the weight frozen, the fused convolution keeps no columns; the input gradient (by
    fold or by convolution) still equals the plain rule's."""
    from gradwork.autograd import engine

    rng = np.random.default_rng(11)
    x = gradwork.tensor(rng.standard_normal((2, 3, 6, 6)), requires_grad=True)
    w = gradwork.tensor(rng.standard_normal((3, 3, 3, 3)))  # C_out <= C_in: by convolution
    wide = gradwork.tensor(rng.standard_normal((5, 3, 3, 3)))  # C_out > C_in: by fold
    grads = []
    for fast in (True, False):
        monkeypatch.setattr(engine.settings, "fast_backward", fast)
        grads.append(
            [
                gradwork.autograd.grad((gradwork.conv2d(x, weight, **options) ** 2).sum(), [x])[0]
                for weight in (w, wide)
            ]
        )
    for f, p in zip(*grads):
        np.testing.assert_allclose(f.numpy(), p.numpy(), rtol=1e-12, atol=1e-12)
