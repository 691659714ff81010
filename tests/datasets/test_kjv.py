"""gradwork.datasets.KJV: the King James Bible from Debian's bible-kjv, references stripped."""

import os
import shutil

import pytest

from gradwork.datasets import KJV, read_kjv

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def text():
    """The package's text: required in CI, optional elsewhere."""
    if shutil.which("bible") is None:
        message = "the bible program is missing: apt-get install bible-kjv"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return read_kjv()


def test_size_and_alphabet(text):
    assert len(text) == 4137850 and len(set(text)) == 63
    assert text.count("\n") == 31102  # one verse per line
    assert text.startswith("In the beginning God created the heaven and the earth.\n")
    assert text.endswith("The grace of our Lord Jesus Christ be with you all. Amen.\n")
    assert "Ge1:1" not in text and "Rev22" not in text  # references stripped


def test_split_and_determinism(text):
    train, val = KJV("train"), KJV("val")
    assert len(train) == 3724065 and len(val) == 413785
    assert train.text + val.text == text
    assert read_kjv() is text  # cached in memory
    assert KJV("val").text == val.text


def test_errors_name_the_package():
    with pytest.raises(FileNotFoundError, match="apt-get install bible-kjv"):
        read_kjv("no-such-bible-program")
    with pytest.raises(ValueError, match="split must be 'train' or 'val'"):
        KJV("test")
