"""gradwork.models.mnist1d: shapes, parameter counts, training, state_dict, PyTorch parity."""

import numpy as np
import pytest
import torch

import gradwork
import gradwork.nn.functional as F
from bench.torch_models import TorchMNIST1D
from gradwork.models.mnist1d import MODELS, build_model

NAMES = list(MODELS)
REFERENCE_PARAMETERS = {"logistic": 410, "mlp": 15210, "cnn": 5210, "gru": 5134}


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_parameter_counts(name):
    model = build_model(name)
    assert model(gradwork.randn(3, 40)).shape == (3, 10)
    assert model.num_parameters() == REFERENCE_PARAMETERS[name]


@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_pytorch_with_the_same_weights(name):
    model = build_model(name)
    reference = TorchMNIST1D(name).double()
    state = {
        key: torch.from_numpy(value.detach().numpy()) for key, value in model.state_dict().items()
    }
    reference.load_state_dict(state)  # same names and shapes as the reference's modules
    x = np.random.default_rng(0).standard_normal((5, 40))
    ours = model.double()(gradwork.tensor(x)).detach().numpy()
    theirs = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_one_adam_step_lowers_the_loss(name):
    model = build_model(name)
    x, y = gradwork.randn(16, 40), gradwork.randint(0, 10, (16,))
    optimizer = gradwork.optim.Adam(model.parameters(), lr=1e-2)
    before = F.cross_entropy(model(x), y)
    before.backward()
    optimizer.step()
    assert F.cross_entropy(model(x), y).item() < before.item()


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip(name, tmp_path):
    model = build_model(name)
    gradwork.save(model.state_dict(), tmp_path / "model.safetensors")
    gradwork.manual_seed(1)
    other = build_model(name)
    other.load_state_dict(gradwork.load(tmp_path / "model.safetensors"))
    x = gradwork.randn(4, 40)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())


def test_configs_change_the_architecture_and_unknown_names_fail():
    assert build_model("cnn", channels=8).linear.in_features == 8 * 5
    assert build_model("gru", bidirectional=False).linear.in_features == 6 * 40
    assert build_model("mlp", output_size=3)(gradwork.randn(2, 40)).shape == (2, 3)
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        build_model("resnet")
