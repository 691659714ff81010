"""Neural-network building blocks; ``gradwork.nn.functional`` holds the stateless ops."""

from gradwork.nn import functional, init, modules, utils
from gradwork.nn.containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from gradwork.nn.module import Module
from gradwork.nn.modules import *  # noqa: F403
from gradwork.nn.parameter import Parameter

__all__ = [
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "Sequential",
    "functional",
    "init",
    "utils",
    *modules.__all__,
]
