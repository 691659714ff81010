"""Fashion-MNIST: a LeNet-5 CNN, a small ResNet and a small Vision Transformer compared.

Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747) is a drop-in replacement for MNIST
with 28x28 grey images of clothes, harder than digits: the benchmark of its README puts linear
models near 84% and small CNNs near 90-92% test accuracy. This lab trains three image models from
``gradwork.models`` on the 60,000 training images and tests them on the 10,000 test images:

* LeNet-5 (LeCun et al. 1998, ``gradwork.models.cnn.LeNet``), which reaches about 90% (with
  five epochs it stops near 89%, hence eight);
* a small ResNet (He et al. 2016, ``gradwork.models.cnn.ResNet``): three stages of one basic
  block, 8, 16 and 32 channels wide, after a stride-2 stem (the 28x28 image is processed at
  14x14, 7x7 and 4x4);
* a small ViT (Dosovitskiy et al. 2021, ``gradwork.models.vit.ViT``): 7x7 patches (16 tokens and
  a class token), two pre-norm encoder layers of width 64.

Recipe: Adam with a cosine-decayed learning rate, batches of 128 reshuffled every epoch, pixels
standardised with the training set's mean and standard deviation, no augmentation. On a CPU the
epochs are few and the ResNet narrow, chosen to fit the run into about five minutes of one core
(BLAS limited to one thread): LeNet trains for eight epochs, the ResNet (a step of which costs
about twice LeNet's in NumPy) for two and the ViT for three, so their numbers are short-budget
results, not their architectures' best. ``--quick`` trains on 600 images and tests on 1,000, in
seconds.

Run: ``gradwork lab run fashion [--quick] [--out reports/fashion]``.

Example:
    >>> from gradwork.labs import fashion
    >>> fashion.Config(quick=True).effective().train_size
    600
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import gradwork
import gradwork.nn.functional as F
from gradwork.datasets import FashionMNIST
from gradwork.labs.common import blas_threads, progress_bar, smooth
from gradwork.labs.report import Panel, Plot, markdown_table, write_report
from gradwork.models.cnn import LeNet, LeNetConfig, ResNet, ResNetConfig
from gradwork.models.vit import ViT, ViTConfig
from gradwork.optim import Adam
from gradwork.optim.lr_scheduler import CosineAnnealingLR

__all__ = ["MODELS", "Config", "ModelResult", "Result", "build_model", "report", "run"]

# name -> (display name, the model at the size this lab trains)
MODELS = {
    "lenet": ("LeNet-5", lambda: LeNet(LeNetConfig())),
    "resnet": ("ResNet", lambda: ResNet(ResNetConfig(widths=(8, 16, 32), stem_stride=2))),
    "vit": ("ViT", lambda: ViT(ViTConfig(dim=64, depth=2, heads=4))),
}
# The mean and standard deviation of the training pixels (in [0, 1]), for standardising.
PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530
# --quick: training and test images, and the epochs of every model.
QUICK_TRAIN_SIZE, QUICK_TEST_SIZE, QUICK_EPOCHS, QUICK_EVAL_EVERY = 600, 1000, 2, 4


@dataclass
class Config:
    models: tuple[str, ...] = ("lenet", "resnet", "vit")  # models to train, in order
    lenet_epochs: int = 8  # passes over the training set for LeNet-5
    resnet_epochs: int = 2  # passes for the ResNet
    vit_epochs: int = 3  # passes for the ViT
    batch_size: int = 128  # images per Adam step
    learning_rate: float = 2e-3  # Adam's initial step size, decayed to 0 by a cosine
    weight_decay: float = 0.0  # Adam's L2 penalty
    train_size: int = 60000  # training images used (the first ones; 60000 is all)
    test_size: int = 10000  # test images used for the final accuracy (10000 is all)
    eval_every: int = 100  # steps between evaluations on eval_size test images (for the curves)
    eval_size: int = 1000  # test images of each intermediate evaluation
    seed: int = 0  # seeds the weights and the order of the batches
    quick: bool = False  # 600 training images, 1000 test images, 2 epochs each: seconds
    blas_threads: int = 1  # BLAS threads while training; 0 leaves them as they are
    progress: bool = True  # show a tqdm progress bar per model

    def __post_init__(self) -> None:
        unknown = [name for name in self.models if name not in MODELS]
        if unknown or not self.models:
            raise ValueError(
                f"fashion.Config: models must be a non-empty subset of {list(MODELS)}, "
                f"got {list(self.models)}"
            )
        for name in ("batch_size", "train_size", "test_size", "eval_every", "eval_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"fashion.Config: {name} must be >= 1, got {getattr(self, name)}")

    def epochs(self, name: str) -> int:
        """The passes over the training set for model ``name``."""
        return getattr(self, f"{name}_epochs")

    def effective(self) -> Config:
        """The configuration that runs: with ``quick``, data and epochs capped."""
        if not self.quick:
            return self
        return dataclasses.replace(
            self,
            train_size=min(self.train_size, QUICK_TRAIN_SIZE),
            test_size=min(self.test_size, QUICK_TEST_SIZE),
            lenet_epochs=min(self.lenet_epochs, QUICK_EPOCHS),
            resnet_epochs=min(self.resnet_epochs, QUICK_EPOCHS),
            vit_epochs=min(self.vit_epochs, QUICK_EPOCHS),
            batch_size=min(self.batch_size, 50),
            eval_every=min(self.eval_every, QUICK_EVAL_EVERY),
        )


@dataclass
class ModelResult:
    """One model's training record (accuracies in percent)."""

    name: str  # a key of MODELS
    parameters: int  # trainable scalars
    epochs: int  # passes over the training set
    train_loss: list[float]  # the minibatch loss of every step
    eval_steps: list[int]  # steps after which eval_size test images were classified
    eval_accuracy: list[float]  # accuracy on those images at each evaluation
    test_accuracy: float  # after training, on all test_size test images
    seconds: float  # wall time of training and evaluation


@dataclass
class Result:
    """What :func:`run` returns: the configuration that ran and one record per model."""

    config: Config
    models: dict[str, ModelResult] = field(default_factory=dict)
    seconds: float = 0.0  # wall time of the whole run, data loading included

    def table(self) -> str:
        """The Markdown table of final test accuracies."""
        rows = [
            [
                MODELS[name][0],
                f"{record.parameters:,}",
                record.epochs,
                f"{record.test_accuracy:.2f}%",
                f"{record.seconds:.1f} s",
            ]
            for name, record in self.models.items()
        ]
        headers = ["model", "parameters", "epochs", "test accuracy", "wall time"]
        return markdown_table(headers, rows, align="lrrrr")

    def summary(self) -> str:
        """The text the command line prints: the table and the total wall time."""
        config = self.config
        return (
            f"{self.table()}\n\nFashion-MNIST, {config.train_size} training and "
            f"{config.test_size} test images, total wall time {self.seconds:.1f} s"
        )


def build_model(name: str) -> gradwork.nn.Module:
    """The model ``name`` (a key of :data:`MODELS`) at the size this lab trains."""
    return MODELS[name][1]()


def _load_data(config: Config) -> dict[str, np.ndarray]:
    """Standardised float32 images ``(N, 1, 28, 28)`` and int64 labels, train and test."""
    data = {}
    for split, train, size in (
        ("train", True, config.train_size),
        ("test", False, config.test_size),
    ):
        dataset = FashionMNIST(train=train)
        pixels = dataset.data.numpy()[:size].astype(np.float32) / np.float32(255)
        images = (pixels - np.float32(PIXEL_MEAN)) / np.float32(PIXEL_STD)
        data[f"x_{split}"] = images.reshape(-1, 1, 28, 28)  # (N, 1, 28, 28): one grey channel
        data[f"y_{split}"] = dataset.targets.numpy()[:size]
    return data


def _accuracy(model: gradwork.nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    """Percent of ``images`` classified as ``labels``, in eval mode, batches of 1000."""
    model.eval()
    correct = 0
    with gradwork.no_grad():
        for start in range(0, len(images), 1000):
            logits = model(gradwork.tensor(images[start : start + 1000]))
            correct += int((logits.numpy().argmax(-1) == labels[start : start + 1000]).sum())
    model.train()
    return 100.0 * correct / len(images)


def _train(name: str, config: Config, data: dict) -> ModelResult:
    """Train one model for its epochs with Adam and a per-step cosine decay; evaluate."""
    start = time.perf_counter()
    gradwork.manual_seed(config.seed)
    model = build_model(name)
    epochs = config.epochs(name)
    count = len(data["x_train"])
    steps_per_epoch = max(count // config.batch_size, 1)  # the last partial batch is dropped
    total_steps = epochs * steps_per_epoch
    optimizer = Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    schedule = CosineAnnealingLR(optimizer, T_max=total_steps)
    order = np.random.default_rng(config.seed)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    record = ModelResult(name, parameters, epochs, [], [], [], 0.0, 0.0)
    eval_images, eval_labels = (
        data["x_test"][: config.eval_size],
        data["y_test"][: config.eval_size],
    )
    bar = progress_bar(total=total_steps, desc=f"{MODELS[name][0]:>8}", enabled=config.progress)
    model.train()
    step = 0
    for _ in range(epochs):
        permutation = order.permutation(count)
        for batch in range(steps_per_epoch):
            indices = permutation[batch * config.batch_size : (batch + 1) * config.batch_size]
            x, y = (
                gradwork.tensor(data["x_train"][indices]),
                gradwork.tensor(data["y_train"][indices]),
            )
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            record.train_loss.append(loss.item())
            if step % config.eval_every == 0 or step == total_steps:
                record.eval_steps.append(step)
                record.eval_accuracy.append(_accuracy(model, eval_images, eval_labels))
                bar.set_postfix(
                    loss=f"{record.train_loss[-1]:.3f}",
                    acc=f"{record.eval_accuracy[-1]:.1f}%",
                    refresh=False,
                )
            bar.update()
    bar.close()
    record.test_accuracy = _accuracy(model, data["x_test"], data["y_test"])
    record.seconds = time.perf_counter() - start
    return record


def run(cfg: Config) -> Result:
    """Train each model of ``cfg.models`` on Fashion-MNIST, seeded, and return the records.

    Args:
        cfg: the configuration; with ``cfg.quick`` data and epochs are capped (see
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


def report(result: Result, out_dir: str | Path = "reports/fashion") -> dict[str, Path]:
    """Write ``report.md`` (the table), ``curves.png`` and ``metrics.json`` into ``out_dir``.

    Returns:
        ``{file name: path}`` of the files written.
    """
    config = result.config
    window = max(config.eval_every // 4, 1)
    train_curves, eval_curves = {}, {}
    for name, record in result.models.items():
        label = MODELS[name][0]
        smoothed = smooth(record.train_loss, window)
        train_curves[label] = ((np.arange(len(smoothed)) + 1) * window, smoothed)
        eval_curves[label] = (record.eval_steps, record.eval_accuracy)
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
                f"accuracy on the first {min(config.eval_size, config.test_size)} test images",
                "step",
                "accuracy (%)",
                eval_curves,
            ),
        ],
        title="Fashion-MNIST",
    )
    settings = [[key, f"`{value}`"] for key, value in dataclasses.asdict(config).items()]
    markdown = "\n".join(
        [
            "# Fashion-MNIST: LeNet-5, ResNet, ViT",
            "",
            f"Test accuracy on {config.test_size:,} test images after training on "
            f"{config.train_size:,} images (Adam, cosine-decayed learning rate, batches of "
            f"{config.batch_size}).",
            "",
            result.table(),
            "",
            f"Total wall time: {result.seconds:.1f} s.",
            "",
            "![training curves](curves.png)",
            "",
            "## Notes",
            "",
            "The epochs are few, and the ResNet narrow (8-16-32 channels after a stride-2 stem), "
            "so that the run fits in a few minutes of two CPU cores: LeNet-5 gets eight epochs, "
            "the ResNet two and the ViT three. The ResNet and ViT numbers are therefore "
            "short-budget results; both architectures do better with more epochs "
            "(`--resnet-epochs`, `--vit-epochs`). "
            "Training runs on one BLAS thread (`blas_threads`), which is faster here than two.",
            "",
            "## Configuration",
            "",
            markdown_table(["setting", "value"], settings),
            "",
        ]
    )
    metrics = {
        "lab": "fashion",
        "config": dataclasses.asdict(config),
        "wall_time_seconds": result.seconds,
        "models": {
            name: {
                "parameters": record.parameters,
                "epochs": record.epochs,
                "test_accuracy": record.test_accuracy,
                "seconds": record.seconds,
                "eval_steps": record.eval_steps,
                "eval_accuracy": record.eval_accuracy,
                "train_loss": record.train_loss,
            }
            for name, record in result.models.items()
        },
    }
    return write_report(out_dir, markdown, metrics, [curves])
