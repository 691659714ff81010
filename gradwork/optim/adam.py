"""Adam: per-parameter step sizes from running averages of the gradient and its square."""

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

    @_step_without_grad
    def step(self, closure: Callable | None = None):
        """Perform one update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _zeros_like(param)
                    state["exp_avg_sq"] = _zeros_like(param)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(param)
                theta = param._data
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                state["step"]._data += 1
                t = float(state["step"]._data)
                g = -param.grad._data if group["maximize"] else param.grad._data
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        theta *= 1 - lr * weight_decay
                    else:
                        g = g + weight_decay * theta
                _lerp_(m, g, 1 - beta1)
                v *= beta2
                v += (1 - beta2) * g * g
                c1 = 1 - beta1**t
                c2 = 1 - beta2**t
                if amsgrad:
                    v_max = state["max_exp_avg_sq"]._data
                    np.maximum(v_max, v, out=v_max)
                    denom = np.sqrt(v_max)
                else:
                    denom = np.sqrt(v)
                denom /= c2**0.5
                denom += eps
                update = np.divide(m, denom, out=denom)  # m / denom, reusing denom's memory
                update *= lr / c1
                theta -= update
                _bump_version(param)
        return loss
