"""Adagrad: per-coordinate step sizes shrinking with the sum of all past squared gradients."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradwork.optim.optimizer import (
    Optimizer,
    _bump_version,
    _scalar_tensor,
    _step_without_grad,
    _zeros_like,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer 2011).

    Algorithm (as PyTorch's ``torch.optim.Adagrad``), for each parameter :math:`\theta`::

        input: lr (gamma), lr_decay (eta), weight_decay (lambda), initial_accumulator_value (s0),
               eps, maximize
        init:  s <- s0
        for t = 1, 2, ...:
            g <- grad f(theta)                  (-grad f(theta) if maximize)
            if lambda != 0: g <- g + lambda * theta
            gamma_t <- gamma / (1 + (t - 1) * eta)
            s <- s + g * g
            theta <- theta - gamma_t * g / (sqrt(s) + eps)

    Args:
        params: the tensors to optimize, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default 1e-2).
        lr_decay: learning rate decay :math:`\eta` (default 0).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        initial_accumulator_value: starting value :math:`s_0` of the sums of squares (default 0).
        eps: added to the denominator for numerical stability (default 1e-10).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import gradwork
        >>> from gradwork import optim
        >>> w = gradwork.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adagrad([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()  # first step: g / sqrt(g^2) = sign(g)
        >>> w.tolist()
        [0.5, -1.5]
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)
        # As in PyTorch the sums exist from the start, so a state dict taken before the first
        # step already holds them.
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, group)

    def _init_state(self, param, group) -> None:
        state = self.state[param]
        state["step"] = _scalar_tensor(0.0)
        state["sum"] = _zeros_like(param, group["initial_accumulator_value"])

    @_step_without_grad
    def step(self, closure: Callable | None = None):
        """Perform one update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eta, eps = group["lr"], group["lr_decay"], group["eps"]
            weight_decay = group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if len(state) == 0:  # a parameter added by add_param_group after construction
                    self._init_state(param, group)
                theta, s = param._data, state["sum"]._data
                state["step"]._data += 1
                t = float(state["step"]._data)
                g = -param.grad._data if group["maximize"] else param.grad._data
                if weight_decay != 0:
                    g = g + weight_decay * theta
                gamma_t = lr / (1 + (t - 1) * eta)
                s += g * g
                denom = np.sqrt(s)
                denom += eps
                theta -= gamma_t * np.divide(g, denom, out=denom)
                _bump_version(param)
        return loss
