"""Optimizers against PyTorch: identical float64 trajectories, state dicts, zero_grad, EMA."""

import copy

import numpy as np
import pytest
import torch

import gradwork
from gradwork import optim

STEPS = 20
TOL = dict(rtol=1e-10, atol=1e-10)

# A small smooth problem in three tensors: a Rosenbrock-like valley in (a, b) and an
# exponential bowl in c, built from elementwise ops only.
INITIAL = [
    np.array([0.5, -1.2, 0.3]),
    np.array([1.0, 0.4, -0.7]),
    np.array([[0.2, -0.3], [1.1, 0.6]]),
]


def loss_of(lib, a, b, c, sign=1.0):
    """The objective; ``sign=-1`` turns it into one to maximize (with the same maximizer)."""
    return sign * (((b - a * a) ** 2 + 0.5 * (1 - a) ** 2).sum() + (lib.exp(0.5 * c) * c * c).sum())


def gradwork_params():
    return [gradwork.tensor(array.copy(), requires_grad=True) for array in INITIAL]


def torch_params():
    return [torch.tensor(array.copy(), requires_grad=True) for array in INITIAL]


def groups_of(params, grouped, group_options):
    if not grouped:
        return params
    return [{"params": params[:2]}, {"params": params[2:], **group_options}]


CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.02, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True, betas=(0.3, 0.8))),
    ("Adam", dict(lr=0.02, maximize=True, eps=1e-6)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.02, maximize=True, betas=(0.5, 0.9))),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, maximize=True, alpha=0.4, centered=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.05, maximize=True, eps=1e-6)),
]

# Options of the second parameter group in the grouped runs.
GROUP_OPTIONS = {
    "SGD": dict(lr=0.01, momentum=0.3),
    "Adam": dict(lr=0.01, betas=(0.8, 0.99)),
    "AdamW": dict(lr=0.01, weight_decay=0.05),
    "RMSprop": dict(lr=0.002, alpha=0.95),
    "Adagrad": dict(lr=0.02, lr_decay=0.1),
}


def case_id(case):
    name, options = case
    return name + "-" + "-".join(f"{key}={value}" for key, value in options.items())


def sign_of(optimizer):
    return -1.0 if optimizer.param_groups[0]["maximize"] else 1.0


def run_gradwork(optimizer, params, steps):
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(gradwork, *params, sign=sign_of(optimizer)).backward()
        optimizer.step()
        trajectory.append([param.detach().numpy().copy() for param in params])
    return trajectory


def run_torch(optimizer, params, steps):
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(torch, *params, sign=sign_of(optimizer)).backward()
        optimizer.step()
        trajectory.append([param.detach().numpy().copy() for param in params])
    return trajectory


def assert_same_trajectory(ours, theirs):
    assert len(ours) == len(theirs)
    for step, (mine, reference) in enumerate(zip(ours, theirs)):
        for index, (x, y) in enumerate(zip(mine, reference)):
            np.testing.assert_allclose(x, y, **TOL, err_msg=f"step {step}, param {index}")


@pytest.mark.parametrize("grouped", [False, True], ids=["one_group", "two_groups"])
@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_trajectory_matches_pytorch(case, grouped):
    name, options = case
    ours, theirs = gradwork_params(), torch_params()
    group_options = GROUP_OPTIONS[name]
    optimizer = getattr(optim, name)(groups_of(ours, grouped, group_options), **options)
    reference = getattr(torch.optim, name)(
        groups_of(theirs, grouped, group_options), **options, foreach=False
    )
    assert_same_trajectory(
        run_gradwork(optimizer, ours, STEPS), run_torch(reference, theirs, STEPS)
    )
    # The comparison is not vacuous: the parameters moved.
    assert not np.allclose(ours[0].detach().numpy(), INITIAL[0])


def to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, gradwork.Tensor):
        return value.detach().numpy()
    return value


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_state_dict_layout_matches_pytorch(case):
    name, options = case
    ours, theirs = gradwork_params(), torch_params()
    optimizer = getattr(optim, name)(groups_of(ours, True, GROUP_OPTIONS[name]), **options)
    reference = getattr(torch.optim, name)(
        groups_of(theirs, True, GROUP_OPTIONS[name]), **options, foreach=False
    )
    run_gradwork(optimizer, ours, 3)
    run_torch(reference, theirs, 3)
    mine, expected = optimizer.state_dict(), reference.state_dict()
    assert sorted(mine["state"]) == sorted(expected["state"])
    for index, buffers in expected["state"].items():
        assert sorted(mine["state"][index]) == sorted(buffers)
        for key, value in buffers.items():
            np.testing.assert_allclose(to_numpy(mine["state"][index][key]), to_numpy(value), **TOL)
    assert len(mine["param_groups"]) == len(expected["param_groups"])
    for group, reference_group in zip(mine["param_groups"], expected["param_groups"]):
        assert group["params"] == reference_group["params"]
        for key, value in group.items():
            assert reference_group[key] == value, key


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_state_dict_round_trip_continues_identically(case):
    name, options = case
    params = gradwork_params()
    optimizer = getattr(optim, name)(groups_of(params, True, GROUP_OPTIONS[name]), **options)
    run_gradwork(optimizer, params, STEPS // 2)
    saved_state = copy.deepcopy(optimizer.state_dict())
    saved_params = [param.detach().numpy().copy() for param in params]
    uninterrupted = run_gradwork(optimizer, params, STEPS // 2)

    resumed_params = [gradwork.tensor(array, requires_grad=True) for array in saved_params]
    resumed = getattr(optim, name)(groups_of(resumed_params, True, {"lr": 123.0}), lr=7.0)
    resumed.load_state_dict(saved_state)
    assert resumed.param_groups[1]["lr"] == optimizer.param_groups[1]["lr"]
    assert_same_trajectory(run_gradwork(resumed, resumed_params, STEPS // 2), uninterrupted)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_loads_a_pytorch_state_dict(name):
    options = dict(CASES[[case[0] for case in CASES].index(name) + 1][1])
    theirs = torch_params()
    reference = getattr(torch.optim, name)(theirs, **options, foreach=False)
    run_torch(reference, theirs, 5)
    state = reference.state_dict()
    converted = {
        "state": {
            index: {
                key: gradwork.tensor(value.numpy().copy()) if torch.is_tensor(value) else value
                for key, value in buffers.items()
            }
            for index, buffers in state["state"].items()
        },
        "param_groups": copy.deepcopy(state["param_groups"]),
    }
    ours = [gradwork.tensor(param.detach().numpy().copy(), requires_grad=True) for param in theirs]
    optimizer = getattr(optim, name)(ours, **options)
    optimizer.load_state_dict(converted)
    assert_same_trajectory(run_gradwork(optimizer, ours, 5), run_torch(reference, theirs, 5))


def test_add_param_group_mid_run_matches_pytorch():
    ours, theirs = gradwork_params(), torch_params()
    optimizer = optim.Adam(ours[:2], lr=0.05)
    reference = torch.optim.Adam(theirs[:2], lr=0.05, foreach=False)
    first = run_gradwork(optimizer, ours, 5), run_torch(reference, theirs, 5)
    assert_same_trajectory(*first)
    optimizer.add_param_group({"params": ours[2], "lr": 0.01})
    reference.add_param_group({"params": theirs[2], "lr": 0.01})
    assert optimizer.param_groups[1]["betas"] == (0.9, 0.999)
    assert_same_trajectory(run_gradwork(optimizer, ours, 5), run_torch(reference, theirs, 5))


def test_zero_grad():
    params = gradwork_params()
    optimizer = optim.SGD(params, lr=0.1)
    loss_of(gradwork, *params).backward()
    optimizer.zero_grad(set_to_none=False)
    for param in params:
        assert param.grad is not None
        np.testing.assert_array_equal(param.grad.numpy(), 0.0)
    optimizer.zero_grad()
    assert all(param.grad is None for param in params)


def test_parameters_without_grad_are_skipped():
    params = gradwork_params()
    optimizer = optim.Adam(params, lr=0.1)
    params[0].grad = gradwork.ones(3, dtype=gradwork.float64)
    optimizer.step()
    assert params[0] in optimizer.state
    assert params[1] not in optimizer.state
    np.testing.assert_array_equal(params[1].detach().numpy(), INITIAL[1])


def test_step_bumps_the_version_and_runs_the_closure():
    params = gradwork_params()
    optimizer = optim.SGD(params, lr=0.01)
    versions = [param._version for param in params]

    def closure():
        optimizer.zero_grad()
        loss = loss_of(gradwork, *params)
        loss.backward()
        return loss

    with gradwork.no_grad():  # the closure still records its graph
        loss = optimizer.step(closure)
    assert float(loss) == pytest.approx(float(loss_of(np, *INITIAL)))
    assert [param._version for param in params] == [version + 1 for version in versions]
    assert all(not param.grad.requires_grad for param in params)


def test_step_works_in_float32():
    params = [gradwork.tensor(array.astype(np.float32), requires_grad=True) for array in INITIAL]
    optimizer = optim.Adam(params, lr=0.05)
    run_gradwork(optimizer, params, 3)
    assert all(param.dtype == gradwork.float32 for param in params)
    assert all(
        value._data.dtype == np.float32
        for value in optimizer.state[params[0]].values()
        if value.ndim > 0
    )


def test_invalid_arguments():
    params = gradwork_params()
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SGD(params, lr=-1.0)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.Adam(params, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(params[0], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": params}, {"params": params[:1]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([params[0] * 2], lr=0.1)
    optimizer = optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD(params, lr=0.1).load_state_dict(optimizer.state_dict())


def test_named_parameters_are_kept():
    params = gradwork_params()
    optimizer = optim.SGD([("a", params[0]), ("b", params[1])], lr=0.1)
    assert optimizer.param_groups[0]["param_names"] == ["a", "b"]
    assert optimizer.state_dict()["param_groups"][0]["param_names"] == ["a", "b"]


# -- exponential moving average ------------------------------------------------------------------


def test_ema_follows_the_formula():
    params = gradwork_params()
    ema = optim.ExponentialMovingAverage(params, decay=0.9)
    expected = [array.copy() for array in INITIAL]
    optimizer = optim.SGD(params, lr=0.05, momentum=0.5)
    for n in range(1, 16):
        optimizer.zero_grad()
        loss_of(gradwork, *params).backward()
        optimizer.step()
        ema.update()
        decay = min(0.9, (1 + n) / (10 + n))
        for shadow, param in zip(expected, params):
            shadow -= (1 - decay) * (shadow - param.detach().numpy())
    for shadow, reference in zip(ema.shadow_params, expected):
        np.testing.assert_allclose(shadow.numpy(), reference, rtol=1e-14, atol=1e-14)
    assert ema.num_updates == 15


def test_ema_without_warmup_and_with_explicit_parameters():
    params = [gradwork.zeros(3, dtype=gradwork.float64, requires_grad=True)]
    ema = optim.ExponentialMovingAverage(params, decay=0.5, use_num_updates=False)
    targets = [np.full(3, 4.0)]
    ema.update([gradwork.tensor(targets[0])])
    ema.update([gradwork.tensor(targets[0])])
    np.testing.assert_allclose(ema.shadow_params[0].numpy(), 3.0)  # 0 -> 2 -> 3
    with pytest.raises(ValueError, match="expected 1"):
        ema.update([])


def test_ema_copy_store_restore_and_state_dict():
    params = gradwork_params()
    ema = optim.ExponentialMovingAverage(params, decay=0.8, use_num_updates=False)
    with gradwork.no_grad():
        for param in params:
            param.add_(1.0)
    ema.update()
    averaged = [shadow.numpy().copy() for shadow in ema.shadow_params]
    raw = [param.detach().numpy().copy() for param in params]
    versions = [param._version for param in params]

    ema.store()
    ema.copy_to()
    for param, shadow in zip(params, averaged):
        np.testing.assert_array_equal(param.detach().numpy(), shadow)
    assert [param._version for param in params] == [version + 1 for version in versions]
    ema.restore()
    for param, original in zip(params, raw):
        np.testing.assert_array_equal(param.detach().numpy(), original)

    fresh = optim.ExponentialMovingAverage(gradwork_params(), decay=0.1)
    fresh.load_state_dict(copy.deepcopy(ema.state_dict()))
    assert fresh.decay == 0.8 and fresh.num_updates is None
    for mine, theirs in zip(fresh.shadow_params, ema.shadow_params):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    ema.update()  # the loaded copy does not alias the original
    assert not np.array_equal(fresh.shadow_params[0].numpy(), ema.shadow_params[0].numpy())


ADAM_OPTIONS = [
    dict(lr=0.05),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    dict(lr=0.05, maximize=True),
]


def _adam_trajectory(options, per_parameter: bool, monkeypatch, skip_step=None, reload_at=None):
    """Parameters after STEPS Adam steps; ``skip_step``: the step at which the first tensor
    has no gradient; ``reload_at``: the step before which the state goes through a state dict."""
    params = gradwork_params()
    optimizer = optim.Adam(params, **options)
    if per_parameter:
        monkeypatch.setattr(optimizer, "_flat_buffers", lambda *args: None)
    sign = -1.0 if options.get("maximize") else 1.0
    for step in range(STEPS):
        if step == reload_at:
            saved = copy.deepcopy(optimizer.state_dict())
            optimizer = optim.Adam(params, **options)
            optimizer.load_state_dict(saved)
            if per_parameter:
                monkeypatch.setattr(optimizer, "_flat_buffers", lambda *args: None)
        optimizer.zero_grad()
        loss_of(gradwork, *params, sign=sign).backward()
        if step == skip_step:
            params[0].grad = None
        optimizer.step()
    return [param.detach().numpy().copy() for param in params], optimizer


@pytest.mark.parametrize("options", ADAM_OPTIONS)
@pytest.mark.parametrize("events", [{}, {"skip_step": 5}, {"reload_at": 7}])
def test_adam_group_update_equals_per_parameter_update(options, events, monkeypatch):
    """The whole-group update through flat buffers gives exactly the per-parameter update,
    also when a parameter skips a step (its step count differs: per-parameter from then on)
    and when the state is replaced by load_state_dict (copied into new flat buffers)."""
    grouped, optimizer = _adam_trajectory(options, False, monkeypatch, **events)
    single, _ = _adam_trajectory(options, True, monkeypatch, **events)
    for ours, reference in zip(grouped, single):
        np.testing.assert_array_equal(ours, reference)
    if not events:  # every state tensor is a view of the group's flat buffers
        state = optimizer.state[optimizer.param_groups[0]["params"][1]]
        assert state["exp_avg"]._data.base is optimizer._flat_groups[0][1][0]
