"""The quickstart demo: a two-layer MLP trained with the autograd engine alone.

No ``nn.Module`` and no optimizer class: parameters are plain tensors that require grad, the loss
is built from tensor ops, ``backward()`` fills ``.grad`` and a ``no_grad`` block applies SGD. The
data are two interleaved spirals (generated, so the demo works offline).

Run: ``python -m gradwork demo``.
"""

from __future__ import annotations

import math

import numpy as np

import gradwork
import gradwork.nn.functional as F


def make_spirals(points_per_class: int = 200, classes: int = 3, noise: float = 0.2, seed: int = 0):
    """Points on ``classes`` interleaved spiral arms in 2-D, with labels (CS231n's toy set).

    Returns:
        features of shape ``(points_per_class * classes, 2)`` (float32) and labels of shape
        ``(points_per_class * classes,)`` (int64).
    """
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, points_per_class), classes)
    labels = np.repeat(np.arange(classes), points_per_class)
    angle = (
        labels * (2 * math.pi / classes) + radius * 4.0 + rng.standard_normal(radius.shape) * noise
    )
    features = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return gradwork.tensor(features.astype(np.float32)), gradwork.tensor(labels)


def train(
    steps: int = 1000, hidden: int = 64, lr: float = 1.0, seed: int = 0, log_every: int = 100
):
    """Train a one-hidden-layer MLP on the spirals with full-batch SGD; returns the loss history."""
    gradwork.manual_seed(seed)
    features, labels = make_spirals(seed=seed)
    w1 = (gradwork.randn(2, hidden) * math.sqrt(2.0 / 2)).requires_grad_()
    b1 = gradwork.zeros(hidden, requires_grad=True)
    w2 = (gradwork.randn(hidden, 3) * math.sqrt(1.0 / hidden)).requires_grad_()
    b2 = gradwork.zeros(3, requires_grad=True)
    parameters = [w1, b1, w2, b2]
    history = []
    for step in range(steps + 1):
        logits = F.relu(features @ w1 + b1) @ w2 + b2
        loss = F.cross_entropy(logits, labels)
        for parameter in parameters:
            parameter.grad = None
        loss.backward()
        with gradwork.no_grad():
            for parameter in parameters:
                parameter.sub_(parameter.grad, alpha=lr)
        history.append(loss.item())
        if log_every and step % log_every == 0:
            accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
            print(f"step {step:5d}   loss {loss.item():.4f}   train accuracy {accuracy:.1%}")
    return history


def main() -> None:
    print("gradwork demo: a 2-layer MLP on three spirals, trained with autograd alone\n")
    history = train()
    print(f"\nloss fell from {history[0]:.4f} to {history[-1]:.4f}")
