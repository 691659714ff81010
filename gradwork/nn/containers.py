"""Containers of modules and parameters: ``Sequential``, ``ModuleList``, ``ModuleDict``,
``ParameterList``, ``ParameterDict`` (as in ``torch.nn``).

Items are registered under their index (``"0"``, ``"1"``, ...) or key, so they appear in
``parameters()`` and ``state_dict()`` with names like ``layers.0.weight``.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

from gradwork.nn.module import Module, _addindent
from gradwork.nn.parameter import Parameter
from gradwork.tensor import Tensor

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(index, length: int, container: str) -> int:
    """A non-negative position for ``index`` in a container of ``length`` items."""
    index = operator.index(index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for {container} of length {length}")
    return index % length


def _as_parameter(value):
    """Plain tensors become parameters (as PyTorch's parameter containers do)."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _items_repr(container: Module, items) -> str:
    """``(key): Parameter containing: [gradwork.float32 of size 3x4]`` per item, as PyTorch."""
    lines = []
    for key, value in items:
        if isinstance(value, Tensor):
            kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
            size = "x".join(str(size) for size in value.shape)
            lines.append(f"    ({key}): {kind} containing: [{value.dtype} of size {size}]")
        else:
            lines.append(f"    ({key}): Object of type: {type(value).__name__}")
    return container._get_name() + ("(\n" + "\n".join(lines) + "\n)" if lines else "()")


class Sequential(Module):
    """A chain of modules: the output of each is the input of the next.

    Built from modules in order, or from an ``OrderedDict`` of named modules.

    Example:
        >>> import gradwork
        >>> from gradwork.nn import Module, Sequential
        >>> class Scale(Module):
        ...     def __init__(self, factor):
        ...         super().__init__()
        ...         self.factor = factor
        ...     def forward(self, x):
        ...         return x * self.factor
        ...     def extra_repr(self):
        ...         return f"factor={self.factor}"
        >>> model = Sequential(Scale(2.0), Scale(3.0))
        >>> model(gradwork.tensor(1.0))
        tensor(6.)
        >>> model
        Sequential(
          (0): Scale(factor=2.0)
          (1): Scale(factor=3.0)
        )
        >>> model[1:]
        Sequential(
          (1): Scale(factor=3.0)
        )
    """

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_index(index, len(self), "Sequential")]

    def __setitem__(self, index, module: Module) -> None:
        key = list(self._modules)[_index(index, len(self), "Sequential")]
        self.add_module(key, module)

    def __delitem__(self, index) -> None:
        keys = list(self._modules)
        if isinstance(index, slice):
            doomed = keys[index]
        else:
            doomed = [keys[_index(index, len(keys), "Sequential")]]
        for key in doomed:
            del self._modules[key]
        # Renumber so that indices stay 0..n-1 (named entries keep their names).
        renamed = [
            (str(i) if key.isdigit() else key, module)
            for i, (key, module) in enumerate(self._modules.items())
        ]
        self._modules.clear()
        self._modules.update(renamed)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __dir__(self) -> list:
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Add each of ``modules`` at the end."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert ``module`` before position ``index``."""
        modules = list(self._modules.values())
        index = operator.index(index)
        modules.insert(index if index >= 0 else index + len(modules), module)
        self._modules.clear()
        for position, item in enumerate(modules):
            self.add_module(str(position), item)
        return self

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module

    def forward(self, input):
        for module in self:
            input = module(input)
        return input


class ModuleList(Module):
    """A list of modules, registered so that their parameters belong to the owner.

    Example:
        >>> from gradwork.nn import Module, ModuleList
        >>> layers = ModuleList([Module(), Module()])
        >>> layers.append(Module())
        ModuleList(
          (0-2): 3 x Module()
        )
        >>> len(layers), len(layers[:2])
        (3, 2)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_index(index, len(self), "ModuleList"))]

    def __setitem__(self, index, module: Module) -> None:
        self.add_module(str(_index(index, len(self), "ModuleList")), module)

    def __delitem__(self, index) -> None:
        modules = list(self._modules.values())
        del modules[index if isinstance(index, slice) else _index(index, len(self), "ModuleList")]
        self._modules.clear()
        for position, module in enumerate(modules):
            self.add_module(str(position), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return type(self)(list(self) + list(other))

    def __dir__(self) -> list:
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each of ``modules`` at the end."""
        if not isinstance(modules, Iterable):
            raise TypeError(
                f"ModuleList.extend should be called with an iterable, got {type(modules).__name__}"
            )
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``."""
        modules = list(self._modules.values())
        modules.insert(operator.index(index), module)
        self._modules.clear()
        for position, item in enumerate(modules):
            self.add_module(str(position), item)

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module

    def __repr__(self) -> str:
        # PyTorch folds runs of identical reprs: ``(0-11): 12 x Block(...)``.
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [first index, last index, repr]
        for index, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        lines = [
            _addindent(
                f"({first}): {text}"
                if first == last
                else f"({first}-{last}): {last - first + 1} x {text}",
                2,
            )
            for first, last, text in runs
        ]
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules with string keys, kept in insertion order.

    Example:
        >>> from gradwork.nn import Module, ModuleDict
        >>> heads = ModuleDict({"a": Module()})
        >>> heads["b"] = Module()
        >>> list(heads.keys()), "a" in heads
        (['a', 'b'], True)
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove the module at ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def keys(self):
        """The keys, in insertion order."""
        return self._modules.keys()

    def items(self):
        """``(key, value)`` pairs, in insertion order."""
        return self._modules.items()

    def values(self):
        """The values, in insertion order."""
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        """Add modules from a mapping or from an iterable of ``(key, module)`` pairs."""
        items = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in items:
            self[key] = module


class ParameterList(Module):
    """A list of parameters (plain tensors are wrapped in :class:`Parameter`).

    Example:
        >>> import gradwork
        >>> from gradwork.nn import ParameterList
        >>> params = ParameterList([gradwork.zeros(2), gradwork.zeros(3, 4)])
        >>> params
        ParameterList(
            (0): Parameter containing: [gradwork.float32 of size 2]
            (1): Parameter containing: [gradwork.float32 of size 3x4]
        )
        >>> [name for name, _ in params.named_parameters()]
        ['0', '1']
    """

    def __init__(self, values: Iterable | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self.extend(values)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)([self[i] for i in range(len(self))[index]])
        return getattr(self, str(_index(index, len(self), "ParameterList")))

    def __setitem__(self, index, value) -> None:
        setattr(self, str(_index(index, len(self), "ParameterList")), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values: Iterable) -> ParameterList:
        return self.extend(values)

    def __dir__(self) -> list:
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value) -> ParameterList:
        """Add ``value`` at the end."""
        object.__setattr__(self, "_size", self._size + 1)
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable) -> ParameterList:
        """Add each of ``values`` at the end."""
        for value in values:
            self.append(value)
        return self

    def __repr__(self) -> str:
        return _items_repr(self, enumerate(self))


class ParameterDict(Module):
    """A dict of parameters with string keys (plain tensors are wrapped in :class:`Parameter`).

    Example:
        >>> import gradwork
        >>> from gradwork.nn import ParameterDict
        >>> params = ParameterDict({"scale": gradwork.ones(2)})
        >>> params["shift"] = gradwork.zeros(2)
        >>> list(params.keys()), params["scale"].requires_grad
        (['scale', 'shift'], True)
    """

    def __init__(self, parameters: Mapping | Iterable | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_keys", {})
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__}")
        self._keys[key] = None
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def clear(self) -> None:
        """Remove every entry."""
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str):
        """Remove the entry at ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def get(self, key: str, default=None):
        """The value at ``key``, or ``default`` when absent."""
        return self[key] if key in self else default

    def keys(self):
        """The keys, in insertion order."""
        return self._keys.keys()

    def items(self):
        """``(key, value)`` pairs, in insertion order."""
        return ((key, self[key]) for key in self._keys)

    def values(self):
        """The values, in insertion order."""
        return (self[key] for key in self._keys)

    def update(self, parameters: Mapping | Iterable) -> None:
        """Add entries from a mapping or from an iterable of ``(key, value)`` pairs."""
        items = parameters.items() if isinstance(parameters, Mapping) else parameters
        for key, value in items:
            self[key] = value

    def __repr__(self) -> str:
        return _items_repr(self, self.items())
