"""AdamW: Adam with weight decay applied to the weights, not mixed into the gradient averages."""

from __future__ import annotations

from gradwork.optim.adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay.

    Algorithm (as PyTorch's ``torch.optim.AdamW``), for each parameter :math:`\theta`::

        input: lr (gamma), betas (beta1, beta2), eps, weight_decay (lambda), amsgrad, maximize
        init:  m <- 0, v <- 0, v_max <- 0
        for t = 1, 2, ...:
            g <- grad f(theta)                  (-grad f(theta) if maximize)
            theta <- theta * (1 - gamma * lambda)
            m <- m + (1 - beta1) * (g - m)
            v <- beta2 * v + (1 - beta2) * g * g
            c1 <- 1 - beta1^t;  c2 <- 1 - beta2^t
            if amsgrad: v_max <- max(v_max, v);  denom <- sqrt(v_max) / sqrt(c2) + eps
            else:                                denom <- sqrt(v) / sqrt(c2) + eps
            theta <- theta - (gamma / c1) * m / denom

    It is :class:`~gradwork.optim.Adam` with ``decoupled_weight_decay=True``; the code is there.
    Unlike L2 regularisation, the decay is not rescaled by the adaptive denominator, so every
    weight shrinks by the same factor per step.

    Args:
        params: the tensors to optimize, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default 1e-3).
        betas: decay rates of the running averages of the gradient and its square
            (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: decoupled weight decay :math:`\lambda` (default 1e-2).
        amsgrad: use the maximum of past squared-gradient averages (default False).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import gradwork
        >>> from gradwork import optim
        >>> w = gradwork.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = gradwork.zeros(2)
        >>> opt.step()  # a zero gradient: only the decay acts, theta * (1 - 0.1 * 0.5)
        >>> [round(value, 4) for value in w.tolist()]
        [0.95, -1.9]
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
