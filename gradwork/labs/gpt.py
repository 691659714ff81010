"""GPT: a small character-level (or BPE) transformer language model on Shakespeare or the Bible.

Karpathy's nanoGPT (github.com/karpathy/nanoGPT) trains a character-level GPT on TinyShakespeare;
its README gives a recipe for a laptop CPU: ``python train.py config/train_shakespeare_char.py
--device=cpu --compile=False --eval_iters=20 --log_interval=1 --block_size=64 --batch_size=12
--n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0``,
which "gets us a loss of only 1.88" on the validation split, in about three minutes of PyTorch.
This lab runs that recipe on gradwork: the model of :mod:`gradwork.models.gpt` (0.80M
parameters, no biases, learned positions, tied embeddings), AdamW with betas (0.9, 0.99) and
weight decay 0.1 on the matrices only, gradient clipping at 1.0, a linear warm-up of 100 steps
then cosine decay from 1e-3 to 1e-4, batches of 12 random windows of 64 characters, and the loss
on 20 random batches of each split every 250 steps (the rest of
``config/train_shakespeare_char.py`` and ``train.py``'s defaults). It reports the validation
loss in nats per character and a sample of text.

Measured on the shared two-core machine this lab was written on (one BLAS thread): the full
2,000 steps take 4.7 minutes of wall time (4.5 minutes of training, 0.13 s a step) and reach a
validation loss of 1.92 nats per character (1.924 on the 20 random batches, 1.922 over the whole
split), against nanoGPT's 1.88; that is the default. The same recipe on the King James Bible
(``--corpus kjv``) reaches 1.63 nats per character (1.62 over the whole split) in 6 minutes, and
on Shakespeare with the byte-level BPE tokenizer (``--tokenizer bpe``, 512 tokens, about 1.9
characters per token) 1.71 nats per character in 4 minutes. ``--quick`` trains a smaller model
for 60 steps in seconds.
``--corpus kjv`` trains on the King James Bible (Debian's ``bible-kjv``); ``--tokenizer bpe``
uses a byte-level BPE of ``bpe_vocab_size`` tokens trained on the training split, and the loss
per token is converted to nats per character with the split's characters per token.

Run: ``gradwork lab run gpt [--corpus shakespeare|kjv] [--tokenizer char|bpe] [--quick]``.

Example:
    >>> from gradwork.labs import gpt
    >>> result = gpt.run(gpt.Config(quick=True, max_iters=10, eval_interval=5, progress=False))
    >>> result.eval_steps, len(result.train_loss)
    ([0, 5, 10], 10)
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import gradwork
from gradwork.labs.common import blas_threads, progress_bar, smooth
from gradwork.labs.report import Panel, Plot, markdown_table, write_report
from gradwork.models.gpt import GPT, GPTConfig
from gradwork.optim import AdamW
from gradwork.optim.lr_scheduler import LambdaLR

__all__ = ["REFERENCE_VAL_LOSS", "Config", "Result", "report", "run"]

# nanoGPT's README, "quick start", the CPU run of the recipe above: "a loss of only 1.88".
REFERENCE_VAL_LOSS = 1.88
REFERENCE_SOURCE = (
    "the README of github.com/karpathy/nanoGPT (quick start, CPU recipe for shakespeare_char): "
    '"gets us a loss of only 1.88"'
)
RECIPE_ITERS = 2000  # the CPU recipe's max_iters
CORPORA = ("shakespeare", "kjv")
TOKENIZERS = ("char", "bpe")
# --quick: a smaller model and few steps, enough to see the loss fall.
QUICK = {"max_iters": 60, "eval_interval": 20, "eval_iters": 4, "n_layer": 2, "n_embd": 64}
QUICK_SAMPLE_TOKENS, QUICK_VAL_WINDOWS = 100, 64


@dataclass
class Config:
    corpus: str = "shakespeare"  # 'shakespeare' (TinyShakespeare) or 'kjv' (the King James Bible)
    tokenizer: str = "char"  # 'char' (one token per character) or 'bpe' (byte-level BPE)
    bpe_vocab_size: int = 512  # tokens of the BPE tokenizer, 256 bytes + merges
    n_layer: int = 4  # transformer blocks (nanoGPT's CPU recipe)
    n_head: int = 4  # attention heads
    n_embd: int = 128  # width of the residual stream
    block_size: int = 64  # context length in tokens
    dropout: float = 0.0  # the CPU recipe turns dropout off
    bias: bool = False  # biases in linear layers and layer norms (nanoGPT's default: none)
    batch_size: int = 12  # windows per step
    max_iters: int = RECIPE_ITERS  # optimizer steps (the CPU recipe's 2000)
    learning_rate: float = 1e-3  # peak learning rate
    min_lr: float = 1e-4  # the learning rate at the end of the cosine decay
    warmup_iters: int = 100  # steps of linear warm-up
    lr_decay_iters: int = 0  # steps of cosine decay; 0 means max_iters (the recipe's)
    weight_decay: float = 0.1  # AdamW's decoupled decay, on weight matrices and embeddings only
    beta1: float = 0.9  # AdamW's first-moment decay
    beta2: float = 0.99  # AdamW's second-moment decay (the recipe's: few tokens per step)
    grad_clip: float = 1.0  # clip the gradients' joint norm to this; 0 turns clipping off
    eval_interval: int = 250  # steps between loss estimates
    eval_iters: int = 20  # random batches per split in each estimate (the CPU recipe's)
    val_windows: int = 0  # windows for the final loss over the val split in order; 0 means all
    seed: int = 1337  # seeds the weights, the batches and the sample (nanoGPT's)
    sample_tokens: int = 500  # tokens to sample after training (nanoGPT's sample.py)
    temperature: float = 0.8  # sampling temperature (nanoGPT's sample.py)
    top_k: int = 200  # sample among this many most likely tokens (nanoGPT's sample.py)
    quick: bool = False  # a smaller model for 60 steps: a smoke test in seconds
    blas_threads: int = 1  # BLAS threads while training; 0 leaves them as they are
    progress: bool = True  # show a tqdm progress bar

    def __post_init__(self) -> None:
        if self.corpus not in CORPORA:
            raise ValueError(f"gpt.Config: corpus must be one of {CORPORA}, got {self.corpus!r}")
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(
                f"gpt.Config: tokenizer must be one of {TOKENIZERS}, got {self.tokenizer!r}"
            )
        for name in ("max_iters", "batch_size", "block_size", "eval_interval", "eval_iters"):
            if getattr(self, name) < 1:
                raise ValueError(f"gpt.Config: {name} must be >= 1, got {getattr(self, name)}")

    def effective(self) -> Config:
        """The configuration that runs: with ``quick``, the model and the steps cut down."""
        if not self.quick:
            return self
        changes = {name: min(getattr(self, name), value) for name, value in QUICK.items()}
        changes["sample_tokens"] = min(self.sample_tokens, QUICK_SAMPLE_TOKENS)
        changes["warmup_iters"] = min(self.warmup_iters, changes["max_iters"] // 10)
        changes["val_windows"] = min(self.val_windows or QUICK_VAL_WINDOWS, QUICK_VAL_WINDOWS)
        return dataclasses.replace(self, **changes)


@dataclass
class Result:
    """What :func:`run` returns: the configuration that ran, the curves and a sample."""

    config: Config
    parameters: int = 0  # trainable scalars, the tied embedding counted once
    vocab_size: int = 0  # the tokenizer's
    chars_per_token: dict[str, float] = field(default_factory=dict)  # per split; 1 for 'char'
    train_loss: list[float] = field(default_factory=list)  # the minibatch loss of every step
    eval_steps: list[int] = field(default_factory=list)  # steps done before each estimate
    eval_train_loss: list[float] = field(default_factory=list)  # nats per token
    eval_val_loss: list[float] = field(default_factory=list)  # nats per token
    final_val_loss_full: float = math.nan  # nats per token over the val split's windows in order
    sample: str = ""  # text sampled from the trained model
    train_seconds: float = 0.0  # wall time of the training loop, estimates included
    seconds: float = 0.0  # wall time of the whole run

    @property
    def has_reference(self) -> bool:
        """nanoGPT's number applies: Shakespeare in characters."""
        return self.config.corpus == "shakespeare" and self.config.tokenizer == "char"

    @property
    def final_val_loss(self) -> float:
        """The last estimate's validation loss in nats per token (nanoGPT's number)."""
        return self.eval_val_loss[-1]

    def nats_per_char(self, loss: float, split: str = "val") -> float:
        """A loss in nats per token as nats per character of ``split``."""
        return loss / self.chars_per_token[split]

    def summary(self) -> str:
        """The text the command line prints."""
        config = self.config
        val = self.nats_per_char(self.final_val_loss)
        full = self.nats_per_char(self.final_val_loss_full)
        lines = [
            f"GPT on {config.corpus} ({config.tokenizer} tokens, vocabulary {self.vocab_size}), "
            f"{self.parameters:,} parameters, {config.max_iters} steps",
            f"val loss {val:.4f} nats/char ({config.eval_iters} random batches; over the val "
            f"split in order {full:.4f})"
            + (f"; nanoGPT's CPU recipe: {REFERENCE_VAL_LOSS}" if self.has_reference else ""),
            f"training {self.train_seconds:.1f} s, total {self.seconds:.1f} s",
            "sample:",
            self.sample,
        ]
        return "\n".join(lines)


def _load_text(corpus: str) -> tuple[str, str]:
    if corpus == "shakespeare":
        from gradwork.datasets import TinyShakespeare

        return TinyShakespeare("train").text, TinyShakespeare("val").text
    from gradwork.datasets import KJV

    return KJV("train").text, KJV("val").text


def _tokenizer(config: Config, train_text: str, val_text: str):
    from gradwork.text import BPETokenizer, CharTokenizer

    if config.tokenizer == "char":
        # nanoGPT's vocabulary: every character of the whole text, sorted
        return CharTokenizer.from_text(train_text + val_text)
    return BPETokenizer.train(train_text, vocab_size=config.bpe_vocab_size)


def _lr_factor(config: Config):
    """nanoGPT's ``get_lr`` over the peak rate: linear warm-up, cosine decay, then ``min_lr``."""
    decay_iters = config.lr_decay_iters or config.max_iters
    floor = config.min_lr / config.learning_rate

    def factor(step: int) -> float:
        if step < config.warmup_iters:
            return (step + 1) / (config.warmup_iters + 1)
        if step > decay_iters:
            return floor
        progress = (step - config.warmup_iters) / max(decay_iters - config.warmup_iters, 1)
        return floor + 0.5 * (1.0 + math.cos(math.pi * progress)) * (1.0 - floor)

    return factor


def _batch(data: np.ndarray, config: Config, rng: np.random.Generator):
    """``batch_size`` random windows ``x`` and the same shifted by one, ``y``: ``(B, T)`` each."""
    starts = rng.integers(0, len(data) - config.block_size, size=config.batch_size)
    offsets = starts[:, None] + np.arange(config.block_size)  # (B, T)
    return gradwork.from_numpy(data[offsets]), gradwork.from_numpy(data[offsets + 1])


@gradwork.no_grad()
def _estimate(model: GPT, data: np.ndarray, config: Config, rng: np.random.Generator) -> float:
    """The mean loss over ``eval_iters`` random batches (nanoGPT's ``estimate_loss``)."""
    model.eval()
    losses = [model(*_batch(data, config, rng))[1].item() for _ in range(config.eval_iters)]
    model.train()
    return float(np.mean(losses))


@gradwork.no_grad()
def _full_loss(
    model: GPT, data: np.ndarray, block_size: int, limit: int = 0, batch_size: int = 64
) -> float:
    """The mean loss over the split's non-overlapping windows in order, the first ``limit`` of
    them when ``limit`` is positive (no sampling noise)."""
    model.eval()
    windows = (len(data) - 1) // block_size
    windows = min(windows, limit) if limit > 0 else windows
    inputs = data[: windows * block_size].reshape(windows, block_size)  # (N, T)
    targets = data[1 : windows * block_size + 1].reshape(windows, block_size)  # (N, T)
    total = 0.0
    for start in range(0, windows, batch_size):
        x = gradwork.from_numpy(inputs[start : start + batch_size])
        y = gradwork.from_numpy(targets[start : start + batch_size])
        total += model(x, targets=y)[1].item() * len(x)
    model.train()
    return total / windows


def run(cfg: Config) -> Result:
    """Train a GPT on ``cfg.corpus`` with nanoGPT's recipe and sample from it.

    Args:
        cfg: the configuration; with ``cfg.quick`` the model and steps shrink (see
            :meth:`Config.effective`), and ``Result.config`` holds what ran.

    Returns:
        a :class:`Result`: losses, the wall times and a sample.
    """
    start = time.perf_counter()
    config = cfg.effective()
    result = Result(config)
    with blas_threads(config.blas_threads):
        train_text, val_text = _load_text(config.corpus)
        tokenizer = _tokenizer(config, train_text, val_text)
        data = {
            "train": np.asarray(tokenizer.encode(train_text), dtype=np.int64),
            "val": np.asarray(tokenizer.encode(val_text), dtype=np.int64),
        }
        texts = {"train": train_text, "val": val_text}
        result.vocab_size = tokenizer.vocab_size
        result.chars_per_token = {split: len(texts[split]) / len(data[split]) for split in data}

        gradwork.manual_seed(config.seed)
        rng = np.random.default_rng(config.seed)
        model = GPT(
            GPTConfig(
                vocab_size=tokenizer.vocab_size,
                block_size=config.block_size,
                n_layer=config.n_layer,
                n_head=config.n_head,
                n_embd=config.n_embd,
                dropout=config.dropout,
                bias=config.bias,
            )
        )
        result.parameters = sum(parameter.numel() for parameter in model.parameters())
        parameters = list(model.parameters())
        groups = [  # nanoGPT decays matrices and embeddings, not biases and norms
            {
                "params": [p for p in parameters if p.dim() >= 2],
                "weight_decay": config.weight_decay,
            },
            {"params": [p for p in parameters if p.dim() < 2], "weight_decay": 0.0},
        ]
        optimizer = AdamW(groups, lr=config.learning_rate, betas=(config.beta1, config.beta2))
        scheduler = LambdaLR(optimizer, _lr_factor(config))

        train_start = time.perf_counter()
        steps = progress_bar(range(config.max_iters + 1), desc="GPT", enabled=config.progress)
        for step in steps:
            if step % config.eval_interval == 0 or step == config.max_iters:
                result.eval_steps.append(step)
                result.eval_train_loss.append(_estimate(model, data["train"], config, rng))
                result.eval_val_loss.append(_estimate(model, data["val"], config, rng))
                steps.set_postfix(val=f"{result.eval_val_loss[-1]:.3f}", refresh=False)
            if step == config.max_iters:
                break
            _, loss = model(*_batch(data["train"], config, rng))
            optimizer.zero_grad()
            loss.backward()
            if config.grad_clip > 0:
                gradwork.nn.utils.clip_grad_norm_(parameters, config.grad_clip)
            optimizer.step()
            scheduler.step()
            result.train_loss.append(loss.item())
        steps.close()
        result.train_seconds = time.perf_counter() - train_start

        result.final_val_loss_full = _full_loss(
            model, data["val"], config.block_size, config.val_windows
        )
        model.eval()
        prompt = gradwork.tensor([tokenizer.encode("\n")], dtype=gradwork.int64)  # (1, 1)
        tokens = model.generate(
            prompt, config.sample_tokens, temperature=config.temperature, top_k=config.top_k
        )
        result.sample = tokenizer.decode(tokens[0].tolist())
    result.seconds = time.perf_counter() - start
    return result


def report(result: Result, out_dir: str | Path = "reports/gpt") -> dict[str, Path]:
    """Write ``report.md``, ``curves.png`` and ``metrics.json`` into ``out_dir``.

    Returns:
        ``{file name: path}`` of the files written.
    """
    config = result.config
    val_ratio, train_ratio = result.chars_per_token["val"], result.chars_per_token["train"]
    val_nats = [loss / val_ratio for loss in result.eval_val_loss]
    train_nats = [loss / train_ratio for loss in result.eval_train_loss]
    window = max(min(config.eval_interval // 5, len(result.train_loss)), 1)
    smoothed = smooth(result.train_loss, window) / train_ratio
    reference = result.has_reference
    curves = Plot(
        "curves.png",
        [
            Panel(
                "loss" + (" (dashed: nanoGPT's 1.88)" if reference else ""),
                "step",
                "nats per character",
                {
                    f"train (mean over {window} steps)": (
                        (np.arange(len(smoothed)) + 1) * window,
                        smoothed,
                    ),
                    "train (estimate)": (result.eval_steps, train_nats),
                    "val (estimate)": (result.eval_steps, val_nats),
                },
                references={"val (estimate)": REFERENCE_VAL_LOSS} if reference else {},
                log_y=True,
            )
        ],
        title=f"GPT on {config.corpus}, {config.tokenizer} tokens",
    )
    val = result.nats_per_char(result.final_val_loss)
    full = result.nats_per_char(result.final_val_loss_full)
    rows = [
        [
            "val loss, nats/char",
            f"{val:.4f}",
            f"{full:.4f}",
            str(REFERENCE_VAL_LOSS) if reference else "-",
        ],
        [
            "val loss, nats/token",
            f"{result.final_val_loss:.4f}",
            f"{result.final_val_loss_full:.4f}",
            "-",
        ],
    ]
    settings = [[key, f"`{value}`"] for key, value in dataclasses.asdict(config).items()]
    fence = "```"
    markdown = "\n".join(
        [
            f"# GPT on {config.corpus} ({config.tokenizer} tokens)",
            "",
            f"{result.parameters:,} parameters, vocabulary {result.vocab_size}, "
            f"{config.max_iters} steps of {config.batch_size} x {config.block_size} tokens. "
            f"Characters per token: train {train_ratio:.3f}, val {val_ratio:.3f}.",
            "",
            markdown_table(
                ["", f"estimate ({config.eval_iters} batches)", "val split in order", "nanoGPT"],
                rows,
                align="lrrr",
            ),
            "",
            f"Reference: {REFERENCE_SOURCE}, from the same recipe in PyTorch after "
            f"{RECIPE_ITERS:,} steps"
            + (
                f"; this run took {config.max_iters:,} (`--max-iters {RECIPE_ITERS}` runs the "
                "full recipe)"
                if config.max_iters < RECIPE_ITERS
                else ""
            )
            + f". Training took {result.train_seconds:.1f} s; the whole run "
            f"{result.seconds:.1f} s.",
            "",
            "![loss curves](curves.png)",
            "",
            f"## Sample (temperature {config.temperature}, top-k {config.top_k})",
            "",
            fence,
            result.sample,
            fence,
            "",
            "## Configuration",
            "",
            markdown_table(["setting", "value"], settings),
            "",
        ]
    )
    metrics = {
        "lab": "gpt",
        "config": dataclasses.asdict(config),
        "parameters": result.parameters,
        "vocab_size": result.vocab_size,
        "chars_per_token": result.chars_per_token,
        "final_val_loss_nats_per_token": result.final_val_loss,
        "final_val_loss_nats_per_char": val,
        "final_val_loss_full_nats_per_char": full,
        "reference_val_loss_nats_per_char": REFERENCE_VAL_LOSS if reference else None,
        "reference_source": REFERENCE_SOURCE,
        "train_seconds": result.train_seconds,
        "wall_time_seconds": result.seconds,
        "eval_steps": result.eval_steps,
        "eval_train_loss": result.eval_train_loss,
        "eval_val_loss": result.eval_val_loss,
        "train_loss": result.train_loss,
        "sample": result.sample,
    }
    return write_report(out_dir, markdown, metrics, [curves])
