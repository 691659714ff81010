"""Graph neural networks by message passing on a sparse edge list: GCN, GraphSAGE, GAT and GIN.

A graph is an edge list ``edge_index`` ``(2, E)`` of ``(source j, target i)`` columns, as in
PyTorch Geometric; no dense ``N x N`` adjacency is ever built. Every layer is the same three
steps, written with the differentiable indexing primitives:

1. gather: ``index_select(h, 0, source)`` takes each edge's source features ``(E, F)``;
2. weight: scale each message (a normalisation constant or an attention coefficient);
3. scatter: ``index_add(zeros(N, F), 0, target, messages)`` sums the messages into their targets.

The backward of each step is the other one (``index_add``'s adjoint is ``index_select``), so
gradients flow through the same sparse structure. The layers keep PyTorch Geometric's parameter
names (``lin.weight``, ``bias``, ``att_src``, ``att_dst``, ``lin_l``, ``lin_r``, ``eps``).

The node classifiers have two layers, as in the papers' citation-network experiments:

- GCN: Kipf & Welling, "Semi-supervised classification with graph convolutional networks" (2017).
- GraphSAGE: Hamilton, Ying & Leskovec, "Inductive representation learning on large graphs" (2017).
- GAT: Velickovic et al., "Graph attention networks" (2018).
- GIN: Xu et al., "How powerful are graph neural networks?" (2019).

Example:
    >>> import gradwork
    >>> from gradwork.models.gnn import GNNConfig, build_model
    >>> edge_index = gradwork.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])  # a path 0 - 1 - 2
    >>> model = build_model("gcn", GNNConfig(in_features=4, hidden_features=8, num_classes=3))
    >>> model(gradwork.randn(3, 4), edge_index).shape
    (3, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import gradwork
import gradwork.nn.functional as F
from gradwork import nn
from gradwork.nn import init
from gradwork.tensor import Tensor

__all__ = [
    "GAT",
    "GATConv",
    "GCN",
    "GCNConv",
    "GIN",
    "GINConv",
    "GNNConfig",
    "GraphSAGE",
    "MLP",
    "MODELS",
    "SAGEConv",
    "add_self_loops",
    "build_model",
    "edge_softmax",
    "gcn_norm",
]


@dataclass
class GNNConfig:
    in_features: int = 512  # node feature size
    num_classes: int = 26  # output logits per node
    hidden_features: int = 64  # width of the hidden layer (GAT: summed over heads)
    heads: int = 8  # GAT: attention heads of the hidden layer (the output layer has one)
    dropout: float = 0.5  # dropout on each layer's input features (GAT: on attention too)
    negative_slope: float = 0.2  # GAT: the LeakyReLU slope of the attention logits
    train_eps: bool = False  # GIN: learn eps in (1 + eps) x_i, else eps stays 0


# -- edge-list helpers --------------------------------------------------------------------------
def _edges(edge_index: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) int64 arrays of an edge list ``(2, E)``, checked once here."""
    edges = np.asarray(edge_index.numpy() if isinstance(edge_index, Tensor) else edge_index)
    if edges.ndim != 2 or edges.shape[0] != 2 or edges.dtype.kind not in "iu":
        raise ValueError(
            f"gnn: edge_index must be an integer tensor of shape (2, E), got shape "
            f"{tuple(edges.shape)} and dtype {edges.dtype}"
        )
    return edges[0].astype(np.int64), edges[1].astype(np.int64)


def add_self_loops(edge_index: Tensor, num_nodes: int) -> Tensor:
    """The edge list with any self loops replaced by exactly one loop ``i -> i`` per node.

    Example:
        >>> add_self_loops(gradwork.tensor([[0, 1, 1], [1, 0, 1]]), 2)
        tensor([[0, 1, 0, 1],
                [1, 0, 0, 1]])
    """
    source, target = _edges(edge_index)
    keep = source != target
    loops = np.arange(num_nodes, dtype=np.int64)
    return gradwork.from_numpy(
        np.stack([np.concatenate([source[keep], loops]), np.concatenate([target[keep], loops])])
    )


def gcn_norm(edge_index: Tensor, num_nodes: int, dtype=gradwork.float32) -> tuple:
    """Kipf & Welling's symmetric normalisation ``D^-1/2 (A + I) D^-1/2`` as edge weights.

    With self loops added, ``deg_i`` counts the edges into ``i`` (its own loop included) and edge
    ``j -> i`` gets the weight ``1 / sqrt(deg_j deg_i)``.

    Returns:
        ``(source, target, weight)``: int64 tensors ``(E',)`` and a ``dtype`` tensor ``(E',)``,
        where ``E' = E + num_nodes`` minus any self loops of ``edge_index``.

    Example:
        >>> source, target, weight = gcn_norm(gradwork.tensor([[0, 1], [1, 0]]), 2)
        >>> weight
        tensor([0.5, 0.5, 0.5, 0.5])
    """
    source, target = _edges(add_self_loops(edge_index, num_nodes))
    inverse_sqrt = 1.0 / np.sqrt(np.bincount(target, minlength=num_nodes))  # deg >= 1: loops
    weight = inverse_sqrt[source] * inverse_sqrt[target]
    return (
        gradwork.from_numpy(source),
        gradwork.from_numpy(target),
        gradwork.tensor(weight, dtype=dtype),
    )


def edge_softmax(logits: Tensor, index: Tensor, num_nodes: int) -> Tensor:
    """Softmax over the edges that share a target: ``a_k = exp(z_k) / sum_{l: i_l = i_k} exp(z_l)``.

    Fused with a stability shift: each group's maximum logit is subtracted first (a constant per
    group, so neither value nor gradient changes), else ``exp`` overflows for logits above ~88
    in float32. The maximum comes from NumPy's ``maximum.at`` on the detached logits.

    Args:
        logits: ``(E, *)`` scores, one row per edge.
        index: int64 ``(E,)``: each edge's group (its target node).
        num_nodes: the number of groups.

    Returns:
        ``(E, *)`` coefficients that sum to 1 over each group.

    Example:
        >>> edge_softmax(gradwork.tensor([0.0, 0.0, 1000.0]), gradwork.tensor([0, 0, 1]), 2)
        tensor([0.5, 0.5, 1. ])
    """
    positions = index.numpy().astype(np.int64)
    values = logits.detach().numpy()
    maxima = np.full((num_nodes,) + values.shape[1:], -np.inf, dtype=values.dtype)
    np.maximum.at(maxima, positions, values)
    exps = (logits - gradwork.from_numpy(maxima[positions])).exp()
    zeros = gradwork.zeros((num_nodes,) + tuple(logits.shape[1:]), dtype=logits.dtype)
    sums = gradwork.index_add(zeros, 0, index, exps)
    return exps / gradwork.index_select(sums, 0, index)


def _aggregate(messages: Tensor, target: Tensor, num_nodes: int) -> Tensor:
    """``out_i = sum of messages[k] with target[k] == i``: ``(E, *)`` -> ``(num_nodes, *)``."""
    zeros = gradwork.zeros((num_nodes,) + tuple(messages.shape[1:]), dtype=messages.dtype)
    return gradwork.index_add(zeros, 0, target, messages)


# -- convolutions -------------------------------------------------------------------------------
class GCNConv(nn.Module):
    """Graph convolution: ``x'_i = sum_{j in N(i) + i} x_j W^T / sqrt(deg_j deg_i) + b``.

    That is ``X' = D^-1/2 (A + I) D^-1/2 X W^T + b`` (Kipf & Welling 2017) with ``deg`` counted
    after adding self loops, computed edge by edge. Initialised as PyTorch Geometric's: Glorot
    weights, zero bias.

    Args:
        in_channels, out_channels: feature sizes.
        bias: learn an additive bias.

    Shape: ``x (N, in_channels)``, ``edge_index (2, E)`` -> ``(N, out_channels)``.

    Example:
        >>> conv = GCNConv(4, 2)
        >>> conv(gradwork.randn(3, 4), gradwork.tensor([[0, 1], [1, 2]])).shape
        (3, 2)
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        init.xavier_uniform_(self.lin.weight)
        self.bias = nn.Parameter(gradwork.zeros(out_channels)) if bias else None

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        num_nodes = x.shape[0]
        source, target, weight = gcn_norm(edge_index, num_nodes, x.dtype)
        h = self.lin(x)  # transform first: out_channels is usually the smaller width
        messages = gradwork.index_select(h, 0, source) * weight.unsqueeze(-1)  # (E', out)
        out = _aggregate(messages, target, num_nodes)
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}"


class SAGEConv(nn.Module):
    """GraphSAGE with mean aggregation: ``x'_i = W_l mean_{j in N(i)} x_j + b + W_r x_i``.

    Hamilton, Ying & Leskovec (2017), in PyTorch Geometric's form (``lin_l`` with bias for the
    neighbours, ``lin_r`` without for the root). A node without in-edges aggregates zeros.

    Args:
        in_channels, out_channels: feature sizes.
        bias: learn an additive bias (in ``lin_l``).

    Shape: ``x (N, in_channels)``, ``edge_index (2, E)`` -> ``(N, out_channels)``.

    Example:
        >>> conv = SAGEConv(4, 2)
        >>> conv(gradwork.randn(3, 4), gradwork.tensor([[0, 1], [1, 2]])).shape
        (3, 2)
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.lin_l = nn.Linear(in_channels, out_channels, bias=bias)
        self.lin_r = nn.Linear(in_channels, out_channels, bias=False)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        num_nodes = x.shape[0]
        source, target = _edges(edge_index)
        inverse_degree = 1.0 / np.maximum(np.bincount(target, minlength=num_nodes), 1)
        source, target = gradwork.from_numpy(source), gradwork.from_numpy(target)
        summed = _aggregate(gradwork.index_select(x, 0, source), target, num_nodes)
        mean = summed * gradwork.tensor(inverse_degree, dtype=x.dtype).unsqueeze(-1)
        return self.lin_l(mean) + self.lin_r(x)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, aggr='mean'"


class GATConv(nn.Module):
    """Graph attention: ``x'_i = sum_{j in N(i) + i} a_ij W x_j``, one set of ``a`` per head.

    ``a_ij = softmax_j(LeakyReLU(att_src . W x_j + att_dst . W x_i))`` over the in-edges of ``i``
    (self loop included), computed by :func:`edge_softmax` (Velickovic et al. 2018). The heads'
    outputs are concatenated ``(N, heads * out_channels)`` or averaged ``(N, out_channels)``.
    Dropout on the coefficients, in training mode, as in the paper.

    Args:
        in_channels: input feature size.
        out_channels: feature size per head.
        heads: attention heads.
        concat: concatenate the heads, else average them.
        negative_slope: the LeakyReLU slope of the attention logits.
        dropout: probability of dropping each attention coefficient while training.
        bias: learn an additive bias.

    Shape: ``x (N, in_channels)``, ``edge_index (2, E)`` -> ``(N, heads * out_channels)`` if
    ``concat`` else ``(N, out_channels)``.

    Example:
        >>> conv = GATConv(4, 2, heads=3)
        >>> conv(gradwork.randn(5, 4), gradwork.tensor([[0, 1], [1, 2]])).shape
        (5, 6)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        heads: int = 1,
        concat: bool = True,
        negative_slope: float = 0.2,
        dropout: float = 0.0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.concat, self.negative_slope, self.dropout = concat, negative_slope, dropout
        self.lin = nn.Linear(in_channels, heads * out_channels, bias=False)
        self.att_src = nn.Parameter(gradwork.empty(1, heads, out_channels))
        self.att_dst = nn.Parameter(gradwork.empty(1, heads, out_channels))
        for weight in (self.lin.weight, self.att_src, self.att_dst):
            init.xavier_uniform_(weight)
        width = heads * out_channels if concat else out_channels
        self.bias = nn.Parameter(gradwork.zeros(width)) if bias else None

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        num_nodes = x.shape[0]
        source, target = _edges(add_self_loops(edge_index, num_nodes))
        source, target = gradwork.from_numpy(source), gradwork.from_numpy(target)
        h = self.lin(x).reshape(num_nodes, self.heads, self.out_channels)  # (N, H, C)
        score_src = (h * self.att_src).sum(dim=-1)  # (N, H)
        score_dst = (h * self.att_dst).sum(dim=-1)  # (N, H)
        logits = F.leaky_relu(
            gradwork.index_select(score_src, 0, source)
            + gradwork.index_select(score_dst, 0, target),
            self.negative_slope,
        )  # (E', H)
        alpha = edge_softmax(logits, target, num_nodes)
        alpha = F.dropout(alpha, self.dropout, self.training)
        messages = gradwork.index_select(h, 0, source) * alpha.unsqueeze(-1)  # (E', H, C)
        out = _aggregate(messages, target, num_nodes)  # (N, H, C)
        if self.concat:
            out = out.reshape(num_nodes, self.heads * self.out_channels)  # (N, H * C)
        else:
            out = out.mean(dim=1)  # (N, C)
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, heads={self.heads}, concat={self.concat}"


class GINConv(nn.Module):
    """Graph isomorphism layer: ``x'_i = MLP((1 + eps) x_i + sum_{j in N(i)} x_j)``.

    Xu et al. (2019): a sum aggregator followed by an MLP is as powerful as the 1-WL test.

    Args:
        nn: the MLP applied after aggregation (``(N, F_in)`` -> ``(N, F_out)``).
        eps: the initial ``eps``.
        train_eps: learn ``eps`` (a parameter), else keep it a constant.

    Shape: ``x (N, F_in)``, ``edge_index (2, E)`` -> ``(N, F_out)``.

    Example:
        >>> from gradwork import nn
        >>> conv = GINConv(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
        >>> conv(gradwork.randn(3, 4), gradwork.tensor([[0, 1], [1, 2]])).shape
        (3, 2)
    """

    def __init__(self, nn: nn.Module, eps: float = 0.0, train_eps: bool = False) -> None:
        super().__init__()
        self.nn = nn
        self.initial_eps = eps
        if train_eps:
            self.eps = gradwork.nn.Parameter(gradwork.tensor([eps]))
        else:
            self.register_buffer("eps", gradwork.tensor([eps]))

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        source, target = _edges(edge_index)
        source, target = gradwork.from_numpy(source), gradwork.from_numpy(target)
        summed = _aggregate(gradwork.index_select(x, 0, source), target, x.shape[0])
        return self.nn((1 + self.eps.to(x.dtype)) * x + summed)


# -- node classifiers ---------------------------------------------------------------------------
class MLP(nn.Module):
    """The features-only baseline: two layers that ignore the edges.

    ``dropout -> Linear -> ReLU -> dropout -> Linear``; ``edge_index`` is accepted and unused,
    so it trains with the same loop as the graph models.

    Shape: ``x (N, in_features)`` -> ``(N, num_classes)``.
    """

    def __init__(self, config: GNNConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or GNNConfig()
        self.lin1 = nn.Linear(config.in_features, config.hidden_features)
        self.lin2 = nn.Linear(config.hidden_features, config.num_classes)

    def forward(self, x: Tensor, edge_index: Tensor | None = None) -> Tensor:
        p = self.config.dropout
        h = self.lin1(F.dropout(x, p, self.training)).relu()
        return self.lin2(F.dropout(h, p, self.training))


class GCN(nn.Module):
    """Kipf & Welling's two-layer GCN: ``dropout -> GCNConv -> ReLU -> dropout -> GCNConv``.

    Shape: ``x (N, in_features)``, ``edge_index (2, E)`` -> ``(N, num_classes)``.
    """

    def __init__(self, config: GNNConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or GNNConfig()
        self.conv1 = GCNConv(config.in_features, config.hidden_features)
        self.conv2 = GCNConv(config.hidden_features, config.num_classes)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        p = self.config.dropout
        h = self.conv1(F.dropout(x, p, self.training), edge_index).relu()
        return self.conv2(F.dropout(h, p, self.training), edge_index)


class GraphSAGE(nn.Module):
    """Two mean-aggregating SAGE layers: ``dropout -> SAGEConv -> ReLU -> dropout -> SAGEConv``.

    Shape: ``x (N, in_features)``, ``edge_index (2, E)`` -> ``(N, num_classes)``.
    """

    def __init__(self, config: GNNConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or GNNConfig()
        self.conv1 = SAGEConv(config.in_features, config.hidden_features)
        self.conv2 = SAGEConv(config.hidden_features, config.num_classes)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        p = self.config.dropout
        h = self.conv1(F.dropout(x, p, self.training), edge_index).relu()
        return self.conv2(F.dropout(h, p, self.training), edge_index)


class GAT(nn.Module):
    """Velickovic et al.'s two-layer GAT for citation graphs.

    ``dropout -> GATConv(heads, concat) -> ELU -> dropout -> GATConv(1 head)``; each head of the
    hidden layer has ``hidden_features // heads`` features (64 over 8 heads: the paper's 8 x 8),
    and attention coefficients are dropped with the same probability as features.

    Shape: ``x (N, in_features)``, ``edge_index (2, E)`` -> ``(N, num_classes)``.
    """

    def __init__(self, config: GNNConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or GNNConfig()
        if config.hidden_features % config.heads:
            raise ValueError(
                f"GAT: hidden_features ({config.hidden_features}) must be divisible by heads "
                f"({config.heads})"
            )
        per_head = config.hidden_features // config.heads
        slope, p = config.negative_slope, config.dropout
        self.conv1 = GATConv(config.in_features, per_head, config.heads, True, slope, p)
        self.conv2 = GATConv(config.hidden_features, config.num_classes, 1, False, slope, p)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        p = self.config.dropout
        h = F.elu(self.conv1(F.dropout(x, p, self.training), edge_index))
        return self.conv2(F.dropout(h, p, self.training), edge_index)


class GIN(nn.Module):
    """Two GIN layers, each with a two-layer MLP: ``GINConv -> ReLU -> dropout -> GINConv``.

    Sum aggregation grows with the degree, so the first MLP sees unnormalised sums; that is
    GIN's design (it distinguishes multisets), and a weaker fit for high-degree hubs.

    Shape: ``x (N, in_features)``, ``edge_index (2, E)`` -> ``(N, num_classes)``.
    """

    def __init__(self, config: GNNConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or GNNConfig()
        hidden = config.hidden_features
        self.conv1 = GINConv(
            nn.Sequential(
                nn.Linear(config.in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden)
            ),
            train_eps=config.train_eps,
        )
        self.conv2 = GINConv(
            nn.Sequential(
                nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, config.num_classes)
            ),
            train_eps=config.train_eps,
        )

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        p = self.config.dropout
        h = self.conv1(F.dropout(x, p, self.training), edge_index).relu()
        return self.conv2(F.dropout(h, p, self.training), edge_index)


MODELS = {"mlp": MLP, "gcn": GCN, "sage": GraphSAGE, "gat": GAT, "gin": GIN}


def build_model(name: str, config: GNNConfig | None = None) -> nn.Module:
    """The node classifier ``name`` (a key of :data:`MODELS`) built from ``config``.

    Example:
        >>> build_model("gat", GNNConfig(in_features=16, num_classes=4)).conv1.heads
        8
    """
    if name not in MODELS:
        raise KeyError(f"build_model: unknown model {name!r}; the models are: {list(MODELS)}")
    return MODELS[name](config)
