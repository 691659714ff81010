"""Random numbers: seeding, generators, saving and restoring state."""

from __future__ import annotations

import numpy as np
import pytest

import gradwork


def _draw(generator=None):
    return np.concatenate(
        [
            gradwork.rand(5, generator=generator).numpy().astype(np.float64),
            gradwork.randn(5, generator=generator).numpy().astype(np.float64),
            gradwork.randint(0, 100, (5,), generator=generator).numpy().astype(np.float64),
            gradwork.randperm(5, generator=generator).numpy().astype(np.float64),
        ]
    )


def test_manual_seed_reproduces_every_random_function():
    gradwork.manual_seed(123)
    first = _draw()
    gradwork.manual_seed(123)
    second = _draw()
    np.testing.assert_array_equal(first, second)
    gradwork.manual_seed(124)
    assert not np.array_equal(first, _draw())
    assert gradwork.initial_seed() == 124


def test_generator_is_independent_of_the_default_one():
    generator = gradwork.Generator().manual_seed(7)
    expected = _draw(generator)
    generator.manual_seed(7)
    gradwork.manual_seed(0)
    gradwork.rand(100)  # consuming the default stream changes nothing for ``generator``
    np.testing.assert_array_equal(_draw(generator), expected)
    assert generator.initial_seed() == 7


def test_generator_state_save_and_restore():
    generator = gradwork.Generator().manual_seed(3)
    gradwork.rand(4, generator=generator)
    state = generator.get_state()
    assert state.dtype == gradwork.uint8
    expected = _draw(generator)
    generator.manual_seed(99)
    generator.set_state(state)
    np.testing.assert_array_equal(_draw(generator), expected)
    fresh = gradwork.Generator().set_state(state)  # into another generator
    np.testing.assert_array_equal(_draw(fresh), expected)


def test_default_rng_state_save_and_restore():
    gradwork.manual_seed(5)
    state = gradwork.get_rng_state()
    expected = gradwork.randn(3).numpy().copy()
    gradwork.randn(10)
    gradwork.set_rng_state(state)
    np.testing.assert_array_equal(gradwork.randn(3).numpy(), expected)


def test_inplace_sampling_uses_the_generator():
    x = gradwork.empty(4)
    x.normal_(generator=gradwork.Generator().manual_seed(1))
    y = gradwork.empty(4)
    y.normal_(generator=gradwork.Generator().manual_seed(1))
    np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_seed_from_entropy():
    first = gradwork.seed()
    assert gradwork.initial_seed() == first
    a = gradwork.rand(3).numpy()
    gradwork.manual_seed(first)
    np.testing.assert_array_equal(gradwork.rand(3).numpy(), a)


def test_set_state_rejects_garbage():
    with pytest.raises(RuntimeError, match="not a gradwork generator state"):
        gradwork.Generator().set_state(gradwork.tensor([1, 2, 3], dtype=gradwork.uint8))
