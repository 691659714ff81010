"""Stateless neural-network functions, as ``torch.nn.functional`` (being assembled)."""

from gradwork.ops.elementwise import *  # noqa: F403
from gradwork.ops.nn import *  # noqa: F403
