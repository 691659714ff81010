"""gradwork.text.char: building, encode/decode round trips, unknown characters, JSON files."""

import pytest

from gradwork.text import CharTokenizer


def test_build_encode_decode():
    tokenizer = CharTokenizer.from_text("to be or not to be")
    assert tokenizer.chars == sorted(set("to be or not to be"))
    assert tokenizer.decode(tokenizer.encode("bet on one")) == "bet on one"
    assert len(tokenizer) == tokenizer.vocab_size == 7


def test_unknown_characters():
    with pytest.raises(KeyError, match="'z'"):
        CharTokenizer.from_text("abc").encode("abz")
    tokenizer = CharTokenizer.from_text("abc", unk="?")
    assert tokenizer.decode(tokenizer.encode("abz")) == "ab?"


def test_save_load(tmp_path):
    tokenizer = CharTokenizer.from_text("héllo wörld 😀\n")
    tokenizer.save(tmp_path / "char.json")
    loaded = CharTokenizer.load(tmp_path / "char.json")
    assert loaded.chars == tokenizer.chars and loaded.encode("wörld 😀") == tokenizer.encode(
        "wörld 😀"
    )


def test_rejects_bad_vocabularies():
    with pytest.raises(ValueError, match="distinct"):
        CharTokenizer(["a", "a"])
    with pytest.raises(ValueError, match="unk"):
        CharTokenizer(["a"], unk="?")
