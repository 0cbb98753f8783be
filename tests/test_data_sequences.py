"""Sequence data sets: mnist1d sequences, digits patches, keyword sentiment and modular addition."""

import random

import numpy as np
import pytest

from jaxlab.data import sequences


def test_mnist1d_shapes_and_determinism():
    first = sequences.load_mnist1d(num_samples=200, seed=3)
    second = sequences.load_mnist1d(num_samples=200, seed=3)
    assert first.train_inputs.shape == (160, 40, 1)
    assert first.test_inputs.shape == (40, 40, 1)
    assert first.train_inputs.dtype == np.float32
    assert first.num_classes == 10
    assert set(np.unique(first.train_labels)) <= set(range(10))
    np.testing.assert_array_equal(first.train_inputs, second.train_inputs)


def test_mnist1d_keeps_global_random_state():
    np.random.seed(123)
    random.seed(123)
    expected = (np.random.rand(), random.random())
    np.random.seed(123)
    random.seed(123)
    sequences.load_mnist1d(num_samples=40)
    assert (np.random.rand(), random.random()) == expected


def test_image_to_patches_layout():
    image = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    patches = sequences.image_to_patches(image, 2)
    assert patches.shape == (1, 4, 4)
    assert patches[0, 0].tolist() == [0, 1, 4, 5]  # top-left 2x2 block, row-major
    assert patches[0, 1].tolist() == [2, 3, 6, 7]
    assert patches[0, 3].tolist() == [10, 11, 14, 15]


def test_digits_patches():
    data = sequences.load_digits_patches(patch_size=2)
    assert data.train_inputs.shape[1:] == (16, 4)
    assert len(data.train_labels) + len(data.test_labels) == 1797
    assert data.train_inputs.min() >= 0.0
    assert data.train_inputs.max() <= 1.0
    assert data.vocab_size is None


def test_keyword_labels_follow_counts():
    data = sequences.make_keyword_sentiment(num_samples=300, length=12, vocab_size=20, num_keywords=3, seed=1)
    tokens = np.concatenate([data.train_inputs, data.test_inputs])
    labels = np.concatenate([data.train_labels, data.test_labels])
    positive = (tokens < 3).sum(axis=1)
    negative = ((tokens >= 3) & (tokens < 6)).sum(axis=1)
    assert np.all(positive != negative)
    np.testing.assert_array_equal(labels, (positive > negative).astype(int))
    assert 0.3 < labels.mean() < 0.7
    assert tokens.max() < 20


def test_modular_addition():
    data = sequences.make_modular_addition(prime=7, train_fraction=0.5, seed=0)
    tokens = np.concatenate([data.train_inputs, data.test_inputs])
    labels = np.concatenate([data.train_labels, data.test_labels])
    assert tokens.shape == (49, 3)
    assert np.all(tokens[:, 2] == 7)
    np.testing.assert_array_equal(labels, (tokens[:, 0] + tokens[:, 1]) % 7)
    assert len({tuple(row) for row in tokens}) == 49
    assert data.vocab_size == 8
    assert data.num_classes == 7


@pytest.mark.parametrize(
    "call",
    [
        lambda: sequences.image_to_patches(np.zeros((1, 8, 8)), 3),
        lambda: sequences.make_keyword_sentiment(vocab_size=8, num_keywords=4),
        lambda: sequences.make_keyword_sentiment(max_keyword_count=4),
        lambda: sequences.make_modular_addition(prime=7, train_fraction=1.0),
        lambda: sequences.load_mnist1d(num_samples=10),
    ],
)
def test_invalid_arguments_raise(call):
    with pytest.raises(ValueError):
        call()
