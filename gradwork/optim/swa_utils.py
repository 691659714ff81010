"""Weight averaging: an exponential moving average (EMA) of parameters, for evaluation.

``torch.optim.swa_utils.AveragedModel`` copies a whole module; this is the lighter
``ExponentialMovingAverage`` of the ``torch_ema`` package, which keeps one shadow array per
parameter and swaps it in and out of the model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from gradwork.optim.optimizer import _bump_version
from gradwork.tensor import Tensor

__all__ = ["ExponentialMovingAverage"]


class ExponentialMovingAverage:
    r"""An exponential moving average of parameters (Polyak & Juditsky 1992).

    Algorithm, for each parameter :math:`\theta` and its shadow :math:`\bar\theta`::

        input: decay (d), use_num_updates
        init:  shadow <- theta, n <- 0
        update():
            if use_num_updates:
                n <- n + 1
                d_n <- min(d, (1 + n) / (10 + n))     (a short warm-up: early averages move fast)
            else:
                d_n <- d
            shadow <- shadow - (1 - d_n) * (shadow - theta)

    ``copy_to`` writes the shadows into the parameters; ``store`` and ``restore`` keep the raw
    parameters aside meanwhile (``average_parameters`` does all three around a ``with`` block).

    Args:
        parameters: the tensors to average (for example ``model.parameters()``).
        decay: the decay :math:`d` in ``[0, 1]``; 0.999 averages over about 1000 updates.
        use_num_updates: use the warm-up ``min(d, (1 + n) / (10 + n))`` (default True).

    Example:
        >>> import gradwork
        >>> from gradwork import optim
        >>> w = gradwork.tensor([0.0, 0.0], requires_grad=True)
        >>> ema = optim.ExponentialMovingAverage([w], decay=0.9, use_num_updates=False)
        >>> with gradwork.no_grad():
        ...     _ = w.copy_(gradwork.tensor([1.0, 2.0]))
        >>> ema.update()
        >>> with ema.average_parameters():
        ...     print([round(value, 4) for value in w.tolist()])
        [0.1, 0.2]
        >>> w.tolist()
        [1.0, 2.0]
    """

    def __init__(
        self, parameters: Iterable[Tensor], decay: float, use_num_updates: bool = True
    ) -> None:
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"ExponentialMovingAverage: decay must be in [0, 1], got {decay}")
        self.decay = decay
        self.num_updates: int | None = 0 if use_num_updates else None
        self._parameters = list(parameters)
        self.shadow_params = [Tensor._make(param._data.copy()) for param in self._parameters]
        self.collected_params: list[Tensor] | None = None

    def _resolve(self, parameters: Iterable[Tensor] | None) -> list[Tensor]:
        """The parameters to act on: those given, or those tracked since construction."""
        if parameters is None:
            return self._parameters
        parameters = list(parameters)
        if len(parameters) != len(self.shadow_params):
            raise ValueError(
                f"ExponentialMovingAverage: got {len(parameters)} parameters, expected "
                f"{len(self.shadow_params)} (the number given at construction)"
            )
        return parameters

    def update(self, parameters: Iterable[Tensor] | None = None) -> None:
        """Move each shadow towards its parameter: ``shadow -= (1 - d_n) * (shadow - theta)``."""
        decay = self.decay
        if self.num_updates is not None:
            self.num_updates += 1
            decay = min(decay, (1 + self.num_updates) / (10 + self.num_updates))
        for shadow, param in zip(self.shadow_params, self._resolve(parameters)):
            shadow._data -= (1.0 - decay) * (shadow._data - param._data)

    def copy_to(self, parameters: Iterable[Tensor] | None = None) -> None:
        """Write the averages into the parameters (in place, not recorded by autograd)."""
        for shadow, param in zip(self.shadow_params, self._resolve(parameters)):
            np.copyto(param._data, shadow._data, casting="same_kind")
            _bump_version(param)

    def store(self, parameters: Iterable[Tensor] | None = None) -> None:
        """Keep a copy of the current parameters, for :meth:`restore`."""
        self.collected_params = [
            Tensor._make(param._data.copy()) for param in self._resolve(parameters)
        ]

    def restore(self, parameters: Iterable[Tensor] | None = None) -> None:
        """Put back the parameters saved by :meth:`store`."""
        if self.collected_params is None:
            raise RuntimeError(
                "ExponentialMovingAverage.restore: no stored parameters (call store first)"
            )
        for stored, param in zip(self.collected_params, self._resolve(parameters)):
            np.copyto(param._data, stored._data, casting="same_kind")
            _bump_version(param)

    @contextlib.contextmanager
    def average_parameters(self, parameters: Iterable[Tensor] | None = None) -> Iterator[None]:
        """Evaluate with the averaged parameters inside a ``with`` block; restore them after."""
        parameters = self._resolve(parameters)
        self.store(parameters)
        self.copy_to(parameters)
        try:
            yield
        finally:
            self.restore(parameters)

    def state_dict(self) -> dict[str, Any]:
        """``decay``, ``num_updates``, ``shadow_params`` and ``collected_params``."""
        return {
            "decay": self.decay,
            "num_updates": self.num_updates,
            "shadow_params": self.shadow_params,
            "collected_params": self.collected_params,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (shadows are copied, in their dtypes)."""
        shadows = state_dict["shadow_params"]
        if len(shadows) != len(self.shadow_params):
            raise ValueError(
                f"ExponentialMovingAverage.load_state_dict: {len(shadows)} shadow parameters, "
                f"expected {len(self.shadow_params)}"
            )
        self.decay = state_dict["decay"]
        self.num_updates = state_dict["num_updates"]

        def copies(tensors, like):
            return [
                Tensor._make(np.array(_array(t), dtype=reference._data.dtype))
                for t, reference in zip(tensors, like)
            ]

        self.shadow_params = copies(shadows, self.shadow_params)
        collected = state_dict.get("collected_params")
        self.collected_params = None if collected is None else copies(collected, self.shadow_params)


def _array(value) -> np.ndarray:
    return value._data if isinstance(value, Tensor) else np.asarray(value)
