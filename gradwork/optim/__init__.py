"""Optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``), learning rate schedulers
(``gradwork.optim.lr_scheduler``) and an exponential moving average of weights.

Each optimizer's docstring states its algorithm as pseudocode and its ``step`` follows it line by
line; the updates match PyTorch's (``foreach=False``) to rounding.
"""

from gradwork.optim import lr_scheduler, swa_utils
from gradwork.optim.adagrad import Adagrad
from gradwork.optim.adam import Adam
from gradwork.optim.adamw import AdamW
from gradwork.optim.optimizer import Optimizer
from gradwork.optim.rmsprop import RMSprop
from gradwork.optim.sgd import SGD
from gradwork.optim.swa_utils import ExponentialMovingAverage

__all__ = [
    "Adagrad",
    "Adam",
    "AdamW",
    "ExponentialMovingAverage",
    "Optimizer",
    "RMSprop",
    "SGD",
    "lr_scheduler",
    "swa_utils",
]
