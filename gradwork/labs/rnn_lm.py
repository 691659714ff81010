"""Char-RNN: LSTM, GRU and plain RNN character language models on Tiny Shakespeare.

Karpathy's char-rnn (github.com/karpathy/char-rnn; "The unreasonable effectiveness of recurrent
neural networks", 2015) reads Tiny Shakespeare one character at a time with a stack of recurrent
layers and writes Shakespeare-like text back. This lab trains the model of
:mod:`gradwork.models.rnn_lm` (an embedding of 32, two recurrent layers of 256 units, a linear
read-out) with each cell in turn, from the same seed and on the same batches, and compares the
validation loss in nats per character. Training reads the text as char-rnn does: the training
split (the first 90% of the characters, nanoGPT's split, as in the ``gpt`` lab) is cut into
``batch_size`` contiguous streams read side by side, ``seq_length`` characters at a time, with
truncated backpropagation through time (the hidden state flows from one chunk into the next, the
gradients stop at the chunk boundary). The optimizer is Adam at char-rnn's learning rate of 2e-3
(char-rnn itself uses RMSprop), and the gradients' joint norm is clipped at 5 (char-rnn clamps
each element at 5). The validation loss is measured the same way, streams with their state
carried: every ``eval_interval`` steps on the first ``eval_chunks`` chunks of the validation
streams, and after training over the whole validation split. The cell with the lowest final
validation loss writes samples at temperatures 0.5, 0.8 and 1.0.

There is no published number for this exact setup to compare with. For scale: char-rnn's defaults
train for 50 epochs (RMSprop, learning-rate decay after 10), and roughly 1.5 to 1.7 nats per
character is the usual expectation for an LSTM of this size on Tiny Shakespeare after such long
training (not measured here). The default here makes one pass over the training text per cell
(490 steps of 32 streams x 64 characters), so it stops well before that.

Measured on the shared two-core machine this lab was written on (one BLAS thread): a default
run takes 3.8 minutes of wall time (LSTM 119 s, GRU 76 s, tanh RNN 31 s, each layer's sequence
one fused node) and reaches validation losses of 1.81 nats per character for the LSTM (842k
parameters), 1.68 for the GRU (636k) and 1.79 for the tanh RNN (225k); the mean training loss
over the last 70 steps was 1.72, 1.56 and 1.68. After one epoch the GRU leads and the LSTM
trails even the plain RNN: it starts slowest (its forget-gate biases start near 0, uniform as in
PyTorch, where char-rnn sets them to 1), and its validation loss still falls fastest at the end.
``--max-iters 1470`` trains three epochs; ``--quick`` trains a one-layer model of 64 units for 40
steps in a few seconds.

Run: ``gradwork lab run rnn_lm [--cells lstm gru rnn] [--max-iters N] [--quick]``.

Example:
    >>> from gradwork.labs import rnn_lm
    >>> config = rnn_lm.Config(quick=True, cells=("gru",), max_iters=6, eval_interval=3,
    ...                        progress=False)
    >>> result = rnn_lm.run(config)
    >>> result.cells["gru"].eval_steps, len(result.cells["gru"].train_loss)
    ([0, 3, 6], 6)
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import gradwork
import gradwork.nn.functional as F
from gradwork.labs.common import blas_threads, progress_bar, smooth
from gradwork.labs.report import Panel, Plot, markdown_table, write_report
from gradwork.models.rnn_lm import CharLM, CharLMConfig, CharVocab, sample, train_tbptt
from gradwork.optim import Adam

__all__ = ["CELL_NAMES", "CellResult", "Config", "Result", "report", "run"]

CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN (tanh)"}
REFERENCE_SOURCE = (
    "github.com/karpathy/char-rnn, whose defaults train for 50 epochs; no published number "
    "matches this setup"
)
# --quick: a small model and few steps, enough to see the loss fall; each value is an upper bound.
QUICK = {
    "max_iters": 40,
    "eval_interval": 20,
    "eval_chunks": 4,
    "val_chunks": 8,
    "num_layers": 1,
    "hidden_size": 64,
    "batch_size": 16,
    "seq_length": 32,
    "sample_chars": 100,
}


@dataclass
class Config:
    cells: tuple[str, ...] = ("lstm", "gru", "rnn")  # recurrent cells to compare, in order
    num_layers: int = 2  # stacked recurrent layers (char-rnn's default)
    hidden_size: int = 256  # state size of each layer, the same for every cell
    embedding_dim: int = 32  # width of the character embeddings
    dropout: float = 0.0  # between layers and before the read-out (char-rnn's default: none)
    batch_size: int = 32  # parallel streams of the training text
    seq_length: int = 64  # characters per chunk: the truncation length of backpropagation
    max_iters: int = 490  # optimizer steps per cell (490: one pass over the training text)
    learning_rate: float = 2e-3  # Adam's step size (char-rnn's 2e-3, for RMSprop there)
    grad_clip: float = 5.0  # clip the gradients' joint norm to this (char-rnn's 5); 0: off
    eval_interval: int = 70  # steps between validation estimates
    eval_chunks: int = 12  # chunks of the validation streams per estimate
    val_chunks: int = 0  # chunks for the final validation loss; 0 means the whole split
    seed: int = 1337  # seeds the weights of each cell and the samples
    sample_chars: int = 500  # characters sampled at each temperature from the best cell
    temperatures: tuple[float, ...] = (0.5, 0.8, 1.0)  # sampling temperatures
    quick: bool = False  # a one-layer model of 64 units for 40 steps: a smoke test in seconds
    blas_threads: int = 1  # BLAS threads while training; 0 leaves them as they are
    progress: bool = True  # show a tqdm progress bar per cell

    def __post_init__(self) -> None:
        unknown = [cell for cell in self.cells if cell not in CELL_NAMES]
        if unknown or not self.cells:
            raise ValueError(
                f"rnn_lm.Config: cells must be a non-empty subset of {list(CELL_NAMES)}, "
                f"got {list(self.cells)}"
            )
        for name in (
            "num_layers",
            "hidden_size",
            "batch_size",
            "seq_length",
            "max_iters",
            "eval_interval",
            "eval_chunks",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"rnn_lm.Config: {name} must be >= 1, got {getattr(self, name)}")
        if any(temperature < 0 for temperature in self.temperatures):
            raise ValueError(
                f"rnn_lm.Config: temperatures must be >= 0, got {list(self.temperatures)}"
            )

    def effective(self) -> Config:
        """The configuration that runs: with ``quick``, the model, steps and evaluation cut
        down."""
        if not self.quick:
            return self
        changes = {
            name: min(getattr(self, name), value)
            for name, value in QUICK.items()
            if name != "val_chunks"
        }
        changes["val_chunks"] = min(self.val_chunks or QUICK["val_chunks"], QUICK["val_chunks"])
        return dataclasses.replace(self, **changes)


@dataclass
class CellResult:
    """One cell's training record (losses in nats per character)."""

    cell: str  # a key of CELL_NAMES
    parameters: int  # trainable scalars
    train_loss: list[float]  # the loss of every training chunk
    eval_steps: list[int]  # steps done before each validation estimate
    eval_val_loss: list[float]  # on the first eval_chunks chunks of the validation streams
    final_val_loss: float  # over the validation split (or its first val_chunks chunks)
    seconds: float  # wall time of training and evaluation


@dataclass
class Result:
    """What :func:`run` returns: the configuration that ran, one record per cell and the best
    cell's samples."""

    config: Config
    vocab_size: int = 0  # distinct characters of the whole text
    steps_per_epoch: int = 0  # chunks in one pass over the training streams
    cells: dict[str, CellResult] = field(default_factory=dict)
    best_cell: str = ""  # the cell with the lowest final validation loss
    samples: dict[float, str] = field(default_factory=dict)  # temperature -> text, best cell
    seconds: float = 0.0  # wall time of the whole run

    def table(self) -> str:
        """The Markdown table of the final validation loss per cell."""
        rows = [
            [
                CELL_NAMES[name],
                f"{record.parameters:,}",
                f"{np.mean(record.train_loss[-self.config.eval_interval :]):.3f}",
                f"{record.final_val_loss:.4f}",
                f"{record.seconds:.1f}",
            ]
            for name, record in self.cells.items()
        ]
        train = f"train, last {min(self.config.eval_interval, self.config.max_iters)} steps"
        headers = ["cell", "parameters", train, "val nats/char", "seconds"]
        return markdown_table(headers, rows, align="lrrrr")

    def summary(self) -> str:
        """The text the command line prints: the table, the run's size and the best samples."""
        config = self.config
        lines = [
            self.table(),
            "",
            f"Tiny Shakespeare, {config.num_layers} x {config.hidden_size} units, "
            f"{config.max_iters} steps of {config.batch_size} x {config.seq_length} characters "
            f"per cell ({config.max_iters / self.steps_per_epoch:.2f} epochs); total wall time "
            f"{self.seconds:.1f} s",
        ]
        for temperature, text in self.samples.items():
            lines += [
                "",
                f"sample from the {CELL_NAMES[self.best_cell]}, temperature {temperature}:",
                text,
            ]
        return "\n".join(lines)


def _streams(data: np.ndarray, batch_size: int) -> np.ndarray:
    """``data`` cut into ``batch_size`` contiguous streams, each one character longer than its
    share so the last input of one chunk has its target: ``(B, L + 1)``."""
    length = (len(data) - 1) // batch_size
    offsets = np.arange(batch_size)[:, None] * length + np.arange(length + 1)  # (B, L + 1)
    return data[offsets]


@gradwork.no_grad()
def _stream_loss(model: CharLM, streams: np.ndarray, seq_length: int, chunks: int = 0) -> float:
    """The mean loss per character over the streams read chunk by chunk with the state carried,
    the first ``chunks`` chunks when ``chunks`` is positive."""
    model.eval()
    steps = streams.shape[1] - 1
    stops = list(range(seq_length, steps + 1, seq_length))
    stops = stops[:chunks] if chunks > 0 else stops
    hidden, total, count = None, 0.0, 0
    for stop in stops:
        window = gradwork.from_numpy(streams[:, stop - seq_length : stop + 1])  # (B, T + 1)
        logits, hidden = model(window[:, :-1], hidden)  # (B, T, vocab_size)
        targets = window[:, 1:].reshape(-1)  # (B * T,)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets)
        total += loss.item() * targets.shape[0]
        count += targets.shape[0]
    model.train()
    return total / count


def _train(cell: str, config: Config, vocab: CharVocab, train: np.ndarray, val: np.ndarray):
    """Train one cell with truncated BPTT; return its record and the trained model."""
    start = time.perf_counter()
    gradwork.manual_seed(config.seed)
    model = CharLM(
        CharLMConfig(
            vocab_size=len(vocab),
            cell=cell,
            num_layers=config.num_layers,
            hidden_size=config.hidden_size,
            embedding_dim=config.embedding_dim,
            dropout=config.dropout,
        )
    )
    optimizer = Adam(model.parameters(), lr=config.learning_rate)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    record = CellResult(cell, parameters, [], [], [], math.nan, 0.0)
    chunks_per_epoch = (train.shape[1] - 1) // config.seq_length
    hidden = None
    steps = progress_bar(
        range(config.max_iters + 1), desc=CELL_NAMES[cell], enabled=config.progress
    )
    for step in steps:
        if step % config.eval_interval == 0 or step == config.max_iters:
            record.eval_steps.append(step)
            record.eval_val_loss.append(
                _stream_loss(model, val, config.seq_length, config.eval_chunks)
            )
            steps.set_postfix(val=f"{record.eval_val_loss[-1]:.3f}", refresh=False)
        if step == config.max_iters:
            break
        chunk = step % chunks_per_epoch
        if chunk == 0:
            hidden = None  # a new pass starts each stream afresh: the old state is not its past
        begin = chunk * config.seq_length
        window = gradwork.from_numpy(train[:, begin : begin + config.seq_length + 1])
        losses, hidden = train_tbptt(
            model,
            optimizer,
            window,
            config.seq_length,
            hidden,
            max_norm=config.grad_clip if config.grad_clip > 0 else None,
        )
        record.train_loss.extend(losses)
    steps.close()
    record.final_val_loss = _stream_loss(model, val, config.seq_length, config.val_chunks)
    record.seconds = time.perf_counter() - start
    return record, model


def run(cfg: Config) -> Result:
    """Train a character language model with each cell of ``cfg.cells`` on Tiny Shakespeare and
    sample from the best one.

    Args:
        cfg: the configuration; with ``cfg.quick`` the model and steps shrink (see
            :meth:`Config.effective`), and ``Result.config`` holds what ran.

    Returns:
        a :class:`Result`: one :class:`CellResult` per cell, in ``cfg.cells`` order, and samples.
    """
    from gradwork.datasets import TinyShakespeare

    start = time.perf_counter()
    config = cfg.effective()
    result = Result(config)
    train_text, val_text = TinyShakespeare("train").text, TinyShakespeare("val").text
    vocab = CharVocab(train_text + val_text)  # nanoGPT's vocabulary: every character, sorted
    train = _streams(np.asarray(vocab.encode(train_text), dtype=np.int64), config.batch_size)
    val = _streams(np.asarray(vocab.encode(val_text), dtype=np.int64), config.batch_size)
    result.vocab_size = len(vocab)
    result.steps_per_epoch = (train.shape[1] - 1) // config.seq_length
    models = {}
    with blas_threads(config.blas_threads):
        for cell in config.cells:
            result.cells[cell], models[cell] = _train(cell, config, vocab, train, val)
        result.best_cell = min(result.cells, key=lambda cell: result.cells[cell].final_val_loss)
        for temperature in config.temperatures:
            generator = gradwork.Generator().manual_seed(config.seed)
            result.samples[temperature] = sample(
                models[result.best_cell],
                vocab,
                "\n",
                config.sample_chars,
                temperature=temperature,
                generator=generator,
            )
    result.seconds = time.perf_counter() - start
    return result


def report(result: Result, out_dir: str | Path = "reports/rnn_lm") -> dict[str, Path]:
    """Write ``report.md`` (the table and samples), ``curves.png`` and ``metrics.json`` into
    ``out_dir``.

    Returns:
        ``{file name: path}`` of the files written.
    """
    config = result.config
    window = max(min(config.eval_interval // 5, config.max_iters), 1)
    curves = {}
    for name, record in result.cells.items():
        smoothed = smooth(record.train_loss, window)
        label = CELL_NAMES[name]
        curves[f"{label} train (mean over {window} steps)"] = (
            (np.arange(len(smoothed)) + 1) * window,
            smoothed,
        )
        curves[f"{label} val"] = (record.eval_steps, record.eval_val_loss)
    plot = Plot(
        "curves.png",
        [Panel("loss", "step", "nats per character", curves, log_y=True)],
        title=f"Char-RNN on Tiny Shakespeare, {config.num_layers} x {config.hidden_size} units",
    )
    settings = [[key, f"`{value}`"] for key, value in dataclasses.asdict(config).items()]
    fence = "```"
    epochs = config.max_iters / result.steps_per_epoch
    lines = [
        "# Char-RNN on Tiny Shakespeare: LSTM, GRU and RNN",
        "",
        f"Vocabulary {result.vocab_size} characters; {config.num_layers} recurrent layers of "
        f"{config.hidden_size} units per cell; {config.max_iters} Adam steps of "
        f"{config.batch_size} streams x {config.seq_length} characters ({epochs:.2f} epochs of "
        f"the training split), truncated backpropagation through time. Validation loss in nats "
        f"per character over the "
        + (f"first {config.val_chunks} chunks of the" if config.val_chunks else "whole")
        + " validation split, read as streams with the state carried:",
        "",
        result.table(),
        "",
        f"Total wall time: {result.seconds:.1f} s. For scale: {REFERENCE_SOURCE}. Roughly 1.5 to "
        "1.7 nats per character is the usual expectation for an LSTM of this size after such "
        "long training (not measured here).",
        "",
        "![learning curves](curves.png)",
        "",
    ]
    for temperature, text in result.samples.items():
        lines += [
            f"## Sample from the {CELL_NAMES[result.best_cell]}, temperature {temperature}",
            "",
            fence,
            text,
            fence,
            "",
        ]
    lines += ["## Configuration", "", markdown_table(["setting", "value"], settings), ""]
    metrics = {
        "lab": "rnn_lm",
        "config": dataclasses.asdict(config),
        "vocab_size": result.vocab_size,
        "steps_per_epoch": result.steps_per_epoch,
        "best_cell": result.best_cell,
        "wall_time_seconds": result.seconds,
        "reference_source": REFERENCE_SOURCE,
        "cells": {name: dataclasses.asdict(record) for name, record in result.cells.items()},
        "samples": {str(temperature): text for temperature, text in result.samples.items()},
    }
    return write_report(out_dir, "\n".join(lines), metrics, [plot])
