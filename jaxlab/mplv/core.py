"""The multi-phase locking value (M-PLV) and the classic locking values it contains.

For phases φ[k, l, t] of K trials and L components and one real weight w_l per component,

    ψ(t) = | (1/K) Σ_k exp( i Σ_l w_l φ[k, l, t] ) |,

which is 1 when the weighted phase sum is the same in every trial and about sqrt(π / 4K) when it is
random. Special cases:

* 1:1 PLV of x and y: weights (1, -1).
* n:m PLV (n·f_x = m·f_y): weights (n, -m) on (φ_x, φ_y).
* bi-phase locking value of f1, f2 and f1 + f2: weights (1, 1, -1).

Rational weights are multiplied by their common denominator first (see `jaxlab.mplv.weights`).
With `unwrap=True` the weights are used as real numbers on phases unwrapped along time instead. That
form also accepts irrational weights, but its value depends on which 2π branch each trial's phase
starts on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxlab.mplv.inputs import check_output_index, check_phases, require_finite
from jaxlab.mplv.trig import unit_phasor
from jaxlab.mplv.weights import DEFAULT_MAX_DENOMINATOR, clear_denominators, float_weights

WeightsLike = Sequence[float | int | Fraction | str]


def resolve_weights(
    weights: WeightsLike, n_components: int, *, unwrap: bool, max_denominator: int = DEFAULT_MAX_DENOMINATOR
) -> np.ndarray:
    """Return the weights that multiply the phases: integers after clearing denominators, or floats with unwrap."""
    if len(weights) != n_components:
        raise ValueError(f"weights has {len(weights)} entries but phases has {n_components} components")
    if unwrap:
        return float_weights(weights)
    integers, _ = clear_denominators(weights, max_denominator)
    return integers.astype(np.float64)


def prepare_phases(phases: jax.Array, unwrap: bool) -> jax.Array:
    """Unwrap phases along time when the weights are real numbers rather than integers."""
    return jnp.unwrap(phases, axis=-1) if unwrap else phases


@jax.jit
def _mplv_time_course(phases: jax.Array, weights: jax.Array) -> jax.Array:
    combined = jnp.einsum("klt,l->kt", phases, weights)
    return jnp.abs(jnp.mean(unit_phasor(combined), axis=0))


def mplv(
    phases: np.ndarray | jax.Array,
    weights: WeightsLike,
    *,
    unwrap: bool = False,
    max_denominator: int = DEFAULT_MAX_DENOMINATOR,
) -> jax.Array:
    """Compute the M-PLV time course ψ(t) across trials.

    `phases` has shape (trials, components, times), in radians, with at least 2 trials. `weights`
    has one entry per component: numbers, Fractions or strings such as "2/3". Rational weights are
    multiplied by their common denominator, so (2/3, 1/3, -1) is computed as (2, 1, -3). Returns a
    float32 array of shape (times,) with values in [0, 1].
    """
    phases = check_phases(phases)
    scaled = resolve_weights(weights, phases.shape[1], unwrap=unwrap, max_denominator=max_denominator)
    return _mplv_time_course(prepare_phases(phases, unwrap), jnp.asarray(scaled, jnp.float32))


def plv(phase_x: np.ndarray | jax.Array, phase_y: np.ndarray | jax.Array) -> jax.Array:
    """Compute the 1:1 phase locking value |mean_k exp(i(φx - φy))| of two (trials, times) phase arrays."""
    return nm_plv(phase_x, phase_y, 1, 1)


def nm_plv(phase_x: np.ndarray | jax.Array, phase_y: np.ndarray | jax.Array, n: int, m: int) -> jax.Array:
    """Compute the n:m phase locking value |mean_k exp(i(n·φx - m·φy))| across trials.

    n:m locking means n·f_x = m·f_y, so for x at 10 Hz and y at 20 Hz the 2:1 value (n=2, m=1) tests
    whether 2·φx - φy is constant. `phase_x` and `phase_y` have shape (trials, times).
    """
    for name, value in (("n", n), ("m", m)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return mplv(_stack_components("phase_x", phase_x, "phase_y", phase_y), [n, -m])


def bplv(
    phase_1: np.ndarray | jax.Array, phase_2: np.ndarray | jax.Array, phase_sum: np.ndarray | jax.Array
) -> jax.Array:
    """Compute the bi-phase locking value |mean_k exp(i(φ1 + φ2 - φ_sum))| of f1, f2 and f1 + f2."""
    stacked = _stack_components("phase_1", phase_1, "phase_2", phase_2, "phase_sum", phase_sum)
    return mplv(stacked, [1, 1, -1])


def _stack_components(*named_arrays) -> jax.Array:
    """Stack (trials, times) phase arrays into (trials, components, times), checking that shapes agree."""
    names, arrays = named_arrays[0::2], [np.asarray(array) for array in named_arrays[1::2]]
    for name, array in zip(names, arrays):
        if array.ndim != 2:
            raise ValueError(f"{name} must have shape (trials, times), got shape {array.shape}")
    if len({array.shape for array in arrays}) > 1:
        shapes = ", ".join(f"{name} {array.shape}" for name, array in zip(names, arrays))
        raise ValueError(f"phase arrays must have the same shape, got {shapes}")
    return jnp.stack([jnp.asarray(array, jnp.float32) for array in arrays], axis=1)


@functools.partial(jax.jit, static_argnames=("output_index",))
def _split_phasors(phases: jax.Array, weights: jax.Array, output_index: int) -> tuple[jax.Array, jax.Array]:
    input_weights = jnp.delete(weights, output_index)
    input_phases = jnp.delete(phases, output_index, axis=1)
    z_in = unit_phasor(jnp.einsum("klt,l->kt", input_phases, input_weights))
    z_out = unit_phasor(weights[output_index] * phases[:, output_index, :])
    return z_in, z_out


def split_phasors(
    phases: jax.Array, weights: np.ndarray, output_index: int
) -> tuple[jax.Array, jax.Array]:
    """Return exp(i Σ_{l≠out} w_l φ_l) and exp(i w_out φ_out), each (trials, times) complex64.

    The M-PLV is |mean_k z_in[k] z_out[k]|. Keeping the two factors apart lets the lag scan and the
    surrogates shift or reorder the output without recomputing any exponential.
    """
    return _split_phasors(phases, jnp.asarray(weights, jnp.float32), output_index=int(output_index))


def overlap_range(n_times: int, lag: int) -> tuple[int, int]:
    """Return the output-time samples [start, stop) where both the output and the input at t - lag exist."""
    return max(0, lag), n_times + min(0, lag)


def check_lag(lag: int, n_times: int, name: str = "lag") -> int:
    """Return `lag` as an int, or raise ValueError unless |lag| < n_times - 1 (at least 2 shared samples)."""
    if isinstance(lag, bool) or not isinstance(lag, (int, np.integer)):
        raise ValueError(f"{name} must be an integer number of samples, got {lag!r}")
    if not abs(lag) <= n_times - 2:
        raise ValueError(
            f"{name}={lag} samples is too long for {n_times}-sample phases. It must be in "
            f"[{-(n_times - 2)}, {n_times - 2}] so that the shifted components still share 2 samples"
        )
    return int(lag)


def lagged_phasors(
    phases: jax.Array, weights: np.ndarray, output_index: int, lag: int
) -> tuple[jax.Array, jax.Array]:
    """Return the two phasor factors cropped to the samples where the output at t and inputs at t - lag exist."""
    z_in, z_out = split_phasors(phases, weights, output_index)
    start, stop = overlap_range(phases.shape[-1], lag)
    return z_in[:, start - lag : stop - lag], z_out[:, start:stop]


class SlidingMPLV(NamedTuple):
    """M-PLV of single trials averaged over sliding windows instead of over trials."""

    psi: jax.Array  # (trials, windows), values in [0, 1]
    window_starts: np.ndarray  # first output-time sample of each window
    window: int  # window length in samples
    step: int  # samples between window starts


def mplv_sliding(
    phases: np.ndarray | jax.Array,
    weights: WeightsLike,
    window: int,
    step: int,
    *,
    lag: int = 0,
    output_index: int = -1,
    unwrap: bool = False,
    max_denominator: int = DEFAULT_MAX_DENOMINATOR,
) -> SlidingMPLV:
    """Compute the single-trial M-PLV, averaging exp(i Σ w_l φ_l) over sliding time windows.

    `phases` has shape (trials, components, times) or (components, times) for one recording; each
    trial gets its own time course. `window` and `step` are in samples. With a nonzero `lag`, the
    output component at t is paired with the inputs at t - lag, using only the samples where both
    exist, and `window_starts` count output-time samples.
    """
    array = np.asarray(phases) if not isinstance(phases, jax.Array) else phases
    if array.ndim == 2:
        array = array[None]
    array = check_phases(array, min_trials=1)
    n_trials, n_components, n_times = array.shape
    scaled = resolve_weights(weights, n_components, unwrap=unwrap, max_denominator=max_denominator)
    lag = check_lag(lag, n_times)
    output_index = check_output_index(output_index, n_components) if lag else 0

    start, stop = overlap_range(n_times, lag)
    for name, value in (("window", window), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer number of samples, got {value!r}")
    if window > stop - start:
        raise ValueError(
            f"window must be in [1, {stop - start}] samples (the samples shared at lag {lag}), got {window}"
        )

    z_in, z_out = lagged_phasors(prepare_phases(array, unwrap), scaled, output_index, lag)
    psi = _sliding_psi(z_in * z_out, int(window), int(step))
    window_starts = start + np.arange(psi.shape[1]) * int(step)
    return SlidingMPLV(psi=psi, window_starts=window_starts, window=int(window), step=int(step))


def _sliding_psi_impl(phasor: jax.Array, window: int, step: int) -> jax.Array:
    def window_mean(values: jax.Array) -> jax.Array:
        sums = lax.reduce_window(values, 0.0, lax.add, (1, window), (1, step), "VALID")
        return sums / window

    return jnp.hypot(window_mean(phasor.real), window_mean(phasor.imag))


_sliding_psi = jax.jit(_sliding_psi_impl, static_argnames=("window", "step"))


def require_psi(psi: np.ndarray | jax.Array) -> np.ndarray:
    """Return a ψ time course as a 1-D float64 NumPy array, rejecting other shapes and NaN."""
    array = np.asarray(psi, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"psi must be a non-empty 1-D time course, got shape {array.shape}")
    require_finite("psi", array)
    return array
