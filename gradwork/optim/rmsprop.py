"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradwork.optim.optimizer import (
    Optimizer,
    _bump_version,
    _lerp_,
    _scalar_tensor,
    _step_without_grad,
    _zeros_like,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Coursera lecture 6e), with the centered variant of Graves (2013).

    Algorithm (as PyTorch's ``torch.optim.RMSprop``), for each parameter :math:`\theta`::

        input: lr (gamma), alpha, eps, weight_decay (lambda), momentum (mu), centered, maximize
        init:  v <- 0 (square average), b <- 0 (buffer), g_avg <- 0
        for t = 1, 2, ...:
            g <- grad f(theta)                  (-grad f(theta) if maximize)
            if lambda != 0: g <- g + lambda * theta
            v <- alpha * v + (1 - alpha) * g * g
            if centered:
                g_avg <- g_avg + (1 - alpha) * (g - g_avg)
                avg <- sqrt(v - g_avg * g_avg)
            else:
                avg <- sqrt(v)
            avg <- avg + eps
            if mu > 0:
                b <- mu * b + g / avg
                theta <- theta - gamma * b
            else:
                theta <- theta - gamma * g / avg

    Args:
        params: the tensors to optimize, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default 1e-2).
        alpha: smoothing constant of the square average (default 0.99).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        momentum: momentum factor :math:`\mu` (default 0).
        centered: normalize by an estimate of the gradient's variance instead of its second
            moment (default False).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import gradwork
        >>> from gradwork import optim
        >>> w = gradwork.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.RMSprop([w], lr=0.01, alpha=0.75)
        >>> (w * w).sum().backward()
        >>> opt.step()  # first step: g / sqrt((1 - alpha) g^2) = 2 sign(g)
        >>> [round(value, 4) for value in w.tolist()]
        [0.98, -1.98]
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @_step_without_grad
    def step(self, closure: Callable | None = None):
        """Perform one update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, mu, centered = group["weight_decay"], group["momentum"], group["centered"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = _zeros_like(param)
                    if mu > 0:
                        state["momentum_buffer"] = _zeros_like(param)
                    if centered:
                        state["grad_avg"] = _zeros_like(param)
                theta, v = param._data, state["square_avg"]._data
                state["step"]._data += 1
                g = -param.grad._data if group["maximize"] else param.grad._data
                if weight_decay != 0:
                    g = g + weight_decay * theta
                v *= alpha
                v += (1 - alpha) * g * g
                if centered:
                    g_avg = state["grad_avg"]._data
                    _lerp_(g_avg, g, 1 - alpha)
                    avg = np.sqrt(v - g_avg * g_avg)
                else:
                    avg = np.sqrt(v)
                avg += eps
                if mu > 0:
                    b = state["momentum_buffer"]._data
                    b *= mu
                    b += g / avg
                    theta -= lr * b
                else:
                    theta -= lr * np.divide(g, avg, out=avg)
                _bump_version(param)
        return loss
