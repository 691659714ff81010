"""The MNIST-1D lab: a quick run learns, is deterministic, and writes a complete report."""

import json

import pytest

from gradwork.labs import mnist1d
from gradwork.labs.mnist1d import PUBLISHED, Config, report, run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick_result():
    return run(Config(quick=True, progress=False))


def test_quick_run_trains_every_model_and_the_mlp_beats_chance(quick_result):
    assert list(quick_result.models) == ["logistic", "mlp", "cnn", "gru"]
    assert quick_result.config.total_steps == mnist1d.QUICK_STEPS
    mlp = quick_result.models["mlp"]
    assert mlp.final_test_accuracy > 30.0  # chance is 10%
    assert mlp.train_loss[-1] < mlp.train_loss[0]
    for record in quick_result.models.values():
        assert len(record.train_loss) == quick_result.config.total_steps + 1
        assert record.eval_steps[0] == 0 and record.eval_steps[-1] == mnist1d.QUICK_STEPS
        assert len(record.test_accuracy) == len(record.eval_steps) == len(record.train_accuracy)
        assert record.final_test_accuracy > 15.0


def test_parameter_counts_match_the_reference(quick_result):
    counts = {name: record.parameters for name, record in quick_result.models.items()}
    assert counts == {"logistic": 410, "mlp": 15210, "cnn": 5210, "gru": 5134}


def test_runs_are_deterministic():
    config = Config(models=("mlp",), total_steps=30, eval_every=10, progress=False)
    first, second = run(config), run(config)
    assert first.models["mlp"].train_loss == second.models["mlp"].train_loss
    assert first.models["mlp"].test_accuracy == second.models["mlp"].test_accuracy


def test_quick_caps_steps_but_keeps_smaller_explicit_values():
    assert Config(quick=True).effective().total_steps == mnist1d.QUICK_STEPS
    assert Config(quick=True, total_steps=20).effective().total_steps == 20
    assert Config().effective() == Config()


def test_config_rejects_unknown_models_and_bad_sizes():
    with pytest.raises(ValueError, match="subset"):
        Config(models=("resnet",))
    with pytest.raises(ValueError, match="total_steps"):
        Config(total_steps=0)


def test_report_writes_markdown_png_and_json(quick_result, tmp_path):
    written = report(quick_result, tmp_path / "mnist1d")
    assert set(written) == {"report.md", "curves.png", "metrics.json"}
    markdown = written["report.md"].read_text()
    assert "| model |" in markdown and "published" in markdown and "curves.png" in markdown
    assert "| MLP |" in markdown
    assert written["curves.png"].read_bytes().startswith(PNG_SIGNATURE)
    metrics = json.loads(written["metrics.json"].read_text())
    assert set(metrics) >= {"lab", "config", "wall_time_seconds", "published_source", "models"}
    assert metrics["config"]["quick"] is True
    assert set(metrics["models"]) == set(PUBLISHED)
    for name, entry in metrics["models"].items():
        assert set(entry) >= {
            "parameters",
            "final_test_accuracy",
            "published_test_accuracy",
            "eval_steps",
            "test_accuracy",
            "train_loss",
        }
        assert entry["published_test_accuracy"] == PUBLISHED[name]
        assert entry["final_test_accuracy"] == quick_result.models[name].final_test_accuracy


def test_summary_has_ours_beside_published(quick_result):
    summary = quick_result.summary()
    for label, published in [("Logistic regression", 32), ("MLP", 68), ("CNN", 94), ("GRU", 91)]:
        line = next(line for line in summary.splitlines() if line.startswith(f"| {label} |"))
        assert f"| {published}% |" in line


def test_shuffled_positions_compare_with_the_shuffled_row():
    result = run(Config(models=("logistic",), total_steps=5, shuffle_seq=True, progress=False))
    assert result.published["cnn"] == 56.0 and "shuffled" in result.summary()
