"""Vectorized angle and unit phasor, for the CPU hot paths of phase extraction and the M-PLV.

XLA's CPU backend (jaxlib 0.10.2) evaluates atan2, sin and cos one element at a time. Jitted on a
(250, 2048) float32 array on a 2-core AMD EPYC virtual machine, cos took about 17 ns per element and
atan2 38 ns, against 0.4 ns for exp. The angle, cos and sin then cost more than the FFT filtering
around them. These functions use only +, *, / and selects, which XLA vectorizes.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

# atan(r) ≈ r · Σ_k c_k r^(2k) on [0, 1], within 4e-8 rad: a near-minimax fit by iteratively
# reweighted least squares in float64 (Lawson's method).
ARCTAN_COEFFICIENTS = (
    0.9999993356, -0.3332986076, 0.1994656557, -0.1390862972,
    0.09642198992, -0.05591236361, 0.02186299166, -0.00405457849,
)

# Taylor series on [-π/4, π/4], where the first omitted terms are below 2e-9.
SINE_COEFFICIENTS = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(5))
COSINE_COEFFICIENTS = tuple((-1) ** k / math.factorial(2 * k) for k in range(6))

# π/2 split into a float32 head and a tail, so that x - q·π/2 keeps its precision for |x| up to ~1e4.
HALF_PI_HEAD = float(np.float32(math.pi / 2))
HALF_PI_TAIL = math.pi / 2 - HALF_PI_HEAD


def _polynomial(coefficients: tuple[float, ...], argument: jax.Array) -> jax.Array:
    """Evaluate Σ_k coefficients[k] · argument^k by Horner's rule."""
    result = jnp.full_like(argument, coefficients[-1])
    for coefficient in coefficients[-2::-1]:
        result = result * argument + coefficient
    return result


def phase_angle(z: jax.Array) -> jax.Array:
    """Return the angle of complex `z` in [-π, π], like jnp.angle to within 3e-7 rad in float32.

    The angle of 0 is 0. The octant reduction keeps the polynomial argument in [0, 1], where
    ARCTAN_COEFFICIENTS hold.
    """
    x, y = z.real, z.imag
    abs_x, abs_y = jnp.abs(x), jnp.abs(y)
    steep = abs_y > abs_x
    numerator = jnp.where(steep, abs_x, abs_y)
    denominator = jnp.where(steep, abs_y, abs_x)
    ratio = jnp.where(denominator > 0, numerator / jnp.where(denominator > 0, denominator, 1.0), 0.0)

    angle = ratio * _polynomial(ARCTAN_COEFFICIENTS, ratio * ratio)
    angle = jnp.where(steep, np.float32(np.pi / 2) - angle, angle)
    angle = jnp.where(x < 0, np.float32(np.pi) - angle, angle)
    return jnp.where(y < 0, -angle, angle)


def unit_phasor(theta: jax.Array) -> jax.Array:
    """Return exp(iθ) as complex64 for real float32 θ, within about 3e-7 + |θ|·1e-7 of the exact value."""
    quadrant = jnp.round(theta * np.float32(2 / np.pi))
    reduced = theta - quadrant * np.float32(HALF_PI_HEAD) - quadrant * np.float32(HALF_PI_TAIL)
    squared = reduced * reduced
    sine = reduced * _polynomial(SINE_COEFFICIENTS, squared)
    cosine = _polynomial(COSINE_COEFFICIENTS, squared)

    # exp(iθ) = exp(i q π/2) · exp(i r): quadrant q turns (cos r, sin r) by q quarter turns.
    turn = jnp.mod(quadrant, 4).astype(jnp.int32)
    real = jnp.select([turn == 0, turn == 1, turn == 2], [cosine, -sine, -cosine], sine)
    imag = jnp.select([turn == 0, turn == 1, turn == 2], [sine, cosine, -sine], -cosine)
    return jax.lax.complex(real, imag)
