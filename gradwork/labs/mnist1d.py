"""MNIST-1D: logistic regression, MLP, CNN and GRU against the published test accuracies.

Greydanus, "Scaling down deep learning" (2020, arXiv:2011.14439) made MNIST-1D to separate models
that a 99%-for-everyone benchmark cannot: on its 40-point signals a linear model reaches about
32% test accuracy, an MLP 68%, while a CNN (94%) and a GRU (91%), which share weights across
positions, do far better. This lab trains the four baselines of the reference repository
(github.com/greydanus/mnist1d: ``notebooks/models.py``, ``notebooks/train.py``) with its recipe:
Adam, learning rate 1e-2, no weight decay, batches of 100 taken in order from the 4,000
training signals, evaluation every 250 steps on the 1,000 test signals, seed 42, and 6,000
steps (the step count of the reference's benchmark notebook, ``mnist1d-classification.ipynb``;
``get_model_args()`` says 8,000). The full run takes under three minutes on two CPU cores (the
GRU, which steps through the 40 points one at a time, takes three quarters of it) and lands
within a few points of the published numbers; ``--quick`` trains 300 steps per model in about
ten seconds.

Run: ``gradwork lab run mnist1d [--quick] [--out reports/mnist1d]``.

Example:
    >>> from gradwork.labs import mnist1d
    >>> result = mnist1d.run(mnist1d.Config(models=("logistic",), total_steps=20, progress=False))
    >>> sorted(result.models), len(result.models["logistic"].train_loss)
    (['logistic'], 21)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import gradwork
import gradwork.nn.functional as F
from gradwork.datasets import make_mnist1d
from gradwork.labs.common import blas_threads, progress_bar, smooth
from gradwork.labs.report import Panel, Plot, markdown_table, write_report
from gradwork.models.mnist1d import MODELS, build_model
from gradwork.optim import Adam
from gradwork.utils.data import DataLoader, TensorDataset

__all__ = ["PUBLISHED", "Config", "ModelResult", "Result", "report", "run"]

# Test accuracy (%) of each baseline, from the table "Comparing MNIST and MNIST-1D" of the
# reference README (github.com/greydanus/mnist1d, also the long description of the `mnist1d`
# 0.0.2.post1 package on PyPI), the numbers of the paper. The second row is for the signals
# with their 40 positions shuffled (``--shuffle-seq``), which removes the spatial structure.
PUBLISHED = {"logistic": 32.0, "mlp": 68.0, "cnn": 94.0, "gru": 91.0}
PUBLISHED_SHUFFLED = {"logistic": 32.0, "mlp": 68.0, "cnn": 56.0, "gru": 57.0}
PUBLISHED_SOURCE = (
    'Greydanus 2020, "Scaling down deep learning" (arXiv:2011.14439); the table of '
    "github.com/greydanus/mnist1d's README"
)
# The reference's own PyTorch run of this recipe (6,000 steps, seed 42): the final test accuracies
# printed in its notebook ``notebooks/mnist1d-classification.ipynb``, plain and shuffled. They show
# how far one run lands from the rounded published numbers.
REFERENCE_RUN = {"logistic": 31.5, "mlp": 65.1, "cnn": 92.3, "gru": 89.1}
REFERENCE_RUN_SHUFFLED = {"logistic": 31.5, "mlp": 66.0, "cnn": 58.7, "gru": 53.3}
MODEL_NAMES = {"logistic": "Logistic regression", "mlp": "MLP", "cnn": "CNN", "gru": "GRU"}

# --quick caps the steps and the evaluation interval at these.
QUICK_STEPS, QUICK_EVAL_EVERY = 300, 50


@dataclass
class Config:
    models: tuple[str, ...] = ("logistic", "mlp", "cnn", "gru")  # baselines to train, in order
    total_steps: int = 6000  # Adam steps per model (the reference notebook's; 8000 in train.py)
    batch_size: int = 100  # signals per step, taken in order, cycling (the reference's)
    learning_rate: float = 1e-2  # Adam's step size (the reference's)
    weight_decay: float = 0.0  # Adam's L2 penalty (the reference's)
    eval_every: int = 250  # steps between evaluations on the full train and test sets
    seed: int = 42  # seeds gradwork before each model is built (the reference's)
    data_seed: int = 42  # the MNIST-1D generator's seed (the published dataset's)
    shuffle_seq: bool = False  # permute the 40 positions: the README's "shuffle" row
    quick: bool = False  # at most 300 steps per model, evaluations every 50: a smoke test
    blas_threads: int = 1  # BLAS threads while training; 0 leaves them as they are
    progress: bool = True  # show a tqdm progress bar per model

    def __post_init__(self) -> None:
        unknown = [name for name in self.models if name not in MODELS]
        if unknown or not self.models:
            raise ValueError(
                f"mnist1d.Config: models must be a non-empty subset of {list(MODELS)}, "
                f"got {list(self.models)}"
            )
        for name in ("total_steps", "batch_size", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"mnist1d.Config: {name} must be >= 1, got {getattr(self, name)}")

    def effective(self) -> Config:
        """The configuration that runs: with ``quick``, steps and eval interval capped."""
        if not self.quick:
            return self
        return dataclasses.replace(
            self,
            total_steps=min(self.total_steps, QUICK_STEPS),
            eval_every=min(self.eval_every, QUICK_EVAL_EVERY),
        )


@dataclass
class ModelResult:
    """One model's training record (accuracies in percent)."""

    name: str  # a key of gradwork.models.mnist1d.MODELS
    parameters: int  # trainable scalars
    train_loss: list[float]  # the minibatch loss of every step
    eval_steps: list[int]  # the steps after which the model was evaluated
    test_loss: list[float]  # at each evaluation
    train_accuracy: list[float]  # at each evaluation, on all training signals
    test_accuracy: list[float]  # at each evaluation
    seconds: float  # wall time of training and evaluation

    @property
    def final_test_accuracy(self) -> float:
        return self.test_accuracy[-1]


@dataclass
class Result:
    """What :func:`run` returns: the configuration that ran and one record per model."""

    config: Config
    models: dict[str, ModelResult] = field(default_factory=dict)
    seconds: float = 0.0  # wall time of the whole run, data generation included

    @property
    def published(self) -> dict[str, float]:
        return PUBLISHED_SHUFFLED if self.config.shuffle_seq else PUBLISHED

    @property
    def reference_run(self) -> dict[str, float]:
        return REFERENCE_RUN_SHUFFLED if self.config.shuffle_seq else REFERENCE_RUN

    def table(self) -> str:
        """The Markdown table: our final test accuracy beside the published one, per model,
        and beside the reference's own run of the recipe."""
        rows = []
        for name, record in self.models.items():
            ours, theirs = record.final_test_accuracy, self.published[name]
            rows.append(
                [
                    MODEL_NAMES[name],
                    f"{record.parameters:,}",
                    f"{ours:.1f}%",
                    f"{theirs:.0f}%",
                    f"{ours - theirs:+.1f}",
                    f"{self.reference_run[name]:.1f}%",
                    f"{record.seconds:.1f} s",
                ]
            )
        headers = ["model", "parameters", "test accuracy (ours)", "published", "difference"]
        headers += ["reference run", "wall time"]
        return markdown_table(headers, rows, align="lrrrrrr")

    def summary(self) -> str:
        """The text the command line prints: the table, the steps and the total wall time."""
        config = self.config
        return (
            f"{self.table()}\n\nMNIST-1D{' (shuffled positions)' if config.shuffle_seq else ''}, "
            f"{config.total_steps} steps per model, total wall time {self.seconds:.1f} s"
        )


def _load_data(config: Config) -> dict[str, gradwork.Tensor]:
    arrays = make_mnist1d(seed=config.data_seed, shuffle_seq=config.shuffle_seq)
    return {
        "x": gradwork.tensor(arrays["x"].astype(np.float32)),
        "y": gradwork.tensor(arrays["y"]),
        "x_test": gradwork.tensor(arrays["x_test"].astype(np.float32)),
        "y_test": gradwork.tensor(arrays["y_test"]),
    }


def _forever(loader: DataLoader) -> Iterator:
    while True:
        yield from loader


def _accuracy(logits: gradwork.Tensor, labels: gradwork.Tensor) -> float:
    return 100.0 * (logits.argmax(dim=-1) == labels).float().mean().item()


def _train(name: str, config: Config, data: dict) -> ModelResult:
    """Train one model with the reference's loop: step, record the loss, evaluate every so often.

    As in the reference, steps run from 0 to ``total_steps`` inclusive and an evaluation
    follows the update of every step divisible by ``eval_every`` (step 0 included).
    """
    start = time.perf_counter()
    gradwork.manual_seed(config.seed)
    model = build_model(name)
    optimizer = Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    loader = DataLoader(TensorDataset(data["x"], data["y"]), batch_size=config.batch_size)
    batches = _forever(loader)
    record = ModelResult(name, model.num_parameters(), [], [], [], [], [], 0.0)
    steps = progress_bar(
        range(config.total_steps + 1), desc=f"{MODEL_NAMES[name]:>19}", enabled=config.progress
    )
    for step in steps:
        x, y = next(batches)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        record.train_loss.append(loss.item())
        if step % config.eval_every == 0 or step == config.total_steps:
            with gradwork.no_grad():
                test_logits = model(data["x_test"])
                record.eval_steps.append(step)
                record.test_loss.append(F.cross_entropy(test_logits, data["y_test"]).item())
                record.test_accuracy.append(_accuracy(test_logits, data["y_test"]))
                record.train_accuracy.append(_accuracy(model(data["x"]), data["y"]))
            steps.set_postfix(
                loss=f"{record.train_loss[-1]:.3f}",
                test_acc=f"{record.test_accuracy[-1]:.1f}%",
                refresh=False,
            )
    steps.close()
    record.seconds = time.perf_counter() - start
    return record


def run(cfg: Config) -> Result:
    """Train each model of ``cfg.models`` on MNIST-1D, seeded, and return the records.

    Args:
        cfg: the configuration; with ``cfg.quick`` the steps are capped (see
            :meth:`Config.effective`), and ``Result.config`` holds what ran.

    Returns:
        a :class:`Result` with one :class:`ModelResult` per model, in ``cfg.models`` order.
    """
    start = time.perf_counter()
    config = cfg.effective()
    result = Result(config)
    with blas_threads(config.blas_threads):
        data = _load_data(config)
        for name in config.models:
            result.models[name] = _train(name, config, data)
    result.seconds = time.perf_counter() - start
    return result


def report(result: Result, out_dir: str | Path = "reports/mnist1d") -> dict[str, Path]:
    """Write ``report.md`` (the table), ``curves.png`` and ``metrics.json`` into ``out_dir``.

    Returns:
        ``{file name: path}`` of the files written.
    """
    config = result.config
    window = max(config.eval_every // 5, 1)
    train_curves, test_curves = {}, {}
    for name, record in result.models.items():
        label = MODEL_NAMES[name]
        smoothed = smooth(record.train_loss, window)
        train_curves[label] = ((np.arange(len(smoothed)) + 1) * window, smoothed)
        test_curves[label] = (record.eval_steps, record.test_accuracy)
    references = {MODEL_NAMES[name]: result.published[name] for name in result.models}
    curves = Plot(
        "curves.png",
        [
            Panel(
                f"train loss (mean over {window} steps)",
                "step",
                "cross-entropy",
                train_curves,
                log_y=True,
            ),
            Panel(
                "test accuracy (dashed: published)",
                "step",
                "accuracy (%)",
                test_curves,
                references=references,
            ),
        ],
        title="MNIST-1D baselines",
    )
    settings = [[key, f"`{value}`"] for key, value in dataclasses.asdict(config).items()]
    markdown = "\n".join(
        [
            "# MNIST-1D baselines",
            "",
            "Final test accuracy after "
            f"{config.total_steps} Adam steps per model, beside the published numbers "
            f"({PUBLISHED_SOURCE}) and the reference repository's own PyTorch run of the same "
            "recipe for 6,000 steps (`notebooks/mnist1d-classification.ipynb`).",
            "",
            result.table(),
            "",
            f"Total wall time: {result.seconds:.1f} s.",
            "",
            "![training curves](curves.png)",
            "",
            "## Configuration",
            "",
            markdown_table(["setting", "value"], settings),
            "",
            "The architectures and the recipe are the reference repository's "
            "(`notebooks/models.py`, `notebooks/train.py`): Adam, batches taken in order, an "
            "evaluation every `eval_every` steps. Weights are initialised by gradwork's own "
            "random numbers, so individual runs differ from PyTorch's by a point or two. "
            "Training runs on one BLAS thread (`blas_threads`): these matrices are so small "
            "that OpenBLAS's threads make training several times slower.",
            "",
        ]
    )
    metrics = {
        "lab": "mnist1d",
        "config": dataclasses.asdict(config),
        "wall_time_seconds": result.seconds,
        "published_source": PUBLISHED_SOURCE,
        "models": {
            name: {
                "parameters": record.parameters,
                "final_test_accuracy": record.final_test_accuracy,
                "published_test_accuracy": result.published[name],
                "reference_run_test_accuracy": result.reference_run[name],
                "final_train_accuracy": record.train_accuracy[-1],
                "seconds": record.seconds,
                "eval_steps": record.eval_steps,
                "test_accuracy": record.test_accuracy,
                "train_accuracy": record.train_accuracy,
                "test_loss": record.test_loss,
                "train_loss": record.train_loss,
            }
            for name, record in result.models.items()
        },
    }
    return write_report(out_dir, markdown, metrics, [curves])
