"""The lab registry: lab names -> modules, and a lab's ``Config`` as command-line flags.

Labs are imported only when asked for, so ``gradwork lab list`` stays fast and a lab's
dependencies load only when it runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import re
import types
import typing
from collections.abc import Sequence
from typing import Any

__all__ = ["LABS", "add_config_arguments", "config_from_arguments", "describe", "load", "names"]

# name -> module; each module defines ``Config``, ``Result``, ``run(cfg)`` and ``report(...)``.
LABS = {
    "gpt": "gradwork.labs.gpt",
    "fashion": "gradwork.labs.fashion",
    "gnn": "gradwork.labs.gnn",
    "minilm": "gradwork.labs.minilm",
    "mnist1d": "gradwork.labs.mnist1d",
    "rnn_lm": "gradwork.labs.rnn_lm",
}


def names() -> list[str]:
    """The registered labs' names, sorted.

    Example:
        >>> "mnist1d" in names()
        True
    """
    return sorted(LABS)


def load(name: str) -> types.ModuleType:
    """Import and return the lab module ``name``.

    Example:
        >>> load("mnist1d").Config().total_steps
        6000
    """
    if name not in LABS:
        raise KeyError(f"unknown lab {name!r}; the labs are: {', '.join(names())}")
    return importlib.import_module(LABS[name])


def describe(name: str) -> str:
    """The first line of the lab module's docstring."""
    return (load(name).__doc__ or "").strip().splitlines()[0]


def _flag_type(annotation: Any) -> tuple[type, bool]:
    """The element type of a field's annotation and whether it is a tuple (``nargs="+"``)."""
    origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        arguments = [argument for argument in typing.get_args(annotation) if argument is not ...]
        return (arguments[0] if arguments else str), True
    if origin in (typing.Union, types.UnionType):
        arguments = [argument for argument in typing.get_args(annotation) if argument is not None]
        return _flag_type(arguments[0])[0], False
    return annotation, False


def _field_comments(config_class: type) -> dict[str, str]:
    """``{field: comment}`` from lines ``name: type = default  # comment`` of the class source."""
    try:
        source = inspect.getsource(config_class)
    except (OSError, TypeError):  # no source (e.g. a class built at run time)
        return {}
    pattern = re.compile(r"^\s+(\w+)\s*:[^#\n]*#\s*(.+?)\s*$", re.MULTILINE)
    return {name: comment.replace("%", "%%") for name, comment in pattern.findall(source)}


def add_config_arguments(parser: argparse.ArgumentParser, config_class: type) -> None:
    """Add one ``--flag`` per field of the dataclass ``config_class``, defaulting to the field's.

    ``total_steps`` becomes ``--total-steps``; a ``bool`` field
    ``x`` gives ``--x`` and ``--no-x``; a tuple field takes one or more values. The help text is
    the comment after the field in the class's source, and the default.
    """
    hints = typing.get_type_hints(config_class)
    comments = _field_comments(config_class)
    for config_field in dataclasses.fields(config_class):
        name = config_field.name
        flags = [f"--{name.replace('_', '-')}"]
        element, many = _flag_type(hints[name])
        default = config_field.default
        if default is dataclasses.MISSING:
            default = config_field.default_factory()  # type: ignore[misc]
        shown = " ".join(map(str, default)) if many else default
        help_text = f"{comments.get(name, '')} (default: {shown})".strip()
        if element is bool and not many:
            parser.add_argument(
                *flags,
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=default,
                help=help_text,
            )
        else:
            parser.add_argument(
                *flags,
                dest=name,
                type=element,
                nargs="+" if many else None,
                default=default,
                metavar=name.upper(),
                help=help_text,
            )


def config_from_arguments(config_class: type, arguments: argparse.Namespace | dict) -> Any:
    """Build ``config_class`` from parsed arguments (extra attributes are ignored).

    Example:
        >>> import argparse
        >>> lab = load("mnist1d")
        >>> parser = argparse.ArgumentParser()
        >>> add_config_arguments(parser, lab.Config)
        >>> arguments = parser.parse_args(["--quick", "--total-steps", "50", "--models", "mlp"])
        >>> config = config_from_arguments(lab.Config, arguments)
        >>> config.quick, config.total_steps, config.models
        (True, 50, ('mlp',))
    """
    values = arguments if isinstance(arguments, dict) else vars(arguments)
    hints = typing.get_type_hints(config_class)
    kwargs = {}
    for config_field in dataclasses.fields(config_class):
        if config_field.name in values:
            value = values[config_field.name]
            if _flag_type(hints[config_field.name])[1] and isinstance(value, Sequence):
                value = tuple(value)
            kwargs[config_field.name] = value
    return config_class(**kwargs)
