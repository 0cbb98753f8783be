"""Exact Boolean sensitivity: Fourier coefficients, influences and average sensitivity against brute force."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from jaxlab.data import boolean as boolean_data
from jaxlab.nn.classifiers import make_classifier
from jaxlab.sensitivity import boolean


def _brute_force_influences(table: np.ndarray) -> np.ndarray:
    """Pr_x[f(x) != f(x with bit j flipped)] by looping over every point and bit."""
    size = len(table)
    num_bits = size.bit_length() - 1
    flips = np.zeros(num_bits)
    for index, bit in itertools.product(range(size), range(num_bits)):
        flips[bit] += table[index] != table[index ^ (1 << bit)]
    return flips / size


def _random_table(num_bits: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice([-1, 1], size=2**num_bits).astype(np.float32)


def test_fourier_matches_hadamard_matrix():
    table = _random_table(6, seed=0)
    expected = scipy.linalg.hadamard(64) @ table / 64  # scipy's Sylvester order is H[S, i] = (-1)^popcount(S & i)
    np.testing.assert_allclose(boolean.fourier_coefficients(table), expected, atol=1e-6)


def test_fourier_matches_character_sums():
    table = _random_table(4, seed=1)
    spins = boolean_data.cube_spins(4)
    for subset in range(16):
        support = [bit for bit in range(4) if subset >> bit & 1]
        expected = np.mean(table * boolean_data.parity_monomial(spins, support))
        assert boolean.fourier_coefficients(table)[subset] == pytest.approx(expected, abs=1e-6)


def test_parseval_for_boolean_table():
    coefficients = boolean.fourier_coefficients(_random_table(10, seed=2))
    assert float(jnp.sum(coefficients**2)) == pytest.approx(1.0, abs=1e-5)


def test_influences_match_brute_force():
    table = _random_table(7, seed=3)
    np.testing.assert_allclose(boolean.influences(table), _brute_force_influences(table), atol=1e-6)


@pytest.mark.parametrize("num_bits, support", [(5, (0,)), (8, (1, 3, 6)), (12, (0, 2, 4, 6, 8)), (20, (3, 19))])
def test_parity_sensitivity_is_its_size(num_bits, support):
    table = boolean_data.sparse_parity_table(num_bits, support)
    assert float(boolean.average_sensitivity(table)) == pytest.approx(len(support), abs=1e-4)
    influences = np.asarray(boolean.influences(table))
    np.testing.assert_allclose(influences, [1.0 if bit in support else 0.0 for bit in range(num_bits)], atol=1e-5)


@pytest.mark.parametrize("num_bits", [1, 3, 9, 15])
def test_majority_sensitivity_known_value(num_bits):
    # A bit is pivotal exactly when the other n-1 bits tie: as[Maj_n] = n C(n-1, (n-1)/2) / 2^(n-1).
    expected = num_bits * math.comb(num_bits - 1, (num_bits - 1) // 2) / 2 ** (num_bits - 1)
    table = boolean_data.majority_table(num_bits)
    assert float(boolean.average_sensitivity(table)) == pytest.approx(expected, rel=1e-5)


def test_normalized_sensitivity():
    table = boolean_data.sparse_parity_table(8, (0, 1))
    assert float(boolean.average_sensitivity(table, normalized=True)) == pytest.approx(2 / 8, abs=1e-6)


def test_flip_count_agrees_with_fourier():
    table, _ = boolean_data.random_parity_sum_table(9, degree=3, num_terms=5, seed=4)
    by_fourier = float(boolean.average_sensitivity(table))
    assert float(boolean.average_sensitivity_by_flips(table)) == pytest.approx(by_fourier, abs=1e-5)


def test_constant_table_has_zero_sensitivity():
    assert float(boolean.average_sensitivity(np.ones(32))) == 0.0


@pytest.mark.parametrize("length", [3, 6, 1])
def test_invalid_table_length_raises(length):
    with pytest.raises(ValueError, match="length 2\\^n"):
        boolean.fourier_coefficients(np.ones(length))


def test_cube_tokens_follow_table_convention():
    np.testing.assert_array_equal(boolean.cube_tokens(5), boolean_data.cube_bits(5))


@pytest.fixture(scope="module")
def small_transformer():
    model = make_classifier("transformer", num_classes=2, width=16, depth=1, vocab_size=2, num_heads=2, max_length=8)
    variables = model.init(jax.random.key(7), jnp.zeros((1, 6), jnp.int32))
    return model, variables


def test_classifier_table_matches_direct_predictions(small_transformer):
    model, variables = small_transformer
    table = np.asarray(boolean.classifier_truth_table(model, variables, 6, chunk_size=16))
    labels = np.asarray(jnp.argmax(model.apply(variables, boolean.cube_tokens(6)), axis=-1))
    np.testing.assert_array_equal(table, 1 - 2 * labels)


def test_classifier_sensitivity_matches_flipped_inputs(small_transformer):
    # Independent path: run the model on every point with bit j flipped and count label changes.
    model, variables = small_transformer
    tokens = np.asarray(boolean.cube_tokens(6))
    clean = np.asarray(jnp.argmax(model.apply(variables, tokens), axis=-1))
    expected = 0.0
    for bit in range(6):
        flipped = tokens ^ (np.arange(6) == bit).astype(tokens.dtype)
        expected += np.mean(np.asarray(jnp.argmax(model.apply(variables, flipped), axis=-1)) != clean)
    measured = float(boolean.classifier_boolean_sensitivity(model, variables, 6, chunk_size=64))
    assert measured == pytest.approx(expected, abs=1e-6)
