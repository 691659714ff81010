"""Loss modules against PyTorch: the same constructor call on ``gradwork.nn`` and ``torch.nn``,
then loss values and input gradients in float64 and float32, every reduction; state dict keys
(class weights are buffers), repr, PyTorch's legacy ``size_average``/``reduce`` arguments."""

import numpy as np
import pytest
import torch

import gradwork
from gradwork import nn

TOLERANCES = {np.float64: (1e-10, 1e-9), np.float32: (1e-5, 1e-4)}
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
REDUCTIONS = pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
# PyTorch announces a future change of KLDivLoss 'mean'; gradwork keeps today's meaning
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")

rng = np.random.default_rng(0)
X = rng.standard_normal((5, 4))
Y = rng.standard_normal((5, 4))
LABELS = np.array([0, 3, 1, 1, 2])
PROBS = rng.random((5, 4)) + 0.1
PROBS /= PROBS.sum(1, keepdims=True)
CLASS_WEIGHT = rng.random(4) + 0.5
SIGNS = np.array([1, -1, -1, 1, -1])
ELEMENT_WEIGHT = rng.random((5, 4))
FEATURE_WEIGHT = rng.random(4) + 0.5


def _tensor(library, array, dtype, grad):
    if array.dtype.kind == "f":
        array = array.astype(dtype)
    if library is nn:
        return gradwork.tensor(array, requires_grad=grad and array.dtype.kind == "f")
    return torch.tensor(array, requires_grad=grad and array.dtype.kind == "f")


def check_loss(build, inputs, targets, dtype, constants=()):
    """``build(nn, T)`` for both libraries (``T`` makes constant tensors of the library);
    compare values and input gradients. ``inputs`` take gradients, ``targets`` don't."""
    results = {}
    for library in (nn, torch.nn):

        def make_constant(array, library=library):
            return _tensor(library, np.asarray(array), dtype, False)

        module = build(library, make_constant)
        ins = [_tensor(library, a, dtype, True) for a in inputs]
        outs = [_tensor(library, a, dtype, False) for a in targets]
        loss = module(*ins, *outs)
        results[library] = (module, ins, loss)
    (ours, our_ins, our_loss), (theirs, their_ins, their_loss) = results[nn], results[torch.nn]
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    atol, rtol = TOLERANCES[dtype]
    np.testing.assert_allclose(
        our_loss.detach().numpy(), their_loss.detach().numpy(), atol=atol, rtol=rtol
    )
    upstream = np.random.default_rng(1).standard_normal(their_loss.shape).astype(dtype)
    our_loss.backward(gradwork.tensor(upstream))
    their_loss.backward(torch.tensor(upstream))
    for k, (o, t) in enumerate(zip(our_ins, their_ins)):
        np.testing.assert_allclose(
            o.grad.numpy(), t.grad.numpy(), atol=10 * atol, rtol=10 * rtol, err_msg=f"input {k}"
        )


LOSSES = {
    "MSELoss": (lambda m, T, r: m.MSELoss(reduction=r), [X], [Y]),
    "L1Loss": (lambda m, T, r: m.L1Loss(reduction=r), [X], [Y]),
    "HuberLoss": (lambda m, T, r: m.HuberLoss(reduction=r, delta=0.6), [X], [Y]),
    "SmoothL1Loss": (lambda m, T, r: m.SmoothL1Loss(reduction=r, beta=0.4), [X], [Y]),
    "CrossEntropyLoss": (lambda m, T, r: m.CrossEntropyLoss(reduction=r), [X], [LABELS]),
    "CrossEntropyLoss_weight_ignore_smooth": (
        lambda m, T, r: m.CrossEntropyLoss(
            T(CLASS_WEIGHT), ignore_index=1, reduction=r, label_smoothing=0.1
        ),
        [X],
        [LABELS],
    ),
    "CrossEntropyLoss_probs": (lambda m, T, r: m.CrossEntropyLoss(reduction=r), [X], [PROBS]),
    "NLLLoss": (lambda m, T, r: m.NLLLoss(reduction=r), [np.log(PROBS)], [LABELS]),
    "NLLLoss_weight": (
        lambda m, T, r: m.NLLLoss(weight=T(CLASS_WEIGHT), reduction=r),
        [np.log(PROBS)],
        [LABELS],
    ),
    "BCELoss": (lambda m, T, r: m.BCELoss(reduction=r), [PROBS], [rng.random((5, 4))]),
    "BCELoss_weight": (
        lambda m, T, r: m.BCELoss(T(FEATURE_WEIGHT), reduction=r),
        [PROBS],
        [rng.random((5, 4))],
    ),
    "BCEWithLogitsLoss": (
        lambda m, T, r: m.BCEWithLogitsLoss(reduction=r),
        [3 * X],
        [rng.random((5, 4))],
    ),
    "BCEWithLogitsLoss_weights": (
        lambda m, T, r: m.BCEWithLogitsLoss(
            T(ELEMENT_WEIGHT), reduction=r, pos_weight=T(CLASS_WEIGHT)
        ),
        [3 * X],
        [rng.random((5, 4))],
    ),
    "KLDivLoss": (lambda m, T, r: m.KLDivLoss(reduction=r), [np.log(PROBS)], [PROBS[::-1]]),
    "KLDivLoss_log_target": (
        lambda m, T, r: m.KLDivLoss(reduction=r, log_target=True),
        [np.log(PROBS)],
        [np.log(PROBS[::-1])],
    ),
    "CosineEmbeddingLoss": (
        lambda m, T, r: m.CosineEmbeddingLoss(margin=0.2, reduction=r),
        [X, Y],
        [SIGNS],
    ),
    "TripletMarginLoss": (
        lambda m, T, r: m.TripletMarginLoss(margin=2.0, reduction=r),
        [X, Y, rng.standard_normal((5, 4))],
        [],
    ),
    "TripletMarginLoss_swap_p1": (
        lambda m, T, r: m.TripletMarginLoss(p=1.0, swap=True, reduction=r),
        [X, Y, rng.standard_normal((5, 4))],
        [],
    ),
}


@DTYPES
@REDUCTIONS
@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_matches_torch(name, reduction, dtype):
    build, inputs, targets = LOSSES[name]
    check_loss(lambda m, T: build(m, T, reduction), inputs, targets, dtype)


@DTYPES
def test_kl_div_batchmean_matches_torch(dtype):
    check_loss(
        lambda m, T: m.KLDivLoss(reduction="batchmean"), [np.log(PROBS)], [PROBS[::-1]], dtype
    )


@DTYPES
def test_spatial_cross_entropy_matches_torch(dtype):
    logits = rng.standard_normal((2, 3, 4, 4))
    labels = rng.integers(0, 3, (2, 4, 4))
    labels[0, 0] = -100
    check_loss(lambda m, T: m.CrossEntropyLoss(), [logits], [labels], dtype)


def test_weighted_losses_keep_weights_as_buffers():
    weight = gradwork.tensor([1.0, 2.0, 3.0])
    loss = nn.CrossEntropyLoss(weight=weight)
    assert loss.weight is weight and list(loss.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=weight).state_dict()) == ["pos_weight"]
    assert loss.double().weight.dtype == gradwork.float64


def test_legacy_size_average_and_reduce():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.L1Loss(reduce=False).reduction == "none"
    with pytest.warns(UserWarning):
        assert nn.NLLLoss(None, True, -100, True).reduction == "mean"


def test_loss_errors():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="average")(gradwork.ones(2), gradwork.ones(2))
    with pytest.raises(ValueError, match="margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input"):
        nn.CosineEmbeddingLoss()(gradwork.ones(3), gradwork.ones(3), gradwork.tensor([1, 1, 1]))
    with pytest.raises(ValueError, match="expected target of shape"):
        nn.CrossEntropyLoss()(gradwork.ones(3, 4), gradwork.tensor([1, 2]))


def test_loss_trains_a_linear_model():
    gradwork.manual_seed(0)
    model, loss_fn = nn.Linear(4, 4), nn.CrossEntropyLoss()
    x, y = gradwork.tensor(X, dtype=gradwork.float32), gradwork.tensor(LABELS[:5])
    before = loss_fn(model(x), y)
    before.backward()
    with gradwork.no_grad():
        for param in model.parameters():
            param.sub_(0.5 * param.grad)
    assert loss_fn(model(x), y).item() < before.item()
