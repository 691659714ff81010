"""Adam: per-parameter step sizes from running averages of the gradient and its square."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradwork._threads import parallel_for
from gradwork.optim.optimizer import (
    Optimizer,
    _bump_version,
    _lerp_,
    _scalar_tensor,
    _step_without_grad,
    _zeros_like,
)
from gradwork.tensor import Tensor

_CHUNK = 1 << 16  # elements per part of the flat update: its buffers' parts stay in cache

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay) -> None:
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015), with the AMSGrad variant (Reddi et al. 2018).

    Algorithm (as PyTorch's ``torch.optim.Adam``), for each parameter :math:`\theta`::

        input: lr (gamma), betas (beta1, beta2), eps, weight_decay (lambda), amsgrad,
               maximize, decoupled_weight_decay
        init:  m <- 0, v <- 0, v_max <- 0
        for t = 1, 2, ...:
            g <- grad f(theta)                  (-grad f(theta) if maximize)
            if lambda != 0:
                if decoupled_weight_decay: theta <- theta * (1 - gamma * lambda)
                else:                      g <- g + lambda * theta
            m <- m + (1 - beta1) * (g - m)      (m <- beta1 m + (1 - beta1) g, as a lerp)
            v <- beta2 * v + (1 - beta2) * g * g
            c1 <- 1 - beta1^t;  c2 <- 1 - beta2^t
            if amsgrad: v_max <- max(v_max, v);  denom <- sqrt(v_max) / sqrt(c2) + eps
            else:                                denom <- sqrt(v) / sqrt(c2) + eps
            theta <- theta - (gamma / c1) * m / denom

    Args:
        params: the tensors to optimize, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default 1e-3).
        betas: decay rates of the running averages of the gradient and its square
            (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        amsgrad: use the maximum of past squared-gradient averages (default False).
        maximize: maximize the objective instead of minimizing it.
        decoupled_weight_decay: decay the weights directly, as AdamW does (default False).

    Example:
        >>> import gradwork
        >>> from gradwork import optim
        >>> w = gradwork.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> [round(value, 4) for value in w.tolist()]  # the first step moves each coordinate by lr
        [0.9, -1.9]
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)
        # group index -> (parameter ids, flat buffers, each parameter's views): _flat_buffers
        self._flat_groups: dict = {}

    @_step_without_grad
    def step(self, closure: Callable | None = None):
        """Perform one update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._evaluate(closure)
        for index, group in enumerate(self.param_groups):
            params = [param for param in group["params"] if param.grad is not None]
            flat = self._flat_buffers(index, group, params)
            if flat is not None:
                self._update_group(group, params, flat)
                continue
            self._flat_groups.pop(index, None)  # steps may diverge now: check them again
            decay = _decoupled_decay(group)
            for param in params:
                state = self.state[param]
                if len(state) == 0:
                    _init_state(state, param, group["amsgrad"])
                buffers = [state["exp_avg"]._data, state["exp_avg_sq"]._data]
                if group["amsgrad"]:
                    buffers.append(state["max_exp_avg_sq"]._data)
                step = float(state["step"]._data) + 1
                state["step"]._data[()] = step  # 10x faster than += on a 0-d array
                theta = param._data
                if decay is not None:
                    theta *= decay
                theta -= _adam_update(group, step, param.grad._data, theta, *buffers)
                _bump_version(param)
        return loss

    def _flat_buffers(self, index: int, group: dict, params: list):
        """The group's state as flat arrays (``[m, v]``, ``+ [v_max]`` with amsgrad) of which every
        parameter's state tensors are views, or None where the group cannot be updated as one:
        a parameter without a gradient, mixed dtypes, or step counts that differ.

        Updating the whole group at once is a dozen NumPy calls instead of a dozen per
        parameter (a third of a small MLP's Adam step). The views are checked on every step,
        so state replaced from outside (``load_state_dict``, assignment) is copied in again;
        the step counts are compared when the buffers are built (``step`` drops the buffers
        after any per-parameter update, which may leave the counts apart).
        """
        if len(params) < 2 or len(params) != len(group["params"]):
            return None
        dtype = params[0]._data.dtype
        if any(p._data.dtype != dtype or p.grad._data.dtype != dtype for p in params):
            return None
        names = ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if group["amsgrad"] else [])
        cached = self._flat_groups.get(index)
        if cached is not None and cached[0] == [id(param) for param in params]:
            state_of = self.state
            if all(
                state_of[param].get(name) is not None and state_of[param][name]._data is view
                for param, param_views in zip(params, cached[2])
                for name, view in zip(names, param_views)
            ):
                return cached[1]
        states = [self.state[param] for param in params]
        if any(len(state) == 0 for state in states) and any(len(state) for state in states):
            return None  # some parameters start now, others are under way: steps differ
        for state, param in zip(states, params):
            if len(state) == 0:
                _init_state(state, param, group["amsgrad"])
        if len({float(state["step"]._data) for state in states}) != 1:
            return None
        flat = [
            np.concatenate([state[name]._data.reshape(-1) for state in states]).astype(dtype)
            for name in names
        ]
        views, offset = [], 0
        for state, param in zip(states, params):
            size, shape = param._data.size, param._data.shape
            param_views = [buffer[offset : offset + size].reshape(shape) for buffer in flat]
            for name, view in zip(names, param_views):
                state[name] = Tensor._make(view)
            views.append(param_views)
            offset += size
        self._flat_groups[index] = ([id(param) for param in params], flat, views)
        return flat

    def _update_group(self, group: dict, params: list, flat: list) -> None:
        """One Adam update of every parameter of ``group`` through its flat state buffers."""
        state = self.state
        step = float(state[params[0]]["step"]._data) + 1  # the steps are equal (_flat_buffers)
        for param in params:
            state[param]["step"]._data[()] = step
        gradient = np.concatenate([param.grad._data.reshape(-1) for param in params])
        theta = None
        if group["weight_decay"] != 0 and not group["decoupled_weight_decay"]:
            theta = np.concatenate([param._data.reshape(-1) for param in params])

        def part(start, stop):  # the update, into the gradient's memory
            own = gradient[start:stop]
            parameters = None if theta is None else theta[start:stop]
            buffers = [buffer[start:stop] for buffer in flat]
            result = _adam_update(group, step, own, parameters, *buffers, scratch=True)
            if result is not own:
                own[...] = result

        parallel_for(gradient.size, part, chunk=_CHUNK)
        update = gradient
        decay = _decoupled_decay(group)
        offset = 0
        for param in params:
            data = param._data
            if decay is not None:
                data *= decay
            data -= update[offset : offset + data.size].reshape(data.shape)
            offset += data.size
            _bump_version(param)


def _init_state(state: dict, param: Tensor, amsgrad: bool) -> None:
    state["step"] = _scalar_tensor(0.0)
    state["exp_avg"] = _zeros_like(param)
    state["exp_avg_sq"] = _zeros_like(param)
    if amsgrad:
        state["max_exp_avg_sq"] = _zeros_like(param)


def _decoupled_decay(group: dict) -> float | None:
    """``1 - lr lambda``, the factor the parameters shrink by before the update when the weight
    decay is decoupled (AdamW); None otherwise."""
    if group["weight_decay"] != 0 and group["decoupled_weight_decay"]:
        return 1 - group["lr"] * group["weight_decay"]
    return None


def _adam_update(group, step, g, theta, m, v, v_max=None, scratch=False) -> np.ndarray:
    """Update the buffers ``m``, ``v`` (and ``v_max``) with gradient ``g`` at step ``step``;
    return ``(lr / c1) m / denom``, which the caller subtracts from the parameters (after any
    decoupled weight decay). ``theta`` (the parameters) feeds the L2 weight decay; ``scratch``:
    ``g`` may be overwritten.
    """
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    if group["maximize"]:
        g = np.negative(g, out=g) if scratch else -g
        scratch = True
    if group["weight_decay"] != 0 and not group["decoupled_weight_decay"]:
        g = g + group["weight_decay"] * theta
        scratch = True
    _lerp_(m, g, 1 - beta1)
    v *= beta2
    square = np.multiply(g, 1 - beta2)  # ((1 - beta2) g) g, rounded as before, one temporary
    square *= g
    v += square
    c1 = 1 - beta1**step
    c2 = 1 - beta2**step
    if v_max is not None:
        np.maximum(v_max, v, out=v_max)
        v = v_max
    denom = np.sqrt(v, out=g if scratch else None)
    denom /= c2**0.5
    denom += eps
    update = np.divide(m, denom, out=denom)  # m / denom, reusing denom's memory
    update *= lr / c1
    return update
