"""gradwork.labs.report: Markdown tables, PNG plots and JSON metrics, each written atomically."""

import json
import os

import numpy as np
import pytest

from gradwork.labs import report as report_module
from gradwork.labs.report import Panel, Plot, markdown_table, render_png, to_json, write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _plot(filename="curves.png"):
    steps = np.arange(10)
    panel = Panel(
        "loss", "step", "loss", {"a": (steps, np.exp(-steps)), "b": (steps, 1 / (steps + 1))}
    )
    accuracy = Panel(
        "accuracy", "step", "%", {"a": (steps, steps * 5.0)}, references={"a": 40.0, "z": 10.0}
    )
    return Plot(filename, [Panel(**{**panel.__dict__, "log_y": True}), accuracy], title="t")


def test_markdown_table_layout_and_checks():
    text = markdown_table(["a", "b"], [[1, 2.5], ["x", "y"]], align="lr")
    assert text.splitlines() == ["| a | b |", "|:---|---:|", "| 1 | 2.5 |", "| x | y |"]
    with pytest.raises(ValueError, match="2 cells, expected 3"):
        markdown_table(["a", "b", "c"], [[1, 2]])
    with pytest.raises(ValueError, match="align"):
        markdown_table(["a"], [[1]], align="q")


def test_render_png_is_a_deterministic_png():
    first, second = render_png(_plot()), render_png(_plot())
    assert first.startswith(PNG_SIGNATURE)
    assert first == second  # no timestamp or version in the file


def test_to_json_converts_numpy_and_non_finite_values():
    value = to_json({"x": np.arange(2), "y": np.float64("inf"), 3: (np.int64(1),)})
    assert value == {"x": [0, 1], "y": None, "3": [1]}
    json.dumps(value, allow_nan=False)


def test_write_report_writes_valid_files(tmp_path):
    out = tmp_path / "nested" / "report"
    markdown = "# Title\n\n" + markdown_table(["k", "v"], [["a", 1]]) + "\n\n![c](curves.png)"
    written = write_report(out, markdown, {"accuracy": np.float32(0.25)}, [_plot()])
    assert list(written) == ["curves.png", "metrics.json", "report.md"]  # the Markdown last
    assert sorted(os.listdir(out)) == ["curves.png", "metrics.json", "report.md"]  # no temp files
    assert (out / "curves.png").read_bytes().startswith(PNG_SIGNATURE)
    assert json.loads((out / "metrics.json").read_text()) == {"accuracy": 0.25}
    text = (out / "report.md").read_text()
    assert text.startswith("# Title") and "| a | 1 |" in text and text.endswith("\n")


def test_write_report_leaves_other_files_and_replaces_its_own(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    write_report(tmp_path, "old", {"run": 1})
    write_report(tmp_path, "new", {"run": 2})
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert (tmp_path / "report.md").read_text() == "new\n"
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"run": 2}


def test_a_failed_write_keeps_the_previous_report_whole(tmp_path, monkeypatch):
    write_report(tmp_path, "old", {"run": 1}, [_plot()])
    before = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}

    def failing_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_report(tmp_path, "new", {"run": 2}, [_plot()])
    monkeypatch.undo()
    after = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    assert after == before  # old files intact, temporary files removed


def test_unserialisable_metrics_fail_before_the_markdown_is_written(tmp_path):
    write_report(tmp_path, "old", {"run": 1})
    with pytest.raises(TypeError):
        write_report(tmp_path, "new", {"run": object()})
    assert (tmp_path / "report.md").read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["metrics.json", "report.md"]


def test_duplicate_file_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="distinct"):
        write_report(tmp_path, "x", {}, [_plot("report.md")])
    assert report_module.__all__
