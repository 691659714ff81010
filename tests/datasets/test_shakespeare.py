"""gradwork.datasets.TinyShakespeare: the shipped text, nanoGPT's 90/10 split, clear errors."""

import hashlib

import pytest

from gradwork.datasets import TinyShakespeare, read_tinyshakespeare
from gradwork.datasets.shakespeare import DEFAULT_PATH


def test_the_shipped_file_is_char_rnns():
    text = read_tinyshakespeare()
    assert len(text) == 1115394 and len(set(text)) == 65
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    digest = hashlib.md5(DEFAULT_PATH.read_bytes()).hexdigest()
    assert digest == "6fb458f1232090904fb40fe944165e91"


def test_split_sizes_match_nanogpt():
    train, val = TinyShakespeare("train"), TinyShakespeare("val")
    # nanoGPT's data/shakespeare_char/prepare.py prints these two counts
    assert len(train) == 1003854 and len(val) == 111540
    assert train.text + val.text == read_tinyshakespeare()
    assert "val" in repr(val)


def test_loading_is_deterministic_and_cached():
    assert TinyShakespeare("val").text == TinyShakespeare("val").text
    assert read_tinyshakespeare() is read_tinyshakespeare()


def test_wrong_split_and_missing_file_give_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="split must be 'train' or 'val'"):
        TinyShakespeare("test")
    with pytest.raises(FileNotFoundError, match="package data"):
        TinyShakespeare(path=tmp_path / "missing.txt")
