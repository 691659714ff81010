"""Graphs for node classification: the :class:`Graph` container, a Cora-style split, and Zachary's
karate club (from networkx, an optional dependency).

A graph is stored as PyTorch Geometric stores it: node features ``x`` ``(N, F)``, a sparse edge
list ``edge_index`` ``(2, E)`` of ``(source, target)`` columns (an undirected graph lists both
directions), node labels ``y`` ``(N,)`` and boolean masks that split the nodes. No dense ``N x N``
adjacency is ever built.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import gradwork
from gradwork.tensor import Tensor

__all__ = ["Graph", "karate_club", "planetoid_split", "undirected_edge_index"]


@dataclass
class Graph:
    """One graph with node features, labels and a train/validation/test split of its nodes.

    Attributes:
        x: float32 node features ``(N, F)``.
        edge_index: int64 ``(2, E)``: column ``k`` is an edge from ``edge_index[0, k]`` to
            ``edge_index[1, k]``; undirected graphs hold both directions, no self loops.
        y: int64 node labels ``(N,)`` in ``[0, num_classes)``.
        train_mask, val_mask, test_mask: bool ``(N,)``, pairwise disjoint.
        classes: the class names, ``classes[label]``.
        node_names: a name per node (may be empty).
    """

    x: Tensor
    edge_index: Tensor
    y: Tensor
    train_mask: Tensor
    val_mask: Tensor
    test_mask: Tensor
    classes: list[str]
    node_names: list[str] = field(default_factory=list)

    @property
    def num_nodes(self) -> int:
        return int(self.y.shape[0])

    @property
    def num_edges(self) -> int:
        """Directed edges: twice the number of undirected ones."""
        return int(self.edge_index.shape[1])

    @property
    def num_features(self) -> int:
        return int(self.x.shape[1])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def __repr__(self) -> str:
        return (
            f"Graph(num_nodes={self.num_nodes}, num_edges={self.num_edges}, "
            f"num_features={self.num_features}, num_classes={self.num_classes}, "
            f"train={int(self.train_mask.sum().item())}, val={int(self.val_mask.sum().item())}, "
            f"test={int(self.test_mask.sum().item())})"
        )


def undirected_edge_index(source: np.ndarray, target: np.ndarray, num_nodes: int) -> np.ndarray:
    """Both directions of every edge, without self loops or duplicates, sorted by target.

    Args:
        source, target: int arrays ``(E,)`` of node ids in ``[0, num_nodes)``; the direction of
            each pair is ignored.
        num_nodes: the number of nodes.

    Returns:
        int64 ``(2, E')``, sorted by target then source.

    Example:
        >>> undirected_edge_index(np.array([0, 1, 2, 2]), np.array([1, 0, 2, 0]), 3)
        array([[1, 2, 0, 0],
               [0, 0, 1, 2]])
    """
    source = np.asarray(source, dtype=np.int64)
    target = np.asarray(target, dtype=np.int64)
    keep = source != target
    source, target = source[keep], target[keep]
    pairs = np.unique(
        np.concatenate([target * num_nodes + source, source * num_nodes + target])
    )  # target-major keys: sorting them sorts by target, then source
    return np.stack([pairs % num_nodes, pairs // num_nodes])


def planetoid_split(
    labels: np.ndarray,
    num_classes: int,
    per_class: int = 20,
    num_val: int = 500,
    num_test: int = 1000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The split of Cora, CiteSeer and PubMed (Yang et al. 2016; Kipf & Welling 2017), at random.

    ``per_class`` training nodes drawn from each class, then ``num_val`` validation and
    ``num_test`` test nodes drawn from the remaining nodes, all with one seeded generator.

    Returns:
        three bool masks ``(N,)``, pairwise disjoint: train, validation, test.

    Example:
        >>> labels = np.arange(100) % 4
        >>> train, val, test = planetoid_split(labels, 4, 5, 20, 30, seed=0)
        >>> int(train.sum()), int(val.sum()), int(test.sum()), int((train & (val | test)).sum())
        (20, 20, 30, 0)
        >>> np.bincount(labels[train]).tolist()
        [5, 5, 5, 5]
    """
    labels = np.asarray(labels)
    generator = np.random.default_rng(seed)
    num_nodes = labels.shape[0]
    counts = np.bincount(labels, minlength=num_classes)
    if (counts < per_class).any():
        raise ValueError(
            f"planetoid_split: every class needs {per_class} nodes, but class "
            f"{int(np.argmin(counts))} has {int(counts.min())}"
        )
    train = np.zeros(num_nodes, dtype=bool)
    for label in range(num_classes):
        members = np.flatnonzero(labels == label)
        train[generator.choice(members, per_class, replace=False)] = True
    rest = generator.permutation(np.flatnonzero(~train))
    if rest.size < num_val + num_test:
        raise ValueError(
            f"planetoid_split: {rest.size} nodes are left after training, fewer than "
            f"num_val + num_test = {num_val + num_test}"
        )
    val = np.zeros(num_nodes, dtype=bool)
    test = np.zeros(num_nodes, dtype=bool)
    val[rest[:num_val]] = True
    test[rest[num_val : num_val + num_test]] = True
    return train, val, test


def karate_club() -> Graph:
    """Zachary's karate club (1977): 34 members, 78 friendships, split into two clubs.

    From ``networkx.karate_club_graph()``; the label is the club each member joined after the
    split ("Mr. Hi" 0, "Officer" 1). As in Kipf & Welling's demo, the features are the identity
    (one-hot node ids) and only the two leaders are labelled for training (nodes 0 and 33); the
    other 32 nodes are the test set (no validation set).

    Raises:
        ImportError: networkx is missing (the message names the install command).

    Example:
        >>> graph = karate_club()
        >>> graph.num_nodes, graph.num_edges, graph.num_classes
        (34, 156, 2)
    """
    try:
        import networkx
    except ImportError as error:
        raise ImportError(
            "karate_club: Zachary's karate club comes from networkx, which is not installed: "
            "pip install networkx (or pip install -e '.[test]')"
        ) from error
    nx_graph = networkx.karate_club_graph()
    num_nodes = nx_graph.number_of_nodes()
    edges = np.array(sorted(nx_graph.edges()), dtype=np.int64).reshape(-1, 2)
    classes = ["Mr. Hi", "Officer"]
    labels = np.array([classes.index(nx_graph.nodes[node]["club"]) for node in range(num_nodes)])
    train = np.zeros(num_nodes, dtype=bool)
    train[[0, num_nodes - 1]] = True
    return Graph(
        x=gradwork.eye(num_nodes),
        edge_index=gradwork.from_numpy(undirected_edge_index(edges[:, 0], edges[:, 1], num_nodes)),
        y=gradwork.from_numpy(labels.astype(np.int64)),
        train_mask=gradwork.from_numpy(train),
        val_mask=gradwork.from_numpy(np.zeros(num_nodes, dtype=bool)),
        test_mask=gradwork.from_numpy(~train),
        classes=classes,
        node_names=[str(node) for node in range(num_nodes)],
    )
