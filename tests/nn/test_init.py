"""nn.init: fans and gains equal PyTorch's; sample statistics match each formula."""

import math

import numpy as np
import pytest
import torch

import gradwork
from gradwork.nn import Parameter, init

SHAPES = [(3, 5), (10, 4), (8, 3, 5), (16, 4, 3, 3), (2, 6, 3, 3, 3), (7, 1), (1, 9, 2)]


def sample(shape, fill, seed=0, **kwargs):
    tensor = gradwork.empty(*shape)
    result = fill(tensor, generator=gradwork.Generator().manual_seed(seed), **kwargs)
    assert result is tensor
    return tensor.numpy()


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_pytorch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(gradwork.empty(*shape)) == expected


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dimensions(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(gradwork.empty(*shape))


@pytest.mark.parametrize(
    "nonlinearity, param",
    [
        ("linear", None),
        ("conv1d", None),
        ("conv2d", None),
        ("conv3d", None),
        ("conv_transpose2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 1),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_pytorch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15
    )


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_uniform_and_normal():
    values = sample((200, 200), init.uniform_, a=-2.0, b=4.0)
    assert values.min() >= -2.0 and values.max() < 4.0
    assert values.mean() == pytest.approx(1.0, abs=0.03)
    assert values.std() == pytest.approx(6 / math.sqrt(12), rel=0.01)
    values = sample((200, 200), init.normal_, mean=3.0, std=0.5)
    assert values.mean() == pytest.approx(3.0, abs=0.01)
    assert values.std() == pytest.approx(0.5, rel=0.01)


def test_generator_makes_it_reproducible():
    first = sample((4, 4), init.xavier_normal_, seed=5)
    second = sample((4, 4), init.xavier_normal_, seed=5)
    np.testing.assert_array_equal(first, second)
    gradwork.manual_seed(1)
    a = init.kaiming_uniform_(gradwork.empty(3, 3)).numpy().copy()
    gradwork.manual_seed(1)
    np.testing.assert_array_equal(init.kaiming_uniform_(gradwork.empty(3, 3)).numpy(), a)


def test_constant_ones_zeros_eye():
    assert init.constant_(gradwork.empty(2, 2), 0.5).tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert init.ones_(gradwork.empty(3)).tolist() == [1.0, 1.0, 1.0]
    assert init.zeros_(gradwork.ones(3)).tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_array_equal(init.eye_(gradwork.empty(3, 4)).numpy(), np.eye(3, 4))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(gradwork.empty(2, 2, 2))


@pytest.mark.parametrize("shape", [(256, 128), (64, 32, 3, 3)])
def test_xavier(shape):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(gradwork.empty(*shape))
    gain = 1.7
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    values = sample(shape, init.xavier_uniform_, gain=gain)
    bound = math.sqrt(3.0) * std
    assert np.abs(values).max() <= bound
    assert values.std() == pytest.approx(std, rel=0.02)
    values = sample(shape, init.xavier_normal_, gain=gain)
    assert values.std() == pytest.approx(std, rel=0.02)
    assert values.mean() == pytest.approx(0.0, abs=std * 0.02)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize(
    "nonlinearity, a", [("relu", 0), ("leaky_relu", math.sqrt(5)), ("leaky_relu", 0.1), ("tanh", 0)]
)
def test_kaiming(mode, nonlinearity, a):
    shape = (96, 48, 3, 3)
    fan = init._calculate_fan_in_and_fan_out(gradwork.empty(*shape))[mode == "fan_out"]
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    values = sample(shape, init.kaiming_uniform_, a=a, mode=mode, nonlinearity=nonlinearity)
    assert np.abs(values).max() <= math.sqrt(3.0) * std
    assert values.std() == pytest.approx(std, rel=0.02)
    values = sample(shape, init.kaiming_normal_, a=a, mode=mode, nonlinearity=nonlinearity)
    assert values.std() == pytest.approx(std, rel=0.02)


def test_kaiming_uniform_linear_default_bound_matches_pytorch():
    """PyTorch's Linear init (a=sqrt(5)) gives the bound 1/sqrt(fan_in)."""
    weight = sample((64, 20), init.kaiming_uniform_, a=math.sqrt(5))
    reference = torch.nn.init.kaiming_uniform_(torch.empty(64, 20), a=math.sqrt(5))
    assert np.abs(weight).max() <= 1 / math.sqrt(20)
    assert abs(np.abs(weight).max() - reference.abs().max().item()) < 0.01


def test_kaiming_errors_and_zero_element():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(gradwork.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="no-op"):
        init.kaiming_uniform_(gradwork.empty(0, 3))


@pytest.mark.parametrize(
    "mean, std, a, b",
    [
        (0.0, 1.0, -2.0, 2.0),
        (0.0, 0.02, -0.04, 0.04),
        (1.0, 2.0, 0.0, 3.0),
        (0.0, 1.0, 3.0, 6.0),
        (0.0, 1.0, -8.0, -5.0),
        (0.0, 0.02, -2.0, 2.0),
    ],
)
@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
def test_trunc_normal_moments(mean, std, a, b):
    values = sample((400, 500), init.trunc_normal_, mean=mean, std=std, a=a, b=b).astype(np.float64)
    assert values.min() >= a and values.max() <= b
    # exact moments of the truncated normal
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    mass = cdf(beta) - cdf(alpha)
    exact_mean = mean + std * (pdf(alpha) - pdf(beta)) / mass
    exact_var = std**2 * (
        1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - ((pdf(alpha) - pdf(beta)) / mass) ** 2
    )
    spread = math.sqrt(exact_var)
    assert values.mean() == pytest.approx(exact_mean, abs=0.01 * spread)
    assert values.std() == pytest.approx(spread, rel=0.01)
    if alpha > -6 and beta < 6:  # PyTorch's erfinv method is exact (and fast) only there
        reference = torch.nn.init.trunc_normal_(
            torch.empty(400, 500, dtype=torch.float64), mean=mean, std=std, a=a, b=b
        ).numpy()
        assert reference.mean() == pytest.approx(exact_mean, abs=0.01 * spread)


def test_standard_normal_quantile_matches_torch():
    p = np.concatenate(
        [np.logspace(-300, -1, 200), np.linspace(0.01, 0.99, 999), 1 - np.logspace(-15, -1, 100)]
    )
    expected = torch.special.ndtri(torch.from_numpy(p)).numpy()
    np.testing.assert_allclose(init._standard_normal_quantile(p), expected, rtol=2e-9)


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (8, 2, 3, 3)])
def test_orthogonal(shape):
    gain = 2.0
    values = sample(shape, init.orthogonal_, gain=gain).reshape(shape[0], -1).astype(np.float64)
    rows, cols = values.shape
    if rows <= cols:
        np.testing.assert_allclose(values @ values.T, gain**2 * np.eye(rows), atol=1e-5)
    else:
        np.testing.assert_allclose(values.T @ values, gain**2 * np.eye(cols), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(gradwork.empty(3))


def test_init_on_parameters_records_nothing():
    weight = Parameter(gradwork.empty(4, 4))
    for fill in (
        init.xavier_uniform_,
        init.kaiming_normal_,
        init.orthogonal_,
        init.trunc_normal_,
        init.normal_,
        init.zeros_,
        init.eye_,
    ):
        assert fill(weight) is weight
        assert weight.is_leaf and weight.requires_grad
    init.constant_(weight, 2.0)
    assert weight.numpy(force=True).max() == 2.0


def test_float64_tensors_keep_their_dtype():
    weight = gradwork.empty(3, 3, dtype=gradwork.float64)
    init.trunc_normal_(weight)
    init.orthogonal_(weight)
    init.xavier_uniform_(weight)
    assert weight.dtype == gradwork.float64
