"""The model workloads of the benchmark suite: each trains (or runs) one model in gradwork and in
PyTorch eager, from identical weights, on the same fixed batches.

A :class:`Workload` builds a run for one library: ``build("gradwork" | "torch", threads)``
returns an object whose ``step()`` does one optimizer step (or one inference pass) on the next
pre-generated batch, cycled, and returns the loss (for inference, a checksum of the output) as a
float. ``flops_per_step`` counts the multiply-adds of matrix products and convolutions, times two,
from the shapes seen in one forward pass (training: forward + backward = 3 x forward). The
gradwork run also has ``live_bytes()``: parameters + gradients + optimizer state + the arrays the
autograd graph saves for backward, each buffer counted once.

The PyTorch side is built by building the gradwork model (seeded) and copying its ``state_dict``
into a mirror module from :mod:`bench.torch_models`. Dropout is off in every model, so both
libraries compute the same function and their first losses must agree.

``tiny=True`` builds cheap versions (small batches and widths) for the tests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import gradwork
import gradwork.nn.functional as F
from gradwork import nn
from gradwork.autograd.function import Node, _SavedOutput

__all__ = ["WORKLOADS", "Workload", "by_name", "resident_bytes", "live_bytes", "saved_bytes"]

LIBRARIES = ("gradwork", "torch")
NUM_BATCHES = 4  # pre-generated batches, cycled
SEED = 0


# -- one run: a model, an optimizer and its batches in one library ------------------------------
class TrainRun:
    """``step()``: zero the gradients, forward, loss, backward, optimizer step; returns the loss."""

    def __init__(self, library, model, optimizer, batches, loss_fn, flops_per_step) -> None:
        self.library, self.model, self.optimizer = library, model, optimizer
        self.batches, self.loss_fn = batches, loss_fn
        self.flops_per_step = flops_per_step
        self.index = 0

    def _next(self):
        batch = self.batches[self.index % len(self.batches)]
        self.index += 1
        return batch

    def step(self) -> float:
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model, self._next())
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def live_bytes(self) -> int:
        """Bytes that one step keeps alive (gradwork only); runs one step to see its graph."""
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model, self._next())
        seen: dict = {}
        saved = saved_bytes(loss, seen)
        loss.backward()
        self.optimizer.step()
        return saved + live_bytes(self.model, self.optimizer, seen)


class InferenceRun:
    """``step()``: one forward pass without recording; returns a checksum of the output."""

    def __init__(self, library, model, batches, forward_fn, flops_per_step) -> None:
        self.library, self.model, self.batches = library, model, batches
        self.forward_fn, self.flops_per_step = forward_fn, flops_per_step
        self.index = 0

    def step(self) -> float:
        batch = self.batches[self.index % len(self.batches)]
        self.index += 1
        with _library(self.library).no_grad():
            return float(self.forward_fn(self.model, batch))

    def live_bytes(self) -> int:
        """Parameters and buffers: inference saves nothing for backward."""
        return live_bytes(self.model, None, {})


# -- memory accounting --------------------------------------------------------------------------
def _count(array, seen: dict) -> int:
    """``array``'s whole buffer (views are followed to their base), once per ``seen``.

    ``seen`` keeps the buffers it has counted alive: an id is unique only while its object lives,
    and the graph's saved arrays are freed by backward before the gradients are counted.
    """
    while isinstance(array.base, np.ndarray):
        array = array.base
    if id(array) in seen:
        return 0
    seen[id(array)] = array
    return array.nbytes


def _arrays(value):
    """The arrays inside a node's saved state: tensors, saved outputs, arrays, nested tuples."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, gradwork.Tensor):
        yield value._data
    elif isinstance(value, _SavedOutput):
        yield value.array
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)


def resident_bytes(run) -> int:
    """Bytes of the arrays a run holds between steps: parameters, gradients, buffers, optimizer
    state and the one batch a step reads (the other pre-generated batches are cached data)."""
    seen: dict = {}
    batch = sum(_count(array, seen) for array in _arrays(run.batches[0]))
    return batch + live_bytes(run.model, getattr(run, "optimizer", None), seen)


def saved_bytes(loss, seen: dict) -> int:
    """Bytes of the unique arrays that the autograd graph behind ``loss`` saved for backward."""
    total, stack, visited = 0, [loss.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in visited:
            continue
        visited.add(id(node))
        for value in vars(node).values():
            for array in _arrays(value):
                total += _count(array, seen)
        for edge in node.next_functions or ():
            if edge is not None and isinstance(edge[0], Node):
                stack.append(edge[0])
    return total


def live_bytes(model, optimizer, seen: dict) -> int:
    """Bytes of the parameters, buffers, gradients and optimizer state not yet in ``seen``."""
    total = 0
    for parameter in model.parameters():
        total += _count(parameter._data, seen)
        if parameter.grad is not None:
            total += _count(parameter.grad._data, seen)
    for buffer in model.buffers():
        total += _count(buffer._data, seen)
    if optimizer is not None:
        for state in optimizer.state.values():
            for array in _arrays(state):
                total += _count(array, seen)
    return total


# -- FLOP counting ------------------------------------------------------------------------------
def forward_macs(model, forward: Callable[[], object]) -> int:
    """Multiply-adds of every ``Linear`` / ``Conv1d`` / ``Conv2d`` in one call of ``forward``.

    Each output element of such a layer costs ``weight[0].numel()`` multiply-adds (in_features,
    or in_channels / groups x kernel size), read from the shapes during one unrecorded forward.
    """
    macs = [0]

    def hook(module, args, output):
        macs[0] += output.numel() * (module.weight.numel() // module.weight.shape[0])

    handles = [
        module.register_forward_hook(hook)
        for module in model.modules()
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d))
    ]
    try:
        with gradwork.no_grad():
            forward()
    finally:
        for handle in handles:
            handle.remove()
    return macs[0]


# -- helpers shared by the builders -------------------------------------------------------------
def _mirror(class_name: str, model, *args):
    """The PyTorch mirror ``bench.torch_models.<class_name>(*args)`` loaded with ``model``'s
    weights (imported here, so that gradwork-only processes never load PyTorch)."""
    from bench import torch_models

    return torch_models.twin(getattr(torch_models, class_name)(*args), model)


def _seed() -> None:
    gradwork.manual_seed(SEED)


def _to(library: str, arrays):
    """Convert a tuple of NumPy arrays (one batch) into the library's tensors, sharing memory."""
    if library == "gradwork":
        return tuple(gradwork.from_numpy(array) for array in arrays)
    import torch

    return tuple(torch.from_numpy(array) for array in arrays)


def _optimizer(library: str, name: str, parameters, **options):
    if library == "gradwork":
        module = gradwork.optim
    else:
        import torch

        module = torch.optim
    return getattr(module, name)(parameters, **options)


def _functional(library: str):
    if library == "gradwork":
        return F
    import torch

    return torch.nn.functional


def _classifier_run(
    library, model, mirror, optimizer_name, options, data, forward_extra_macs=0
) -> TrainRun:
    """A classifier trained with cross-entropy on batches ``(x, y)``."""
    gradwork_batches = _to("gradwork", data[0])
    flops = 2 * 3 * (forward_macs(model, lambda: model(gradwork_batches[0])) + forward_extra_macs)
    if library == "torch":
        model = mirror()
    functional = _functional(library)
    batches = [_to(library, batch) for batch in data]
    optimizer = _optimizer(library, optimizer_name, model.parameters(), **options)

    def loss_fn(model, batch):
        return functional.cross_entropy(model(batch[0]), batch[1])

    return TrainRun(library, model, optimizer, batches, loss_fn, flops)


def _batches(x: np.ndarray, y: np.ndarray, batch_size: int) -> list:
    """``NUM_BATCHES`` consecutive batches (x float32, y int64), wrapping round the data."""
    rows = np.arange(NUM_BATCHES * batch_size) % len(x)
    return [
        (
            np.ascontiguousarray(x[chunk], dtype=np.float32),
            np.ascontiguousarray(y[chunk], dtype=np.int64),
        )
        for chunk in rows.reshape(NUM_BATCHES, batch_size)
    ]


@functools.cache
def _mnist1d(batch_size: int) -> list:
    from gradwork.datasets import make_mnist1d

    data = make_mnist1d(num_samples=max(4 * batch_size * NUM_BATCHES // 3, 100))
    return _batches(data["x"], data["y"], batch_size)


@functools.cache
def _fashion(batch_size: int, flat: bool) -> list:
    from gradwork.datasets import FashionMNIST

    dataset = FashionMNIST(train=False)
    count = NUM_BATCHES * batch_size
    images = (np.asarray(dataset.data[:count], np.float32) / 255.0 - 0.2860) / 0.3530
    images = images.reshape(count, -1) if flat else images.reshape(count, 1, 28, 28)
    return _batches(images, np.asarray(dataset.targets[:count]), batch_size)


# -- the workloads ------------------------------------------------------------------------------
def _mnist1d_run(name: str, optimizer_name: str, options: dict, library: str, tiny: bool):
    from gradwork.models.mnist1d import build_model

    _seed()
    model = build_model(name)
    data = _mnist1d(8 if tiny else 100)
    extra = 0
    if name == "gru":  # 40 steps x 2 directions x 3 gates x (input 1 + hidden 6) x hidden 6
        extra = data[0][0].shape[0] * 40 * 2 * 3 * (1 + 6) * 6
    return _classifier_run(
        library,
        model,
        lambda: _mirror("TorchMNIST1D", model, name),
        optimizer_name,
        options,
        data,
        extra,
    )


def build_mnist1d_mlp(library: str, tiny: bool = False):
    return _mnist1d_run("mlp", "Adam", {"lr": 1e-3}, library, tiny)


def build_mnist1d_cnn(library: str, tiny: bool = False):
    return _mnist1d_run("cnn", "Adam", {"lr": 1e-3}, library, tiny)


def build_mnist1d_gru(library: str, tiny: bool = False):
    return _mnist1d_run("gru", "Adam", {"lr": 1e-3}, library, tiny)


def build_mlp784(library: str, tiny: bool = False):
    from gradwork.models.mlp import MLP, MLPConfig

    _seed()
    sizes = (784, 256, 256, 10)
    model = MLP(MLPConfig(sizes=sizes))
    return _classifier_run(
        library,
        model,
        lambda: _mirror("TorchMLP", model, model.config),
        "SGD",
        {"lr": 0.01, "momentum": 0.9},
        _fashion(8 if tiny else 128, flat=True),
    )


def build_lenet(library: str, tiny: bool = False):
    from gradwork.models.cnn import LeNet, LeNetConfig

    _seed()
    config = LeNetConfig()
    return _fashion_cnn_run(library, LeNet(config), "TorchLeNet", config, tiny)


def build_resnet(library: str, tiny: bool = False):
    from gradwork.models.cnn import ResNet, ResNetConfig

    _seed()
    config = ResNetConfig(widths=(8, 16, 32), stem_stride=2)  # the Fashion-MNIST lab's
    return _fashion_cnn_run(library, ResNet(config), "TorchResNet", config, tiny)


def _fashion_cnn_run(library: str, model, mirror: str, config, tiny: bool):
    """An image classifier on Fashion-MNIST (batch 64, 4 when tiny), Adam at lr 1e-3."""
    return _classifier_run(
        library,
        model,
        lambda: _mirror(mirror, model, config),
        "Adam",
        {"lr": 1e-3},
        _fashion(4 if tiny else 64, flat=False),
    )


@functools.cache
def _shakespeare(batch_size: int, block_size: int) -> list:
    from gradwork.datasets import TinyShakespeare

    text = TinyShakespeare().text
    vocabulary = sorted(set(text))
    codes = np.frombuffer(text.encode("utf-8"), np.uint8)
    lookup = np.zeros(256, np.int64)
    lookup[[ord(c) for c in vocabulary]] = np.arange(len(vocabulary))
    tokens = lookup[codes] if len(codes) == len(text) else None
    if tokens is None:  # not plain ASCII: encode character by character
        index = {c: i for i, c in enumerate(vocabulary)}
        tokens = np.array([index[c] for c in text], np.int64)
    rng = np.random.default_rng(SEED)
    batches = []
    for _ in range(NUM_BATCHES):
        starts = rng.integers(0, len(tokens) - block_size - 1, batch_size)
        windows = np.stack([tokens[s : s + block_size + 1] for s in starts])  # (B, T + 1)
        batches.append((windows[:, :-1].copy(), windows[:, 1:].copy()))
    return batches


def build_gpt(library: str, tiny: bool = False):
    from gradwork.models.gpt import GPT, GPTConfig

    _seed()
    layers, width, block, batch = (1, 32, 16, 2) if tiny else (4, 128, 64, 32)
    config = GPTConfig(
        vocab_size=65, block_size=block, n_layer=layers, n_head=4, n_embd=width, bias=False
    )
    model = GPT(config)
    data = _shakespeare(batch, block)
    first = _to("gradwork", data[0])
    # q k^T and attention x v: 2 x B x T x T x C multiply-adds per layer (causal masking included)
    attention = layers * 2 * batch * block * block * width
    flops = 2 * 3 * (forward_macs(model, lambda: model(first[0])) + attention)
    if library == "torch":
        model = _mirror("TorchGPT", model, config)
    functional = _functional(library)
    options = {"lr": 1e-3, "betas": (0.9, 0.99), "weight_decay": 0.1}
    optimizer = _optimizer(library, "AdamW", model.parameters(), **options)

    def loss_fn(model, batch):
        if library == "gradwork":
            return model(batch[0], batch[1])[1]
        logits = model(batch[0])  # (B, T, vocab_size)
        return functional.cross_entropy(logits.reshape(-1, 65), batch[1].reshape(-1))

    batches = [_to(library, pair) for pair in data]
    return TrainRun(library, model, optimizer, batches, loss_fn, flops)


REFERENCE_SENTENCES = Path(__file__).resolve().parents[1] / "tests/reference/minilm_reference.json"


@functools.cache
def _minilm(count: int):
    """The MiniLM sentence encoder and ``count`` tokenized sentences (one batch, padded)."""
    from gradwork.labs.minilm import SENTENCES
    from gradwork.models.bert import load_minilm

    encoder = load_minilm()
    # Pairs of the lab's sentences, so that lengths (and padding) vary as in real batches.
    texts = [
        SENTENCES[i % len(SENTENCES)]
        + ("" if i % 3 == 0 else " " + SENTENCES[(5 * i + 1) % len(SENTENCES)])
        for i in range(count)
    ]
    batch = encoder.tokenizer(texts, encoder.max_seq_length)
    arrays = tuple(
        np.ascontiguousarray(np.asarray(a), dtype=np.int64)
        for a in (batch.input_ids, batch.attention_mask, batch.token_type_ids)
    )
    return encoder, arrays


def build_minilm(library: str, tiny: bool = False):
    encoder, arrays = _minilm(4 if tiny else 64)
    model, config = encoder.model, encoder.model.config
    batch, length = arrays[0].shape
    ids, mask, types = _to("gradwork", arrays)
    # q k^T and attention x v: 2 x B x T x T x hidden multiply-adds per layer
    attention = config.num_hidden_layers * 2 * batch * length * length * config.hidden_size
    flops = 2 * (forward_macs(model, lambda: model(ids, mask, types)) + attention)
    if library == "gradwork":
        from gradwork.models.bert import mean_pooling

        def forward_fn(model, batch):
            pooled = F.normalize(mean_pooling(model(*batch), batch[1]), dim=1)  # (B, hidden)
            return pooled.abs().mean().item()
    else:
        import torch

        from bench.torch_models import TorchBertEncoder

        model = TorchBertEncoder(model)

        def forward_fn(model, batch):
            hidden = model(*batch)  # (B, T, hidden)
            weights = batch[1].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1).abs().mean().item()

    return InferenceRun(library, model, [_to(library, arrays)], forward_fn, flops)


@functools.cache
def _wordnet(num_features: int):
    from gradwork.datasets.wordnet import load_wordnet_nouns

    return load_wordnet_nouns(num_features=num_features)


def _graph_arrays(tiny: bool):
    """Features, edges, training rows, their labels and the class count; ``tiny``: the first
    2000 nodes and the edges among them, 32 features (fresh arrays, not cached)."""
    graph = _wordnet(32 if tiny else 512)
    x, edge_index = graph.x.numpy(), graph.edge_index.numpy().astype(np.int64)
    train = np.flatnonzero(graph.train_mask.numpy()).astype(np.int64)
    labels = graph.y.numpy().astype(np.int64)
    if tiny:
        nodes = 2000
        x = x[:nodes].copy()
        edge_index = edge_index[:, (edge_index < nodes).all(axis=0)].copy()
        train = np.arange(0, nodes, 10, dtype=np.int64)
    return x, edge_index, train, labels[train].copy(), graph.num_classes


def build_gcn(library: str, tiny: bool = False):
    from gradwork.models.gnn import GCN, GNNConfig

    x, edge_index, train, labels, classes = _graph_arrays(tiny)
    hidden = 32  # the lab's
    _seed()
    # no dropout: it would draw different masks in the two libraries
    config = GNNConfig(x.shape[1], classes, hidden_features=hidden, dropout=0.0)
    model = GCN(config)
    arrays = (x, edge_index, train, labels)
    first = _to("gradwork", arrays)
    # each message (one per edge, self loops included) is a multiply-add per feature
    messages = (edge_index.shape[1] + x.shape[0]) * (hidden + classes)
    flops = 2 * 3 * (forward_macs(model, lambda: model(first[0], first[1])) + messages)
    if library == "torch":
        model = _mirror("TorchGCN", model, x.shape[1], hidden, classes)
    functional = _functional(library)
    optimizer = _optimizer(library, "Adam", model.parameters(), lr=0.01, weight_decay=5e-4)

    def loss_fn(model, batch):
        features, edges, rows, targets = batch
        return functional.cross_entropy(model(features, edges).index_select(0, rows), targets)

    return TrainRun(library, model, optimizer, [_to(library, arrays)], loss_fn, flops)


def _library(name: str):
    if name == "gradwork":
        return gradwork
    import torch

    return torch


# -- the registry -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    """One benchmark: a model, its data and optimizer, buildable in either library."""

    name: str  # short identifier, for --only and the worker processes
    title: str  # the row label in BENCHMARKS.md
    category: str  # overhead, gemm, conv, inference or graph
    builder: Callable  # (library, tiny) -> TrainRun | InferenceRun
    # gradwork's own threads (gradwork.set_num_threads) at more than one thread, instead of
    # BLAS's: they pay where products and activations are large (see gradwork/_threads.py)
    own_threads: bool = False

    def build(self, library: str, threads: int | None = None, tiny: bool = False):
        """A fresh run in ``library`` ("gradwork" or "torch"), at ``threads`` threads if given."""
        if library not in LIBRARIES:
            raise ValueError(f"Workload.build: library must be one of {LIBRARIES}, got {library!r}")
        if threads is not None:
            set_threads(threads, library, self.own_threads)
        return self.builder(library, tiny)


def set_threads(threads: int, library: str = "gradwork", own_threads: bool = False) -> None:
    """Limit BLAS (through threadpoolctl) and, for PyTorch, its intra-op pool to ``threads``;
    with ``own_threads``, gradwork splits its work over ``threads`` threads itself."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    if library == "torch":
        import torch

        torch.set_num_threads(threads)
    elif own_threads:
        gradwork.set_num_threads(threads)


WORKLOADS = [
    Workload(
        "mnist1d_mlp", "MNIST-1D MLP 40-100-100-10, b100, Adam", "overhead", build_mnist1d_mlp
    ),
    Workload("mlp784", "MLP 784-256-256-10, b128, SGD momentum", "gemm", build_mlp784),
    Workload("mnist1d_cnn", "MNIST-1D 1D CNN, b100, Adam", "conv", build_mnist1d_cnn),
    Workload("lenet", "LeNet-5 28x28, b64, Adam", "conv", build_lenet),
    Workload("mnist1d_gru", "MNIST-1D bi-GRU h6, b100, Adam", "overhead", build_mnist1d_gru),
    Workload("gpt", "char GPT 4L 4H d128 T64, b32, AdamW", "gemm", build_gpt, own_threads=True),
    Workload("resnet", "ResNet 8-16-32 28x28, b64, Adam", "conv", build_resnet),
    Workload(
        "minilm", "MiniLM-L6 inference, 64 sentences", "inference", build_minilm, own_threads=True
    ),
    Workload("gcn", "GCN on WordNet nouns (82k nodes), Adam", "graph", build_gcn),
]


def by_name(name: str) -> Workload:
    """The workload called ``name``."""
    for workload in WORKLOADS:
        if workload.name == name:
            return workload
    raise KeyError(f"unknown workload {name!r}; expected one of {[w.name for w in WORKLOADS]}")
