"""gradwork.models.gpt: shapes, training, KV cache, positions, tying, state_dict, PyTorch parity."""

import math

import numpy as np
import pytest
import torch

import gradwork
from bench.torch_models import TorchGPT, twin
from gradwork.models.gpt import GPT, GPTConfig, KVCache
from gradwork.optim import AdamW


def tiny(**changes):
    config = dict(vocab_size=13, block_size=12, n_layer=2, n_head=2, n_embd=16)
    config.update(changes)
    return GPT(GPTConfig(**config))


def torch_twin(model):
    return twin(TorchGPT(model.config), model)


@pytest.mark.parametrize("positional", ["learned", "rotary"])
@pytest.mark.parametrize("bias", [True, False])
def test_forward_and_gradients_match_pytorch(positional, bias):
    model = tiny(positional=positional, bias=bias)
    reference = torch_twin(model)
    idx = np.random.default_rng(0).integers(0, 13, (3, 12))
    logits, loss = model(gradwork.tensor(idx), targets=gradwork.tensor(idx))
    expected = reference(torch.from_numpy(idx))
    np.testing.assert_allclose(
        logits.detach().numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5
    )
    expected_loss = torch.nn.functional.cross_entropy(
        expected.reshape(-1, 13), torch.from_numpy(idx).reshape(-1)
    )
    loss.backward()
    expected_loss.backward()
    torch_parameters = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(
            parameter.grad.numpy(), torch_parameters[name].grad.numpy(), rtol=1e-3, atol=1e-6
        )


def test_shapes_and_parameter_count():
    model = tiny()
    logits, loss = model(gradwork.randint(0, 13, (2, 5)))
    assert tuple(logits.shape) == (2, 5, 13) and loss is None
    embd, layers = 16, 2
    per_block = 4 * embd + (3 * embd * embd + 3 * embd) + (embd * embd + embd)
    per_block += (4 * embd * embd + 4 * embd) + (4 * embd * embd + embd)
    total = 13 * embd + 12 * embd + layers * per_block + 2 * embd
    assert model.num_parameters(non_embedding=False) == total
    assert model.num_parameters() == total - 12 * embd


def test_gpt2_parameter_names():
    names = set(tiny().state_dict())
    for name in [
        "transformer.wte.weight",
        "transformer.wpe.weight",
        "transformer.h.1.ln_1.weight",
        "transformer.h.0.attn.c_attn.weight",
        "transformer.h.0.attn.c_proj.bias",
        "transformer.h.0.ln_2.bias",
        "transformer.h.0.mlp.c_fc.weight",
        "transformer.h.0.mlp.c_proj.weight",
        "transformer.ln_f.weight",
        "lm_head.weight",
    ]:
        assert name in names
    rotary = set(tiny(positional="rotary").state_dict())
    assert "transformer.wpe.weight" not in rotary and not any("cos" in n for n in rotary)


def test_weight_tying_shares_one_parameter():
    model = tiny()
    assert model.lm_head.weight is model.transformer.wte.weight
    parameters = list(model.parameters())
    assert len(parameters) == len({id(p) for p in parameters})
    assert sum(p is model.lm_head.weight for p in parameters) == 1
    untied = tiny(tie_weights=False)
    assert untied.lm_head.weight is not untied.transformer.wte.weight
    assert untied.num_parameters() == model.num_parameters() + 13 * 16


@pytest.mark.parametrize("positional", ["learned", "rotary"])
def test_a_few_steps_lower_the_loss(positional):
    model = tiny(positional=positional)
    optimizer = AdamW(model.parameters(), lr=1e-2)
    idx = gradwork.tensor(np.tile(np.arange(12) % 5, (4, 1)))  # a repeating pattern
    losses = []
    for _ in range(15):
        _, loss = model(idx[:, :-1], targets=idx[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(math.log(13), abs=0.3)
    assert losses[-1] < 0.5 * losses[0]


def test_state_dict_round_trip():
    model, other = tiny(positional="rotary"), tiny(positional="rotary")
    idx = gradwork.randint(0, 13, (2, 7))
    assert not np.allclose(model(idx)[0].detach().numpy(), other(idx)[0].detach().numpy())
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(model(idx)[0].detach().numpy(), other(idx)[0].detach().numpy())
    assert other.lm_head.weight is other.transformer.wte.weight  # still tied after loading


@pytest.mark.parametrize("positional", ["learned", "rotary"])
def test_cached_forward_in_chunks_matches_the_full_forward(positional):
    model = tiny(positional=positional).eval()
    idx = gradwork.randint(0, 13, (2, 10))
    full, _ = model(idx)
    cache = KVCache(model.config.n_layer)
    chunks = [model(idx[:, a:b], cache=cache)[0] for a, b in [(0, 4), (4, 5), (5, 10)]]
    assert len(cache) == 10
    np.testing.assert_allclose(
        gradwork.cat(chunks, dim=1).detach().numpy(), full.detach().numpy(), atol=1e-5
    )


@pytest.mark.parametrize("positional", ["learned", "rotary"])
@pytest.mark.parametrize(
    "sampling",
    [dict(temperature=0.0), dict(temperature=1.0), dict(top_k=4), dict(top_p=0.8, temperature=0.7)],
)
def test_generation_with_and_without_the_cache_gives_the_same_tokens(positional, sampling):
    model = tiny(positional=positional, dropout=0.1).eval()
    prompt = gradwork.randint(0, 13, (2, 3))
    outputs = []
    for use_cache in (True, False):
        gradwork.manual_seed(7)
        # 20 new tokens outgrow block_size 12: the window slides and the cache is rebuilt
        outputs.append(model.generate(prompt, 20, use_cache=use_cache, **sampling).tolist())
    assert outputs[0] == outputs[1]
    assert len(outputs[0][0]) == 23 and outputs[0][0][:3] == prompt[0].tolist()


def test_greedy_top_k_1_and_tiny_top_p_agree():
    model = tiny().eval()
    prompt = gradwork.randint(0, 13, (3, 2))
    greedy = model.generate(prompt, 6, temperature=0.0).tolist()
    assert model.generate(prompt, 6, top_k=1).tolist() == greedy
    assert model.generate(prompt, 6, top_p=1e-9).tolist() == greedy


def test_sampling_follows_the_distribution():
    with np.errstate(divide="ignore"):
        logits = np.log(np.array([[0.1, 0.6, 0.3, 0.0]]))
    draws = np.concatenate([GPT._sample(logits, 1.0, None, None) for _ in range(2000)])
    frequencies = np.bincount(draws.ravel(), minlength=4) / 2000
    np.testing.assert_allclose(frequencies, [0.1, 0.6, 0.3, 0.0], atol=0.04)
    top_p = np.concatenate([GPT._sample(logits, 1.0, None, 0.65) for _ in range(200)])
    assert set(top_p.ravel()) == {1, 2}  # 0.6 alone falls short of 0.65; 0.6 + 0.3 does not


def test_errors():
    with pytest.raises(ValueError, match="divisible"):
        GPTConfig(n_embd=10, n_head=3)
    with pytest.raises(ValueError, match="positional"):
        GPTConfig(positional="sinusoidal")
    with pytest.raises(ValueError, match="block_size"):
        tiny()(gradwork.zeros(1, 13, dtype=gradwork.int64))
    with pytest.raises(ValueError, match="top_p"):
        tiny().generate(gradwork.zeros(1, 1, dtype=gradwork.int64), 1, top_p=0.0)
