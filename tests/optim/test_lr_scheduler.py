"""Learning rate schedulers against PyTorch: the same lr (and momentum) sequences, state dicts."""

import copy
import math

import numpy as np
import pytest
import torch

import gradwork
from gradwork import optim

STEPS = 30


def make_optimizer(lib, kind="SGD"):
    """Two parameter groups with different learning rates (and momenta, for OneCycleLR)."""
    first = lib.zeros(2, requires_grad=True)
    second = lib.zeros(3, requires_grad=True)
    groups = [{"params": [first]}, {"params": [second], "lr": 0.05}]
    if kind == "Adam":
        return lib.optim.Adam(groups, lr=0.1, betas=(0.9, 0.99))
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


def chained(lib, optimizer):
    scheduler = lib.optim.lr_scheduler
    return scheduler.SequentialLR(
        optimizer,
        [
            scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=5),
            scheduler.CosineAnnealingLR(optimizer, T_max=25, eta_min=1e-4),
        ],
        milestones=[5],
    )


def three_stages(lib, optimizer):
    scheduler = lib.optim.lr_scheduler
    return scheduler.SequentialLR(
        optimizer,
        [
            scheduler.ExponentialLR(optimizer, gamma=0.8),
            scheduler.StepLR(optimizer, step_size=4, gamma=0.5),
            scheduler.LinearLR(optimizer, start_factor=0.5, end_factor=1.0, total_iters=4),
        ],
        milestones=[6, 17],
    )


def inverse(epoch):
    return 1.0 / (1.0 + epoch)


def squared(epoch):
    return 0.97**epoch


# name -> (optimizer kind, factory of the scheduler from (library, optimizer))
SCHEDULERS = {
    "StepLR": ("SGD", lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    "MultiStepLR": (
        "SGD",
        lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    ),
    "ExponentialLR": ("SGD", lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    "CosineAnnealingLR": (
        "SGD",
        lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    ),
    "CosineAnnealingLR-odd": (
        "SGD",
        lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7),
    ),
    "LambdaLR": ("SGD", lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, inverse)),
    "LambdaLR-per-group": (
        "SGD",
        lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, [inverse, squared]),
    ),
    "LinearLR": (
        "SGD",
        lambda lib, o: lib.optim.lr_scheduler.LinearLR(
            o, start_factor=0.2, end_factor=0.9, total_iters=6
        ),
    ),
    "LinearLR-decay": (
        "SGD",
        lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.1),
    ),
    "SequentialLR-warmup-cosine": ("SGD", chained),
    "SequentialLR-three": ("SGD", three_stages),
    "OneCycleLR-cos": (
        "SGD",
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS),
    ),
    "OneCycleLR-linear": (
        "SGD",
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
            o, max_lr=1.0, total_steps=STEPS, anneal_strategy="linear", pct_start=0.25
        ),
    ),
    "OneCycleLR-three-phase": (
        "SGD",
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
            o, max_lr=0.8, epochs=3, steps_per_epoch=10, three_phase=True, div_factor=10.0
        ),
    ),
    "OneCycleLR-adam-betas": (
        "Adam",
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
            o, max_lr=0.3, total_steps=STEPS, base_momentum=0.8, max_momentum=0.9
        ),
    ),
    "OneCycleLR-no-momentum": (
        "SGD",
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
            o, max_lr=0.3, total_steps=STEPS, cycle_momentum=False, final_div_factor=100.0
        ),
    ),
}


def momenta(optimizer):
    return [
        group["betas"][0] if "betas" in group else group["momentum"]
        for group in optimizer.param_groups
    ]


def run(optimizer, scheduler, steps):
    """The learning rates (and momenta) after construction and after each step."""
    record = [(list(scheduler.get_last_lr()), momenta(optimizer))]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        record.append((list(scheduler.get_last_lr()), momenta(optimizer)))
        assert [group["lr"] for group in optimizer.param_groups] == record[-1][0]
    return record


def assert_same_record(ours, theirs):
    assert len(ours) == len(theirs)
    for step, ((lrs, moms), (ref_lrs, ref_moms)) in enumerate(zip(ours, theirs)):
        assert lrs == pytest.approx(ref_lrs, rel=1e-12, abs=1e-15), f"lr at step {step}"
        assert moms == pytest.approx(ref_moms, rel=1e-12, abs=1e-15), f"momentum at step {step}"


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_schedule_matches_pytorch(name):
    kind, factory = SCHEDULERS[name]
    ours_optimizer, theirs_optimizer = make_optimizer(gradwork, kind), make_optimizer(torch, kind)
    ours = run(ours_optimizer, factory(gradwork, ours_optimizer), STEPS)
    theirs = run(theirs_optimizer, factory(torch, theirs_optimizer), STEPS)
    assert_same_record(ours, theirs)
    assert len({tuple(lrs) for lrs, _ in ours}) > 2  # the schedule changed the rate


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_state_dict_round_trip(name):
    kind, factory = SCHEDULERS[name]
    optimizer = make_optimizer(gradwork, kind)
    scheduler = factory(gradwork, optimizer)
    run(optimizer, scheduler, STEPS // 3)
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    saved_scheduler = copy.deepcopy(scheduler.state_dict())
    assert "optimizer" not in saved_scheduler
    uninterrupted = run(optimizer, scheduler, STEPS - STEPS // 3)

    # As in PyTorch: build the scheduler, then load the optimizer, then the scheduler.
    resumed_optimizer = make_optimizer(gradwork, kind)
    resumed = factory(gradwork, resumed_optimizer)
    resumed_optimizer.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved_scheduler)
    assert_same_record(run(resumed_optimizer, resumed, STEPS - STEPS // 3), uninterrupted)


METRICS = (1.0 + np.cumsum(np.random.default_rng(0).normal(0.0, 0.1, size=40))).tolist()

PLATEAU_OPTIONS = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(mode="max", patience=1, factor=0.5, min_lr=0.02),
    dict(patience=0, threshold=0.05, threshold_mode="abs", cooldown=3, factor=0.7),
    dict(mode="max", patience=2, threshold=0.01, threshold_mode="abs", min_lr=[0.01, 0.001]),
    dict(patience=1, factor=0.2, min_lr=0.0099999, eps=1e-3),
]


@pytest.mark.parametrize("options", PLATEAU_OPTIONS, ids=[str(o) for o in PLATEAU_OPTIONS])
def test_reduce_lr_on_plateau_matches_pytorch(options):
    records = []
    for lib in (gradwork, torch):
        optimizer = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **options)
        record = []
        for metric in METRICS:
            scheduler.step(metric)
            record.append((list(scheduler.get_last_lr()), scheduler.num_bad_epochs))
        records.append(record)
    assert records[0] == records[1]
    assert len({tuple(lrs) for lrs, _ in records[0]}) > 1 or not options


def test_reduce_lr_on_plateau_state_dict_and_tensor_metric():
    optimizer = make_optimizer(gradwork)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=1, factor=0.5)
    for metric in METRICS[:10]:
        scheduler.step(gradwork.tensor(metric))
    state = copy.deepcopy(scheduler.state_dict())
    rest = []
    for metric in METRICS[10:]:
        scheduler.step(metric)
        rest.append(scheduler.get_last_lr())

    resumed_optimizer = make_optimizer(gradwork)
    resumed = optim.lr_scheduler.ReduceLROnPlateau(resumed_optimizer, mode="max")
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    for group, lr in zip(resumed_optimizer.param_groups, state["_last_lr"]):
        group["lr"] = lr
    resumed.load_state_dict(state)
    assert resumed.mode == "min" and resumed.mode_worse == math.inf
    resumed_rest = []
    for metric in METRICS[10:]:
        resumed.step(metric)
        resumed_rest.append(resumed.get_last_lr())
    assert resumed_rest == rest


def test_closed_form_step_with_epoch_matches_recursive():
    optimizer = make_optimizer(gradwork)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001)
    recursive = [lrs for lrs, _ in run(optimizer, scheduler, 10)]
    closed = make_optimizer(gradwork)
    jumping = optim.lr_scheduler.CosineAnnealingLR(closed, T_max=10, eta_min=0.001)
    for epoch in range(1, 11):
        closed.step()
        with pytest.warns(UserWarning, match="deprecated"):
            jumping.step(epoch)
        assert jumping.get_last_lr() == pytest.approx(recursive[epoch], rel=1e-12)


def test_warns_when_stepped_before_the_optimizer():
    optimizer = make_optimizer(gradwork)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()


def test_invalid_arguments():
    optimizer = make_optimizer(gradwork)
    with pytest.raises(TypeError, match="not an Optimizer"):
        optim.lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=1.0)
    with pytest.raises(ValueError, match="total_steps"):
        optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0)
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.StepLR(make_optimizer(gradwork), step_size=1, last_epoch=3)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=2)
    for _ in range(2):
        optimizer.step()
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        scheduler.step()
    with pytest.raises(ValueError, match="milestone"):
        optim.lr_scheduler.SequentialLR(optimizer, [scheduler], milestones=[3])
