"""The report writer shared by the labs: Markdown with tables, PNG plots of curves, JSON metrics.

A lab's ``report(result, out_dir)`` builds its Markdown text (with :func:`markdown_table`), its
plots (:class:`Plot` of :class:`Panel` of curves) and a metrics dictionary, then calls
:func:`write_report`. Every file is written atomically (a temporary file in the same folder,
flushed, synced and renamed over the target), so a reader never sees a half-written file, and
the Markdown is written last, so the files it links to exist whenever it does.

Plots are drawn with matplotlib's Agg canvas on a private ``Figure`` (no ``pyplot``, no global
state, no display needed); matplotlib is imported only when a plot is drawn.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gradwork.io import _write_atomically

__all__ = ["Panel", "Plot", "markdown_table", "render_png", "to_json", "write_report"]


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str | None = None
) -> str:
    """A GitHub-flavoured Markdown table; cells are converted with ``str``.

    Args:
        headers: the column titles.
        rows: one sequence of cells per row, as many cells as headers.
        align: one letter per column, ``l``, ``c`` or ``r`` (default: all left).

    Returns:
        the table, one line per row, without a trailing newline.

    Example:
        >>> print(markdown_table(["model", "accuracy"], [["MLP", "68%"]], align="lr"))
        | model | accuracy |
        |:---|---:|
        | MLP | 68% |
    """
    align = align or "l" * len(headers)
    if len(align) != len(headers) or set(align) - set("lcr"):
        raise ValueError(
            f"markdown_table: align must be one of l/c/r per column ({len(headers)} columns), "
            f"got {align!r}"
        )
    rules = {"l": ":---", "c": ":---:", "r": "---:"}
    lines = ["| " + " | ".join(map(str, headers)) + " |"]
    lines.append("|" + "|".join(rules[letter] for letter in align) + "|")
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(
                f"markdown_table: a row has {len(row)} cells, expected {len(headers)}: {row!r}"
            )
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)


@dataclass
class Panel:
    """One set of axes: named curves ``{label: (x, y)}`` and optional horizontal reference lines.

    Args:
        title: the panel's title.
        xlabel, ylabel: the axis labels.
        curves: ``{label: (x values, y values)}``, one line each, in the dictionary's order.
        references: ``{label: y}``, dashed horizontal lines in the colour of the curve with the
            same label when there is one (e.g. a published accuracy beside a measured curve).
        log_y: a logarithmic y axis (for losses).
    """

    title: str
    xlabel: str
    ylabel: str
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]]
    references: Mapping[str, float] = field(default_factory=dict)
    log_y: bool = False


@dataclass
class Plot:
    """One PNG file: panels side by side.

    Args:
        filename: the file's name inside the report folder (ends in ``.png``).
        panels: the panels, left to right.
        title: an optional title over all panels.
    """

    filename: str
    panels: Sequence[Panel]
    title: str = ""


def render_png(plot: Plot, dpi: int = 100) -> bytes:
    """Draw ``plot`` and return the PNG file's bytes (deterministic: no timestamp, no version)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.0 * len(plot.panels), 4.0), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes_list = figure.subplots(1, len(plot.panels), squeeze=False)[0]
    for axes, panel in zip(axes_list, plot.panels):
        colours = {}
        for label, (x, y) in panel.curves.items():
            (line,) = axes.plot(np.asarray(x, float), np.asarray(y, float), label=label)
            colours[label] = line.get_color()
        for label, value in panel.references.items():
            axes.axhline(value, linestyle="--", linewidth=1, color=colours.get(label, "grey"))
        if panel.log_y:
            axes.set_yscale("log")
        axes.set_title(panel.title)
        axes.set_xlabel(panel.xlabel)
        axes.set_ylabel(panel.ylabel)
        axes.grid(alpha=0.3)
        if panel.curves:
            axes.legend(fontsize="small")
    if plot.title:
        figure.suptitle(plot.title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def to_json(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays, tuples and paths made JSON-ready.

    Non-finite floats become ``None`` (JSON has no NaN or infinity; a diverged run stays
    readable by every JSON parser).

    Example:
        >>> import numpy as np
        >>> to_json({"accuracy": np.float32(0.5), "curve": np.array([1.0, np.nan]), "k": (1, 2)})
        {'accuracy': 0.5, 'curve': [1.0, None], 'k': [1, 2]}
    """
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, np.generic):
        return to_json(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def write_report(
    out_dir: str | os.PathLike,
    markdown: str,
    metrics: Mapping[str, Any],
    plots: Sequence[Plot] = (),
    markdown_name: str = "report.md",
    metrics_name: str = "metrics.json",
) -> dict[str, Path]:
    """Write a report folder: the plots as PNG, the metrics as JSON, then the Markdown.

    The folder is created if needed; files already in it with other names are left alone.

    Args:
        out_dir: the report folder.
        markdown: the Markdown text (link plots by their file names).
        metrics: JSON-ready values after :func:`to_json` (NumPy values are converted).
        plots: the figures to render, each to its ``filename``.
        markdown_name, metrics_name: the file names of the Markdown and the JSON.

    Returns:
        ``{file name: path}`` of every file written, in the order written.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> paths = write_report(folder, "# Title\\n", {"accuracy": 0.5})
        >>> sorted(paths), paths["metrics.json"].read_text()
        (['metrics.json', 'report.md'], '{\\n  "accuracy": 0.5\\n}\\n')
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    names = [plot.filename for plot in plots] + [metrics_name, markdown_name]
    if len(set(names)) != len(names):
        raise ValueError(f"write_report: file names must be distinct, got {names}")
    written = {}
    for plot in plots:
        written[plot.filename] = _write(folder / plot.filename, render_png(plot))
    text = json.dumps(to_json(metrics), indent=2, allow_nan=False) + "\n"
    written[metrics_name] = _write(folder / metrics_name, text.encode())
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    written[markdown_name] = _write(folder / markdown_name, text.encode())
    return written


def _write(path: Path, data: bytes) -> Path:
    _write_atomically(os.fspath(path), data)
    return path
