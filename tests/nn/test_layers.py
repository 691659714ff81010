"""Layers against PyTorch: the same constructor call on ``gradwork.nn`` and ``torch.nn``, PyTorch's
weights loaded by name, then forward values, input and parameter gradients, state dict keys,
repr, train/eval behaviour; plus default initialisation and error messages."""

import math

import numpy as np
import pytest
import torch

import gradwork
from gradwork import nn

TOLERANCES = {np.float64: (1e-10, 1e-9), np.float32: (1e-5, 1e-4)}
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])


def _load_from_torch(ours, theirs, dtype):
    """Our module in ``dtype`` with PyTorch's parameters and buffers, copied by name."""
    ours.to(gradwork.float64 if dtype == np.float64 else gradwork.float32)
    theirs.to(TORCH_DTYPES[dtype])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _to_tensors(arrays, dtype):
    ours, theirs = [], []
    for array in arrays:
        if array.dtype.kind == "f":
            array = array.astype(dtype)
            ours.append(gradwork.tensor(array, requires_grad=True))
            theirs.append(torch.tensor(array, requires_grad=True))
        else:
            ours.append(gradwork.tensor(array))
            theirs.append(torch.tensor(array))
    return ours, theirs


def _close(ours, theirs, dtype, what, scale=1.0):
    atol, rtol = TOLERANCES[dtype]
    ours = ours.detach().numpy() if isinstance(ours, gradwork.Tensor) else np.asarray(ours)
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, atol=atol * scale, rtol=rtol * scale, err_msg=what)


def check_parity(build, arrays, dtype, train=True, seed=0):
    """``build(nn)`` for both libraries; compare outputs and all gradients. Returns the pair."""
    ours, theirs = build(nn), build(torch.nn)
    _load_from_torch(ours, theirs, dtype)
    ours.train(train)
    theirs.train(train)
    assert repr(ours) == repr(theirs)
    our_inputs, their_inputs = _to_tensors(arrays, dtype)
    our_out, their_out = ours(*our_inputs), theirs(*their_inputs)
    _close(our_out, their_out, dtype, "output")
    upstream = np.random.default_rng(seed).standard_normal(their_out.shape).astype(dtype)
    our_out.backward(gradwork.tensor(upstream))
    their_out.backward(torch.tensor(upstream))
    for k, (o, t) in enumerate(zip(our_inputs, their_inputs)):
        if t.requires_grad:
            _close(o.grad, t.grad, dtype, f"grad of input {k}", scale=10)
    their_params = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(their_params)
    for name, param in ours.named_parameters():
        expected = their_params[name].grad
        if expected is None:
            assert param.grad is None or not np.any(param.grad.numpy()), name
        else:
            _close(param.grad, expected, dtype, f"grad of {name}", scale=10)
    for name, buffer in theirs.named_buffers():
        ours_buffer = dict(ours.named_buffers())[name]
        if buffer.dtype.is_floating_point:
            _close(ours_buffer, buffer, dtype, f"buffer {name}")
        else:
            np.testing.assert_array_equal(ours_buffer.numpy(), buffer.numpy(), err_msg=name)
    return ours, theirs


def randn(*shape, seed=1):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


LAYERS = {
    "Identity": (lambda m: m.Identity(3, foo=1), [randn(2, 3)]),
    "Linear": (lambda m: m.Linear(4, 3), [randn(5, 4)]),
    "Linear_nobias_3d": (lambda m: m.Linear(4, 2, bias=False), [randn(2, 3, 4)]),
    "Bilinear": (lambda m: m.Bilinear(3, 4, 2), [randn(5, 3), randn(5, 4)]),
    "Bilinear_nobias": (lambda m: m.Bilinear(2, 3, 4, bias=False), [randn(2, 2), randn(2, 3)]),
    "Flatten": (lambda m: m.Flatten(), [randn(2, 3, 2, 2)]),
    "Flatten_range": (lambda m: m.Flatten(0, 1), [randn(2, 3, 4)]),
    "Unflatten": (lambda m: m.Unflatten(1, (2, 3)), [randn(4, 6)]),
    "Conv1d": (lambda m: m.Conv1d(2, 3, 3, stride=2, padding=1), [randn(2, 2, 9)]),
    "Conv1d_same_reflect": (
        lambda m: m.Conv1d(2, 4, 4, padding="same", padding_mode="reflect", bias=False),
        [randn(2, 2, 7)],
    ),
    "Conv2d": (lambda m: m.Conv2d(3, 4, 3, padding=1), [randn(2, 3, 5, 5)]),
    "Conv2d_groups_dilation": (
        lambda m: m.Conv2d(4, 6, (3, 2), stride=(2, 1), dilation=(1, 2), groups=2),
        [randn(2, 4, 7, 6)],
    ),
    "Conv2d_circular": (
        lambda m: m.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"),
        [randn(1, 2, 4, 5)],
    ),
    "Conv2d_replicate_unbatched": (
        lambda m: m.Conv2d(2, 2, 3, padding=1, padding_mode="replicate"),
        [randn(2, 4, 4)],
    ),
    "Conv2d_valid": (lambda m: m.Conv2d(2, 2, 2, padding="valid"), [randn(1, 2, 4, 4)]),
    "ConvTranspose1d": (lambda m: m.ConvTranspose1d(3, 2, 3, stride=2), [randn(2, 3, 5)]),
    "ConvTranspose2d": (
        lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        [randn(2, 4, 3, 3)],
    ),
    "ConvTranspose2d_dilation_nobias": (
        lambda m: m.ConvTranspose2d(2, 3, (2, 3), dilation=2, bias=False),
        [randn(1, 2, 3, 4)],
    ),
    "MaxPool1d": (lambda m: m.MaxPool1d(3, stride=2, padding=1), [randn(2, 3, 8)]),
    "MaxPool2d": (lambda m: m.MaxPool2d(2), [randn(2, 3, 4, 6)]),
    "MaxPool2d_ceil_dilation": (
        lambda m: m.MaxPool2d(2, stride=2, dilation=2, ceil_mode=True),
        [randn(1, 2, 7, 7)],
    ),
    "AvgPool1d": (lambda m: m.AvgPool1d(3, stride=2, padding=1), [randn(2, 3, 8)]),
    "AvgPool2d": (lambda m: m.AvgPool2d((2, 3), padding=1), [randn(2, 2, 5, 6)]),
    "AvgPool2d_exclude_pad": (
        lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
        [randn(1, 2, 6, 6)],
    ),
    "AdaptiveAvgPool1d": (lambda m: m.AdaptiveAvgPool1d(3), [randn(2, 3, 7)]),
    "AdaptiveAvgPool2d": (lambda m: m.AdaptiveAvgPool2d((2, 3)), [randn(2, 3, 5, 7)]),
    "AdaptiveAvgPool2d_none": (lambda m: m.AdaptiveAvgPool2d((None, 2)), [randn(1, 2, 3, 5)]),
    "BatchNorm1d": (lambda m: m.BatchNorm1d(3), [randn(6, 3)]),
    "BatchNorm1d_3d_momentum_none": (
        lambda m: m.BatchNorm1d(3, momentum=None, eps=1e-3),
        [randn(4, 3, 5)],
    ),
    "BatchNorm2d": (lambda m: m.BatchNorm2d(4), [randn(3, 4, 3, 3)]),
    "BatchNorm2d_no_affine": (lambda m: m.BatchNorm2d(2, affine=False), [randn(2, 2, 3, 3)]),
    "BatchNorm2d_no_running": (
        lambda m: m.BatchNorm2d(2, track_running_stats=False),
        [randn(2, 2, 3, 3)],
    ),
    "BatchNorm2d_nobias": (lambda m: m.BatchNorm2d(2, bias=False), [randn(2, 2, 3, 3)]),
    "BatchNorm3d": (lambda m: m.BatchNorm3d(2), [randn(2, 2, 2, 3, 2)]),
    "InstanceNorm1d": (lambda m: m.InstanceNorm1d(3, affine=True), [randn(2, 3, 6)]),
    "InstanceNorm2d_running": (
        lambda m: m.InstanceNorm2d(2, track_running_stats=True),
        [randn(2, 2, 3, 4)],
    ),
    "InstanceNorm2d_unbatched": (lambda m: m.InstanceNorm2d(2), [randn(2, 3, 4)]),
    "LayerNorm": (lambda m: m.LayerNorm(5), [randn(2, 3, 5)]),
    "LayerNorm_2d_nobias": (lambda m: m.LayerNorm([3, 4], bias=False), [randn(2, 3, 4)]),
    "LayerNorm_no_affine": (
        lambda m: m.LayerNorm(4, eps=1e-3, elementwise_affine=False),
        [randn(3, 4)],
    ),
    "GroupNorm": (lambda m: m.GroupNorm(2, 4), [randn(2, 4, 3, 3)]),
    "GroupNorm_no_affine": (lambda m: m.GroupNorm(3, 6, affine=False), [randn(2, 6, 4)]),
    "GroupNorm_nobias_2d": (lambda m: m.GroupNorm(2, 4, bias=False), [randn(3, 4)]),
    "RMSNorm": (lambda m: m.RMSNorm(4), [randn(2, 3, 4)]),
    "RMSNorm_2d_eps": (lambda m: m.RMSNorm([3, 4], eps=1e-3), [randn(2, 3, 4)]),
    "RMSNorm_no_affine": (lambda m: m.RMSNorm(4, elementwise_affine=False), [randn(3, 4)]),
    "Dropout_p0": (lambda m: m.Dropout(0.0), [randn(3, 4)]),
    "ReLU": (lambda m: m.ReLU(), [randn(3, 4)]),
    "ReLU6": (lambda m: m.ReLU6(), [4 * randn(3, 4)]),
    "LeakyReLU": (lambda m: m.LeakyReLU(0.2), [randn(3, 4)]),
    "ELU": (lambda m: m.ELU(alpha=0.5), [randn(3, 4)]),
    "GELU": (lambda m: m.GELU(), [randn(3, 4)]),
    "GELU_tanh": (lambda m: m.GELU(approximate="tanh"), [randn(3, 4)]),
    "SiLU": (lambda m: m.SiLU(), [randn(3, 4)]),
    "Mish": (lambda m: m.Mish(), [randn(3, 4)]),
    "Sigmoid": (lambda m: m.Sigmoid(), [randn(3, 4)]),
    "Tanh": (lambda m: m.Tanh(), [randn(3, 4)]),
    "Hardtanh": (lambda m: m.Hardtanh(-0.5, 0.8), [randn(3, 4)]),
    "Softplus": (lambda m: m.Softplus(beta=2.0, threshold=3.0), [randn(3, 4)]),
    "Softsign": (lambda m: m.Softsign(), [randn(3, 4)]),
    "Softmax": (lambda m: m.Softmax(dim=1), [randn(3, 4)]),
    "LogSoftmax": (lambda m: m.LogSoftmax(dim=-1), [randn(2, 3, 4)]),
    "Embedding": (lambda m: m.Embedding(6, 3), [np.array([[0, 2, 5], [2, 2, 1]])]),
    "Embedding_padding": (
        lambda m: m.Embedding(6, 3, padding_idx=2),
        [np.array([[0, 2, 5], [2, 2, 1]])],
    ),
    "Embedding_negative_padding_freq": (
        lambda m: m.Embedding(5, 2, padding_idx=-1, scale_grad_by_freq=True),
        [np.array([0, 4, 1, 1, 3, 1])],
    ),
    "Embedding_max_norm": (
        lambda m: m.Embedding(5, 3, max_norm=1.0, norm_type=1.0),
        [np.array([[0, 1], [1, 4]])],
    ),
}


@DTYPES
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_matches_torch(name, train, dtype):
    build, arrays = LAYERS[name]
    check_parity(build, arrays, dtype, train=train)


@DTYPES
def test_small_cnn_matches_torch(dtype):
    def build(m):
        return m.Sequential(
            m.Conv2d(1, 4, 3, padding=1),
            m.BatchNorm2d(4),
            m.ReLU(),
            m.MaxPool2d(2),
            m.Conv2d(4, 4, 3, groups=2),
            m.GroupNorm(2, 4),
            m.GELU(),
            m.AdaptiveAvgPool2d(1),
            m.Flatten(),
            m.Linear(4, 3),
        )

    for train in (True, False):
        check_parity(build, [randn(2, 1, 8, 8)], dtype, train=train)


# -- batch norm over several steps ----------------------------------------------------------------
@DTYPES
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batch_norm_running_stats_follow_torch(momentum, dtype):
    ours, theirs = nn.BatchNorm2d(3, momentum=momentum), torch.nn.BatchNorm2d(3, momentum=momentum)
    _load_from_torch(ours, theirs, dtype)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = (2 * rng.standard_normal((4, 3, 2, 2)) + 1).astype(dtype)
        ours(gradwork.tensor(x))
        theirs(torch.tensor(x))
    for name in ("running_mean", "running_var"):
        _close(getattr(ours, name), getattr(theirs, name), dtype, name)
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 4
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 2, 2)).astype(dtype)
    _close(ours(gradwork.tensor(x)), theirs(torch.tensor(x)), dtype, "eval output")
    assert int(ours.num_batches_tracked) == 4  # eval does not count batches


def test_batch_norm_eval_without_running_stats_uses_batch():
    layer = nn.BatchNorm1d(2, track_running_stats=False).eval()
    y = layer(gradwork.tensor([[1.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_allclose(y.detach().numpy(), [[-1.0, -1.0], [1.0, 1.0]], atol=1e-4)


def test_batch_norm_state_dict_without_num_batches_tracked_loads():
    layer = nn.BatchNorm1d(2)
    state = {k: v for k, v in layer.state_dict().items() if k != "num_batches_tracked"}
    assert repr(layer.load_state_dict(state)) == "<All keys matched successfully>"


def test_batch_norm_train_needs_more_than_one_value():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(gradwork.ones(1, 3))


# -- dropout -------------------------------------------------------------------------------------
def test_dropout_is_identity_in_eval_and_for_p0():
    x = gradwork.randn(5, 4)
    assert nn.Dropout(0.5).eval()(x) is x
    assert nn.Dropout(0.0)(x) is x


def test_dropout_train_statistics_and_gradient():
    gradwork.manual_seed(3)
    p = 0.3
    x = gradwork.ones(200, 100, requires_grad=True)
    y = nn.Dropout(p)(x)
    values = y.detach().numpy()
    kept = values != 0
    assert abs(1 - kept.mean() - p) < 0.02
    np.testing.assert_allclose(values[kept], 1 / (1 - p), rtol=1e-6)
    assert abs(values.mean() - 1) < 0.03  # the expectation is preserved
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), values, rtol=1e-6)  # grad = mask / (1 - p)


def test_dropout_p1_gives_zeros_and_bad_p_raises():
    assert not np.any(nn.Dropout(1.0)(gradwork.ones(3)).numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_follows_module_training_flag():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.9))
    x = gradwork.ones(50, 3)
    model.eval()
    assert model(x).allclose(model[0](x))
    model.train()
    assert not model(x).allclose(model[0](x))


# -- embedding -----------------------------------------------------------------------------------
def test_embedding_from_pretrained():
    weights = gradwork.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    table = nn.Embedding.from_pretrained(weights)
    assert not table.weight.requires_grad
    assert table.weight.tolist() == weights.tolist()
    assert table(gradwork.tensor([2, 0])).tolist() == [[5.0, 6.0], [1.0, 2.0]]
    trainable = nn.Embedding.from_pretrained(weights, freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad and repr(trainable) == "Embedding(3, 2, padding_idx=1)"
    assert trainable.weight.tolist() == weights.tolist()  # the padding row is not zeroed
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(gradwork.ones(3))


def test_embedding_padding_row_stays_fixed_under_training():
    table = nn.Embedding(4, 2, padding_idx=0)
    optimizer_step = 0.5
    out = table(gradwork.tensor([0, 1, 0, 3]))
    out.sum().backward()
    assert table.weight.grad.numpy()[0].tolist() == [0.0, 0.0]
    with gradwork.no_grad():
        table.weight.sub_(optimizer_step * table.weight.grad)
    assert table.weight.detach().numpy()[0].tolist() == [0.0, 0.0]


def test_embedding_rejects_bad_indices():
    table = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match="index 4 is out of range"):
        table(gradwork.tensor([1, 4]))
    with pytest.raises(TypeError, match="integer indices"):
        table(gradwork.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)


# -- default initialisation ----------------------------------------------------------------------
def _uniform_bound_ok(values: np.ndarray, bound: float) -> None:
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.9 * bound  # fills the interval
    assert abs(values.std() - bound / math.sqrt(3)) < 0.1 * bound  # U(-b, b) has std b/sqrt(3)


def test_linear_default_init():
    layer = nn.Linear(64, 200)
    assert layer.weight.shape == (200, 64) and layer.bias.shape == (200,)
    _uniform_bound_ok(layer.weight.detach().numpy(), 1 / math.sqrt(64))
    assert np.abs(layer.bias.detach().numpy()).max() <= 1 / math.sqrt(64)
    assert layer.weight.dtype == gradwork.float32
    assert nn.Linear(2, 3, dtype=gradwork.float64).weight.dtype == gradwork.float64


def test_conv_default_init():
    layer = nn.Conv2d(8, 32, 3, groups=2)
    assert layer.weight.shape == (32, 4, 3, 3)
    _uniform_bound_ok(layer.weight.detach().numpy(), 1 / math.sqrt(4 * 9))
    assert np.abs(layer.bias.detach().numpy()).max() <= 1 / math.sqrt(4 * 9)
    transposed = nn.ConvTranspose2d(8, 6, 3, groups=2)
    assert transposed.weight.shape == (8, 3, 3, 3)
    _uniform_bound_ok(transposed.weight.detach().numpy(), 1 / math.sqrt(3 * 9))  # PyTorch's fan-in


def test_bilinear_default_init():
    layer = nn.Bilinear(16, 5, 40)
    assert layer.weight.shape == (40, 16, 5)
    _uniform_bound_ok(layer.weight.detach().numpy(), 1 / math.sqrt(16))


def test_embedding_default_init():
    table = nn.Embedding(1000, 20, padding_idx=3)
    weights = table.weight.detach().numpy()
    assert weights[3].tolist() == [0.0] * 20
    assert abs(weights.mean()) < 0.02 and abs(weights.std() - 1) < 0.02


def test_norm_default_init():
    bn = nn.BatchNorm2d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
    assert bn.num_batches_tracked.dtype == gradwork.int64 and int(bn.num_batches_tracked) == 0
    ln = nn.LayerNorm((2, 3))
    assert ln.weight.shape == ln.bias.shape == (2, 3)
    assert np.all(ln.weight.detach().numpy() == 1) and np.all(ln.bias.detach().numpy() == 0)
    assert nn.RMSNorm(3).weight.tolist() == [1.0] * 3
    assert nn.GroupNorm(1, 2).bias.tolist() == [0.0, 0.0]


def test_module_to_keeps_num_batches_tracked_integer():
    bn = nn.BatchNorm1d(2).double()
    assert bn.running_mean.dtype == gradwork.float64
    assert bn.num_batches_tracked.dtype == gradwork.int64


# -- repr of the remaining layers (the parity test compares the others) ---------------------------
@pytest.mark.parametrize(
    "build",
    [
        lambda m: m.Conv2d(2, 4, 3, stride=2, padding="same" if m is None else 1, bias=False),
        lambda m: m.Conv2d(2, 4, 3, padding="same", dilation=2, padding_mode="reflect"),
        lambda m: m.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1, groups=2),
        lambda m: m.MaxPool2d(3, stride=1, padding=1, return_indices=True),
        lambda m: m.BatchNorm1d(3, eps=1e-3, momentum=None, affine=False),
        lambda m: m.Embedding(5, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True),
        lambda m: m.ReLU(inplace=True),
        lambda m: m.LeakyReLU(0.2, inplace=True),
        lambda m: m.ELU(inplace=True),
        lambda m: m.Hardtanh(inplace=True),
        lambda m: m.Softmax(),
        lambda m: m.Dropout(0.1, inplace=True),
        lambda m: m.InstanceNorm2d(3),
    ],
)
def test_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))


# -- special calls -------------------------------------------------------------------------------
@DTYPES
def test_conv_transpose_output_size_matches_torch(dtype):
    def build(m):
        return m.ConvTranspose2d(2, 3, 3, stride=2, padding=1)

    ours, theirs = build(nn), build(torch.nn)
    _load_from_torch(ours, theirs, dtype)
    x = randn(1, 2, 4, 4).astype(dtype)
    for size in ((8, 8), (1, 3, 7, 8)):
        _close(ours(gradwork.tensor(x), size), theirs(torch.tensor(x), size), dtype, str(size))
    with pytest.raises(ValueError, match="valid sizes range from 7 to 8"):
        ours(gradwork.tensor(x), (9, 9))


def test_max_pool_return_indices_matches_torch():
    x = randn(1, 2, 4, 4)
    out, indices = nn.MaxPool2d(2, return_indices=True)(gradwork.tensor(x))
    their_out, their_indices = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(indices.numpy(), their_indices.numpy())
    np.testing.assert_allclose(out.numpy(), their_out.numpy())


def test_state_dict_round_trip_between_layers():
    source, target = nn.Conv2d(2, 3, 3), nn.Conv2d(2, 3, 3)
    target.load_state_dict(source.state_dict())
    x = gradwork.randn(1, 2, 5, 5)
    assert target(x).allclose(source(x))


# -- errors name the layer and the shapes --------------------------------------------------------
def test_linear_wrong_input_shape_names_layer():
    with pytest.raises(RuntimeError) as error:
        nn.Linear(4, 3)(gradwork.ones(2, 5))
    message = str(error.value)
    assert "Linear(in_features=4, out_features=3, bias=True)" in message
    assert "(*, 4)" in message and "(2, 5)" in message


def test_bilinear_wrong_input_shape_names_layer():
    with pytest.raises(RuntimeError, match=r"Bilinear\(in1_features=2.*\(3, 2\) and \(4, 3\)"):
        nn.Bilinear(2, 3, 1)(gradwork.ones(3, 2), gradwork.ones(4, 3))


@pytest.mark.parametrize(
    "layer,shape",
    [
        (nn.Conv2d(3, 8, 3), (2, 4, 8, 8)),
        (nn.Conv2d(3, 8, 3), (2, 3, 8)),
        (nn.Conv1d(2, 8, 3), (2, 3, 8)),
        (nn.ConvTranspose2d(3, 8, 3), (1, 2, 5, 5)),
    ],
)
def test_conv_wrong_input_shape_names_layer(layer, shape):
    with pytest.raises(RuntimeError) as error:
        layer(gradwork.ones(*shape))
    message = str(error.value)
    assert message.startswith(repr(layer)) and str(shape) in message
    assert f"N, {layer.in_channels}" in message


def test_norm_wrong_input_shapes():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input"):
        nn.BatchNorm1d(3)(gradwork.ones(2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input"):
        nn.BatchNorm2d(3)(gradwork.ones(2, 3, 2))
    with pytest.raises(RuntimeError, match=r"BatchNorm2d\(3.*3 channels.*\(2, 4, 2, 2\)"):
        nn.BatchNorm2d(3)(gradwork.ones(2, 4, 2, 2))
    with pytest.raises(RuntimeError, match=r"GroupNorm\(2, 4.*\(N, 4, \*\)"):
        nn.GroupNorm(2, 4)(gradwork.ones(2, 6, 3))
    with pytest.raises(RuntimeError, match="normalized_shape"):
        nn.LayerNorm(4)(gradwork.ones(2, 3))


def test_constructor_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="zeros"):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(3, 4)


def test_layers_exported_from_nn():
    for name in ["Linear", "Conv2d", "BatchNorm2d", "CrossEntropyLoss", "Embedding", "GELU"]:
        assert name in nn.__all__ and getattr(nn, name).__module__.startswith("gradwork.nn")
