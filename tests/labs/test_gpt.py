"""The GPT lab: a quick run learns, is deterministic, and writes a complete report."""

import json

import pytest

from gradwork.labs import gpt
from gradwork.labs.gpt import Config, report, run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick_result():
    return run(Config(quick=True, progress=False))


def test_quick_run_learns(quick_result):
    config = quick_result.config
    assert config.max_iters == gpt.QUICK["max_iters"] and config.n_layer == 2
    assert len(quick_result.train_loss) == config.max_iters
    assert quick_result.eval_steps == [0, 20, 40, 60]
    # char-level Shakespeare starts at ln(65) = 4.17 nats and quickly learns the letters
    assert quick_result.eval_val_loss[0] > 4.0
    assert quick_result.final_val_loss < quick_result.eval_val_loss[0] - 0.6
    assert quick_result.final_val_loss_full < 3.6
    assert quick_result.chars_per_token == {"train": 1.0, "val": 1.0}
    assert quick_result.sample.startswith("\n") and len(quick_result.sample) == 101


def test_report_files(quick_result, tmp_path):
    files = report(quick_result, tmp_path)
    assert sorted(files) == ["curves.png", "metrics.json", "report.md"]
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG_SIGNATURE)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["lab"] == "gpt" and metrics["reference_val_loss_nats_per_char"] == 1.88
    assert metrics["final_val_loss_nats_per_char"] == pytest.approx(quick_result.final_val_loss)
    markdown = (tmp_path / "report.md").read_text()
    assert "nats/char" in markdown and "nanoGPT" in markdown and quick_result.sample in markdown
    assert "summary" not in markdown and "1.88" in quick_result.summary()


def test_runs_are_deterministic():
    config = Config(quick=True, max_iters=6, eval_interval=3, sample_tokens=10, progress=False)
    first, second = run(config), run(config)
    assert first.train_loss == second.train_loss and first.sample == second.sample


def test_bpe_tokens_convert_to_nats_per_character():
    config = Config(quick=True, tokenizer="bpe", bpe_vocab_size=300, max_iters=4, eval_interval=4)
    result = run(dataclass_replace(config, sample_tokens=5, progress=False))
    assert result.vocab_size == 300
    assert 1.3 < result.chars_per_token["val"] < 2.0
    per_char = result.nats_per_char(result.final_val_loss)
    assert per_char == pytest.approx(result.final_val_loss / result.chars_per_token["val"])


def dataclass_replace(config, **changes):
    import dataclasses

    return dataclasses.replace(config, **changes)


def test_learning_rate_schedule_is_nanogpts():
    factor = gpt._lr_factor(Config(max_iters=2000))
    assert factor(0) == pytest.approx(1 / 101)
    assert factor(100) == pytest.approx(1.0)
    assert factor(1050) == pytest.approx(0.55)  # halfway down the cosine from 1 to 0.1
    assert factor(2000) == pytest.approx(0.1)


def test_config_checks_and_quick_caps():
    with pytest.raises(ValueError, match="corpus"):
        Config(corpus="wikipedia")
    with pytest.raises(ValueError, match="tokenizer"):
        Config(tokenizer="word")
    with pytest.raises(ValueError, match="max_iters"):
        Config(max_iters=0)
    assert Config(quick=True, max_iters=10).effective().max_iters == 10
    assert Config().effective() == Config()
