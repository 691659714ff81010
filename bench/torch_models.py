"""PyTorch mirrors of gradwork's models, with the same parameter names, for the benchmarks.

Each mirror is built empty and then loaded with a gradwork model's ``state_dict`` (see
:func:`twin`), so both libraries train from identical weights. The classes follow the parity
references of ``tests/models``, which import them from here: one copy serves both.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = [
    "TorchBertEncoder",
    "TorchGCN",
    "TorchGPT",
    "TorchLeNet",
    "TorchMLP",
    "TorchMNIST1D",
    "TorchResNet",
    "twin",
]


def twin(reference: torch.nn.Module, model) -> torch.nn.Module:
    """Load ``model``'s (a gradwork module's) state into ``reference`` and return it."""
    state = {
        name: torch.from_numpy(np.array(tensor.detach().numpy(), copy=True))
        for name, tensor in model.state_dict().items()
    }
    reference.load_state_dict(state, strict=True)
    return reference


class TorchMNIST1D(torch.nn.Module):
    """The MNIST-1D reference architectures (``gradwork.models.mnist1d``): logistic, mlp, cnn
    or gru."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        if name == "logistic":
            self.linear = torch.nn.Linear(40, 10)
        elif name == "mlp":
            self.linear1 = torch.nn.Linear(40, 100)
            self.linear2 = torch.nn.Linear(100, 100)
            self.linear3 = torch.nn.Linear(100, 10)
        elif name == "cnn":
            self.conv1 = torch.nn.Conv1d(1, 25, 5, stride=2, padding=1)
            self.conv2 = torch.nn.Conv1d(25, 25, 3, stride=2, padding=1)
            self.conv3 = torch.nn.Conv1d(25, 25, 3, stride=2, padding=1)
            self.linear = torch.nn.Linear(125, 10)
        elif name == "gru":
            self.gru = torch.nn.GRU(1, 6, batch_first=True, bidirectional=True)
            self.linear = torch.nn.Linear(480, 10)
        else:
            raise ValueError(f"TorchMNIST1D: unknown model {name!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.name == "logistic":
            return self.linear(x)
        if self.name == "mlp":
            h = self.linear1(x).relu()
            return self.linear3(h + self.linear2(h).relu())
        if self.name == "cnn":
            h = x.view(-1, 1, x.shape[-1])  # (N, 1, L)
            h = self.conv3(self.conv2(self.conv1(h).relu()).relu()).relu()
            return self.linear(h.view(h.shape[0], -1))
        output, _ = self.gru(x.view(*x.shape[:2], 1))  # (N, L, 2 * hidden)
        return self.linear(output.reshape(output.shape[0], -1))


_TORCH_ACTIVATIONS = {"relu": torch.nn.ReLU, "gelu": torch.nn.GELU, "tanh": torch.nn.Tanh}
_TORCH_NORMS = {
    None: lambda width: torch.nn.Identity(),
    "layer": torch.nn.LayerNorm,
    "batch": torch.nn.BatchNorm1d,
}


class _TorchMLPBlock(torch.nn.Module):
    def __init__(self, in_features: int, out_features: int, config) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(in_features, out_features)
        self.norm = _TORCH_NORMS[config.norm](out_features)
        self.activation = _TORCH_ACTIVATIONS[config.activation]()
        self.residual = config.residual and in_features == out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.activation(self.norm(self.linear(x)))
        return x + h if self.residual else h


class TorchMLP(torch.nn.Module):
    """``gradwork.models.mlp.MLP`` (its ``MLPConfig``: sizes, activation, norm, residual), without
    dropout."""

    def __init__(self, config) -> None:
        super().__init__()
        sizes = config.sizes
        self.blocks = torch.nn.ModuleList(
            [_TorchMLPBlock(sizes[i], sizes[i + 1], config) for i in range(len(sizes) - 2)]
        )
        self.head = torch.nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.flatten(1)
        for block in self.blocks:
            h = block(h)
        return self.head(h)


class TorchLeNet(torch.nn.Module):
    """``gradwork.models.cnn.LeNet``."""

    def __init__(self, config) -> None:
        super().__init__()
        first, second = config.channels
        side = (config.image_size // 2 - 4) // 2
        self.conv1 = torch.nn.Conv2d(config.in_channels, first, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(first, second, 5)
        self.fc1 = torch.nn.Linear(second * side * side, config.hidden[0])
        self.fc2 = torch.nn.Linear(*config.hidden)
        self.fc3 = torch.nn.Linear(config.hidden[1], config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.nn.functional.max_pool2d(self.conv1(x).relu(), 2)
        h = torch.nn.functional.max_pool2d(self.conv2(h).relu(), 2)
        return self.fc3(self.fc2(self.fc1(h.flatten(1)).relu()).relu())


class _TorchBasicBlock(torch.nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(out_channels)
        self.conv2 = torch.nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(out_channels)
        self.shortcut = torch.nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = torch.nn.Sequential(
                torch.nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                torch.nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.bn2(self.conv2(self.bn1(self.conv1(x)).relu()))
        return (h + self.shortcut(x)).relu()


class TorchResNet(torch.nn.Module):
    """``gradwork.models.cnn.ResNet``."""

    def __init__(self, config) -> None:
        super().__init__()
        width = config.widths[0]
        self.stem = torch.nn.Sequential(
            torch.nn.Conv2d(config.in_channels, width, 3, config.stem_stride, 1, bias=False),
            torch.nn.BatchNorm2d(width),
            torch.nn.ReLU(),
        )
        blocks = []
        for stage, (out_channels, count) in enumerate(zip(config.widths, config.blocks)):
            for index in range(count):
                stride = 2 if stage and not index else 1
                blocks.append(_TorchBasicBlock(width, out_channels, stride))
                width = out_channels
        self.layers = torch.nn.Sequential(*blocks)
        self.fc = torch.nn.Linear(width, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.layers(self.stem(x)).mean(dim=(2, 3)))


class TorchGPT(torch.nn.Module):
    """nanoGPT's model.py (``gradwork.models.gpt.GPT``: learned or rotary positions, no dropout),
    with GPT-2's parameter names."""

    def __init__(self, config) -> None:
        super().__init__()
        self.config = config
        embd, bias = config.n_embd, config.bias
        modules = {"wte": torch.nn.Embedding(config.vocab_size, embd)}
        if config.positional == "learned":
            modules["wpe"] = torch.nn.Embedding(config.block_size, embd)
        blocks = []
        for _ in range(config.n_layer):
            block = torch.nn.Module()
            block.ln_1 = torch.nn.LayerNorm(embd, bias=bias)
            block.attn = torch.nn.Module()
            block.attn.c_attn = torch.nn.Linear(embd, 3 * embd, bias=bias)
            block.attn.c_proj = torch.nn.Linear(embd, embd, bias=bias)
            block.ln_2 = torch.nn.LayerNorm(embd, bias=bias)
            block.mlp = torch.nn.Module()
            block.mlp.c_fc = torch.nn.Linear(embd, 4 * embd, bias=bias)
            block.mlp.c_proj = torch.nn.Linear(4 * embd, embd, bias=bias)
            blocks.append(block)
        modules["h"] = torch.nn.ModuleList(blocks)
        modules["ln_f"] = torch.nn.LayerNorm(embd, bias=bias)
        self.transformer = torch.nn.ModuleDict(modules)
        self.lm_head = torch.nn.Linear(embd, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.transformer.wte.weight

    def rope(self, x: torch.Tensor) -> torch.Tensor:
        """Rotary positions on ``x`` of shape ``(B, heads, T, head_dim)``."""
        head_dim, length = x.shape[-1], x.shape[-2]
        inv_freq = self.config.rotary_base ** (-torch.arange(0, head_dim, 2).double() / head_dim)
        angles = torch.outer(torch.arange(length).double(), inv_freq)
        angles = torch.cat([angles, angles], dim=-1).to(x.dtype)
        half = head_dim // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * angles.cos() + rotated * angles.sin()

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        batch, length = idx.shape
        heads, embd = self.config.n_head, self.config.n_embd
        x = self.transformer.wte(idx)
        if "wpe" in self.transformer:
            x = x + self.transformer.wpe(torch.arange(length))
        for block in self.transformer.h:
            q, k, v = block.attn.c_attn(block.ln_1(x)).split(embd, dim=2)
            q, k, v = (t.view(batch, length, heads, -1).transpose(1, 2) for t in (q, k, v))
            if self.config.positional == "rotary":
                q, k = self.rope(q), self.rope(k)
            y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + block.attn.c_proj(y.transpose(1, 2).reshape(batch, length, embd))
            x = x + block.mlp.c_proj(torch.nn.functional.gelu(block.mlp.c_fc(block.ln_2(x))))
        return self.lm_head(self.transformer.ln_f(x))  # (B, T, vocab_size)


class TorchBertEncoder(torch.nn.Module):
    """BERT's encoder written out over a Hugging Face state dict (``gradwork.models.bert``)."""

    def __init__(self, model) -> None:
        super().__init__()
        self.config = model.config
        self.state = {
            name: torch.from_numpy(np.array(tensor.detach().numpy(), copy=True))
            for name, tensor in model.state_dict().items()
        }

    def _linear(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return torch.nn.functional.linear(
            x, self.state[f"{name}.weight"], self.state[f"{name}.bias"]
        )

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return torch.nn.functional.layer_norm(
            x,
            x.shape[-1:],
            self.state[f"{name}.weight"],
            self.state[f"{name}.bias"],
            self.config.layer_norm_eps,
        )

    def forward(self, ids, mask, types) -> torch.Tensor:
        config, state = self.config, self.state
        batch, length = ids.shape
        heads = config.num_attention_heads
        size = config.hidden_size // heads
        hidden = (
            state["embeddings.word_embeddings.weight"][ids]
            + state["embeddings.position_embeddings.weight"][:length]
            + state["embeddings.token_type_embeddings.weight"][types]
        )
        hidden = self._norm(hidden, "embeddings.LayerNorm")
        additive = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        for index in range(config.num_hidden_layers):
            prefix = f"encoder.layer.{index}"
            q, k, v = (
                self._linear(hidden, f"{prefix}.attention.self.{n}")
                .view(batch, length, heads, size)
                .transpose(1, 2)  # (B, heads, T, size)
                for n in ("query", "key", "value")
            )
            scores = q @ k.transpose(-1, -2) / size**0.5 + additive
            context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, -1)
            hidden = self._norm(
                self._linear(context, f"{prefix}.attention.output.dense") + hidden,
                f"{prefix}.attention.output.LayerNorm",
            )
            inner = torch.nn.functional.gelu(self._linear(hidden, f"{prefix}.intermediate.dense"))
            hidden = self._norm(
                self._linear(inner, f"{prefix}.output.dense") + hidden,
                f"{prefix}.output.LayerNorm",
            )
        return hidden  # (B, T, hidden_size)


class TorchGCN(torch.nn.Module):
    """``gradwork.models.gnn.GCN`` without dropout; the normalisation is recomputed every call
    (as gradwork's is), with ``index_add_`` for the scatter-sum."""

    def __init__(self, in_features: int, hidden_features: int, num_classes: int) -> None:
        super().__init__()
        for name, (width_in, width_out) in {
            "conv1": (in_features, hidden_features),
            "conv2": (hidden_features, num_classes),
        }.items():
            conv = torch.nn.Module()
            conv.lin = torch.nn.Linear(width_in, width_out, bias=False)
            conv.bias = torch.nn.Parameter(torch.zeros(width_out))
            setattr(self, name, conv)

    @staticmethod
    def _norm(edge_index: torch.Tensor, num_nodes: int):
        source, target = edge_index
        keep = source != target
        loops = torch.arange(num_nodes)
        source = torch.cat([source[keep], loops])
        target = torch.cat([target[keep], loops])
        inverse_sqrt = torch.bincount(target, minlength=num_nodes).double().rsqrt()
        return source, target, (inverse_sqrt[source] * inverse_sqrt[target]).float()

    @staticmethod
    def _conv(conv, x, source, target, weight):
        h = conv.lin(x)
        messages = h.index_select(0, source) * weight.unsqueeze(-1)  # (E', out)
        out = torch.zeros(x.shape[0], h.shape[1], dtype=h.dtype).index_add_(0, target, messages)
        return out + conv.bias

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        source, target, weight = self._norm(edge_index, x.shape[0])
        h = self._conv(self.conv1, x, source, target, weight).relu()
        return self._conv(self.conv2, h, source, target, weight)
