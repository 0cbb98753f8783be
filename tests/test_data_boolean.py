"""Boolean truth tables and samples: bit order, parities, majority, random low-degree thresholds."""

import numpy as np
import pytest

from jaxlab.data import boolean


def test_cube_bits_order():
    bits = boolean.cube_bits(3)
    assert bits.shape == (8, 3)
    assert bits[1].tolist() == [1, 0, 0]  # bit 0 is the least significant bit of the row index
    assert bits[6].tolist() == [0, 1, 1]
    assert len({tuple(row) for row in bits}) == 8


def test_cube_spins_match_bits():
    np.testing.assert_array_equal(boolean.cube_spins(4), 1 - 2 * boolean.cube_bits(4).astype(int))


def test_sparse_parity_values():
    table = boolean.sparse_parity_table(4, (0, 2))
    bits = boolean.cube_bits(4)
    expected = np.where((bits[:, 0] + bits[:, 2]) % 2 == 0, 1, -1)
    np.testing.assert_array_equal(table, expected)


def test_empty_parity_is_constant():
    np.testing.assert_array_equal(boolean.sparse_parity_table(3, ()), np.ones(8))


def test_majority_values():
    table = boolean.majority_table(5)
    ones = boolean.cube_bits(5).sum(axis=1)  # count of -1 entries
    np.testing.assert_array_equal(table, np.where(ones <= 2, 1, -1))
    assert table.sum() == 0


def test_random_parity_sum_is_reproducible():
    first, supports = boolean.random_parity_sum_table(8, degree=2, num_terms=3, seed=5)
    second, _ = boolean.random_parity_sum_table(8, degree=2, num_terms=3, seed=5)
    np.testing.assert_array_equal(first, second)
    assert len(set(supports)) == 3
    assert all(len(support) == 2 for support in supports)
    assert set(np.unique(first)) <= {-1, 1}


def test_single_term_sum_is_a_parity():
    table, supports = boolean.random_parity_sum_table(6, degree=3, num_terms=1, seed=1)
    parity = boolean.sparse_parity_table(6, supports[0])
    assert np.array_equal(table, parity) or np.array_equal(table, -parity)


def test_sample_dataset_matches_table():
    table = boolean.sparse_parity_table(6, (1, 4))
    tokens, labels = boolean.sample_boolean_dataset(table, 50, seed=0)
    assert tokens.shape == (50, 6)
    assert tokens.dtype == np.int32
    indices = (tokens * (1 << np.arange(6))).sum(axis=1)
    np.testing.assert_array_equal(labels, boolean.table_to_labels(table[indices]))


def test_table_to_labels():
    np.testing.assert_array_equal(boolean.table_to_labels(np.array([1, -1, -1, 1])), [0, 1, 1, 0])


@pytest.mark.parametrize(
    "call",
    [
        lambda: boolean.cube_bits(0),
        lambda: boolean.cube_bits(boolean.MAX_BITS + 1),
        lambda: boolean.majority_table(4),
        lambda: boolean.sparse_parity_table(4, (0, 4)),
        lambda: boolean.sparse_parity_table(4, (1, 1)),
        lambda: boolean.random_parity_sum_table(4, degree=5, num_terms=1, seed=0),
        lambda: boolean.sample_boolean_dataset(np.ones(6), 3, seed=0),
    ],
)
def test_invalid_arguments_raise(call):
    with pytest.raises(ValueError):
        call()
