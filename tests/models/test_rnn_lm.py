"""gradwork.models.rnn_lm: shapes, one step lowers the loss, state_dict round trip, PyTorch
parity, truncated BPTT keeps the graph bounded, sampling is seeded and cools to greedy."""

import numpy as np
import pytest
import torch

import gradwork
import gradwork.nn.functional as F
from gradwork.models.rnn_lm import (
    CharLM,
    CharLMConfig,
    CharVocab,
    detach_hidden,
    sample,
    train_tbptt,
)

CELLS = ["rnn", "lstm", "gru"]
TEXT = "the quick brown fox jumps over the lazy dog. " * 4
VOCAB = CharVocab(TEXT)
TORCH_CELLS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def _config(cell, **changes):
    fields = dict(vocab_size=len(VOCAB), cell=cell, num_layers=2, hidden_size=12)
    fields.update(embedding_dim=6, **changes)
    return CharLMConfig(**fields)


class TorchCharLM(torch.nn.Module):
    """The same model from PyTorch's layers, with the same parameter names."""

    def __init__(self, config):
        super().__init__()
        self.embedding = torch.nn.Embedding(config.vocab_size, config.embedding_dim)
        self.rnn = TORCH_CELLS[config.cell](
            config.embedding_dim, config.hidden_size, config.num_layers, batch_first=True
        )
        self.head = torch.nn.Linear(config.hidden_size, config.vocab_size)

    def forward(self, input, hidden=None):
        output, hidden = self.rnn(self.embedding(input), hidden)
        return self.head(output), hidden


def _tokens(streams=2, length=21, offset=0):
    ids = VOCAB.encode(TEXT)
    return gradwork.tensor([ids[offset + s * 7 : offset + s * 7 + length] for s in range(streams)])


def _graph_size(tensor):
    """The number of autograd nodes reachable from ``tensor``."""
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not hasattr(node, "next_functions"):
            continue
        seen.add(id(node))
        stack.extend(edge[0] for edge in node.next_functions if edge is not None)
    return len(seen)


@pytest.mark.parametrize("cell", CELLS)
def test_output_and_hidden_shapes(cell):
    model = CharLM(_config(cell))
    logits, hidden = model(_tokens(3, 5))
    assert logits.shape == (3, 5, len(VOCAB))
    states = hidden if cell == "lstm" else (hidden,)
    assert all(state.shape == (2, 3, 12) for state in states)


def test_vocab_round_trip_and_unknown_characters():
    assert VOCAB.decode(VOCAB.encode("lazy fox")) == "lazy fox"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        VOCAB.encode("Z")
    with pytest.raises(ValueError, match="cell"):
        CharLMConfig(cell="transformer")


@pytest.mark.parametrize("cell", CELLS)
def test_forward_matches_pytorch_with_the_same_weights_across_chunks(cell):
    config = _config(cell)
    model = CharLM(config).double()
    reference = TorchCharLM(config).double()
    reference.load_state_dict(
        {key: torch.from_numpy(value.numpy().copy()) for key, value in model.state_dict().items()}
    )
    tokens = _tokens(2, 12)
    ours, ours_hidden = model(tokens[:, :6])
    ours, _ = model(tokens[:, 6:], ours_hidden)  # the second chunk starts from the carried state
    torch_tokens = torch.from_numpy(tokens.numpy())
    theirs, theirs_hidden = reference(torch_tokens[:, :6])
    theirs, _ = reference(torch_tokens[:, 6:], theirs_hidden)
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-11
    )


@pytest.mark.parametrize("cell", CELLS)
def test_one_adam_step_lowers_the_loss(cell):
    model = CharLM(_config(cell))
    tokens = _tokens(4, 16)
    optimizer = gradwork.optim.Adam(model.parameters(), lr=1e-2)

    def loss():
        logits, _ = model(tokens[:, :-1])
        return F.cross_entropy(logits.reshape(-1, len(VOCAB)), tokens[:, 1:].reshape(-1))

    before = loss()
    before.backward()
    optimizer.step()
    assert loss().item() < before.item()


@pytest.mark.parametrize("cell", CELLS)
def test_state_dict_round_trip(cell, tmp_path):
    model = CharLM(_config(cell))
    gradwork.save(model.state_dict(), tmp_path / "model.safetensors")
    gradwork.manual_seed(1)
    other = CharLM(_config(cell))
    other.load_state_dict(gradwork.load(tmp_path / "model.safetensors"))
    tokens = _tokens(2, 8)
    np.testing.assert_array_equal(
        model(tokens)[0].detach().numpy(), other(tokens)[0].detach().numpy()
    )


@pytest.mark.parametrize("cell", CELLS)
def test_detached_hidden_keeps_the_graph_of_every_chunk_the_same_size(cell):
    model = CharLM(_config(cell))
    tokens = _tokens(2, 25)
    sizes, carried_sizes, hidden, carried = [], [], None, None
    for start in range(0, 24, 6):
        chunk = tokens[:, start : start + 6]
        logits, hidden = model(chunk, detach_hidden(hidden))
        sizes.append(_graph_size(logits))
        logits, carried = model(chunk, carried)  # without truncation the graph keeps growing
        carried_sizes.append(_graph_size(logits))
    assert sizes[1] == sizes[2] == sizes[3]
    assert carried_sizes[1] < carried_sizes[2] < carried_sizes[3]
    states = detach_hidden(hidden)
    for state in states if cell == "lstm" else (states,):
        assert state.grad_fn is None and not state.requires_grad


@pytest.mark.parametrize("cell", CELLS)
def test_train_tbptt_carries_a_detached_state_and_learns(cell):
    model = CharLM(_config(cell))
    optimizer = gradwork.optim.Adam(model.parameters(), lr=2e-2)
    tokens = _tokens(2, 41)
    losses, hidden = train_tbptt(model, optimizer, tokens, chunk_length=8)
    assert len(losses) == 5  # 40 steps in chunks of 8
    for state in hidden if cell == "lstm" else (hidden,):
        assert state.grad_fn is None and state.shape == (2, 2, 12)
    for _ in range(15):
        later, hidden = train_tbptt(model, optimizer, tokens, chunk_length=8)
    assert np.mean(later) < 0.7 * np.mean(losses)
    with pytest.raises(ValueError, match="chunk_length"):
        train_tbptt(model, optimizer, tokens, chunk_length=0)


@pytest.mark.parametrize("cell", CELLS)
def test_sampling_is_deterministic_for_a_seed(cell):
    model = CharLM(_config(cell))

    def draw(seed):
        return sample(model, VOCAB, "the ", 30, generator=gradwork.Generator().manual_seed(seed))

    first = draw(3)
    assert first == draw(3) and first.startswith("the ") and len(first) == 34
    assert set(first) <= set(VOCAB.chars)
    assert model.training  # sample restores the mode it found


@pytest.mark.parametrize("cell", CELLS)
def test_low_temperature_sampling_approaches_greedy(cell):
    model = CharLM(_config(cell)).eval()
    # greedy decoding written independently: re-read the whole prefix at every step
    ids = VOCAB.encode("fox ")
    with gradwork.no_grad():
        for _ in range(20):
            logits, _ = model(gradwork.tensor([ids]))
            ids.append(int(logits[0, -1].numpy().argmax()))
    greedy = VOCAB.decode(ids)
    assert sample(model, VOCAB, "fox ", 20, temperature=0.0) == greedy
    for seed in range(3):
        generator = gradwork.Generator().manual_seed(seed)
        assert sample(model, VOCAB, "fox ", 20, temperature=1e-4, generator=generator) == greedy
    hot = {sample(model, VOCAB, "fox ", 20, temperature=5.0) for _ in range(3)}
    assert len(hot | {greedy}) > 1  # at a high temperature draws differ
    with pytest.raises(ValueError, match="temperature"):
        sample(model, VOCAB, "fox", 5, temperature=-1.0)
