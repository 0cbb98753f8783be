"""Significance of the M-PLV from surrogate data, with separate per-sample and time-averaged thresholds.

Two surrogate methods destroy the coupling while keeping each signal's own structure:

* "time_shift": each trial's output component is shifted circularly in time by its own random
  amount. This keeps every trial's spectrum and breaks the timing between output and inputs.
* "trial_shuffle": the output component of trial k is paired with the inputs of another trial. The
  draw is a random derangement (no trial keeps its own output), so the remaining dependence is only
  what all trials share, such as stimulus-locked phase.

Each surrogate gives a ψ time course. Two null distributions come from them and must not be mixed:

* per sample: ψ(t) pooled over all times and surrogates, for "is ψ above chance at this sample";
* time-averaged: one mean ψ per surrogate, for "is the mean ψ above chance". The per-sample values
  are correlated in time, so this threshold is lower than the per-sample one but not by a fixed factor.

Surrogates run in chunks of `chunk_size`, with the random draws vmapped within a chunk, so memory
stays at a few (chunk_size, times) complex arrays for any number of surrogates. The per-sample
values go into a fixed histogram over [0, 1] with `n_bins` bins instead of being stored, and
thresholds read from it are exact to 1 / n_bins. Surrogate s draws from fold_in(key, s), so the
results do not depend on the chunk size.

Under the null of uniform, independent phases, K·ψ(t)² is close to exponential with mean 1, so the
per-sample threshold at percentile p is about sqrt(-ln(1 - p/100) / K). At 95% this is
sqrt(3.0 / K), the analytic threshold reported for comparison.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxlab.mplv.core import WeightsLike, check_lag, lagged_phasors, prepare_phases, resolve_weights
from jaxlab.mplv.inputs import check_output_index, check_phases
from jaxlab.mplv.weights import DEFAULT_MAX_DENOMINATOR

SURROGATE_METHODS = ("time_shift", "trial_shuffle")
MAX_SURROGATES = 100_000


def analytic_threshold(n_trials: int, percentile: float = 95.0) -> float:
    """Return the per-sample ψ threshold sqrt(-ln(1 - p/100) / K) for K trials of independent phases.

    At p = 95 this is sqrt(3.0 / K). It ignores the bias of small K and of non-uniform phases.
    """
    if not 0 < percentile < 100:
        raise ValueError(f"percentile must be in (0, 100), got {percentile!r}")
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials!r}")
    return math.sqrt(-math.log(1 - percentile / 100) / n_trials)


def histogram_percentile(counts: np.ndarray, percentile: float) -> float:
    """Return the value below which `percentile` % of the histogrammed samples over [0, 1] fall."""
    counts = np.asarray(counts, dtype=np.float64)
    cumulative = np.cumsum(counts)
    target = percentile / 100 * cumulative[-1]
    index = int(np.searchsorted(cumulative, target))
    below = cumulative[index - 1] if index > 0 else 0.0
    within = (target - below) / counts[index] if counts[index] > 0 else 0.0
    return (index + within) / counts.size


@dataclasses.dataclass(frozen=True)
class SurrogateTest:
    """Observed ψ at one lag, its surrogate null distributions and the thresholds read from them."""

    method: str
    n_surrogates: int
    lag: int
    percentile: float
    observed_psi: np.ndarray  # ψ(t) on the samples shared at this lag
    first_sample: int  # output-time sample of observed_psi[0]
    surrogate_means: np.ndarray  # (n_surrogates,) time-averaged ψ of each surrogate
    sample_counts: np.ndarray  # histogram of per-sample surrogate ψ over [0, 1]
    per_sample_threshold: float
    time_averaged_threshold: float
    analytic_threshold: float

    @property
    def observed_mean(self) -> float:
        """The time-averaged observed ψ."""
        return float(np.mean(self.observed_psi))

    @property
    def p_value(self) -> float:
        """One-sided p-value of the time-averaged ψ: (1 + surrogates at or above it) / (1 + n)."""
        exceed = int(np.sum(self.surrogate_means >= self.observed_mean))
        return (1 + exceed) / (1 + self.n_surrogates)

    @property
    def significant(self) -> bool:
        """Whether the time-averaged ψ exceeds the time-averaged threshold."""
        return self.observed_mean > self.time_averaged_threshold

    @property
    def z_score(self) -> float:
        """(observed mean ψ - surrogate mean) / surrogate standard deviation, for ranking."""
        spread = float(np.std(self.surrogate_means))
        return (self.observed_mean - float(np.mean(self.surrogate_means))) / max(spread, 1e-12)


def _derangement_sources(key: jax.Array, n_trials: int) -> jax.Array:
    """Return source[k] != k for every k: a random permutation conjugate of a cyclic rotation."""
    permutation_key, rotation_key = jax.random.split(key)
    order = jax.random.permutation(permutation_key, n_trials)
    rotation = jax.random.randint(rotation_key, (), 1, n_trials)
    position = jnp.argsort(order)
    return order[(position + rotation) % n_trials]


@functools.partial(jax.jit, static_argnames=("method", "chunk_size", "n_chunks", "min_shift", "n_bins"))
def _surrogate_kernel(
    z_in: jax.Array,
    z_out: jax.Array,
    key: jax.Array,
    n_surrogates: jax.Array,
    *,
    method: str,
    chunk_size: int,
    n_chunks: int,
    min_shift: int,
    n_bins: int,
) -> tuple[jax.Array, jax.Array]:
    n_trials, n_times = z_in.shape
    z_out_twice = jnp.concatenate([z_out, z_out], axis=1)

    def draw(index: jax.Array) -> jax.Array:
        """Per trial: the circular shift (time_shift) or the trial whose output it gets (trial_shuffle)."""
        surrogate_key = jax.random.fold_in(key, index)
        if method == "time_shift":
            return jax.random.randint(surrogate_key, (n_trials,), min_shift, n_times - min_shift + 1)
        return _derangement_sources(surrogate_key, n_trials)

    def shifted_rows(trial: jax.Array, draws: jax.Array) -> jax.Array:
        """Output rows of `trial` for every surrogate of the chunk, shape (chunk, times)."""
        if method == "time_shift":
            # Row t of a circular shift by s is z_out[(t - s) mod T] = z_out_twice[T - s + t].
            row = z_out_twice[trial]
            return jax.vmap(lambda shift: lax.dynamic_slice_in_dim(row, n_times - shift, n_times))(draws)
        return z_out[draws]

    def run_chunk(counts: jax.Array, chunk: jax.Array) -> tuple[jax.Array, jax.Array]:
        indices = chunk * chunk_size + jnp.arange(chunk_size)
        draws = jax.vmap(draw)(indices)  # (chunk, trials)

        # Loop over trials so each input row is reused for the whole chunk while it is in cache.
        def add_trial(trial: jax.Array, total: jax.Array) -> jax.Array:
            return total + z_in[trial][None, :] * shifted_rows(trial, draws[:, trial])

        total = lax.fori_loop(0, n_trials, add_trial, jnp.zeros((chunk_size, n_times), jnp.complex64))
        psi = jnp.abs(total) / n_trials

        in_range = (indices < n_surrogates).astype(jnp.int32)
        bins = jnp.clip((psi * n_bins).astype(jnp.int32), 0, n_bins - 1)
        counts = counts.at[bins].add(jnp.broadcast_to(in_range[:, None], bins.shape))
        return counts, jnp.mean(psi, axis=1)

    counts, means = lax.scan(run_chunk, jnp.zeros(n_bins, jnp.int32), jnp.arange(n_chunks))
    return counts, means.reshape(-1)


def _check_surrogate_arguments(method: str, n_surrogates: int, percentile: float, chunk_size: int) -> None:
    if method not in SURROGATE_METHODS:
        raise ValueError(f"method must be one of {SURROGATE_METHODS}, got {method!r}")
    if isinstance(n_surrogates, bool) or not isinstance(n_surrogates, (int, np.integer)):
        raise ValueError(f"n_surrogates must be an integer, got {n_surrogates!r}")
    if not 1 <= n_surrogates <= MAX_SURROGATES:
        raise ValueError(f"n_surrogates must be in [1, {MAX_SURROGATES}], got {n_surrogates}")
    if not 0 < percentile < 100:
        raise ValueError(f"percentile must be in (0, 100), got {percentile!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")


def surrogate_test(
    phases: np.ndarray | jax.Array,
    weights: WeightsLike,
    *,
    lag: int = 0,
    method: str = "time_shift",
    n_surrogates: int = 1000,
    percentile: float = 95.0,
    seed: int | jax.Array = 0,
    chunk_size: int = 128,
    min_shift: int | None = None,
    output_index: int = -1,
    unwrap: bool = False,
    max_denominator: int = DEFAULT_MAX_DENOMINATOR,
    n_bins: int = 4096,
) -> SurrogateTest:
    """Test the M-PLV at one lag against surrogates and return both thresholds and the p-value.

    `phases` (trials, components, times), `weights`, `lag` and `output_index` are as in `lag_scan`;
    the test uses only the samples shared at `lag`. `seed` is an int or a JAX key. For "time_shift",
    the shifts are drawn uniformly from [min_shift, n - min_shift] samples, where n is the number of
    shared samples and min_shift defaults to n // 10. Shorter shifts would leave part of the coupling
    in place.
    """
    _check_surrogate_arguments(method, n_surrogates, percentile, chunk_size)
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 16:
        raise ValueError(f"n_bins must be an integer >= 16, got {n_bins!r}")
    phases = check_phases(phases)
    n_trials, n_components, n_times = phases.shape
    output_index = check_output_index(output_index, n_components)
    scaled = resolve_weights(weights, n_components, unwrap=unwrap, max_denominator=max_denominator)
    lag = check_lag(lag, n_times)
    n_shared = n_times - abs(lag)
    if min_shift is None:
        min_shift = max(1, n_shared // 10)
    if method == "time_shift" and not 1 <= min_shift <= n_shared // 2:
        raise ValueError(
            f"min_shift must be in [1, {n_shared // 2}] samples for {n_shared} shared samples, got {min_shift}"
        )

    z_in, z_out = lagged_phasors(prepare_phases(phases, unwrap), scaled, output_index, lag)
    key = jax.random.key(seed) if isinstance(seed, (int, np.integer)) else seed
    chunk_size = int(min(chunk_size, n_surrogates))
    counts, means = _surrogate_kernel(
        z_in, z_out, key, jnp.int32(n_surrogates),
        method=method, chunk_size=chunk_size, n_chunks=-(-n_surrogates // chunk_size),
        min_shift=int(min_shift), n_bins=int(n_bins),
    )

    # Limitation: the per-sample threshold pools all times, which assumes the null distribution is the
    # same at every sample. Near the trial edges, where the filter padding shapes the phases, it may not be.
    surrogate_means = np.asarray(means, dtype=np.float64)[:n_surrogates]
    counts = np.asarray(counts)
    observed = np.abs(np.asarray(jnp.mean(z_in * z_out, axis=0))).astype(np.float64)
    return SurrogateTest(
        method=method,
        n_surrogates=int(n_surrogates),
        lag=lag,
        percentile=float(percentile),
        observed_psi=observed,
        first_sample=max(0, lag),
        surrogate_means=surrogate_means,
        sample_counts=counts,
        per_sample_threshold=histogram_percentile(counts, percentile),
        time_averaged_threshold=float(np.percentile(surrogate_means, percentile)),
        analytic_threshold=analytic_threshold(n_trials, percentile),
    )
