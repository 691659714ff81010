"""Random number generation: ``Generator``, ``manual_seed`` and the default generator.

A seed makes a run reproducible within gradwork. The streams are NumPy's PCG64, so the numbers
differ from PyTorch's for the same seed (PyTorch's Mersenne-Twister sampling is not replicated).
"""

from __future__ import annotations

import json

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state"]


class Generator:
    """A source of random numbers with its own state, as ``torch.Generator``.

    Example:
        >>> import gradwork
        >>> g = gradwork.Generator().manual_seed(0)
        >>> a = gradwork.rand(3, generator=g)
        >>> b = gradwork.rand(3, generator=gradwork.Generator().manual_seed(0))
        >>> bool((a == b).all())
        True
    """

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._initial_seed = 67280421310721  # PyTorch's default seed value
        self._numpy = np.random.Generator(np.random.PCG64(self._initial_seed))

    def manual_seed(self, seed: int) -> Generator:
        """Reset the state from an integer seed; returns the generator."""
        self._initial_seed = int(seed)
        self._numpy = np.random.Generator(np.random.PCG64(self._initial_seed))
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed chosen."""
        chosen = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(chosen)
        return chosen

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self):
        """The state as a uint8 tensor (storable in a safetensors checkpoint)."""
        from gradwork._creation import tensor

        state = self._numpy.bit_generator.state
        encoded = json.dumps(
            {
                "state": {k: str(v) for k, v in state["state"].items()},
                "inc_has": state["has_uint32"],
                "uinteger": state["uinteger"],
                "seed": self._initial_seed,
            }
        ).encode()
        return tensor(np.frombuffer(encoded, np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state returned by ``get_state``."""
        array = np.asarray(new_state._data if hasattr(new_state, "_data") else new_state, np.uint8)
        try:
            decoded = json.loads(array.tobytes().decode())
            state = {
                "bit_generator": "PCG64",
                "state": {k: int(v) for k, v in decoded["state"].items()},
                "has_uint32": decoded["inc_has"],
                "uinteger": decoded["uinteger"],
            }
        except (ValueError, KeyError) as error:
            raise RuntimeError(
                f"Generator.set_state: not a gradwork generator state ({error})"
            ) from None
        self._numpy.bit_generator.state = state
        self._initial_seed = decoded["seed"]
        return self

    # -- sampling (arrays; the creation functions wrap them) -------------------------------------
    def uniform(self, low, high, shape, dtype) -> np.ndarray:
        return self._numpy.uniform(low, high, shape).astype(dtype, copy=False)

    def normal(self, mean, std, shape, dtype) -> np.ndarray:
        if np.dtype(dtype) in (np.float32, np.float64):
            return (self._numpy.standard_normal(shape, dtype) * std + mean).astype(
                dtype, copy=False
            )
        return (self._numpy.standard_normal(shape) * std + mean).astype(dtype)

    def random(self, shape, dtype) -> np.ndarray:
        if np.dtype(dtype) in (np.float32, np.float64):
            return self._numpy.random(shape, dtype)
        return self._numpy.random(shape).astype(dtype)

    def integers(self, low, high, shape, dtype) -> np.ndarray:
        return self._numpy.integers(low, high, shape, dtype=dtype)

    def permutation(self, n: int) -> np.ndarray:
        return self._numpy.permutation(n)


default_generator = Generator()


def _generator(generator: Generator | None) -> Generator:
    return default_generator if generator is None else generator


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and so every op that draws random numbers without one)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state, as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator's state."""
    default_generator.set_state(new_state)
