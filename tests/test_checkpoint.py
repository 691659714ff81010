"""gradwork.save_checkpoint / load_checkpoint: bit-identical resumption and clear errors."""

import random

import numpy as np
import pytest

import gradwork
from gradwork import optim
from gradwork.nn import Module, Parameter
from gradwork.optim import lr_scheduler
from gradwork.utils.data import DataLoader, TensorDataset

EPOCHS, STOP_EPOCH, BATCHES_PER_EPOCH = 4, 2, 6


class Layer(Module):
    def __init__(self, fan_in, fan_out):
        super().__init__()
        self.weight = Parameter(gradwork.randn(fan_in, fan_out) / fan_in**0.5)
        self.bias = Parameter(gradwork.zeros(fan_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class Net(Module):
    """Two layers with dropout in between, and a buffer that counts the forward calls."""

    def __init__(self, hidden=16):
        super().__init__()
        self.first = Layer(4, hidden)
        self.second = Layer(hidden, 3)
        self.register_buffer("calls", gradwork.tensor(0))

    def forward(self, x):
        self.calls += 1
        hidden = gradwork.dropout(gradwork.tanh(self.first(x)), p=0.3, training=self.training)
        return self.second(hidden)


SCHEDULERS = {
    "step": lambda opt: lr_scheduler.StepLR(opt, step_size=5, gamma=0.7),
    "cosine": lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS * BATCHES_PER_EPOCH),
    "onecycle": lambda opt: lr_scheduler.OneCycleLR(
        opt, max_lr=0.05, total_steps=EPOCHS * BATCHES_PER_EPOCH
    ),
}


@pytest.fixture(autouse=True)
def _keep_global_random_states():
    """The test seeds NumPy's and Python's global generators; give other tests theirs back."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    yield
    np.random.set_state(numpy_state)
    random.setstate(python_state)


def build(seed, scheduler_name):
    gradwork.manual_seed(seed)
    model = Net()
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
    scheduler = SCHEDULERS[scheduler_name](optimizer)
    data = np.random.RandomState(1).standard_normal((48, 4)).astype(np.float32)
    dataset = TensorDataset(gradwork.tensor(data), gradwork.tensor(np.arange(48) % 3))
    loader = DataLoader(dataset, batch_size=8, shuffle=True)  # order from the default generator
    return model, optimizer, scheduler, loader


def train_epochs(model, optimizer, scheduler, loader, epochs, losses):
    for _ in epochs:
        for x, y in loader:
            # Noise from NumPy's and Python's global generators, which the checkpoint also keeps.
            x = x + gradwork.tensor(0.01 * np.random.standard_normal(x.shape).astype(np.float32))
            x = x * random.uniform(0.9, 1.1)
            loss = gradwork.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())


def assert_same_state(model, other):
    state, other_state = model.state_dict(), other.state_dict()
    assert list(state) == list(other_state)
    for key in state:
        assert state[key].dtype == other_state[key].dtype
        assert state[key].numpy().tobytes() == other_state[key].numpy().tobytes(), key


@pytest.mark.parametrize("scheduler_name", sorted(SCHEDULERS))
def test_resumed_run_is_bit_identical(tmp_path, scheduler_name):
    path = tmp_path / "run.safetensors"
    np.random.seed(0)
    random.seed(0)
    model, optimizer, scheduler, loader = build(0, scheduler_name)
    assert len(loader) == BATCHES_PER_EPOCH
    losses = []
    train_epochs(model, optimizer, scheduler, loader, range(STOP_EPOCH), losses)
    save_step = len(losses)
    gradwork.save_checkpoint(
        path,
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        step=save_step,
        extra={"losses": list(losses), "epoch": STOP_EPOCH},
    )
    train_epochs(model, optimizer, scheduler, loader, range(STOP_EPOCH, EPOCHS), losses)

    # A fresh process, in effect: other initial weights and other random states everywhere.
    np.random.seed(123)
    random.seed(123)
    resumed, resumed_optimizer, resumed_scheduler, resumed_loader = build(99, scheduler_name)
    with pytest.raises(AssertionError):
        assert_same_state(model, resumed)
    info = gradwork.load_checkpoint(
        path, model=resumed, optimizer=resumed_optimizer, scheduler=resumed_scheduler
    )
    assert info["step"] == save_step
    assert info["extra"] == {"losses": losses[:save_step], "epoch": STOP_EPOCH}
    resumed_losses = list(info["extra"]["losses"])
    train_epochs(
        resumed,
        resumed_optimizer,
        resumed_scheduler,
        resumed_loader,
        range(info["extra"]["epoch"], EPOCHS),
        resumed_losses,
    )

    assert resumed_losses == losses  # exact float equality, step by step
    assert_same_state(model, resumed)
    assert int(resumed.calls) == EPOCHS * BATCHES_PER_EPOCH
    assert resumed_scheduler.get_last_lr() == scheduler.get_last_lr()
    assert resumed_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    for param, resumed_param in zip(model.parameters(), resumed.parameters()):
        buffers, resumed_buffers = optimizer.state[param], resumed_optimizer.state[resumed_param]
        assert sorted(buffers) == sorted(resumed_buffers)
        for name in buffers:
            assert buffers[name].numpy().tobytes() == resumed_buffers[name].numpy().tobytes()
    # The random streams continue identically too.
    np.testing.assert_array_equal(gradwork.rand(5).numpy(), _after_run_rand(scheduler_name))


def _after_run_rand(scheduler_name):
    """gradwork.rand(5) after the uninterrupted run (rebuilt: the test above consumed its own)."""
    np.random.seed(0)
    random.seed(0)
    model, optimizer, scheduler, loader = build(0, scheduler_name)
    train_epochs(model, optimizer, scheduler, loader, range(EPOCHS), [])
    return gradwork.rand(5).numpy()


def test_resume_inside_an_epoch_with_a_loader_generator(tmp_path):
    """The recipe for a checkpoint mid-epoch: the loader's own generator state goes in extra."""
    path = tmp_path / "run.safetensors"
    stop_batch = 3

    def run(model, optimizer, loader, generator, start_state=None, skip=0, stop=None):
        losses = []
        for epoch in range(2):
            if start_state is not None and epoch == 0:
                generator.set_state(start_state)
            epoch_state = generator.get_state()
            for batch, (x, y) in enumerate(loader):
                if epoch == 0 and batch < skip:
                    continue
                if stop is not None and (epoch, batch) == stop:
                    return losses, epoch_state, batch
                loss = gradwork.cross_entropy(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        return losses, None, None

    def fresh(seed):
        gradwork.manual_seed(seed)
        model = Net()
        optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        generator = gradwork.Generator().manual_seed(5)
        data = np.random.RandomState(1).standard_normal((48, 4)).astype(np.float32)
        dataset = TensorDataset(gradwork.tensor(data), gradwork.tensor(np.arange(48) % 3))
        loader = DataLoader(dataset, batch_size=8, shuffle=True, generator=generator)
        return model, optimizer, loader, generator

    model, optimizer, loader, generator = fresh(0)
    full, _, _ = run(model, optimizer, loader, generator)

    model, optimizer, loader, generator = fresh(0)
    first, epoch_state, batch = run(model, optimizer, loader, generator, stop=(0, stop_batch))
    gradwork.save_checkpoint(
        path,
        model=model,
        optimizer=optimizer,
        step=len(first),
        extra={"loader_state": epoch_state, "batch": batch},
    )
    model, optimizer, loader, generator = fresh(7)
    info = gradwork.load_checkpoint(path, model=model, optimizer=optimizer)
    extra = info["extra"]
    rest, _, _ = run(
        model, optimizer, loader, generator, start_state=extra["loader_state"], skip=extra["batch"]
    )
    assert first + rest == full


def test_checkpoint_is_one_safetensors_file_with_everything(tmp_path):
    path = tmp_path / "run.safetensors"
    model, optimizer, scheduler, _ = build(0, "step")
    gradwork.save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler, step=3)
    assert [p.name for p in tmp_path.iterdir()] == ["run.safetensors"]  # no temporary left
    stored = gradwork.load(path)
    assert set(stored) >= {"model", "optimizer", "scheduler", "rng", "step", "extra"}
    assert set(stored["model"]) == {
        "first.weight",
        "first.bias",
        "second.weight",
        "second.bias",
        "calls",
    }
    assert stored["rng"]["gradwork"].dtype == gradwork.uint8
    assert tuple(stored["rng"]["numpy"]["keys"].shape) == (624,)


def test_load_without_optimizer_restores_only_the_model(tmp_path):
    path = tmp_path / "run.safetensors"
    model, optimizer, scheduler, _ = build(0, "step")
    gradwork.save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler)
    state = gradwork.get_rng_state()
    other, _, _, _ = build(1, "step")
    after_build = gradwork.get_rng_state()
    info = gradwork.load_checkpoint(path, model=other, restore_rng=False)
    assert info == {"step": 0, "extra": None}
    assert_same_state(model, other)
    assert bytes(gradwork.get_rng_state().numpy()) == bytes(after_build.numpy())
    assert bytes(state.numpy()) != bytes(after_build.numpy())


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "run.safetensors"
    model, optimizer, scheduler, _ = build(0, "step")
    gradwork.save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="truncated or corrupted"):
        gradwork.load_checkpoint(path, model=model)


def test_corrupted_tensor_data_is_a_clear_error(tmp_path):
    path = tmp_path / "run.safetensors"
    model, optimizer, scheduler, _ = build(0, "step")
    gradwork.save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF  # a flipped byte inside the tensor data
    path.write_bytes(bytes(data))
    fresh, _, _, _ = build(1, "step")
    before = {key: value.numpy().copy() for key, value in fresh.state_dict().items()}
    with pytest.raises(RuntimeError, match="truncated or corrupted.*checksum"):
        gradwork.load_checkpoint(path, model=fresh)
    for key, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])


def test_garbage_file_is_a_clear_error(tmp_path):
    path = tmp_path / "run.safetensors"
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(RuntimeError, match="truncated or corrupted"):
        gradwork.load_checkpoint(path, model=Net())


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        gradwork.load_checkpoint(tmp_path / "absent.safetensors", model=Net())


def test_plain_state_dict_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "weights.safetensors"
    model = Net()
    gradwork.save(model.state_dict(), path)
    with pytest.raises(RuntimeError, match="not a gradwork checkpoint"):
        gradwork.load_checkpoint(path, model=model)


def test_wrong_shape_model_is_a_clear_error_and_changes_nothing(tmp_path):
    path = tmp_path / "run.safetensors"
    model, optimizer, scheduler, _ = build(0, "step")
    gradwork.save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler)
    wider = Net(hidden=32)
    wider_optimizer = optim.Adam(wider.parameters(), lr=0.5)
    before = {key: value.numpy().copy() for key, value in wider.state_dict().items()}
    with pytest.raises(
        RuntimeError,
        match=r"does not fit Net.*first\.weight: checkpoint \(4, 16\), "
        r"model \(4, 32\)",
    ):
        gradwork.load_checkpoint(path, model=wider, optimizer=wider_optimizer)
    for key, value in wider.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])
    assert wider_optimizer.param_groups[0]["lr"] == 0.5


def test_missing_and_unexpected_keys_are_named(tmp_path):
    path = tmp_path / "run.safetensors"
    model = Net()
    gradwork.save_checkpoint(path, model=model)
    other = Net()
    other.extra_layer = Layer(3, 3)
    del other.second
    with pytest.raises(RuntimeError, match="missing in the checkpoint: extra_layer.weight"):
        gradwork.load_checkpoint(path, model=other)
    with pytest.raises(RuntimeError, match="not in the model: second.weight"):
        gradwork.load_checkpoint(path, model=other)


def test_mismatched_optimizer_or_scheduler_is_a_clear_error(tmp_path):
    path = tmp_path / "run.safetensors"
    model, optimizer, _, _ = build(0, "step")
    gradwork.save_checkpoint(path, model=model, optimizer=optimizer)
    with pytest.raises(ValueError, match="Adam optimizer, not of a SGD"):
        gradwork.load_checkpoint(path, model=model, optimizer=optim.SGD(model.parameters(), 0.1))
    with pytest.raises(ValueError, match="holds no scheduler state"):
        gradwork.load_checkpoint(
            path, model=model, scheduler=lr_scheduler.StepLR(optimizer, step_size=2)
        )
    split = optim.Adam(
        [
            {"params": [model.first.weight]},
            {"params": list(model.second.parameters()) + [model.first.bias]},
        ]
    )
    with pytest.raises(ValueError, match="parameter groups of sizes"):
        gradwork.load_checkpoint(path, model=model, optimizer=split)


def test_unstorable_extra_is_a_clear_error(tmp_path):
    with pytest.raises(TypeError, match="cannot store a function at extra.fn"):
        gradwork.save_checkpoint(tmp_path / "x.safetensors", model=Net(), extra={"fn": lambda: 0})
    assert list(tmp_path.iterdir()) == []
