"""MultiheadAttention against PyTorch with the same weights: outputs, attention weights and every
gradient, across masks (key padding, bool and float attn_mask, causal), layouts and options."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradwork
from gradwork.nn.modules.attention import MultiheadAttention

TOLERANCES = {np.float64: 1e-9, np.float32: 1e-5}
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
OUR_DTYPES = {np.float64: gradwork.float64, np.float32: gradwork.float32}
EMBED, HEADS, BATCH, LENGTH, SOURCE = 8, 2, 3, 4, 5


def _close(ours, theirs, tolerance, message=""):
    np.testing.assert_allclose(
        ours.detach().numpy(),
        theirs.detach().numpy(),
        rtol=tolerance,
        atol=tolerance,
        err_msg=message,
    )


def _modules(dtype, **options):
    theirs = torch.nn.MultiheadAttention(EMBED, HEADS, **options).to(TORCH_DTYPES[dtype])
    ours = MultiheadAttention(EMBED, HEADS, **options).to(OUR_DTYPES[dtype])
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    return ours, theirs


def _masks(rng):
    padding = rng.random((BATCH, SOURCE)) < 0.3
    padding[:, 0] = False  # every query keeps a key: no all-masked rows
    blocked = rng.random((LENGTH, SOURCE)) < 0.3
    blocked[:, 0] = False
    return {
        "key_padding_mask": padding,
        "bool_mask": blocked,
        "float_mask": rng.standard_normal((LENGTH, SOURCE)),
        "head_mask": rng.standard_normal((BATCH * HEADS, LENGTH, SOURCE)),
        "causal": np.triu(np.ones((LENGTH, LENGTH), np.bool_), 1),
    }


def _compare(ours, theirs, dtype, forward, attention="self", batched=True):
    """Run both modules on the same data, backprop one loss, compare everything."""
    tolerance = TOLERANCES[dtype]
    rng = np.random.default_rng(7)
    batch_first = ours.batch_first

    def shape(length, features):
        if not batched:
            return (length, features)
        return (BATCH, length, features) if batch_first else (length, BATCH, features)

    source = LENGTH if attention == "self" else SOURCE
    arrays = [
        rng.standard_normal(shape(LENGTH, EMBED)),
        rng.standard_normal(shape(source, ours.kdim)),
        rng.standard_normal(shape(source, ours.vdim)),
    ]
    arrays = [a.astype(dtype) for a in arrays]
    if attention == "self":
        arrays = arrays[:1]
    elif attention == "shared_kv":
        arrays = arrays[:2]
    leaves = [gradwork.tensor(a, requires_grad=True) for a in arrays]
    references = [torch.tensor(a, requires_grad=True) for a in arrays]
    if attention == "self":
        args, ref_args = leaves * 3, references * 3
    elif attention == "shared_kv":
        args, ref_args = leaves + leaves[1:], references + references[1:]
    else:
        args, ref_args = leaves, references

    def convert(value, module):
        if isinstance(value, np.ndarray):
            value = value.astype(dtype) if value.dtype.kind == "f" else value
            return module.tensor(value)
        return value

    kwargs = {k: convert(v, gradwork) for k, v in forward.items()}
    ref_kwargs = {k: convert(v, torch) for k, v in forward.items()}
    out, weights = ours(*args, **kwargs)
    ref, ref_weights = theirs(*ref_args, **ref_kwargs)
    assert out.shape == tuple(ref.shape) and out.dtype == OUR_DTYPES[dtype]
    _close(out, ref, tolerance)
    if ref_weights is None:
        assert weights is None
    else:
        assert weights.shape == tuple(ref_weights.shape)
        _close(weights, ref_weights, tolerance)
    target = rng.standard_normal(ref.shape).astype(dtype)
    loss = (out * gradwork.tensor(target)).sum()
    ref_loss = (ref * torch.tensor(target)).sum()
    if ref_weights is not None:
        loss = loss + (weights * weights).sum()
        ref_loss = ref_loss + (ref_weights * ref_weights).sum()
    loss.backward()
    ref_loss.backward()
    for leaf, reference in zip(leaves, references):
        _close(leaf.grad, reference.grad, tolerance * 10)
    names = [name for name, _ in ours.named_parameters()]
    assert names == [name for name, _ in theirs.named_parameters()]
    for (name, parameter), (_, reference) in zip(
        ours.named_parameters(), theirs.named_parameters()
    ):
        _close(parameter.grad, reference.grad, tolerance * 10, name)


CASES = [
    # (module options, forward options, which masks, attention kind, batched)
    ({}, {}, (), "self", True),
    ({"batch_first": True}, {"need_weights": False}, (), "self", True),
    ({}, {}, ("key_padding_mask", "bool_mask"), "cross", True),
    ({"batch_first": True}, {}, ("key_padding_mask", "float_mask"), "shared_kv", True),
    ({}, {"need_weights": False}, ("key_padding_mask", "bool_mask"), "cross", True),
    ({}, {"average_attn_weights": False}, ("head_mask",), "cross", True),
    ({}, {"need_weights": False}, ("head_mask",), "cross", True),
    ({"bias": False, "kdim": 3, "vdim": 6}, {}, ("key_padding_mask",), "cross", True),
    (
        {"add_bias_kv": True, "add_zero_attn": True},
        {},
        ("key_padding_mask", "bool_mask"),
        "cross",
        True,
    ),
    ({"add_bias_kv": True}, {"need_weights": False}, ("float_mask",), "cross", True),
    ({}, {}, ("bool_mask",), "cross", False),
    ({"kdim": 3, "vdim": 6}, {"need_weights": False}, (), "cross", False),
]


def _case_id(case):
    options, forward, masks, attention, batched = case
    parts = [f"{k}={v}" for k, v in {**options, **forward}.items()] + list(masks)
    return "-".join(parts + [attention, "batched" if batched else "unbatched"])


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")  # PyTorch's
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_torch(case, dtype):
    options, forward, mask_names, attention, batched = case
    ours, theirs = _modules(dtype, **options)
    masks = _masks(np.random.default_rng(8))
    forward = dict(forward)
    for name in mask_names:
        key = name if name == "key_padding_mask" else "attn_mask"
        forward[key] = masks[name] if batched or key != "key_padding_mask" else masks[name][0]
    _compare(ours, theirs, dtype, forward, attention, batched)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("padding", [False, True])
def test_causal_matches_torch_with_a_causal_mask(need_weights, padding):
    # PyTorch takes is_causal as a hint that needs the mask; gradwork builds it when absent
    dtype = np.float64
    masks = _masks(np.random.default_rng(9))
    forward = {"need_weights": need_weights, "is_causal": True}
    padding_mask = masks["key_padding_mask"][:, :LENGTH] if padding else None
    for with_mask in (True, False):
        ours, theirs = _modules(dtype)
        rng = np.random.default_rng(10)
        x = rng.standard_normal((LENGTH, BATCH, EMBED))
        leaf, reference = (
            gradwork.tensor(x, requires_grad=True),
            torch.tensor(x, requires_grad=True),
        )
        kwargs = dict(forward)
        if padding_mask is not None:
            kwargs["key_padding_mask"] = gradwork.tensor(padding_mask)
        if with_mask:
            kwargs["attn_mask"] = gradwork.tensor(masks["causal"])
        ref_kwargs = dict(forward, attn_mask=torch.tensor(masks["causal"]))
        if padding_mask is not None:
            ref_kwargs["key_padding_mask"] = torch.tensor(padding_mask)
        out, _ = ours(leaf, leaf, leaf, **kwargs)
        ref, _ = theirs(reference, reference, reference, **ref_kwargs)
        _close(out, ref, 1e-9)
        (out * out).sum().backward()
        (ref * ref).sum().backward()
        _close(leaf.grad, reference.grad, 1e-9)
        _close(ours.in_proj_weight.grad, theirs.in_proj_weight.grad, 1e-9)


@pytest.mark.parametrize("need_weights", [True, False])
def test_dropout_in_training_only(need_weights):
    # p = 1 drops every attention weight: the output is out_proj's bias, as in PyTorch
    ours, theirs = _modules(np.float64, dropout=1.0)
    with torch.no_grad():
        theirs.out_proj.bias.uniform_()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(11).standard_normal((LENGTH, BATCH, EMBED))
    out, _ = ours(*(gradwork.tensor(x),) * 3, need_weights=need_weights)
    ref, _ = theirs(*(torch.tensor(x),) * 3, need_weights=need_weights)
    _close(out, ref, 1e-12)
    bias = ours.out_proj.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(bias, out.shape))
    ours.eval(), theirs.eval()
    out, _ = ours(*(gradwork.tensor(x),) * 3, need_weights=need_weights)
    ref, _ = theirs(*(torch.tensor(x),) * 3, need_weights=need_weights)
    _close(out, ref, 1e-9)


def test_parameters_and_init_follow_torch():
    attention = MultiheadAttention(EMBED, HEADS)
    reference = torch.nn.MultiheadAttention(EMBED, HEADS)
    assert [(n, p.shape) for n, p in attention.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in reference.named_parameters()
    ]
    assert not attention.in_proj_bias.detach().numpy().any()
    assert not attention.out_proj.bias.detach().numpy().any()
    bound = np.sqrt(6 / (EMBED + 3 * EMBED))  # Xavier-uniform over (3E, E)
    weight = attention.in_proj_weight.detach().numpy()
    assert np.abs(weight).max() <= bound and weight.std() > bound / 3
    separate = MultiheadAttention(EMBED, HEADS, kdim=3, vdim=5, bias=False, add_bias_kv=True)
    names = [n for n, _ in separate.named_parameters()]
    assert names == [
        n
        for n, _ in torch.nn.MultiheadAttention(
            EMBED, HEADS, kdim=3, vdim=5, bias=False, add_bias_kv=True
        ).named_parameters()
    ]
    assert separate.in_proj_weight is None and separate.k_proj_weight.shape == (EMBED, 3)
    assert MultiheadAttention(EMBED, HEADS).bias_k is None


def test_errors():
    with pytest.raises(ValueError, match="must be divisible by num_heads"):
        MultiheadAttention(6, 4)
    attention = MultiheadAttention(EMBED, HEADS)
    x = gradwork.zeros(LENGTH, BATCH, EMBED)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(3, 3\)"):
        attention(x, x, x, attn_mask=gradwork.zeros(3, 3))
    with pytest.raises(TypeError, match="only bool and floating types of attn_mask"):
        attention(x, x, x, attn_mask=gradwork.zeros(LENGTH, LENGTH, dtype=gradwork.int64))
    with pytest.raises(RuntimeError, match="key_padding_mask of shape"):
        attention(x, x, x, key_padding_mask=gradwork.zeros(BATCH, 2, dtype=gradwork.bool))
    with pytest.raises(RuntimeError, match="expected query with 8 features"):
        attention(gradwork.zeros(LENGTH, BATCH, 4), x, x)
    with pytest.raises(RuntimeError, match="all 2-D .unbatched. or all 3-D"):
        attention(x, gradwork.zeros(LENGTH, EMBED), x)
