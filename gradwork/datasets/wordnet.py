"""The WordNet noun graph: 82,115 noun synsets of WordNet 3.0 linked by is-a and part-of relations,
labelled by their lexicographer file (26 classes, ``noun.act`` ... ``noun.time``).

Read from ``data.noun`` of Debian's ``wordnet-base`` package (``/usr/share/wordnet``); nothing is
downloaded. Each line of ``data.noun`` is one synset (Princeton's ``wndb(5WN)`` format)::

    offset lex_filenum ss_type w_cnt word lex_id [word lex_id ...] p_cnt [ptr ...] | gloss

where ``w_cnt`` is two hex digits and each pointer is ``symbol offset pos source/target``.

Edges: the pointers between noun synsets for hypernymy (``@``, ``~``, instances ``@i``, ``~i``)
and meronymy/holonymy (member, substance, part: ``%m %s %p``, ``#m #s #p``), made undirected.

Labels: ``lex_filenum - 3``, the lexicographer file that a lexicographer filed the synset in
(``noun.Tops`` 0, ``noun.act`` 1, ..., ``noun.time`` 25). The label is not in the text of a
line except as that number, so the features below do not leak it.

Features: the TF-IDF of the gloss over a vocabulary of the ``num_features`` words (lower-case
runs of letters) in the most glosses, ties broken alphabetically: ``tf`` is the count in the
gloss, ``idf = ln((1 + N) / (1 + df)) + 1`` (scikit-learn's smoothed idf), and each row is scaled
to unit L2 norm (rows without a vocabulary word stay zero). A gloss holds about 12 words, so the
matrix is sparse; it is kept as a CSR triple and densified once for :attr:`Graph.x`.

Split: Cora's (:func:`~gradwork.datasets.graphs.planetoid_split`): 20 training nodes per class,
500 validation and 1000 test nodes, drawn with a seeded generator.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

import numpy as np

import gradwork
from gradwork.datasets.graphs import Graph, planetoid_split, undirected_edge_index

__all__ = ["DEFAULT_ROOT", "LEXICOGRAPHER_FILES", "WordNetNouns", "load_wordnet_nouns"]

DEFAULT_ROOT = "/usr/share/wordnet"

# The noun lexicographer files, numbers 3 to 28 of WordNet's lexnames(5WN): label = number - 3.
LEXICOGRAPHER_FILES = [
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
]
_FIRST_NOUN_FILE = 3

# Pointer symbols kept as edges: hypernym/hyponym, instance hypernym/hyponym, and the member,
# substance and part holonyms/meronyms (wninput(5WN)).
EDGE_POINTERS = frozenset({"@", "~", "@i", "~i", "%m", "%s", "%p", "#m", "#s", "#p"})


@dataclass(frozen=True)
class _Parsed:
    """``data.noun`` as arrays: what every feature size and split shares."""

    offsets: np.ndarray  # (N,) the synsets' byte offsets, ascending (the file's order)
    labels: np.ndarray  # (N,) lexicographer file number - 3
    edge_index: np.ndarray  # (2, E) undirected, both directions
    words: list[str]  # the first lemma of each synset
    token_doc: np.ndarray  # (T,) the synset of each gloss token
    token_word: np.ndarray  # (T,) the token's id in ``vocabulary``
    vocabulary: list[str]  # every distinct gloss word


def _path(root: str) -> str:
    path = os.path.join(root, "data.noun")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"WordNetNouns: {path} not found. It comes from Debian's package wordnet-base: "
            f"apt-get install wordnet-base (it installs {DEFAULT_ROOT}/data.noun), or pass "
            "root= the folder that holds data.noun"
        )
    return path


@functools.lru_cache(maxsize=2)
def _parse(root: str) -> _Parsed:
    """Parse ``data.noun`` once per root (about a second); the arrays are read-only."""
    with open(_path(root), encoding="utf-8", errors="replace") as file:
        lines = [line for line in file.read().split("\n") if line and not line.startswith(" ")]
    offsets, labels, words, glosses = [], [], [], []
    sources, targets = [], []
    for node, line in enumerate(lines):
        head, _, gloss = line.partition(" | ")
        fields = head.split()
        offsets.append(int(fields[0]))
        labels.append(int(fields[1]) - _FIRST_NOUN_FILE)
        words.append(fields[4])
        position = 4 + 2 * int(fields[3], 16)  # skip w_cnt (hex) pairs of word, lex_id
        for start in range(position + 1, position + 1 + 4 * int(fields[position]), 4):
            if fields[start + 2] == "n" and fields[start] in EDGE_POINTERS:
                sources.append(node)
                targets.append(int(fields[start + 1]))
        glosses.append(gloss)
    offsets = np.asarray(offsets, dtype=np.int64)
    if not (np.diff(offsets) > 0).all():
        raise ValueError(f"WordNetNouns: the synset offsets of {_path(root)} are not ascending")
    targets = np.searchsorted(offsets, np.asarray(targets, dtype=np.int64))
    num_nodes = offsets.size
    edge_index = undirected_edge_index(np.asarray(sources, dtype=np.int64), targets, num_nodes)

    # One regex pass over all glosses; "\n" tokens mark where each gloss ends.
    tokens = re.findall(r"[a-z]+|\n", "\n".join(glosses).lower() + "\n")
    ids: dict[str, int] = {"\n": 0}
    token_ids = np.fromiter((ids.setdefault(token, len(ids)) for token in tokens), np.int64)
    ends = token_ids == 0
    token_doc = np.cumsum(ends) - ends  # the number of glosses ended before each token
    parsed = _Parsed(
        offsets=offsets,
        labels=np.asarray(labels, dtype=np.int64),
        edge_index=edge_index,
        words=words,
        token_doc=token_doc[~ends],
        token_word=token_ids[~ends] - 1,
        vocabulary=list(ids)[1:],
    )
    for array in (parsed.offsets, parsed.labels, parsed.edge_index):
        array.setflags(write=False)
    return parsed


@functools.lru_cache(maxsize=4)
def _tfidf(root: str, num_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The gloss TF-IDF matrix as CSR ``(indptr, indices, values)`` and its vocabulary."""
    parsed = _parse(root)
    num_nodes, num_words = parsed.offsets.size, len(parsed.vocabulary)
    # (synset, word) pairs with their counts: unique keys, sorted by synset then word
    keys, counts = np.unique(parsed.token_doc * num_words + parsed.token_word, return_counts=True)
    docs, words = keys // num_words, keys % num_words
    frequency = np.bincount(words, minlength=num_words)  # glosses that hold each word
    names = np.asarray(parsed.vocabulary)
    order = np.lexsort((names, -frequency))[:num_features]  # most glosses first, then a-z
    column = np.full(num_words, -1, dtype=np.int64)
    column[order] = np.arange(order.size)
    keep = column[words] >= 0
    docs, indices = docs[keep], column[words[keep]]
    idf = np.log((1.0 + num_nodes) / (1.0 + frequency[order])) + 1.0
    values = counts[keep] * idf[indices]
    norms = np.sqrt(np.bincount(docs, weights=values**2, minlength=num_nodes))
    values = (values / norms[docs]).astype(np.float32)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(docs, minlength=num_nodes))])
    return indptr, indices, values, names[order].tolist()


def load_wordnet_nouns(
    root: str = DEFAULT_ROOT,
    num_features: int = 512,
    split_seed: int = 0,
    per_class: int = 20,
    num_val: int = 500,
    num_test: int = 1000,
) -> Graph:
    """The WordNet noun graph as a :class:`~gradwork.datasets.graphs.Graph` (see the module doc).

    Args:
        root: the folder with ``data.noun`` (default: where ``wordnet-base`` installs it).
        num_features: the vocabulary size of the gloss TF-IDF features.
        split_seed: seeds the Cora-style split.
        per_class, num_val, num_test: the split's sizes.

    Raises:
        FileNotFoundError: ``data.noun`` is missing (the message names the package to install).

    Example:
        >>> graph = load_wordnet_nouns()  # doctest: +SKIP
        >>> graph  # doctest: +SKIP
        Graph(num_nodes=82115, num_edges=213228, num_features=512, num_classes=26, train=520, \
val=500, test=1000)
    """
    return WordNetNouns(root, num_features, split_seed, per_class, num_val, num_test).graph


class WordNetNouns:
    """The WordNet 3.0 noun graph for node classification (Miller 1995; Fellbaum 1998).

    82,115 synsets, 106,614 undirected is-a and part-of links, 26 classes (the lexicographer
    files), gloss TF-IDF features and a Cora-style split; see the module docstring for how each
    is built. Parsing takes about a second and is cached per ``root``.

    Args:
        root: the folder with ``data.noun`` (default: where ``wordnet-base`` installs it).
        num_features: the vocabulary size of the gloss TF-IDF features.
        split_seed: seeds the Cora-style split.
        per_class, num_val, num_test: the split's sizes.

    Attributes:
        graph: the :class:`~gradwork.datasets.graphs.Graph` (dense float32 features).
        feature_indptr, feature_indices, feature_values: the features as a CSR matrix.
        vocabulary: the feature words, ``vocabulary[column]``.
        words: the first lemma of each synset (``graph.node_names``).
        offsets: each synset's offset in ``data.noun`` (WordNet's synset id).
        classes: the 26 lexicographer file names, ``classes[label]``.

    Raises:
        FileNotFoundError: ``data.noun`` is missing (the message names the package to install).

    Example:
        >>> wordnet = WordNetNouns()  # doctest: +SKIP
        >>> len(wordnet), wordnet.classes[wordnet.graph.y[0].item()]  # doctest: +SKIP
        (82115, 'noun.Tops')
    """

    classes = LEXICOGRAPHER_FILES

    def __init__(
        self,
        root: str = DEFAULT_ROOT,
        num_features: int = 512,
        split_seed: int = 0,
        per_class: int = 20,
        num_val: int = 500,
        num_test: int = 1000,
    ) -> None:
        if num_features < 1:
            raise ValueError(f"WordNetNouns: num_features must be >= 1, got {num_features}")
        parsed = _parse(root)
        indptr, indices, values, vocabulary = _tfidf(root, num_features)
        num_nodes = parsed.offsets.size
        features = np.zeros((num_nodes, len(vocabulary)), dtype=np.float32)
        rows = np.repeat(np.arange(num_nodes), np.diff(indptr))
        features[rows, indices] = values
        train, val, test = planetoid_split(
            parsed.labels, len(self.classes), per_class, num_val, num_test, split_seed
        )
        self.root = root
        self.feature_indptr, self.feature_indices, self.feature_values = indptr, indices, values
        self.vocabulary = vocabulary
        self.words = parsed.words
        self.offsets = parsed.offsets
        self.graph = Graph(
            x=gradwork.from_numpy(features),
            edge_index=gradwork.from_numpy(parsed.edge_index.copy()),
            y=gradwork.from_numpy(parsed.labels.copy()),
            train_mask=gradwork.from_numpy(train),
            val_mask=gradwork.from_numpy(val),
            test_mask=gradwork.from_numpy(test),
            classes=list(self.classes),
            node_names=parsed.words,
        )

    def __len__(self) -> int:
        return self.graph.num_nodes

    def __repr__(self) -> str:
        return f"WordNetNouns({self.graph!r}, root={self.root!r})"
