"""Models built from ``gradwork.nn`` layers, one readable file per model family, ``Config`` first.

``gradwork.models.mnist1d``: the logistic regression, MLP, CNN and GRU baselines of MNIST-1D.
"""

from gradwork.models import mnist1d

__all__ = ["mnist1d"]
