"""gradwork: a deep learning framework built from first principles on NumPy.

The public API mirrors PyTorch's: ``gradwork.tensor``, ``gradwork.autograd``, ``gradwork.nn``,
``gradwork.func``; code written for PyTorch ports by changing the import.
"""

from gradwork._backend import device
from gradwork._memory import tune_malloc
from gradwork._threads import get_num_threads, set_num_threads

tune_malloc()  # keep freed array memory for reuse (see gradwork/_memory.py)
from gradwork._creation import *  # noqa: F403
from gradwork._dtype import (  # noqa: F401
    bool,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from gradwork.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from gradwork.ops.activation import *  # noqa: F403
from gradwork.ops.compare import *  # noqa: F403
from gradwork.ops.conv import *  # noqa: F403
from gradwork.ops.elementwise import *  # noqa: F403
from gradwork.ops.indexing import *  # noqa: F403
from gradwork.ops.linalg import *  # noqa: F403
from gradwork.ops.loss import *  # noqa: F403
from gradwork.ops.movement import *  # noqa: F403
from gradwork.ops.nn import *  # noqa: F403
from gradwork.ops.norm import *  # noqa: F403
from gradwork.ops.pool import *  # noqa: F403
from gradwork.ops.reduce import *  # noqa: F403
from gradwork.ops.rnn import *  # noqa: F403
from gradwork.ops.special import *  # noqa: F403
from gradwork.random import (  # noqa: F401
    Generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from gradwork.tensor import Tensor
from gradwork.io import load, save
from gradwork import autograd, func, nn, optim, utils  # noqa: E402,F401
from gradwork.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402,F401

float = float32  # noqa: A001 - PyTorch's aliases
double = float64
half = float16
long = int64
int = int32  # noqa: A001

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    """True if ``obj`` is a gradwork Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    return input.numel()
