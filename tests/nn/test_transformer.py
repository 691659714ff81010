"""Transformer layers and stacks against PyTorch with the same weights: outputs and every gradient,
post-norm and pre-norm, in eval mode (dropout off) and in train mode with dropout 0."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradwork
from gradwork.nn.modules.normalization import LayerNorm
from gradwork.nn.modules.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
    generate_square_subsequent_mask,
)

# PyTorch's own warnings about mixed mask dtypes and its nested-tensor fast path
pytestmark = pytest.mark.filterwarnings(
    "ignore:Support for mismatched key_padding_mask", "ignore:enable_nested_tensor is True"
)
TOLERANCES = {np.float64: 1e-9, np.float32: 1e-5}
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
OUR_DTYPES = {np.float64: gradwork.float64, np.float32: gradwork.float32}
D_MODEL, HEADS, FEEDFORWARD, BATCH, TGT, SRC = 8, 2, 16, 3, 4, 5


def _close(ours, theirs, tolerance, message=""):
    np.testing.assert_allclose(
        ours.detach().numpy(),
        theirs.detach().numpy(),
        rtol=tolerance,
        atol=tolerance,
        err_msg=message,
    )


def _same_weights(ours, theirs, dtype, training):
    theirs.to(TORCH_DTYPES[dtype])
    ours.to(OUR_DTYPES[dtype])
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    ours.train(training)
    theirs.train(training)


def _check(ours, theirs, dtype, arrays, masks, call):
    """Run ``call(module, inputs, masks)`` on both; compare the output and all gradients."""
    tolerance = TOLERANCES[dtype]
    leaves = [gradwork.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    references = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]

    def convert(value, module):
        if isinstance(value, np.ndarray):
            return module.tensor(value.astype(dtype) if value.dtype.kind == "f" else value)
        return value

    out = call(ours, leaves, {k: convert(v, gradwork) for k, v in masks.items()})
    ref = call(theirs, references, {k: convert(v, torch) for k, v in masks.items()})
    assert out.shape == tuple(ref.shape) and out.dtype == OUR_DTYPES[dtype]
    _close(out, ref, tolerance)
    target = np.random.default_rng(12).standard_normal(ref.shape).astype(dtype)
    (out * gradwork.tensor(target)).sum().backward()
    (ref * torch.tensor(target)).sum().backward()
    for leaf, reference in zip(leaves, references):
        _close(leaf.grad, reference.grad, tolerance * 10)
    names = [name for name, _ in ours.named_parameters()]
    assert names == [name for name, _ in theirs.named_parameters()]
    for (name, parameter), (_, reference) in zip(
        ours.named_parameters(), theirs.named_parameters()
    ):
        _close(parameter.grad, reference.grad, tolerance * 10, name)


def _sequence(rng, length, batch_first):
    shape = (BATCH, length, D_MODEL) if batch_first else (length, BATCH, D_MODEL)
    return rng.standard_normal(shape)


def _padding(rng, length):
    mask = rng.random((BATCH, length)) < 0.3
    mask[:, 0] = False
    return mask


# (layer options, training); training runs use dropout 0, eval runs keep PyTorch's default 0.1
LAYER_CASES = [
    ({}, False),
    ({"norm_first": True}, False),
    ({"dropout": 0.0}, True),
    ({"dropout": 0.0, "norm_first": True, "activation": "gelu", "batch_first": True}, True),
    ({"batch_first": True, "bias": False, "layer_norm_eps": 1e-3}, False),
]


def _layer_id(case):
    options, training = case
    return "-".join([f"{k}={v}" for k, v in options.items()] + ["train" if training else "eval"])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", LAYER_CASES, ids=_layer_id)
def test_encoder_layer_matches_torch(case, dtype):
    options, training = case
    theirs = torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options)
    ours = TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options)
    _same_weights(ours, theirs, dtype, training)
    rng = np.random.default_rng(13)
    batch_first = options.get("batch_first", False)
    masks = {
        "src_mask": np.triu(np.ones((SRC, SRC), np.bool_), 1),
        "src_key_padding_mask": _padding(rng, SRC),
    }
    _check(
        ours,
        theirs,
        dtype,
        [_sequence(rng, SRC, batch_first)],
        masks,
        lambda module, inputs, masks: module(inputs[0], **masks),
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", LAYER_CASES, ids=_layer_id)
def test_decoder_layer_matches_torch(case, dtype):
    options, training = case
    theirs = torch.nn.TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options)
    ours = TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options)
    _same_weights(ours, theirs, dtype, training)
    rng = np.random.default_rng(14)
    batch_first = options.get("batch_first", False)
    masks = {
        "tgt_mask": np.triu(np.ones((TGT, TGT), np.bool_), 1),
        "tgt_is_causal": True,
        "memory_mask": rng.standard_normal((TGT, SRC)),
        "tgt_key_padding_mask": _padding(rng, TGT),
        "memory_key_padding_mask": _padding(rng, SRC),
    }
    arrays = [_sequence(rng, TGT, batch_first), _sequence(rng, SRC, batch_first)]
    _check(
        ours, theirs, dtype, arrays, masks, lambda module, inputs, masks: module(*inputs, **masks)
    )


def test_callable_activation_and_unbatched_input():
    options = {"activation": torch.nn.functional.silu, "dropout": 0.0}
    theirs = torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options)
    ours = TransformerEncoderLayer(
        D_MODEL, HEADS, FEEDFORWARD, activation=gradwork.nn.functional.silu, dropout=0.0
    )
    _same_weights(ours, theirs, np.float64, True)
    x = np.random.default_rng(15).standard_normal((SRC, D_MODEL))
    _check(ours, theirs, np.float64, [x], {}, lambda module, inputs, masks: module(inputs[0]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_first", [False, True])
def test_stacks_match_torch(norm_first, dtype):
    options = {"dropout": 0.0, "norm_first": norm_first, "batch_first": True}
    torch_encoder = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options),
        num_layers=2,
        norm=torch.nn.LayerNorm(D_MODEL),
        enable_nested_tensor=False,
    )
    encoder = TransformerEncoder(
        TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options),
        num_layers=2,
        norm=LayerNorm(D_MODEL),
        enable_nested_tensor=False,
    )
    _same_weights(encoder, torch_encoder, dtype, True)
    rng = np.random.default_rng(16)
    masks = {"src_key_padding_mask": _padding(rng, SRC)}
    _check(
        encoder,
        torch_encoder,
        dtype,
        [_sequence(rng, SRC, True)],
        masks,
        lambda module, inputs, masks: module(inputs[0], **masks),
    )
    torch_decoder = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options), num_layers=2
    )
    decoder = TransformerDecoder(
        TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options), num_layers=2
    )
    _same_weights(decoder, torch_decoder, dtype, True)
    masks = {"tgt_mask": np.triu(np.ones((TGT, TGT), np.bool_), 1), "tgt_is_causal": True}
    arrays = [_sequence(rng, TGT, True), _sequence(rng, SRC, True)]
    _check(
        decoder,
        torch_decoder,
        dtype,
        arrays,
        masks,
        lambda module, inputs, masks: module(*inputs, **masks),
    )


def test_transformer_matches_torch():
    options = {"dim_feedforward": FEEDFORWARD, "dropout": 0.0}
    theirs = torch.nn.Transformer(D_MODEL, HEADS, 2, 1, **options)
    ours = Transformer(D_MODEL, HEADS, 2, 1, **options)
    _same_weights(ours, theirs, np.float64, True)
    rng = np.random.default_rng(17)
    masks = {
        "tgt_mask": generate_square_subsequent_mask(TGT, dtype=gradwork.float64).numpy(),
        "src_key_padding_mask": _padding(rng, SRC),
        "memory_key_padding_mask": _padding(rng, SRC),
    }
    arrays = [_sequence(rng, SRC, False), _sequence(rng, TGT, False)]
    _check(
        ours,
        theirs,
        np.float64,
        arrays,
        masks,
        lambda module, inputs, masks: module(*inputs, **masks),
    )


def test_square_subsequent_mask_and_init():
    np.testing.assert_array_equal(
        generate_square_subsequent_mask(4).numpy(),
        torch.nn.Transformer.generate_square_subsequent_mask(4).numpy(),
    )
    assert generate_square_subsequent_mask(2).dtype == gradwork.float32
    model = Transformer(D_MODEL, HEADS, 1, 1, dim_feedforward=FEEDFORWARD)
    weight = model.encoder.layers[0].linear1.weight.detach().numpy()
    assert np.abs(weight).max() <= np.sqrt(6 / (D_MODEL + FEEDFORWARD))  # Xavier-uniform


def test_stack_layers_are_independent_copies():
    layer = TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD)
    encoder = TransformerEncoder(layer, num_layers=2)
    first, second = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert first is not second and first is not layer.linear1.weight
    np.testing.assert_array_equal(first.detach().numpy(), second.detach().numpy())
    assert len(list(encoder.parameters())) == 2 * len(list(layer.parameters()))


def test_dropout_is_active_in_training_only():
    layer = TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, dropout=0.5)
    x = gradwork.randn(SRC, BATCH, D_MODEL)
    train_out = layer(x).detach().numpy()
    layer.eval()
    eval_out = layer(x).detach().numpy()
    assert not np.allclose(train_out, eval_out)
    np.testing.assert_allclose(layer(x).detach().numpy(), eval_out)


def test_bad_activation():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        TransformerEncoderLayer(D_MODEL, HEADS, activation="tanh")
