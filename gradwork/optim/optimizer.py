"""The ``Optimizer`` base class: parameter groups, per-parameter state, ``state_dict`` round trips.

Subclasses implement ``step`` for one algorithm, as a loop over ``param_groups`` that updates each
parameter's ``_data`` array in place (inside ``no_grad``) and keeps its buffers in ``self.state``.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from gradwork import _dtype
from gradwork.autograd.grad_mode import enable_grad, no_grad
from gradwork.tensor import Tensor

__all__ = ["Optimizer"]

# Set by gradwork.profiler while a profile is recording: each step is handed to it.
_profile_hook = None


def _step_without_grad(step: Callable) -> Callable:
    """Decorate an optimizer's ``step``: run it under ``no_grad`` and note that it was called.

    The note lets a learning rate scheduler warn when it is stepped before its optimizer.
    """

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if _profile_hook is not None:
            return _profile_hook(wrapper, self, args, kwargs)
        self._opt_called = True
        with no_grad():
            return step(self, *args, **kwargs)

    return wrapper


def _scalar_tensor(value: float) -> Tensor:
    """A 0-d tensor for a counter such as ``state["step"]``, float64 only under a float64 default.

    PyTorch keeps the step as a float tensor of the default dtype's precision, so a state dict
    carries it like any other buffer.
    """
    dtype = np.float64 if _dtype.get_default_dtype() == _dtype.float64 else np.float32
    return Tensor._make(np.array(value, dtype=dtype))


def _zeros_like(param: Tensor, fill: float = 0.0) -> Tensor:
    """A state buffer of the parameter's shape and dtype, filled with ``fill``."""
    return Tensor._make(np.full_like(param._data, fill))


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start <- start + weight * (end - start)`` in place, rounded as PyTorch's ``lerp_``.

    PyTorch switches to ``end - (end - start) * (1 - weight)`` for ``weight >= 0.5`` so that the
    result is exactly ``end`` at ``weight == 1``; the same branch keeps trajectories identical.
    """
    if abs(weight) < 0.5:
        step = np.subtract(end, start)
        step *= weight
        start += step
    else:
        np.subtract(end, (end - start) * (1 - weight), out=start)


def _bump_version(param: Tensor) -> None:
    """Record an in-place change of ``param._data`` (saved tensors check the version)."""
    param._version_cell[0] += 1


class Optimizer:
    """Base class of all optimizers, as ``torch.optim.Optimizer``.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts that each define a
            parameter group (a ``"params"`` entry plus options that override ``defaults``).
        defaults: the default value of each option of the algorithm.

    Attributes:
        param_groups: a list of dicts, one per group: ``"params"`` and every option.
        state: a dict from parameter to its own dict of buffers (``"step"``, ``"exp_avg"``, ...).

    Example:
        >>> import gradwork
        >>> from gradwork import optim
        >>> w = gradwork.tensor([1.0, 2.0], requires_grad=True)
        >>> b = gradwork.tensor([0.5], requires_grad=True)
        >>> opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1)
        >>> [group["lr"] for group in opt.param_groups]
        [0.1, 0.01]
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(dict(param_group))

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (for example when unfreezing layers).

        Options missing from ``param_group`` take the optimizer's ``defaults``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs; use a list instead"
            )
        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                param = param[1]
            tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(param).__name__}"
                )
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        seen = {id(param) for group in self.param_groups for param in group["params"]}
        if any(id(param) in seen for param in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (the default) or to zeros.

        With ``set_to_none=True`` a parameter that gets no gradient in the next backward keeps
        ``grad is None`` and the optimizers skip it; a zero gradient is still a step (weight
        decay and momentum act on it).
        """
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    if param.grad.grad_fn is not None:
                        param.grad = param.grad.detach()
                    param.grad.requires_grad_(False)
                    param.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None):
        """Update the parameters once from their ``.grad``; returns ``closure()`` if given."""
        raise NotImplementedError

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None):
        """Run the closure (which recomputes the loss and calls backward) with grad recording on."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state, in PyTorch's layout, with parameters replaced by indices.

        Returns:
            ``{"state": {index: {buffer name: tensor or number}}, "param_groups": [{option:
            value, ..., "params": [index, ...]}]}``; indices count the parameters across groups in
            order. Buffers are the live tensors, not copies (save or deep-copy the dict to keep
            a snapshot).
        """
        index_of: dict[int, int] = {}
        param_groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            packed["params"] = [index_of[id(param)] for param in group["params"]]
            param_groups.append(packed)
        state = {
            (index_of[id(key)] if isinstance(key, Tensor) else key): value
            for key, value in self.state.items()
        }
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict` (this optimizer's groups must match).

        Buffers are copied and cast to their parameter's dtype, so later steps do not change the
        dict that was loaded. Group options (``lr``, ...) come from the dict.
        """
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        param_of = dict(
            zip(
                chain.from_iterable(group["params"] for group in saved_groups),
                chain.from_iterable(group["params"] for group in groups),
            )
        )
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in param_of:
                param = param_of[key]
                state[param] = {name: _cast(param, name, item) for name, item in value.items()}
            else:
                state[key] = value
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})


def _cast(param: Tensor, name: str, value):
    """A copy of a loaded buffer: tensors take the parameter's dtype, except the step counter."""
    if isinstance(value, Tensor):
        array = value._data if name == "step" else value._data.astype(param._data.dtype)
        return Tensor._make(np.array(array, copy=True))
    if isinstance(value, np.ndarray):
        return Tensor._make(value.astype(param._data.dtype if name != "step" else value.dtype))
    return deepcopy(value)
