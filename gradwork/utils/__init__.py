"""Utilities around training: ``gradwork.utils.data`` (datasets, samplers, ``DataLoader``)."""

from gradwork.utils import data

__all__ = ["data"]
