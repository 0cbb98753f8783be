"""Sequence classification data that needs no download: mnist1d, 8x8 digits as patches, a keyword task, modular addition.

Every loader returns a `SequenceDataset` whose inputs are either float features of shape
(N, length, features) or int32 token ids of shape (N, length), ready for the classifiers in
`jaxlab.nn.classifiers`. Every loader is a deterministic function of its arguments.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np


@dataclasses.dataclass(frozen=True)
class SequenceDataset:
    """A train/test split of a sequence classification task.

    `vocab_size` is None for float inputs and the number of token ids for token inputs.
    """

    train_inputs: np.ndarray
    train_labels: np.ndarray
    test_inputs: np.ndarray
    test_labels: np.ndarray
    num_classes: int
    vocab_size: int | None = None

    @property
    def sequence_length(self) -> int:
        return self.train_inputs.shape[1]


def _split(inputs: np.ndarray, labels: np.ndarray, train_fraction: float, seed: int):
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    order = np.random.default_rng(seed).permutation(len(labels))
    num_train = int(round(train_fraction * len(labels)))
    if not 0 < num_train < len(labels):
        raise ValueError(
            f"train_fraction={train_fraction} leaves an empty split of {len(labels)} examples"
        )
    train, test = order[:num_train], order[num_train:]
    return inputs[train], labels[train], inputs[test], labels[test]


def load_mnist1d(num_samples: int = 5000, seed: int = 42, train_fraction: float = 0.8) -> SequenceDataset:
    """Generate mnist1d with `mnist1d.data.make_dataset` (never its download path) as 40-step sequences.

    Inputs have shape (N, 40, 1): one scalar per time step, standardized by mnist1d itself. The
    defaults are mnist1d's own (5000 samples, seed 42, 80/20 split in its generated order).
    """
    if num_samples < 20:
        raise ValueError(f"num_samples must be >= 20 (two per class), got {num_samples}")
    import mnist1d.data

    args = mnist1d.data.get_dataset_args()
    args.num_samples = num_samples
    args.seed = seed
    args.train_split = train_fraction

    # make_dataset reseeds the global `random` and numpy generators; restore them so that callers'
    # global random streams do not depend on whether this loader ran.
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        generated = mnist1d.data.make_dataset(args)
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)

    return SequenceDataset(
        train_inputs=generated["x"][:, :, None].astype(np.float32),
        train_labels=generated["y"].astype(np.int32),
        test_inputs=generated["x_test"][:, :, None].astype(np.float32),
        test_labels=generated["y_test"].astype(np.int32),
        num_classes=10,
    )


def image_to_patches(images: np.ndarray, patch_size: int) -> np.ndarray:
    """Cut (N, H, W) images into non-overlapping square patches, row-major: shape (N, H*W/p^2, p^2)."""
    count, height, width = images.shape
    if patch_size < 1 or height % patch_size or width % patch_size:
        raise ValueError(f"patch_size must divide the image size {height}x{width}, got {patch_size}")
    rows, cols = height // patch_size, width // patch_size
    patches = images.reshape(count, rows, patch_size, cols, patch_size).transpose(0, 1, 3, 2, 4)
    return patches.reshape(count, rows * cols, patch_size * patch_size)


def load_digits_patches(patch_size: int = 2, train_fraction: float = 0.8, seed: int = 0) -> SequenceDataset:
    """Return scikit-learn's bundled 8x8 handwritten digits (1797 images) as sequences of patches.

    Pixel values 0..16 are scaled to [0, 1]. With the default patch_size=2 each image is a
    sequence of 16 patches of 4 pixels.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    patches = image_to_patches(images, patch_size)
    train_x, train_y, test_x, test_y = _split(patches, digits.target.astype(np.int32), train_fraction, seed)
    return SequenceDataset(train_x, train_y, test_x, test_y, num_classes=10)


def make_keyword_sentiment(
    num_samples: int = 4000,
    length: int = 32,
    vocab_size: int = 64,
    num_keywords: int = 4,
    max_keyword_count: int = 5,
    train_fraction: float = 0.8,
    seed: int = 0,
) -> SequenceDataset:
    """Generate a sentiment-like task whose label is 1 when positive keywords outnumber negative ones.

    Token ids 0..num_keywords-1 are positive keywords, the next `num_keywords` ids are negative
    keywords, and the remaining ids are distractors. Each sequence contains an odd number of keyword
    occurrences (uniform over 1, 3, ..., max_keyword_count) at uniformly random positions, each
    positive or negative with probability 1/2, so counts never tie. Every other position is a
    uniform distractor. Label 1 means more positive than negative keywords. The label does not
    depend on where the keywords are, so a model that treats positions evenly fits it best.
    """
    if num_samples < 2 or length < 1:
        raise ValueError(f"num_samples must be >= 2 and length >= 1, got {num_samples}, {length}")
    if num_keywords < 1 or vocab_size < 2 * num_keywords + 1:
        raise ValueError(
            f"vocab_size must be >= 2 * num_keywords + 1 to leave distractors, got "
            f"vocab_size={vocab_size}, num_keywords={num_keywords}"
        )
    if max_keyword_count < 1 or max_keyword_count > length or max_keyword_count % 2 == 0:
        raise ValueError(f"max_keyword_count must be odd and in [1, length={length}], got {max_keyword_count}")

    rng = np.random.default_rng(seed)
    tokens = rng.integers(2 * num_keywords, vocab_size, size=(num_samples, length))
    labels = np.empty(num_samples, dtype=np.int32)
    odd_counts = np.arange(1, max_keyword_count + 1, 2)

    for row in range(num_samples):
        count = rng.choice(odd_counts)
        positions = rng.choice(length, size=count, replace=False)
        is_positive = rng.random(count) < 0.5
        keyword_ids = rng.integers(0, num_keywords, size=count) + np.where(is_positive, 0, num_keywords)
        tokens[row, positions] = keyword_ids
        labels[row] = int(is_positive.sum() * 2 > count)

    train_x, train_y, test_x, test_y = _split(tokens.astype(np.int32), labels, train_fraction, seed + 1)
    return SequenceDataset(train_x, train_y, test_x, test_y, num_classes=2, vocab_size=vocab_size)


def make_modular_addition(prime: int = 97, train_fraction: float = 0.5, seed: int = 0) -> SequenceDataset:
    """Return every pair (a, b) mod `prime` as the three tokens [a, b, =] with label (a + b) mod prime.

    The "=" token has id `prime`, so the vocabulary has prime + 1 ids. The pairs are split at
    random into train and test, the usual grokking setup. Any modulus >= 2 works; primality is
    not checked.
    """
    if prime < 2:
        raise ValueError(f"prime must be >= 2, got {prime}")
    a, b = np.meshgrid(np.arange(prime), np.arange(prime), indexing="ij")
    a, b = a.ravel(), b.ravel()
    tokens = np.stack([a, b, np.full_like(a, prime)], axis=1).astype(np.int32)
    labels = ((a + b) % prime).astype(np.int32)
    train_x, train_y, test_x, test_y = _split(tokens, labels, train_fraction, seed)
    return SequenceDataset(train_x, train_y, test_x, test_y, num_classes=prime, vocab_size=prime + 1)
