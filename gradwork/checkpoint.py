"""Training checkpoints: everything a run needs to resume bit-identically, in one file.

``save_checkpoint`` stores the model's state dict, the optimizer's and the scheduler's state,
the random states (gradwork's default generator, NumPy's global ``np.random`` state and Python's
``random`` state), the step and any extra values in one safetensors file, written atomically
through :func:`gradwork.save` (tensors as tensors, everything else as JSON metadata; nothing is
pickled). ``load_checkpoint`` checks that the checkpoint fits the given objects before changing
any of them, then restores them all.
"""

from __future__ import annotations

import os
import random as python_random
from typing import Any

import numpy as np

from gradwork import io
from gradwork import random as gradwork_random
from gradwork.nn.module import Module

__all__ = ["save_checkpoint", "load_checkpoint"]

_FORMAT = "gradwork.checkpoint"
_VERSION = 1


def _random_states() -> dict[str, Any]:
    """The global random states, each as tensors and JSON values."""
    _, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    python_version, python_words, python_gauss = python_random.getstate()
    return {
        "gradwork": gradwork_random.get_rng_state(),
        "numpy": {
            "keys": np.asarray(keys, np.uint32),
            "pos": int(position),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        # Mersenne Twister's 624 words and its position (<= 624): all fit in uint32.
        "python": {
            "version": python_version,
            "state": np.asarray(python_words, np.uint32),
            "gauss_next": python_gauss,
        },
    }


def _set_random_states(states: dict[str, Any]) -> None:
    gradwork_random.set_rng_state(states["gradwork"])
    numpy_state = states["numpy"]
    np.random.set_state(
        (
            "MT19937",
            np.asarray(numpy_state["keys"].numpy(), np.uint32),
            numpy_state["pos"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        )
    )
    python_state = states["python"]
    python_random.setstate(
        (
            python_state["version"],
            tuple(int(word) for word in python_state["state"].numpy()),
            python_state["gauss_next"],
        )
    )


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model: Module,
    optimizer=None,
    scheduler=None,
    step: int = 0,
    extra: Any = None,
) -> None:
    """Save a training run's state to one safetensors file, atomically.

    Stored: ``model.state_dict()``, ``optimizer.state_dict()`` and ``scheduler.state_dict()``
    (when given), the default generator's state (``gradwork.get_rng_state()``), NumPy's global
    random state, Python's ``random`` state, ``step`` and ``extra``. A run resumed from the
    checkpoint with :func:`load_checkpoint` continues bit-identically when everything random it
    draws comes from those sources. A ``DataLoader`` that shuffles with the default generator
    draws its order at the start of each epoch, so save at epoch boundaries; to resume inside an
    epoch, give the loader its own ``Generator``, and store that generator's state at the start
    of the epoch and the number of batches done in ``extra``.

    Args:
        path: the file to write (replaced atomically: a crash leaves the old file or the new).
        model: the module whose parameters and persistent buffers are saved.
        optimizer: an optimizer (its buffers and parameter groups are saved).
        scheduler: a learning rate scheduler.
        step: the training step (or epoch) to resume from.
        extra: anything else :func:`gradwork.save` can store: tensors, NumPy arrays, and dicts,
            lists, strings, numbers, booleans and ``None`` (for example the loss history, or a
            ``Generator.get_state()``).

    Example:
        >>> import os, tempfile, gradwork
        >>> from gradwork.nn import Module, Parameter
        >>> model = Module()
        >>> model.w = Parameter(gradwork.zeros(2))
        >>> optimizer = gradwork.optim.SGD(model.parameters(), lr=0.1)
        >>> path = os.path.join(tempfile.mkdtemp(), "run.safetensors")
        >>> gradwork.save_checkpoint(path, model=model, optimizer=optimizer, step=7)
        >>> gradwork.load_checkpoint(path, model=model, optimizer=optimizer)["step"]
        7
    """
    if not isinstance(model, Module):
        raise TypeError(f"save_checkpoint: model must be a gradwork.nn.Module, got {model!r}")
    checkpoint = {
        "format": _FORMAT,
        "version": _VERSION,
        "step": step,
        "model": dict(model.state_dict()),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "optimizer_class": None if optimizer is None else type(optimizer).__name__,
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "scheduler_class": None if scheduler is None else type(scheduler).__name__,
        "rng": _random_states(),
        "extra": extra,
    }
    io.save(checkpoint, path)


def _check_fits(path: str, checkpoint: dict, model: Module, optimizer, scheduler) -> None:
    """Raise if the checkpoint does not fit the objects; nothing has been changed yet."""
    saved = checkpoint["model"]
    current = model.state_dict()
    missing = [key for key in current if key not in saved]
    unexpected = [key for key in saved if key not in current]
    mismatched = [
        f"{key}: checkpoint {tuple(saved[key].shape)}, model {tuple(value.shape)}"
        for key, value in current.items()
        if key in saved and tuple(saved[key].shape) != tuple(value.shape)
    ]
    if missing or unexpected or mismatched:
        problems = []
        if missing:
            problems.append(f"missing in the checkpoint: {', '.join(missing)}")
        if unexpected:
            problems.append(f"not in the model: {', '.join(unexpected)}")
        if mismatched:
            problems.append(f"shape mismatch for {'; '.join(mismatched)}")
        raise RuntimeError(
            f"load_checkpoint: the model in {path} does not fit {type(model).__name__} ("
            + "; ".join(problems)
            + ")"
        )
    for name, given in (("optimizer", optimizer), ("scheduler", scheduler)):
        if given is None:
            continue
        if checkpoint[name] is None:
            raise ValueError(f"load_checkpoint: {path} holds no {name} state")
        if checkpoint[f"{name}_class"] != type(given).__name__:
            raise ValueError(
                f"load_checkpoint: {path} holds the state of a {checkpoint[f'{name}_class']} "
                f"{name}, not of a {type(given).__name__}"
            )
    if optimizer is not None:
        saved_sizes = [len(group["params"]) for group in checkpoint["optimizer"]["param_groups"]]
        sizes = [len(group["params"]) for group in optimizer.param_groups]
        if saved_sizes != sizes:
            raise ValueError(
                f"load_checkpoint: the optimizer in {path} has parameter groups of sizes "
                f"{saved_sizes}, this optimizer {sizes}"
            )


def load_checkpoint(
    path: str | os.PathLike,
    *,
    model: Module,
    optimizer=None,
    scheduler=None,
    restore_rng: bool = True,
) -> dict[str, Any]:
    """Restore a run saved by :func:`save_checkpoint` into freshly built objects.

    The model, optimizer and scheduler must be built as they were when saved (same parameter
    names and shapes, same parameter groups, same classes). Everything is checked first, so on
    an error nothing has been changed.

    Args:
        path: the checkpoint file.
        model: receives the saved parameters and buffers (in place).
        optimizer: receives the saved optimizer state (optional: leave it out to evaluate).
        scheduler: receives the saved scheduler state (optional).
        restore_rng: also restore the default generator's, NumPy's and Python's random states
            (default True: that is what makes the resumed run continue the same numbers).

    Returns:
        ``{"step": step, "extra": extra}`` as saved.

    Raises:
        FileNotFoundError: no file at ``path``.
        RuntimeError: the file is truncated, corrupted, not a gradwork checkpoint, or its model
            does not fit ``model`` (the message lists the missing, unexpected and mismatched
            entries).
        ValueError: the optimizer or scheduler does not match the saved one.
    """
    path = os.fspath(path)
    try:
        checkpoint = io.load(path)
    except RuntimeError as error:
        raise RuntimeError(
            f"load_checkpoint: {path} is truncated or corrupted ({error})"
        ) from error
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != _FORMAT:
        raise RuntimeError(
            f"load_checkpoint: {path} is not a gradwork checkpoint (written by "
            "save_checkpoint); for a file written by gradwork.save use gradwork.load"
        )
    if checkpoint.get("version") != _VERSION:
        raise RuntimeError(
            f"load_checkpoint: {path} has checkpoint version {checkpoint.get('version')}; "
            f"this gradwork reads version {_VERSION}"
        )
    _check_fits(path, checkpoint, model, optimizer, scheduler)
    model.load_state_dict(checkpoint["model"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(checkpoint["scheduler"])
    if restore_rng:
        _set_random_states(checkpoint["rng"])
    return {"step": checkpoint["step"], "extra": checkpoint["extra"]}
