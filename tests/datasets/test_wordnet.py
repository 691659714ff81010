"""gradwork.datasets.wordnet and graphs: the WordNet noun graph from Debian's wordnet-base, the
Cora-style split and Zachary's karate club."""

import os

import numpy as np
import pytest

from gradwork.datasets import WordNetNouns, karate_club
from gradwork.datasets.wordnet import DEFAULT_ROOT, LEXICOGRAPHER_FILES

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def wordnet():
    """The Debian package's data.noun: required in CI, optional elsewhere."""
    if not os.path.isfile(os.path.join(DEFAULT_ROOT, "data.noun")):
        message = f"WordNet is not in {DEFAULT_ROOT}: apt-get install wordnet-base"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return WordNetNouns()


def test_counts(wordnet):
    graph = wordnet.graph
    assert len(wordnet) == graph.num_nodes == 82115  # WordNet 3.0's noun synsets
    assert graph.num_classes == 26 and graph.classes[0] == "noun.Tops"
    assert graph.classes[-1] == "noun.time" and len(set(LEXICOGRAPHER_FILES)) == 26
    assert set(np.unique(graph.y.numpy()).tolist()) == set(range(26))
    assert graph.num_edges == 2 * 106614
    assert tuple(graph.x.shape) == (82115, 512) and graph.x.dtype.name == "float32"
    assert wordnet.words[:3] == ["entity", "physical_entity", "abstraction"]
    assert wordnet.offsets[0] == 1740


def test_edges_are_undirected_without_loops_or_duplicates(wordnet):
    source, target = wordnet.graph.edge_index.numpy()
    n = wordnet.graph.num_nodes
    keys = target * n + source
    assert (source != target).all() and np.unique(keys).size == keys.size
    assert np.array_equal(np.sort(keys), np.sort(source * n + target))
    # "physical_entity" is a hyponym of "entity" (node 0) and "abstraction" another
    assert {1, 2} <= set(source[target == 0].tolist())


def test_features_are_unit_tfidf_rows(wordnet):
    x = wordnet.graph.x.numpy()
    norms = np.linalg.norm(x, axis=1)
    nonzero = norms > 0
    assert nonzero.mean() > 0.97
    np.testing.assert_allclose(norms[nonzero], 1.0, rtol=1e-5)
    assert (x >= 0).all() and wordnet.vocabulary[:3] == ["a", "of", "the"]
    indptr = wordnet.feature_indptr
    assert indptr[-1] == wordnet.feature_values.size == (x > 0).sum()


def test_split_sizes_are_cora_like_and_disjoint(wordnet):
    graph = wordnet.graph
    train, val, test = (m.numpy() for m in (graph.train_mask, graph.val_mask, graph.test_mask))
    assert (train.sum(), val.sum(), test.sum()) == (520, 500, 1000)
    assert not (train & val).any() and not (train & test).any() and not (val & test).any()
    assert (np.bincount(graph.y.numpy()[train], minlength=26) == 20).all()


def test_split_is_deterministic_and_seeded(wordnet):
    same = WordNetNouns().graph
    other = WordNetNouns(split_seed=1).graph
    assert np.array_equal(same.train_mask.numpy(), wordnet.graph.train_mask.numpy())
    assert np.array_equal(same.test_mask.numpy(), wordnet.graph.test_mask.numpy())
    assert not np.array_equal(other.train_mask.numpy(), wordnet.graph.train_mask.numpy())
    assert np.array_equal(same.x.numpy(), wordnet.graph.x.numpy())


def test_missing_files_name_the_package(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install wordnet-base"):
        WordNetNouns(root=str(tmp_path))


def test_parses_a_tiny_data_noun(tmp_path):
    lines = [
        "  1 This software and database is being provided to you, the LICENSEE, by",
        "00000010 03 n 01 thing 0 001 ~ 00000050 n 0000 | a thing; the thing",
        "00000050 05 n 02 cat 0 true_cat 1 002 @ 00000010 n 0000 %p 00000090 n 0000 | a small cat",
        "00000090 08 n 01 paw 0 002 #p 00000050 n 0000 + 00000001 v 0101 | the foot of a cat  ",
    ]
    (tmp_path / "data.noun").write_text("\n".join(lines) + "\n")
    wordnet = WordNetNouns(root=str(tmp_path), num_features=4, per_class=0, num_val=1, num_test=1)
    graph = wordnet.graph
    assert wordnet.words == ["thing", "cat", "paw"] and graph.y.tolist() == [0, 2, 5]
    assert graph.edge_index.tolist() == [[1, 0, 2, 1], [0, 1, 1, 2]]
    assert wordnet.vocabulary == ["a", "cat", "the", "foot"]  # by glosses, then a-z


def test_karate_club():
    graph = karate_club()
    assert (graph.num_nodes, graph.num_edges, graph.num_classes) == (34, 156, 2)
    assert graph.y.numpy()[[0, 33]].tolist() == [0, 1] and graph.train_mask.sum().item() == 2
    assert np.bincount(graph.y.numpy()).tolist() == [17, 17]
