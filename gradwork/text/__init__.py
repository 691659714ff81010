"""Tokenizers: characters, byte-level BPE (GPT-2's scheme) and BERT's WordPiece."""

from gradwork.text.bpe import BPETokenizer
from gradwork.text.char import CharTokenizer
from gradwork.text.wordpiece import BatchEncoding, WordPieceTokenizer

__all__ = ["BPETokenizer", "BatchEncoding", "CharTokenizer", "WordPieceTokenizer"]
