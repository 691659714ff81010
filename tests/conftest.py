"""Shared test setup: every test starts from the same seed."""

import pytest

import gradwork


@pytest.fixture(autouse=True)
def _seed():
    gradwork.manual_seed(0)
    yield
