"""Stochastic gradient descent, with optional (Nesterov) momentum and weight decay."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradwork.optim.optimizer import Optimizer, _bump_version, _step_without_grad
from gradwork.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (Polyak 1964; Sutskever et al. 2013).

    Algorithm (as PyTorch's ``torch.optim.SGD``), for each parameter :math:`\theta`::

        input: lr (gamma), momentum (mu), dampening (tau), weight_decay (lambda),
               nesterov, maximize
        for t = 1, 2, ...:
            g <- grad f(theta)                  (-grad f(theta) if maximize)
            if lambda != 0: g <- g + lambda * theta
            if mu != 0:
                if t > 1: b <- mu * b + (1 - tau) * g
                else:     b <- g
                if nesterov: g <- g + mu * b
                else:        g <- b
            theta <- theta - gamma * g

    Args:
        params: the tensors to optimize, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default 1e-3).
        momentum: momentum factor :math:`\mu` (default 0).
        dampening: dampening :math:`\tau` of the momentum (default 0).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import gradwork
        >>> from gradwork import optim
        >>> w = gradwork.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> [round(value, 4) for value in w.tolist()]
        [0.46, -0.92]
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @_step_without_grad
    def step(self, closure: Callable | None = None):
        """Perform one update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                theta = param._data
                g = -param.grad._data if group["maximize"] else param.grad._data
                if weight_decay != 0:
                    g = g + weight_decay * theta
                if mu != 0:
                    state = self.state[param]
                    if "momentum_buffer" in state:
                        b = state["momentum_buffer"]._data
                        b *= mu
                        b += (1 - tau) * g
                    else:
                        b = np.array(g, copy=True)
                        state["momentum_buffer"] = Tensor._make(b)
                    g = g + mu * b if nesterov else b
                theta -= lr * g
                _bump_version(param)
        return loss
