"""Boolean functions on {±1}^n as truth tables, and labelled samples from them.

Convention (shared with `jaxlab.sensitivity.boolean`): a truth table has length 2^n and entry i is
f(x) for the point x with x_j = (-1)^(bit j of i), so bit 0 is the least significant bit of i.
As model input the point is the token sequence of its bits, token j = bit j of i, with vocabulary
{0, 1}; token 0 stands for x_j = +1. As a class label, f(x) = +1 is class 0 and f(x) = -1 is class 1.
"""

from __future__ import annotations

import numpy as np

# Above this many bits a truth table no longer fits comfortably in memory (2^24 entries = 64 MiB
# in float32) and float32 sums over it stop being exact.
MAX_BITS = 24


def _check_num_bits(num_bits: int) -> None:
    if not isinstance(num_bits, (int, np.integer)) or not 1 <= num_bits <= MAX_BITS:
        raise ValueError(f"num_bits must be an int in [1, {MAX_BITS}], got {num_bits!r}")


def cube_bits(num_bits: int) -> np.ndarray:
    """Return all 2^n points as bits, shape (2^n, n) uint8, row i holding the bits of i (bit 0 first)."""
    _check_num_bits(num_bits)
    indices = np.arange(2**num_bits, dtype=np.int64)
    return ((indices[:, None] >> np.arange(num_bits)) & 1).astype(np.uint8)


def cube_spins(num_bits: int) -> np.ndarray:
    """Return all 2^n points as ±1 values, shape (2^n, n) int8, with x_j = (-1)^(bit j of i)."""
    return (1 - 2 * cube_bits(num_bits).astype(np.int8)).astype(np.int8)


def parity_monomial(spins: np.ndarray, support: tuple[int, ...] | list[int]) -> np.ndarray:
    """Return the character chi_S(x) = prod_{j in S} x_j for each row of `spins`; chi of the empty set is 1."""
    if len(support) == 0:
        return np.ones(spins.shape[0], dtype=np.int8)
    return np.prod(spins[:, list(support)], axis=1).astype(np.int8)


def sparse_parity_table(num_bits: int, support: tuple[int, ...] | list[int]) -> np.ndarray:
    """Return the truth table of the parity of the bits in `support` (a k-sparse parity), as ±1 int8."""
    _check_num_bits(num_bits)
    if len(set(support)) != len(support) or any(not 0 <= j < num_bits for j in support):
        raise ValueError(f"support must be distinct indices in [0, {num_bits}), got {support!r}")
    return parity_monomial(cube_spins(num_bits), support)


def majority_table(num_bits: int) -> np.ndarray:
    """Return the truth table of majority, sign(sum_j x_j), as ±1 int8; num_bits must be odd so no ties occur."""
    _check_num_bits(num_bits)
    if num_bits % 2 == 0:
        raise ValueError(f"num_bits must be odd for majority, got {num_bits}")
    return np.sign(cube_spins(num_bits).sum(axis=1, dtype=np.int32)).astype(np.int8)


def random_parity_sum_table(
    num_bits: int, degree: int, num_terms: int, seed: int
) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Return sign(sum_t c_t chi_{S_t}(x)) for random monomials of exactly `degree` bits, and the supports.

    The supports S_t are distinct random subsets of size `degree`, and the coefficients c_t are drawn
    from N(0, 1). A sum of exactly zero maps to +1. The sum has Fourier degree `degree`, but taking
    its sign adds higher-degree terms, so the target is a threshold of low-degree parities. With
    `num_terms=1` it is the sparse parity of one random support.
    """
    _check_num_bits(num_bits)
    if not 1 <= degree <= num_bits:
        raise ValueError(f"degree must be in [1, {num_bits}], got {degree}")
    if num_terms < 1:
        raise ValueError(f"num_terms must be >= 1, got {num_terms}")

    rng = np.random.default_rng(seed)
    supports: list[tuple[int, ...]] = []
    for _ in range(100 * num_terms):
        support = tuple(sorted(rng.choice(num_bits, size=degree, replace=False).tolist()))
        if support not in supports:
            supports.append(support)
        if len(supports) == num_terms:
            break
    coefficients = rng.standard_normal(len(supports))

    spins = cube_spins(num_bits)
    total = sum(c * parity_monomial(spins, s).astype(np.float64) for c, s in zip(coefficients, supports))
    return np.where(total >= 0, 1, -1).astype(np.int8), supports


def table_to_labels(table: np.ndarray) -> np.ndarray:
    """Map ±1 values to class labels: +1 -> 0, -1 -> 1."""
    return (np.asarray(table) < 0).astype(np.int32)


def sample_boolean_dataset(
    table: np.ndarray, num_samples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw `num_samples` uniform points with replacement; return (bits as int32 tokens (N, n), labels (N,))."""
    size = len(table)
    num_bits = size.bit_length() - 1
    if size < 2 or 2**num_bits != size:
        raise ValueError(f"table length must be a power of 2 >= 2, got {size}")
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")

    rng = np.random.default_rng(seed)
    indices = rng.integers(0, size, size=num_samples)
    tokens = ((indices[:, None] >> np.arange(num_bits)) & 1).astype(np.int32)
    return tokens, table_to_labels(table[indices])
