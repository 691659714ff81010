"""Shared test setup: every test starts from the same seed."""

import pytest

import gradwork


@pytest.fixture(autouse=True)
def _seed():
    gradwork.manual_seed(0)
    yield


# The script that produced tests/reference/ needs sentence-transformers, which the tests do not.
collect_ignore = ["reference/make_minilm_reference.py"]
