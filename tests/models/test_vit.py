"""gradwork.models.vit: shapes, one step lowers the loss, state_dict round trip, PyTorch parity."""

import functools

import numpy as np
import pytest
import torch

import gradwork
import gradwork.nn.functional as F
from gradwork.models.vit import ViT, ViTConfig

CONFIGS = {
    "gelu_tanh": ViTConfig(image_size=8, patch_size=4, dim=8, depth=2, heads=2),
    "gelu_rgb": ViTConfig(
        image_size=6,
        patch_size=2,
        in_channels=3,
        num_classes=4,
        dim=12,
        depth=1,
        heads=3,
        mlp_ratio=3,
        activation="gelu",
    ),
    "relu": ViTConfig(image_size=8, patch_size=2, dim=8, depth=1, heads=4, activation="relu"),
}
TORCH_ACTIVATIONS = {
    "gelu": torch.nn.functional.gelu,
    "gelu_tanh": functools.partial(torch.nn.functional.gelu, approximate="tanh"),
    "relu": torch.nn.functional.relu,
}


class TorchPatchEmbedding(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        self.proj = torch.nn.Conv2d(
            config.in_channels, config.dim, config.patch_size, stride=config.patch_size
        )

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TorchViT(torch.nn.Module):
    """The same ViT from PyTorch's own layers, with the same parameter names."""

    def __init__(self, config):
        super().__init__()
        self.patch_embed = TorchPatchEmbedding(config)
        self.cls_token = torch.nn.Parameter(torch.zeros(1, 1, config.dim))
        self.pos_embed = torch.nn.Parameter(torch.zeros(1, config.num_patches + 1, config.dim))
        layer = torch.nn.TransformerEncoderLayer(
            config.dim,
            config.heads,
            dim_feedforward=config.mlp_ratio * config.dim,
            dropout=0.0,
            activation=TORCH_ACTIVATIONS[config.activation],
            batch_first=True,
            norm_first=True,
        )
        self.encoder = torch.nn.TransformerEncoder(layer, config.depth, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(config.dim)
        self.head = torch.nn.Linear(config.dim, config.num_classes)

    def forward(self, x):
        tokens = self.patch_embed(x)
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        h = self.encoder(torch.cat([cls, tokens], dim=1) + self.pos_embed)
        return self.head(self.norm(h[:, 0]))


def _input(config, batch=3):
    return gradwork.randn(batch, config.in_channels, config.image_size, config.image_size)


@pytest.mark.parametrize("name", CONFIGS)
def test_output_and_token_shapes(name):
    config = CONFIGS[name]
    model = ViT(config)
    x = _input(config)
    assert model.patch_embed(x).shape == (3, config.num_patches, config.dim)
    assert model(x).shape == (3, config.num_classes)


def test_config_checks_divisibility_and_activation():
    assert ViTConfig().num_patches == 16
    with pytest.raises(ValueError, match="patch_size"):
        ViTConfig(image_size=28, patch_size=5)
    with pytest.raises(ValueError, match="heads"):
        ViTConfig(dim=10, heads=4)
    with pytest.raises(ValueError, match="activation"):
        ViTConfig(activation="swish")


@pytest.mark.parametrize("name", CONFIGS)
def test_forward_matches_pytorch_with_the_same_weights(name):
    config = CONFIGS[name]
    model = ViT(config).double()
    reference = TorchViT(config).double()
    reference.load_state_dict(
        {key: torch.from_numpy(value.numpy().copy()) for key, value in model.state_dict().items()}
    )
    x = np.random.default_rng(0).standard_normal(
        (3, config.in_channels, config.image_size, config.image_size)
    )
    ours = model(gradwork.tensor(x)).detach().numpy()
    theirs = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


def test_gradients_match_pytorch():
    config = CONFIGS["gelu_tanh"]
    model = ViT(config).double()
    reference = TorchViT(config).double()
    reference.load_state_dict(
        {key: torch.from_numpy(value.numpy().copy()) for key, value in model.state_dict().items()}
    )
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8))
    labels = np.array([3, 7])
    F.cross_entropy(model(gradwork.tensor(x)), gradwork.tensor(labels)).backward()
    torch.nn.functional.cross_entropy(
        reference(torch.from_numpy(x)), torch.from_numpy(labels)
    ).backward()
    theirs = dict(reference.named_parameters())
    for key, parameter in model.named_parameters():
        np.testing.assert_allclose(
            parameter.grad.numpy(), theirs[key].grad.numpy(), rtol=1e-7, atol=1e-10, err_msg=key
        )


@pytest.mark.parametrize("name", CONFIGS)
def test_one_adam_step_lowers_the_loss(name):
    config = CONFIGS[name]
    model = ViT(config)
    x, y = _input(config, 16), gradwork.randint(0, config.num_classes, (16,))
    optimizer = gradwork.optim.Adam(model.parameters(), lr=1e-2)
    before = F.cross_entropy(model(x), y)
    before.backward()
    optimizer.step()
    assert F.cross_entropy(model(x), y).item() < before.item()


@pytest.mark.parametrize("name", CONFIGS)
def test_state_dict_round_trip(name, tmp_path):
    config = CONFIGS[name]
    model = ViT(config)
    gradwork.save(model.state_dict(), tmp_path / "model.safetensors")
    gradwork.manual_seed(1)
    other = ViT(config)
    other.load_state_dict(gradwork.load(tmp_path / "model.safetensors"))
    x = _input(config)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())
