"""The Fashion-MNIST lab: a quick run learns, beats chance and writes a complete report."""

import json

import pytest

from gradwork.labs import fashion, registry
from gradwork.labs.fashion import Config, report, run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick_result():
    return run(Config(quick=True, progress=False))


def test_quick_run_trains_every_model_and_beats_chance(quick_result):
    assert list(quick_result.models) == ["lenet", "resnet", "vit"]
    config = quick_result.config
    assert config.train_size == fashion.QUICK_TRAIN_SIZE
    assert config.test_size == fashion.QUICK_TEST_SIZE
    for record in quick_result.models.values():
        assert record.test_accuracy > 20.0  # chance is 10%
        assert record.train_loss[-1] < record.train_loss[0]
        steps = record.epochs * (config.train_size // config.batch_size)
        assert len(record.train_loss) == steps and record.eval_steps[-1] == steps
        assert len(record.eval_accuracy) == len(record.eval_steps)
    assert quick_result.models["lenet"].test_accuracy > 40.0
    assert quick_result.seconds < 120


def test_quick_caps_data_and_epochs_but_keeps_smaller_explicit_values():
    quick = Config(quick=True).effective()
    assert (quick.lenet_epochs, quick.resnet_epochs, quick.vit_epochs) == (2, 2, 2)
    assert Config(quick=True, train_size=100).effective().train_size == 100
    assert Config().effective() == Config()


def test_config_rejects_unknown_models_and_bad_sizes():
    with pytest.raises(ValueError, match="subset"):
        Config(models=("alexnet",))
    with pytest.raises(ValueError, match="batch_size"):
        Config(batch_size=0)


def test_the_lab_is_registered():
    assert "fashion" in registry.names()
    assert registry.load("fashion") is fashion
    assert registry.describe("fashion").startswith("Fashion-MNIST")


def test_report_writes_markdown_png_and_json(quick_result, tmp_path):
    written = report(quick_result, tmp_path / "fashion")
    assert set(written) == {"report.md", "curves.png", "metrics.json"}
    markdown = written["report.md"].read_text()
    assert "| model |" in markdown and "LeNet-5" in markdown and "curves.png" in markdown
    assert written["curves.png"].read_bytes().startswith(PNG_SIGNATURE)
    metrics = json.loads(written["metrics.json"].read_text())
    assert metrics["lab"] == "fashion"
    assert set(metrics["models"]) == {"lenet", "resnet", "vit"}
    lenet = metrics["models"]["lenet"]
    assert lenet["test_accuracy"] == quick_result.models["lenet"].test_accuracy
