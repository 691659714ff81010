"""gradwork.text.bpe: training, exact UTF-8 round trips, merge order, JSON files, speed."""

import random
import time

import pytest

from gradwork.text import BPETokenizer
from gradwork.text.bpe import GPT2_PATTERN, _merge

CORPUS = "the cat sat on the mat. the dog sat on the log. " * 50 + "naïve café 東京 😀 " * 5


def naive_train(text: str, vocab_size: int, pattern=GPT2_PATTERN) -> list:
    """Re-count every pair of every word for each merge: the textbook algorithm."""
    words = [list(word.encode()) for word in BPETokenizer(pattern=pattern)._words(text)]
    merges = []
    while len(merges) < vocab_size - 256:
        counts = {}
        for word in words:
            for pair in zip(word, word[1:]):
                counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        merges.append(pair)
        words = [_merge(word, pair, 255 + len(merges)) for word in words]
    return merges


@pytest.mark.parametrize("pattern", [GPT2_PATTERN, None])
def test_training_matches_the_naive_algorithm(pattern):
    tokenizer = BPETokenizer.train(CORPUS, vocab_size=320, pattern=pattern)
    assert tokenizer.merges == naive_train(CORPUS, 320, pattern)
    assert tokenizer.vocab_size == 256 + len(tokenizer.merges) > 280


def test_merges_compress_and_respect_words():
    tokenizer = BPETokenizer.train(CORPUS, vocab_size=300)
    ids = tokenizer.encode("the cat sat on the mat.")
    assert len(ids) < len(b"the cat sat on the mat.") / 2
    assert all(" " not in tokenizer.decode([i]).strip() for i in ids)  # no merge across words


def test_round_trip_of_any_utf8_string():
    tokenizer = BPETokenizer.train(CORPUS, vocab_size=350)
    rng = random.Random(0)
    alphabet = "abc .,'\n\t_1 23é東😀\u0301" + "".join(
        chr(rng.randrange(0x10FFFF)) for _ in range(50)
    )
    alphabet = "".join(c for c in alphabet if not 0xD800 <= ord(c) <= 0xDFFF)
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert tokenizer.decode(tokenizer.encode(text)) == text
    assert tokenizer.encode("") == []


def test_save_load(tmp_path):
    tokenizer = BPETokenizer.train(CORPUS, vocab_size=300)
    tokenizer.save(tmp_path / "bpe.json")
    loaded = BPETokenizer.load(tmp_path / "bpe.json")
    assert loaded.merges == tokenizer.merges and loaded.pattern == tokenizer.pattern
    assert loaded.encode(CORPUS) == tokenizer.encode(CORPUS)
    with pytest.raises(ValueError, match="vocab_size"):
        BPETokenizer.train("abc", 100)


def test_training_on_a_megabyte_is_fast():
    rng = random.Random(0)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "qu", "th", "ing", "x"]
    words = ["".join(rng.choices(syllables, k=rng.randint(1, 6))) for _ in range(50_000)]
    text = " ".join(rng.choices(words, k=160_000))[: 1 << 20]  # about 1 MB
    start = time.perf_counter()
    tokenizer = BPETokenizer.train(text, vocab_size=512)
    assert time.perf_counter() - start < 20
    assert tokenizer.vocab_size == 512
