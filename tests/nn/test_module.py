"""Module, Parameter and containers: registration, naming, modes, state dicts, hooks, repr."""

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import gradwork
from gradwork import nn
from gradwork.nn import (
    Module,
    ModuleDict,
    ModuleList,
    Parameter,
    ParameterDict,
    ParameterList,
    Sequential,
)


class Affine(Module):
    """y = x W^T + b, built from Parameters directly (layers come later)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.weight = Parameter(gradwork.randn(out_features, in_features))
        self.bias = Parameter(gradwork.randn(out_features)) if bias else None

    def forward(self, x):
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        in_features, out_features = self.weight.shape[1], self.weight.shape[0]
        return f"in_features={in_features}, out_features={out_features}"


class Norm(Module):
    """A module with a persistent buffer, a non-persistent one and an integer buffer."""

    def __init__(self, n):
        super().__init__()
        self.scale = Parameter(gradwork.ones(n))
        self.register_buffer("running_mean", gradwork.zeros(n))
        self.register_buffer("num_batches_tracked", gradwork.tensor(0))
        self.register_buffer("cache", gradwork.zeros(n), persistent=False)

    def forward(self, x):
        return x * self.scale


class Net(Module):
    def __init__(self):
        super().__init__()
        self.fc = Affine(4, 3)
        self.norm = Norm(3)
        self.layers = Sequential(Affine(3, 3), Affine(3, 2))

    def forward(self, x):
        return self.layers(self.norm(self.fc(x)))


def arrays(state):
    return {key: np.asarray(value) for key, value in state.items()}


# -- Parameter ----------------------------------------------------------------------------------
def test_parameter_requires_grad_and_shares_data():
    source = gradwork.zeros(3)
    param = Parameter(source)
    assert param.requires_grad and param.is_leaf
    assert isinstance(param, gradwork.Tensor)
    with gradwork.no_grad():
        param.add_(1.0)
    assert source.tolist() == [1.0, 1.0, 1.0]
    assert not Parameter(source, requires_grad=False).requires_grad


def test_parameter_repr_and_ops_return_tensors():
    param = Parameter(gradwork.tensor([1.0, 2.0]))
    assert repr(param) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert type(param * 2) is gradwork.Tensor
    assert type(param.detach()) is gradwork.Tensor


def test_parameter_gradient_flows():
    param = Parameter(gradwork.tensor([1.0, 2.0]))
    (param * param).sum().backward()
    np.testing.assert_allclose(param.grad.numpy(), [2.0, 4.0])


def test_parameter_deepcopy():
    param = Parameter(gradwork.tensor([1.0, 2.0]))
    clone = copy.deepcopy(param)
    assert type(clone) is Parameter and clone.requires_grad
    assert clone._data is not param._data
    np.testing.assert_array_equal(clone.numpy(force=True), [1.0, 2.0])


# -- registration -------------------------------------------------------------------------------
def test_setattr_registers_parameters_modules_buffers():
    net = Net()
    assert list(net._parameters) == []
    assert list(net._modules) == ["fc", "norm", "layers"]
    assert list(net.norm._buffers) == ["running_mean", "num_batches_tracked", "cache"]
    assert net.fc.weight is net.fc._parameters["weight"]
    plain = gradwork.zeros(2)
    net.plain = plain  # a plain tensor is an ordinary attribute, not a buffer
    assert "plain" not in net._buffers and net.plain is plain


def test_register_parameter_none_and_replacement():
    affine = Affine(2, 2, bias=False)
    assert affine.bias is None
    assert [name for name, _ in affine.named_parameters()] == ["weight"]
    assert list(affine.state_dict()) == ["weight"]
    affine.bias = Parameter(gradwork.zeros(2))
    assert [name for name, _ in affine.named_parameters()] == ["weight", "bias"]


def test_registration_errors():
    module = Module()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        affine = Affine(2, 2)
        affine.weight = gradwork.zeros(2, 2)
    with pytest.raises(KeyError, match="contain"):
        module.register_parameter("a.b", Parameter(gradwork.zeros(1)))
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        module.register_buffer("forward", gradwork.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'ndarray' object to buffer"):
        module.register_buffer("b", np.zeros(1))
    with pytest.raises(ValueError, match="non-leaf"):
        module.register_parameter("y", _non_leaf())

    class Early(Module):
        def __init__(self):
            self.w = Parameter(gradwork.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def _non_leaf():
    """A Parameter object that has a grad_fn (what PyTorch rejects)."""
    param = Parameter(gradwork.zeros(2))
    param.grad_fn = (Parameter(gradwork.zeros(2)) * 2).grad_fn
    return param


def test_reassigning_kind_moves_between_registries():
    module = Module()
    module.register_buffer("x", gradwork.zeros(1))
    module.x = Parameter(gradwork.zeros(1))
    assert "x" in module._parameters and "x" not in module._buffers
    module.x = None
    assert module._parameters["x"] is None
    module.child = Module()
    module.child = None
    assert module._modules["child"] is None


def test_getattr_delattr_dir():
    net = Net()
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'missing'"):
        net.missing  # noqa: B018
    assert {"fc", "norm", "layers"} <= set(dir(net))
    assert "running_mean" in dir(net.norm)
    del net.fc
    assert "fc" not in net._modules
    del net.norm.running_mean
    assert "running_mean" not in net.norm.state_dict()
    assert net.get_submodule("layers.1") is net.layers[1]
    with pytest.raises(AttributeError):
        net.get_submodule("layers.x")


def test_add_module_and_register_module():
    module = Module()
    child = Module()
    module.add_module("a", child)
    module.register_module("b", Module())
    assert list(module._modules) == ["a", "b"] and module.a is child
    with pytest.raises(TypeError, match="is not a Module subclass"):
        module.add_module("c", 3)


# -- naming -------------------------------------------------------------------------------------
def test_named_parameters_nested():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == [
        "fc.weight",
        "fc.bias",
        "norm.scale",
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ]
    assert [name for name, _ in net.named_parameters(prefix="model")][0] == "model.fc.weight"
    assert list(net.named_parameters(recurse=False)) == []
    assert len(list(net.parameters())) == 7


def test_shared_parameters_and_modules_appear_once():
    shared = Affine(2, 2)
    model = Sequential(shared, Affine(2, 2), shared)
    assert [name for name, _ in model.named_parameters()] == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
    ]
    assert len(list(model.modules())) == 3
    assert len(list(model.children())) == 2
    tied = Sequential(Affine(2, 2), Affine(2, 2))
    tied[1].weight = tied[0].weight
    assert [name for name, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    everything = [name for name, _ in tied.named_parameters(remove_duplicate=False)]
    assert everything == ["0.weight", "0.bias", "1.weight", "1.bias"]
    # state_dict keeps every name, as PyTorch's does
    assert list(tied.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_named_modules_children_buffers():
    net = Net()
    assert [name for name, _ in net.named_modules()] == [
        "",
        "fc",
        "norm",
        "layers",
        "layers.0",
        "layers.1",
    ]
    assert [name for name, _ in net.named_children()] == ["fc", "norm", "layers"]
    assert [name for name, _ in net.named_buffers()] == [
        "norm.running_mean",
        "norm.num_batches_tracked",
        "norm.cache",
    ]
    assert len(list(net.buffers())) == 3


def test_names_match_pytorch():
    class TorchAffine(torch.nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.randn(o, i))
            self.bias = torch.nn.Parameter(torch.randn(o))

    class TorchNorm(torch.nn.Module):
        def __init__(self, n):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(n))
            self.register_buffer("running_mean", torch.zeros(n))
            self.register_buffer("num_batches_tracked", torch.tensor(0))
            self.register_buffer("cache", torch.zeros(n), persistent=False)

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = TorchAffine(4, 3)
            self.norm = TorchNorm(3)
            self.layers = torch.nn.Sequential(TorchAffine(3, 3), TorchAffine(3, 2))

    ours, theirs = Net(), TorchNet()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


# -- modes and bulk changes ---------------------------------------------------------------------
def test_train_eval_propagate():
    net = Net()
    assert all(module.training for module in net.modules())
    assert net.eval() is net
    assert not any(module.training for module in net.modules())
    net.train()
    assert all(module.training for module in net.modules())
    net.layers.train(False)
    assert net.training and not net.layers[0].training
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_zero_grad_and_requires_grad():
    net = Net()
    net(gradwork.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(not np.any(p.grad.numpy()) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_apply_visits_children_first():
    net = Net()
    seen = []
    assert net.apply(lambda module: seen.append(type(module).__name__)) is net
    assert seen == ["Affine", "Norm", "Affine", "Affine", "Sequential", "Net"]


def test_to_dtype_keeps_parameter_objects():
    net = Net()
    weight = net.fc.weight
    net(gradwork.randn(2, 4)).sum().backward()
    assert net.double() is net
    assert net.fc.weight is weight and weight.dtype == gradwork.float64
    assert weight.grad.dtype == gradwork.float64
    assert net.norm.running_mean.dtype == gradwork.float64
    assert net.norm.num_batches_tracked.dtype == gradwork.int64  # integers are left alone
    net.to(dtype=gradwork.float32)
    assert weight.dtype == gradwork.float32
    net.to("cpu")
    assert weight.device == gradwork.device("cpu")
    with pytest.raises(TypeError, match="floating point"):
        net.to(gradwork.int64)
    assert net.float().fc.weight.dtype == gradwork.float32


def test_deepcopy_module():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.fc.weight is not net.fc.weight
    assert isinstance(clone.fc.weight, Parameter)
    for (name, a), (_, b) in zip(net.state_dict().items(), clone.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


# -- state dict ---------------------------------------------------------------------------------
def test_state_dict_contents():
    net = Net()
    state = net.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == [
        "fc.weight",
        "fc.bias",
        "norm.scale",
        "norm.running_mean",
        "norm.num_batches_tracked",
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ]
    assert not any(value.requires_grad for value in state.values())
    assert not any(isinstance(value, Parameter) for value in state.values())
    assert state["fc.weight"]._data is net.fc.weight._data  # detached, sharing data
    kept = net.state_dict(keep_vars=True)
    assert kept["fc.weight"] is net.fc.weight
    assert list(net.state_dict(prefix="m."))[0] == "m.fc.weight"


def test_state_dict_round_trip():
    source, target = Net(), Net()
    with gradwork.no_grad():
        source.norm.running_mean.add_(3.0)
        source.norm.num_batches_tracked.add_(7)
    weight = target.fc.weight
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert target.fc.weight is weight  # copied in place
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key].numpy(), value.numpy())
    assert target.norm.num_batches_tracked.item() == 7
    # a copy, not an alias
    with gradwork.no_grad():
        source.fc.weight.add_(1.0)
    assert not np.array_equal(source.fc.weight._data, target.fc.weight._data)


def test_load_state_dict_from_numpy_casts_dtype():
    net = Affine(2, 2)
    state = {"weight": np.eye(2), "bias": np.array([1, 2])}  # float64 and int64
    net.load_state_dict(state)
    assert net.weight.dtype == gradwork.float32
    np.testing.assert_array_equal(net.weight.numpy(force=True), np.eye(2))
    np.testing.assert_array_equal(net.bias.numpy(force=True), [1.0, 2.0])
    assert net.weight.requires_grad


def test_load_state_dict_strict_errors_list_everything():
    net = Net()
    state = net.state_dict()
    del state["fc.bias"]
    del state["layers.1.weight"]
    state["extra"] = gradwork.zeros(1)
    state["layers.5.weight"] = gradwork.zeros(1)
    state["norm.cache"] = gradwork.zeros(3)  # non-persistent buffers are not expected
    state["fc.weight"] = gradwork.zeros(3, 5)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(state)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict for Net:\n\t")
    assert 'Missing key(s) in state_dict: "fc.bias", "layers.1.weight".' in message
    assert 'Unexpected key(s) in state_dict: "extra", "norm.cache", "layers.5.weight".' in message
    assert (
        "size mismatch for fc.weight: copying a param with shape (3, 5) from checkpoint, "
        "the shape in current model is (3, 4)." in message
    )


def test_load_state_dict_non_strict():
    net = Net()
    state = net.state_dict()
    del state["fc.bias"]
    state["extra"] = gradwork.zeros(1)
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert missing == ["fc.bias"] and unexpected == ["extra"]
    # size mismatches raise even when not strict, as in PyTorch
    state["fc.weight"] = np.zeros((10, 5))
    with pytest.raises(
        RuntimeError,
        match=r"size mismatch for fc.weight: copying a param "
        r"with shape \(10, 5\) from checkpoint, the shape in current model is "
        r"\(3, 4\)",
    ):
        net.load_state_dict(state, strict=False)


def test_load_state_dict_bad_values():
    net = Affine(2, 2)
    with pytest.raises(RuntimeError, match='parameter named "weight", expected a gradwork'):
        net.load_state_dict({"weight": [[1.0, 0.0], [0.0, 1.0]], "bias": np.zeros(2)})
    with pytest.raises(TypeError, match="dict-like"):
        net.load_state_dict([("weight", np.zeros((2, 2)))])


def test_load_pytorch_state_dict_by_name():
    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2)
    )
    reference(torch.randn(16, 4))  # updates the batch-norm running statistics

    class BatchNormState(Module):
        def __init__(self, n):
            super().__init__()
            self.weight = Parameter(gradwork.ones(n))
            self.bias = Parameter(gradwork.zeros(n))
            self.register_buffer("running_mean", gradwork.zeros(n))
            self.register_buffer("running_var", gradwork.ones(n))
            self.register_buffer("num_batches_tracked", gradwork.tensor(0))

        def forward(self, x):
            return (x - self.running_mean) / (self.running_var + 1e-5) ** 0.5 * self.weight + (
                self.bias
            )

    ours = Sequential(Affine(4, 8), BatchNormState(8), Affine(8, 2))
    torch_state = {key: value.detach().numpy() for key, value in reference.state_dict().items()}
    assert ours.load_state_dict(torch_state) == ([], [])
    for key, value in torch_state.items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value, err_msg=key)
    assert ours[1].num_batches_tracked.item() == 1
    reference.eval()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(
        ours(gradwork.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6
    )


def test_custom_load_from_state_dict_hook_point():
    class Renamed(Affine):
        def _load_from_state_dict(self, state_dict, prefix, *args):
            state_dict = dict(state_dict)
            if prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            super()._load_from_state_dict(state_dict, prefix, *args)

    model = Sequential(Renamed(2, 2))
    model.load_state_dict({"0.w": np.eye(2), "0.bias": np.zeros(2)}, strict=False)
    np.testing.assert_array_equal(model[0].weight.numpy(force=True), np.eye(2))


# -- calling and hooks --------------------------------------------------------------------------
def test_forward_required():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        Module()(1)


def test_forward_hooks_order_replace_and_remove():
    net = Affine(2, 2)
    calls = []

    def pre(module, args):
        calls.append("pre")
        return args[0] * 0  # replaces the input (a single value is wrapped into a tuple)

    def post(module, args, output):
        calls.append("post")
        assert np.all(args[0].numpy() == 0)
        return output * 0 + 1

    pre_handle = net.register_forward_pre_hook(pre)
    post_handle = net.register_forward_hook(post)
    first = net.register_forward_hook(lambda *a: calls.append("first"), prepend=True)
    output = net(gradwork.ones(3, 2))
    assert calls == ["pre", "first", "post"]
    np.testing.assert_array_equal(output.detach().numpy(), np.ones((3, 2)))
    for handle in (pre_handle, post_handle, first):
        handle.remove()
    calls.clear()
    output = net(gradwork.ones(3, 2))
    assert calls == []
    assert not np.all(output.detach().numpy() == 1)


def test_hooks_with_kwargs():
    class Scale(Module):
        def forward(self, x, *, factor=1.0):
            return x * factor

    module = Scale()

    def pre(module, args, kwargs):
        return args, {"factor": 3.0}

    seen = {}

    def post(module, args, kwargs, output):
        seen.update(kwargs)

    module.register_forward_pre_hook(pre, with_kwargs=True)
    module.register_forward_hook(post, with_kwargs=True)
    assert module(gradwork.tensor(2.0), factor=5.0).item() == 6.0
    assert seen == {"factor": 3.0}


def test_same_hook_twice_removes_one():
    module = Affine(1, 1)
    calls = []

    def hook(*args):
        calls.append(1)

    first = module.register_forward_hook(hook)
    module.register_forward_hook(hook)
    first.remove()
    module(gradwork.ones(1, 1))
    assert calls == [1]


# -- repr ---------------------------------------------------------------------------------------
def test_repr_tree():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (fc): Affine(in_features=4, out_features=3)\n"
        "  (norm): Norm()\n"
        "  (layers): Sequential(\n"
        "    (0): Affine(in_features=3, out_features=3)\n"
        "    (1): Affine(in_features=3, out_features=2)\n"
        "  )\n"
        ")"
    )
    assert repr(Module()) == "Module()"


def test_repr_matches_pytorch_for_module_list():
    ours = ModuleList([Sequential(), Sequential(), Module()])
    theirs = torch.nn.ModuleList([torch.nn.Sequential(), torch.nn.Sequential(), torch.nn.Module()])
    assert repr(ours) == repr(theirs)
    assert repr(ModuleList()) == repr(torch.nn.ModuleList())


# -- containers ---------------------------------------------------------------------------------
def test_sequential():
    layers = [Affine(2, 3), Affine(3, 3), Affine(3, 1)]
    model = Sequential(*layers)
    x = gradwork.randn(4, 2)
    expected = layers[2](layers[1](layers[0](x)))
    np.testing.assert_array_equal(model(x).detach().numpy(), expected.detach().numpy())
    assert len(model) == 3 and model[0] is layers[0] and model[-1] is layers[2]
    assert list(model) == layers
    assert isinstance(model[1:], Sequential) and list(model[1:]) == layers[1:]
    model.append(Affine(1, 1))
    assert len(model) == 4 and list(model._modules) == ["0", "1", "2", "3"]
    del model[0]
    assert list(model._modules) == ["0", "1", "2"] and model[0] is layers[1]
    model[0] = layers[0]
    assert model[0] is layers[0]
    model.insert(0, Affine(2, 2))
    assert len(model) == 4 and model[1] is layers[0]
    assert model.pop(0) is not layers[0] and len(model) == 3
    with pytest.raises(IndexError):
        model[3]


def test_sequential_from_ordered_dict():
    model = Sequential(OrderedDict([("encoder", Affine(2, 3)), ("decoder", Affine(3, 2))]))
    assert [name for name, _ in model.named_children()] == ["encoder", "decoder"]
    assert model.encoder is model[0]
    assert list(model.state_dict())[0] == "encoder.weight"


def test_module_list():
    layers = ModuleList([Affine(2, 2) for _ in range(3)])
    assert len(layers) == 3
    assert [name for name, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    extra = Affine(2, 2)
    layers.append(extra)
    assert layers[-1] is extra and layers[3] is extra
    layers.extend([Affine(2, 2)])
    layers.insert(1, extra)
    assert len(layers) == 6 and layers[1] is extra
    assert list(layers._modules) == [str(i) for i in range(6)]
    sliced = layers[1:3]
    assert isinstance(sliced, ModuleList) and list(sliced) == [layers[1], layers[2]]
    del layers[0]
    assert list(layers._modules) == [str(i) for i in range(5)]
    layers += [Affine(1, 1)]
    assert len(layers) == 6
    assert len(layers + ModuleList([Module()])) == 7
    with pytest.raises(TypeError):
        layers.extend(3)

    class Owner(Module):
        def __init__(self):
            super().__init__()
            self.blocks = ModuleList([Affine(2, 2), Affine(2, 2)])

    assert list(Owner().state_dict()) == [
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
    ]


def test_module_dict():
    heads = ModuleDict({"b": Affine(2, 1), "a": Affine(2, 2)})
    assert list(heads.keys()) == ["b", "a"]  # insertion order
    heads["c"] = Affine(2, 3)
    assert "c" in heads and len(heads) == 3
    assert list(heads) == ["b", "a", "c"]
    assert [key for key, _ in heads.items()] == ["b", "a", "c"]
    assert heads.pop("b") is not None and "b" not in heads
    heads.update([("d", Module())])
    assert list(heads.keys()) == ["a", "c", "d"]
    assert list(heads.state_dict())[:2] == ["a.weight", "a.bias"]
    heads.clear()
    assert len(heads) == 0


def test_parameter_list():
    params = ParameterList([gradwork.zeros(2), Parameter(gradwork.ones(3))])
    assert isinstance(params[0], Parameter) and params[0].requires_grad
    params.append(gradwork.zeros(1))
    assert len(params) == 3 and [name for name, _ in params.named_parameters()] == ["0", "1", "2"]
    params[0] = gradwork.ones(2)
    assert params[0].tolist() == [1.0, 1.0]
    assert len(params[1:]) == 2
    assert [p.shape for p in params] == [(2,), (3,), (1,)]
    params += [gradwork.zeros(4)]
    assert len(params) == 4

    class Owner(Module):
        def __init__(self):
            super().__init__()
            self.weights = ParameterList([gradwork.zeros(2), gradwork.zeros(2)])

    assert list(Owner().state_dict()) == ["weights.0", "weights.1"]
    assert repr(ParameterList([gradwork.zeros(3, 4)])) == (
        "ParameterList(\n    (0): Parameter containing: [gradwork.float32 of size 3x4]\n)"
    )


def test_parameter_dict():
    params = ParameterDict({"scale": gradwork.ones(2)})
    params["shift"] = gradwork.zeros(2)
    assert list(params) == ["scale", "shift"] and len(params) == 2
    assert isinstance(params["shift"], Parameter)
    assert [name for name, _ in params.named_parameters()] == ["scale", "shift"]
    assert params.get("missing") is None and "scale" in params
    assert params.pop("scale").tolist() == [1.0, 1.0]
    assert list(params.keys()) == ["shift"] and list(params.state_dict()) == ["shift"]
    params.update({"a": gradwork.zeros(1)})
    assert [key for key, _ in params.items()] == ["shift", "a"]
    params.clear()
    assert len(params) == 0 and list(params.parameters()) == []


def test_optimizer_style_training_step():
    """Parameters are plain mutable tensors: a manual SGD loop reduces the loss."""
    gradwork.manual_seed(0)
    model = Sequential(Affine(3, 8), Affine(8, 1))
    x, y = gradwork.randn(32, 3), gradwork.randn(32, 1)

    def loss():
        return ((model(x) - y) ** 2).mean()

    before = loss().item()
    for _ in range(20):
        model.zero_grad()
        loss().backward()
        with gradwork.no_grad():
            for param in model.parameters():
                param.sub_(0.01 * param.grad)
    assert loss().item() < before


def test_nn_namespace():
    assert nn.Module is Module and nn.Parameter is Parameter
    assert nn.init.xavier_uniform_ and nn.utils.clip_grad_norm_ and nn.functional
