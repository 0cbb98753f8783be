"""Exact sensitivity of Boolean functions f: {±1}^n -> {±1} from their truth tables, and of classifiers on the cube.

Truth-table convention: entry i of a table of length 2^n is f(x) with x_j = (-1)^(bit j of i).
With that order the Fourier coefficient f^(S) = E_x[f(x) chi_S(x)], chi_S(x) = prod_{j in S} x_j,
is entry S (read as a bit mask) of the Walsh-Hadamard transform of the table divided by 2^n.

Quantities, all unnormalized as in O'Donnell's "Analysis of Boolean Functions":
  influence of bit j        Inf_j[f] = Pr_x[f(x) != f(x with bit j flipped)] = sum_{S containing j} f^(S)^2
  average sensitivity       as[f]    = sum_j Inf_j[f] = sum_S |S| f^(S)^2, a number in [0, n]
The normalized variant as[f] / n (the fraction of bits whose flip changes f, in [0, 1]) is what
`average_sensitivity(table, normalized=True)` returns. For a real-valued table the same sums give
the L2 influences E[((f(x) - f(x^j)) / 2)^2]; for ±1 tables that equals the flip probability.

Every function here is exact: no sampling. Tables up to n = 24 bits are accepted because float32
sums of up to 2^24 values of ±1 are still exact.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxlab.data.boolean import MAX_BITS


def num_bits_of_table(table: jax.Array) -> int:
    """Return n for a table of length 2^n, or raise ValueError naming the table length."""
    size = table.shape[-1]
    num_bits = int(size).bit_length() - 1
    if table.ndim != 1 or size < 2 or 2**num_bits != size:
        raise ValueError(f"table must be 1-D with length 2^n, n >= 1; got shape {tuple(table.shape)}")
    if num_bits > MAX_BITS:
        raise ValueError(f"table has 2^{num_bits} entries; at most 2^{MAX_BITS} are supported exactly")
    return num_bits


def walsh_hadamard_transform(values: jax.Array) -> jax.Array:
    """Return H @ values for the 2^n x 2^n Sylvester-ordered Hadamard matrix, in O(n 2^n) time.

    H[S, i] = (-1)^popcount(S & i). Each of the n butterfly passes combines the pairs of entries
    that differ in one bit j. Reshaping to (blocks, 2, 2^j) puts that bit on the middle axis.
    """
    num_bits = num_bits_of_table(values)
    result = values
    for bit in range(num_bits):
        pairs = result.reshape(-1, 2, 2**bit)
        result = jnp.stack([pairs[:, 0] + pairs[:, 1], pairs[:, 0] - pairs[:, 1]], axis=1).reshape(-1)
    return result


@jax.jit
def fourier_coefficients(table: jax.Array) -> jax.Array:
    """Return all 2^n Fourier coefficients f^(S) of a truth table; entry S is the coefficient of chi_S."""
    table = jnp.asarray(table, dtype=jnp.float32)
    return walsh_hadamard_transform(table) / table.shape[0]


@jax.jit
def influences(table: jax.Array) -> jax.Array:
    """Return Inf_j[f] for j = 0..n-1, shape (n,); for ±1 tables this is the flip probability of bit j."""
    table = jnp.asarray(table, dtype=jnp.float32)
    num_bits = num_bits_of_table(table)
    weights = fourier_coefficients(table) ** 2

    # Inf_j sums the Fourier weight of the sets S that contain j, i.e. indices with bit j set.
    per_bit = [weights.reshape(-1, 2, 2**bit)[:, 1].sum() for bit in range(num_bits)]
    return jnp.stack(per_bit)


def average_sensitivity(table: jax.Array, normalized: bool = False) -> jax.Array:
    """Return as[f] = sum_S |S| f^(S)^2 (in [0, n]); with normalized=True, as[f] / n (in [0, 1])."""
    total = influences(table).sum()
    if normalized:
        return total / num_bits_of_table(jnp.asarray(table))
    return total


def average_sensitivity_by_flips(table: jax.Array) -> jax.Array:
    """Return as[f] by counting flips directly: sum_j mean_i [f(i) != f(i XOR 2^j)]. O(n 2^n), no Fourier.

    Equal to `average_sensitivity` for ±1 tables; this form is the definition, kept as a cross-check.
    """
    table = jnp.asarray(table)
    num_bits = num_bits_of_table(table)
    indices = jnp.arange(table.shape[0])
    flips = [jnp.mean(table != table[indices ^ (1 << bit)]) for bit in range(num_bits)]
    return jnp.stack(flips).sum()


def cube_tokens(num_bits: int) -> jax.Array:
    """Return all 2^n points as token sequences (2^n, n) int32: token j of row i is bit j of i."""
    if not 1 <= num_bits <= MAX_BITS:
        raise ValueError(f"num_bits must be in [1, {MAX_BITS}], got {num_bits}")
    indices = jnp.arange(2**num_bits, dtype=jnp.int32)
    return (indices[:, None] >> jnp.arange(num_bits, dtype=jnp.int32)) & 1


def classifier_truth_table(
    model: nn.Module, variables, num_bits: int, chunk_size: int = 1024
) -> jax.Array:
    """Return the ±1 truth table of a two-class token classifier on all 2^n points of the cube.

    Class 0 maps to +1 and class 1 to -1 (the convention of `jaxlab.data.boolean`). The model is
    applied in chunks of `chunk_size` sequences so that activations stay small for n up to 20.
    Jittable; `model`, `num_bits` and `chunk_size` must be static.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    tokens = cube_tokens(num_bits)
    size = tokens.shape[0]
    chunk = min(chunk_size, size)
    if size % chunk:
        raise ValueError(f"chunk_size={chunk_size} must divide 2^{num_bits} (use a power of 2)")

    def label_chunk(chunk_tokens: jax.Array) -> jax.Array:
        logits = model.apply(variables, chunk_tokens)
        return jnp.argmax(logits, axis=-1)

    labels = jax.lax.map(label_chunk, tokens.reshape(size // chunk, chunk, num_bits)).reshape(-1)
    return (1 - 2 * labels).astype(jnp.float32)


def classifier_boolean_sensitivity(
    model: nn.Module, variables, num_bits: int, normalized: bool = False, chunk_size: int = 1024
) -> jax.Array:
    """Return the exact average sensitivity of a two-class token classifier over the n-bit cube.

    The model runs once on each of the 2^n points. The n flips of a point are other points of the
    cube, so they need no extra forward passes. The result is unnormalized (in [0, n]) unless
    `normalized=True`. Jittable and vmappable over `variables` (e.g. many random seeds).
    """
    table = classifier_truth_table(model, variables, num_bits, chunk_size)
    total = influences(table).sum()
    return total / num_bits if normalized else total

