"""The char-RNN lab: a quick run learns with every cell, is deterministic, writes a complete
report, and runs from the command line."""

import json
import subprocess
import sys

import numpy as np
import pytest

from gradwork.__main__ import main
from gradwork.labs import registry, rnn_lm
from gradwork.labs.rnn_lm import CELL_NAMES, Config, report, run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick_result():
    return run(Config(quick=True, progress=False))


def test_quick_run_learns_with_every_cell(quick_result):
    config = quick_result.config
    assert config.max_iters == rnn_lm.QUICK["max_iters"] and config.hidden_size == 64
    assert list(quick_result.cells) == ["lstm", "gru", "rnn"]
    assert quick_result.vocab_size == 65
    for record in quick_result.cells.values():
        assert len(record.train_loss) == config.max_iters
        assert record.eval_steps == [0, 20, 40]
        # char-level Shakespeare starts at ln(65) = 4.17 nats and quickly learns the letters
        assert record.eval_val_loss[0] > 4.0
        assert record.final_val_loss < record.eval_val_loss[0] - 0.5
        assert np.mean(record.train_loss[-5:]) < np.mean(record.train_loss[:5]) - 0.5
    losses = {cell: record.final_val_loss for cell, record in quick_result.cells.items()}
    assert quick_result.best_cell == min(losses, key=losses.get)


def test_samples_at_each_temperature(quick_result):
    assert list(quick_result.samples) == [0.5, 0.8, 1.0]
    for text in quick_result.samples.values():
        assert text.startswith("\n") and len(text) == rnn_lm.QUICK["sample_chars"] + 1


def test_report_writes_markdown_png_and_json(quick_result, tmp_path):
    written = report(quick_result, tmp_path / "rnn_lm")
    assert sorted(written) == ["curves.png", "metrics.json", "report.md"]
    assert written["curves.png"].read_bytes().startswith(PNG_SIGNATURE)
    markdown = written["report.md"].read_text()
    assert "| LSTM |" in markdown and "| GRU |" in markdown and "| RNN (tanh) |" in markdown
    assert "nats/char" in markdown and "curves.png" in markdown
    assert all(text in markdown for text in quick_result.samples.values())
    metrics = json.loads(written["metrics.json"].read_text())
    assert set(metrics) >= {
        "lab",
        "config",
        "vocab_size",
        "best_cell",
        "wall_time_seconds",
        "cells",
        "samples",
    }
    assert metrics["lab"] == "rnn_lm" and metrics["config"]["quick"] is True
    assert set(metrics["samples"]) == {"0.5", "0.8", "1.0"}
    for cell, entry in metrics["cells"].items():
        assert set(entry) >= {"parameters", "final_val_loss", "eval_steps", "train_loss"}
        assert entry["final_val_loss"] == quick_result.cells[cell].final_val_loss


def test_summary_has_the_table_and_the_samples(quick_result):
    summary = quick_result.summary()
    assert "| cell | parameters |" in summary and "temperature 0.8" in summary


def test_runs_are_deterministic():
    config = Config(quick=True, cells=("gru",), max_iters=4, eval_interval=2, progress=False)
    first, second = run(config), run(config)
    assert first.cells["gru"].train_loss == second.cells["gru"].train_loss
    assert first.samples == second.samples


def test_streams_are_contiguous_and_overlap_by_one_character():
    data = np.arange(21)
    streams = rnn_lm._streams(data, 4)  # (4, 6): 5 characters each, plus the next one's target
    assert streams.shape == (4, 6)
    assert (streams[1:, 0] == streams[:-1, -1]).all()
    assert (np.diff(streams, axis=1) == 1).all()


def test_config_checks_and_quick_caps():
    with pytest.raises(ValueError, match="non-empty subset"):
        Config(cells=("transformer",))
    with pytest.raises(ValueError, match="seq_length must be >= 1"):
        Config(seq_length=0)
    with pytest.raises(ValueError, match="temperatures"):
        Config(temperatures=(-1.0,))
    assert Config(quick=True, max_iters=10).effective().max_iters == 10
    assert Config(quick=True, val_chunks=3).effective().val_chunks == 3
    assert Config().effective() == Config()


def test_registered_and_listed():
    assert "rnn_lm" in registry.names() and registry.load("rnn_lm") is rnn_lm
    listing = subprocess.run(
        [sys.executable, "-m", "gradwork", "lab", "list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listing.returncode == 0, listing.stderr
    assert any(line.split()[0] == "rnn_lm" for line in listing.stdout.splitlines() if line)


def test_command_line_flags_reach_the_config(tmp_path, capsys):
    main(
        [
            "lab",
            "run",
            "rnn_lm",
            "--quick",
            "--cells",
            "gru",
            "rnn",
            "--max-iters",
            "6",
            "--eval-interval",
            "3",
            "--temperatures",
            "0.5",
            "--no-progress",
            "--out",
            str(tmp_path),
        ]
    )
    printed = capsys.readouterr().out
    assert "| GRU |" in printed and "| LSTM |" not in printed
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["config"]["cells"] == ["gru", "rnn"]
    assert metrics["config"]["temperatures"] == [0.5]
    assert metrics["cells"]["rnn"]["eval_steps"] == [0, 3, 6]
    assert set(metrics["cells"]) == {"gru", "rnn"} and set(CELL_NAMES) >= set(metrics["cells"])
