"""gradwork.models.gnn: each convolution against a dense-adjacency PyTorch reference (values and
gradients), the edge softmax, training steps and state dict round trips."""

import numpy as np
import pytest
import torch

import gradwork
import gradwork.nn.functional as F
from gradwork import nn
from gradwork.datasets.graphs import karate_club, undirected_edge_index
from gradwork.models.gnn import (
    MODELS,
    GATConv,
    GCNConv,
    GINConv,
    GNNConfig,
    SAGEConv,
    build_model,
    edge_softmax,
    gcn_norm,
)


def random_graph(num_nodes=9, num_edges=20, seed=0):
    """A random undirected graph with one isolated node (the last) and its dense adjacency."""
    generator = np.random.default_rng(seed)
    pairs = generator.integers(0, num_nodes - 1, size=(2, num_edges))
    edge_index = undirected_edge_index(pairs[0], pairs[1], num_nodes)
    adjacency = np.zeros((num_nodes, num_nodes))
    adjacency[edge_index[1], edge_index[0]] = 1.0  # row i: the in-neighbours of i
    return gradwork.from_numpy(edge_index), adjacency


def karate():
    graph = karate_club()
    adjacency = np.zeros((graph.num_nodes, graph.num_nodes))
    edges = graph.edge_index.numpy()
    adjacency[edges[1], edges[0]] = 1.0
    return graph.edge_index, adjacency


GRAPHS = {"random": random_graph, "karate": karate}


def to_torch(tensor):
    return torch.tensor(tensor.detach().numpy(), dtype=torch.float64, requires_grad=True)


def dense_gcn(x, adjacency, weight, bias):
    a_hat = torch.tensor(adjacency) + torch.eye(adjacency.shape[0], dtype=torch.float64)
    inverse_sqrt = a_hat.sum(1).rsqrt()
    return (inverse_sqrt[:, None] * a_hat * inverse_sqrt[None, :]) @ x @ weight.T + bias


def dense_sage(x, adjacency, weight_l, bias_l, weight_r):
    a = torch.tensor(adjacency)
    mean = a @ x / a.sum(1, keepdim=True).clamp(min=1)
    return mean @ weight_l.T + bias_l + x @ weight_r.T


def dense_gat(x, adjacency, weight, att_src, att_dst, bias, heads, concat, slope):
    n = x.shape[0]
    mask = torch.tensor(adjacency + np.eye(n)) > 0  # self loops, as GATConv adds
    h = (x @ weight.T).reshape(n, heads, -1)  # (N, H, C)
    score_src = (h * att_src).sum(-1)  # (N, H)
    score_dst = (h * att_dst).sum(-1)
    logits = torch.nn.functional.leaky_relu(score_dst[:, None, :] + score_src[None, :, :], slope)
    logits = logits.masked_fill(~mask[:, :, None], float("-inf"))  # (N_target, N_source, H)
    alpha = logits.softmax(dim=1)
    out = torch.einsum("ijh,jhc->ihc", alpha, h)
    return (out.reshape(n, -1) if concat else out.mean(1)) + bias


def dense_gin(x, adjacency, eps, mlp):
    return mlp((1 + eps) * x + torch.tensor(adjacency) @ x)


def check_parity(conv, reference, edge_index, num_nodes, in_channels, tolerance=1e-9):
    """Forward and gradients (input and every parameter) of conv equal the dense reference."""
    conv = conv.double()
    x = gradwork.randn(num_nodes, in_channels, dtype=gradwork.float64, requires_grad=True)
    out = conv(x, edge_index)
    upstream = np.random.default_rng(1).standard_normal(tuple(out.shape))
    (out * gradwork.from_numpy(upstream)).sum().backward()
    parameters = dict(conv.named_parameters())
    torch_parameters = {name: to_torch(value) for name, value in parameters.items()}
    x_torch = to_torch(x)
    expected = reference(x_torch, torch_parameters)
    (expected * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=tolerance)
    np.testing.assert_allclose(x.grad.numpy(), x_torch.grad.numpy(), atol=tolerance)
    for name, value in parameters.items():
        np.testing.assert_allclose(
            value.grad.numpy(), torch_parameters[name].grad.numpy(), atol=tolerance, err_msg=name
        )


@pytest.mark.parametrize("graph", GRAPHS)
def test_gcn_conv_matches_the_dense_normalised_adjacency(graph):
    edge_index, adjacency = GRAPHS[graph]()
    conv = GCNConv(5, 3)
    with gradwork.no_grad():
        conv.bias.copy_(gradwork.randn(3))

    def reference(x, p):
        return dense_gcn(x, adjacency, p["lin.weight"], p["bias"])

    check_parity(conv, reference, edge_index, adjacency.shape[0], 5)


@pytest.mark.parametrize("graph", GRAPHS)
def test_sage_conv_matches_the_dense_mean(graph):
    edge_index, adjacency = GRAPHS[graph]()

    def reference(x, p):
        return dense_sage(x, adjacency, p["lin_l.weight"], p["lin_l.bias"], p["lin_r.weight"])

    check_parity(SAGEConv(5, 3), reference, edge_index, adjacency.shape[0], 5)


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("concat", [True, False])
def test_gat_conv_matches_dense_masked_attention(graph, concat):
    edge_index, adjacency = GRAPHS[graph]()
    heads = 3
    conv = GATConv(5, 4, heads=heads, concat=concat, negative_slope=0.2)
    with gradwork.no_grad():
        conv.bias.copy_(gradwork.randn(*conv.bias.shape))

    def reference(x, p):
        return dense_gat(
            x,
            adjacency,
            p["lin.weight"],
            p["att_src"],
            p["att_dst"],
            p["bias"],
            heads,
            concat,
            0.2,
        )

    check_parity(conv, reference, edge_index, adjacency.shape[0], 5)


@pytest.mark.parametrize("graph", GRAPHS)
def test_gin_conv_matches_the_dense_sum(graph):
    edge_index, adjacency = GRAPHS[graph]()
    conv = GINConv(nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 2)), train_eps=True)
    with gradwork.no_grad():
        conv.eps.fill_(0.3)

    def reference(x, p):
        def mlp(h):
            h = torch.relu(h @ p["nn.0.weight"].T + p["nn.0.bias"])
            return h @ p["nn.2.weight"].T + p["nn.2.bias"]

        return dense_gin(x, adjacency, p["eps"], mlp)

    check_parity(conv, reference, edge_index, adjacency.shape[0], 5)


def test_gin_eps_is_a_buffer_unless_trained():
    conv = GINConv(nn.Linear(2, 2))
    assert "eps" not in dict(conv.named_parameters()) and "eps" in conv.state_dict()


def test_gcn_norm_weights_are_symmetric_and_include_self_loops():
    edge_index, adjacency = random_graph()
    source, target, weight = gcn_norm(edge_index, adjacency.shape[0], gradwork.float64)
    dense = np.zeros_like(adjacency)
    dense[target.numpy(), source.numpy()] = weight.numpy()
    np.testing.assert_allclose(dense, dense.T)
    assert dense[-1, -1] == 1.0  # the isolated node keeps only its own loop, weight 1


def test_edge_softmax_sums_to_one_per_target_and_is_stable():
    index = gradwork.tensor([0, 0, 0, 2, 2, 3])
    logits = gradwork.tensor(
        [[1e4, 0.0], [1e4, -1e4], [1e4 - 1.0, 3.0], [-1e4, 5.0], [-1e4, 5.0], [88.0, 1e30]],
        requires_grad=True,
    )
    alpha = edge_softmax(logits, index, num_nodes=4)
    values = alpha.detach().numpy()
    assert np.isfinite(values).all()
    sums = np.zeros((4, 2))
    np.add.at(sums, index.numpy(), values)
    np.testing.assert_allclose(sums[[0, 2, 3]], 1.0, rtol=1e-6)
    np.testing.assert_allclose(values[:3, 0], torch.tensor([1e4, 1e4, 1e4 - 1]).softmax(0), 1e-6)
    np.testing.assert_allclose(values[3:5], 0.5)
    (alpha[:, 0] * gradwork.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])).sum().backward()
    assert np.isfinite(logits.grad.numpy()).all()


def test_edge_softmax_gradient_matches_torch():
    index = np.array([0, 1, 0, 1, 1, 2])
    logits = np.random.default_rng(0).standard_normal((6, 3))
    weights = np.random.default_rng(1).standard_normal((6, 3))
    ours = gradwork.tensor(logits, requires_grad=True)
    (edge_softmax(ours, gradwork.from_numpy(index), 3) * gradwork.tensor(weights)).sum().backward()
    theirs = torch.tensor(logits, requires_grad=True)
    expected = torch.zeros_like(theirs)
    for group in range(3):
        members = torch.tensor(index == group)
        expected = expected + torch.where(
            members[:, None], theirs.masked_fill(~members[:, None], -1e300).softmax(0), 0.0
        )
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("name", list(MODELS))
def test_models_shapes_one_step_and_state_dict_round_trip(name):
    graph = karate_club()
    config = GNNConfig(
        in_features=graph.num_features, num_classes=2, hidden_features=8, heads=2, dropout=0.0
    )
    model = build_model(name, config)
    logits = model(graph.x, graph.edge_index)
    assert tuple(logits.shape) == (34, 2)
    optimizer = gradwork.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(2):
        loss = F.cross_entropy(model(graph.x, graph.edge_index), graph.y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[1] < losses[0]
    copy = build_model(name, config)
    copy.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(
        copy(graph.x, graph.edge_index).detach().numpy(),
        model(graph.x, graph.edge_index).detach().numpy(),
    )


def test_parameter_names_follow_pytorch_geometric():
    names = set(build_model("gat", GNNConfig(in_features=4, num_classes=2)).state_dict())
    assert {"conv1.lin.weight", "conv1.att_src", "conv1.att_dst", "conv1.bias"} <= names
    names = set(build_model("sage", GNNConfig(in_features=4, num_classes=2)).state_dict())
    assert {"conv1.lin_l.weight", "conv1.lin_l.bias", "conv1.lin_r.weight"} <= names


def test_gcn_separates_the_karate_club_from_two_labels():
    graph = karate_club()
    gradwork.manual_seed(0)
    model = build_model("gcn", GNNConfig(in_features=34, num_classes=2, hidden_features=16))
    optimizer = gradwork.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    train = gradwork.from_numpy(np.flatnonzero(graph.train_mask.numpy()))
    for _ in range(100):
        loss = F.cross_entropy(model(graph.x, graph.edge_index)[train], graph.y[train])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    predictions = model(graph.x, graph.edge_index).argmax(dim=-1).numpy()
    test = graph.test_mask.numpy()
    assert (predictions[test] == graph.y.numpy()[test]).mean() > 0.8


def test_bad_edge_index_is_rejected():
    with pytest.raises(ValueError, match=r"edge_index must be an integer tensor of shape \(2, E\)"):
        GCNConv(2, 2)(gradwork.randn(3, 2), gradwork.tensor([[0.0, 1.0], [1.0, 2.0]]))
    with pytest.raises(KeyError, match="unknown model"):
        build_model("transformer")
