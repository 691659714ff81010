"""gradwork.models.cnn (LeNet, ResNet, ConvNet1d): shapes, one step lowers the loss, state_dict
round trip, parity with PyTorch modules built from the same weights."""

import numpy as np
import pytest
import torch

import gradwork
import gradwork.nn.functional as F
from bench.torch_models import TorchLeNet, TorchResNet
from gradwork.models.cnn import (
    ConvNet1d,
    ConvNet1dConfig,
    LeNet,
    LeNetConfig,
    ResNet,
    ResNetConfig,
)

# name -> (model class, tiny config, input shape, classes)
CASES = {
    "lenet": (LeNet, LeNetConfig(channels=(3, 4), hidden=(12, 8)), (4, 1, 28, 28), 10),
    "resnet": (ResNet, ResNetConfig(widths=(4, 6), blocks=(2, 1)), (4, 1, 12, 12), 10),
    "resnet_stem2": (
        ResNet,
        ResNetConfig(in_channels=3, num_classes=5, widths=(4, 4, 8), stem_stride=2),
        (4, 3, 16, 16),
        5,
    ),
    "cnn1d": (ConvNet1d, ConvNet1dConfig(channels=(4, 6), kernel_size=3), (4, 1, 20), 10),
}


# -- PyTorch reference for ConvNet1d (LeNet and ResNet come from bench.torch_models) ----------
class TorchConvNet1d(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        widths = (config.in_channels, *config.channels)
        self.convs = torch.nn.ModuleList(
            [
                torch.nn.Conv1d(a, b, config.kernel_size, padding=config.kernel_size // 2)
                for a, b in zip(widths, widths[1:])
            ]
        )
        self.fc = torch.nn.Linear(widths[-1], config.num_classes)

    def forward(self, x):
        for conv in self.convs:
            x = torch.nn.functional.max_pool1d(conv(x).relu(), 2)
        return self.fc(x.mean(dim=-1))


REFERENCES = {LeNet: TorchLeNet, ResNet: TorchResNet, ConvNet1d: TorchConvNet1d}


def _build(name):
    model_class, config, shape, classes = CASES[name]
    return model_class(config), shape, classes


@pytest.mark.parametrize("name", CASES)
def test_output_shape(name):
    model, shape, classes = _build(name)
    assert model(gradwork.randn(*shape)).shape == (shape[0], classes)


def test_lenet_default_sizes_and_resnet_shortcuts():
    assert LeNet().fc1.in_features == 16 * 5 * 5
    assert sum(parameter.numel() for parameter in LeNet().parameters()) == 61706  # LeNet-5's
    resnet = ResNet(ResNetConfig(widths=(4, 4, 8), blocks=(2, 1, 1)))
    projected = [len(block.shortcut) > 0 for block in resnet.layers]
    assert projected == [False, False, True, True]  # where the stride or the width changes
    assert resnet(gradwork.randn(2, 1, 28, 28)).shape == (2, 10)


def test_conv1d_accepts_two_dimensional_sequences():
    model = ConvNet1d(ConvNet1dConfig(channels=(4,), kernel_size=3))
    assert model(gradwork.randn(3, 16)).shape == (3, 10)
    with pytest.raises(ValueError, match="odd"):
        ConvNet1d(ConvNet1dConfig(kernel_size=4))
    with pytest.raises(ValueError, match="same length"):
        ResNet(ResNetConfig(widths=(4, 8), blocks=(1,)))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("training", [True, False])
def test_forward_matches_pytorch_with_the_same_weights(name, training):
    model_class, config, shape, _ = CASES[name]
    model = model_class(config).double()
    model(gradwork.randn(*shape).double())  # batch norm: running statistics off their start
    model.train(training)
    reference = REFERENCES[model_class](config).double().train(training)
    reference.load_state_dict(
        {key: torch.from_numpy(value.numpy().copy()) for key, value in model.state_dict().items()}
    )
    x = np.random.default_rng(0).standard_normal(shape)
    ours = model(gradwork.tensor(x)).detach().numpy()
    theirs = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", CASES)
def test_one_adam_step_lowers_the_loss(name):
    model, shape, classes = _build(name)
    x, y = gradwork.randn(*shape), gradwork.randint(0, classes, (shape[0],))
    optimizer = gradwork.optim.Adam(model.parameters(), lr=1e-2)
    before = F.cross_entropy(model(x), y)
    before.backward()
    optimizer.step()
    assert F.cross_entropy(model(x), y).item() < before.item()


@pytest.mark.parametrize("name", CASES)
def test_state_dict_round_trip(name, tmp_path):
    model, shape, _ = _build(name)
    model(gradwork.randn(*shape))  # batch norm: running statistics off their start
    model.eval()
    gradwork.save(model.state_dict(), tmp_path / "model.safetensors")
    gradwork.manual_seed(1)
    other, _, _ = _build(name)
    other.load_state_dict(gradwork.load(tmp_path / "model.safetensors"))
    other.eval()
    x = gradwork.randn(*shape)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())
