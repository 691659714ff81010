"""gradwork.models.mlp: shapes, one step lowers the loss, state_dict round trip, PyTorch parity."""

import numpy as np
import pytest
import torch

import gradwork
import gradwork.nn.functional as F
from bench.torch_models import TorchMLP
from gradwork.models.mlp import MLP, MLPConfig

VARIANTS = {
    "plain": MLPConfig(sizes=(6, 8, 8, 3)),
    "layer_residual": MLPConfig(sizes=(6, 8, 8, 8, 3), norm="layer", residual=True),
    "batch_gelu": MLPConfig(sizes=(6, 8, 5, 3), activation="gelu", norm="batch"),
    "tanh_residual": MLPConfig(sizes=(6, 8, 8, 3), activation="tanh", residual=True),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_output_shape_and_image_inputs_are_flattened(variant):
    model = MLP(VARIANTS[variant])
    assert model(gradwork.randn(4, 6)).shape == (4, 3)
    assert model(gradwork.randn(4, 2, 3)).shape == (4, 3)


def test_residual_only_where_widths_agree():
    model = MLP(MLPConfig(sizes=(6, 8, 8, 5, 3), residual=True))
    assert [block.residual for block in model.blocks] == [False, True, False]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("training", [True, False])
def test_forward_matches_pytorch_with_the_same_weights(variant, training):
    config = VARIANTS[variant]
    model = MLP(config).double().train(training)
    reference = TorchMLP(config).double().train(training)
    reference.load_state_dict(
        {key: torch.from_numpy(value.numpy().copy()) for key, value in model.state_dict().items()}
    )
    x = np.random.default_rng(0).standard_normal((5, 6))
    ours = model(gradwork.tensor(x)).detach().numpy()
    theirs = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("variant", VARIANTS)
def test_one_adam_step_lowers_the_loss(variant):
    model = MLP(VARIANTS[variant])
    x, y = gradwork.randn(16, 6), gradwork.randint(0, 3, (16,))
    optimizer = gradwork.optim.Adam(model.parameters(), lr=1e-2)
    before = F.cross_entropy(model(x), y)
    before.backward()
    optimizer.step()
    assert F.cross_entropy(model(x), y).item() < before.item()


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_dict_round_trip(variant, tmp_path):
    model = MLP(VARIANTS[variant])
    model(gradwork.randn(8, 6))  # moves the batch norm's running statistics off their start
    model.eval()
    gradwork.save(model.state_dict(), tmp_path / "model.safetensors")
    gradwork.manual_seed(1)
    other = MLP(VARIANTS[variant]).eval()
    other.load_state_dict(gradwork.load(tmp_path / "model.safetensors"))
    x = gradwork.randn(4, 6)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())


def test_dropout_is_active_in_training_only():
    model = MLP(MLPConfig(sizes=(6, 32, 3), dropout=0.5))
    x = gradwork.randn(4, 6)
    assert not np.array_equal(model(x).detach().numpy(), model(x).detach().numpy())
    model.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), model(x).detach().numpy())


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="sizes"):
        MLPConfig(sizes=(4,))
    with pytest.raises(ValueError, match="activation"):
        MLPConfig(activation="swish")
    with pytest.raises(ValueError, match="norm"):
        MLPConfig(norm="group")
