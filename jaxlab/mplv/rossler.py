"""Coupled Rössler oscillators whose phases obey a multi-frequency relation, integrated with RK4 in JAX.

Oscillator n follows the Rössler equations on its own time scale s_n = 2π f_n:

    dx/dt = s_n (-y - z),   dy/dt = s_n (x + a y),   dz/dt = s_n (b + z (x - c)).

With the default a = 0.15, b = 0.2, c = 10 the attractor is phase-coherent: (x, y) turns around the
origin, so φ = atan2(y, x) is a good phase and every oscillator's mean frequency is the same multiple
(close to 1) of its f_n. The inputs run freely. The last oscillator (the output) is driven inside the
coupling window by the phase combination of the inputs, delayed by `delay`:

    dx_out/dt += ε s_out (r_out cos Θ(t - delay) - x_out),   Θ = Σ_l w_l φ_l,   r_out = |(x_out, y_out)|,

which pulls its phase towards Θ. Its time scale is s_out = Σ w_l s_l plus a detuning, so the mean
frequencies obey the relation too. Trials differ in their random initial conditions and, optionally,
in their frequencies. Every input time scale of a trial is scaled by its own factor (relative spread
`frequency_jitter`), and the output's detuning is drawn per trial (spread `detuning_std` Hz). Without the
detuning spread the output would keep its locked phase long after the window ends. Without the
frequency spread the phase sum of these nearly periodic oscillators would change only slowly with the
lag, and the lag would be poorly defined.

RK4 runs in `lax.scan` with `substeps` steps per output sample. The delayed drive is read from a ring
buffer of past values of exp(iΘ). The RK4 half-step stages use the normalized mean of the two
neighbouring buffer entries, which is second-order accurate. White Gaussian noise at `snr_db` (over
the full band) is added to the recorded x of every oscillator.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import scipy.signal
from jax import lax

from jaxlab.mplv.simulation import SimulatedCoupling, add_white_noise

ROSSLER_A, ROSSLER_B, ROSSLER_C = 0.15, 0.2, 10.0


def rossler_derivative(
    state: jax.Array, time_scales: jax.Array, a: float = ROSSLER_A, b: float = ROSSLER_B, c: float = ROSSLER_C
) -> jax.Array:
    """Return d(x, y, z)/dt of uncoupled Rössler oscillators.

    `state` has shape (..., oscillators, 3) and `time_scales` (rad/s) broadcasts against (..., oscillators).
    """
    x, y, z = state[..., 0], state[..., 1], state[..., 2]
    derivative = jnp.stack([-y - z, x + a * y, b + z * (x - c)], axis=-1)
    return time_scales[..., None] * derivative


def rk4_step(derivative, state: jax.Array, step: float, drives: tuple[jax.Array, jax.Array, jax.Array]) -> jax.Array:
    """Advance `state` by one classic Runge-Kutta step. `drives` are the inputs at t, t + h/2 and t + h."""
    start, middle, end = drives
    k1 = derivative(state, start)
    k2 = derivative(state + step / 2 * k1, middle)
    k3 = derivative(state + step / 2 * k2, middle)
    k4 = derivative(state + step * k3, end)
    return state + step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def phase_combination(state: jax.Array, weights: jax.Array) -> jax.Array:
    """Return exp(i Σ_l w_l atan2(y_l, x_l)) over the input oscillators (all but the last), shape (trials,)."""
    phases = jnp.arctan2(state[..., :-1, 1], state[..., :-1, 0])
    return jnp.exp(1j * jnp.sum(weights * phases, axis=-1))


def _coupled_derivative(state, drive, coupling, time_scales, a, b, c):
    derivative = rossler_derivative(state, time_scales, a, b, c)
    x_out, y_out = state[..., -1, 0], state[..., -1, 1]
    radius = jnp.hypot(x_out, y_out)
    pull = coupling * time_scales[..., -1] * (radius * drive.real - x_out)
    return derivative.at[..., -1, 0].add(pull)


@functools.partial(jax.jit, static_argnames=("n_samples", "substeps", "delay_steps", "transient_steps"))
def _integrate(
    initial_state: jax.Array,
    time_scales: jax.Array,
    weights: jax.Array,
    coupling_per_step: jax.Array,
    step: float,
    n_samples: int,
    substeps: int,
    delay_steps: int,
    transient_steps: int,
    a: float,
    b: float,
    c: float,
) -> jax.Array:
    """Integrate and return x of every oscillator at each recorded sample, shape (samples, trials, oscillators)."""
    derivative = functools.partial(_coupled_derivative, time_scales=time_scales, a=a, b=b, c=c)
    buffer_size = delay_steps + 1
    history = jnp.repeat(phase_combination(initial_state, weights)[None], buffer_size, axis=0)

    def one_step(carry, step_index):
        state, history = carry
        coupling_start = coupling_per_step[step_index]
        coupling_end = coupling_per_step[step_index + 1]
        coupling_middle = 0.5 * (coupling_start + coupling_end)
        if delay_steps == 0:
            # Without delay the drive follows the inputs inside every RK4 stage.
            def undelayed(state_, coupling):
                return derivative(state_, phase_combination(state_, weights), coupling)

            new_state = rk4_step(undelayed, state, step, (coupling_start, coupling_middle, coupling_end))
            return (new_state, history), None

        # history[m % buffer_size] is the drive of step m. At step n the buffer contains steps n - D ... n.
        delayed_start = history[(step_index + 1) % buffer_size]
        delayed_end = history[(step_index + 2) % buffer_size]
        delayed_middle = delayed_start + delayed_end
        delayed_middle = delayed_middle / jnp.maximum(jnp.abs(delayed_middle), 1e-12)

        def delayed(state_, drive_and_coupling):
            drive, coupling = drive_and_coupling
            return derivative(state_, drive, coupling)

        drives = ((delayed_start, coupling_start), (delayed_middle, coupling_middle), (delayed_end, coupling_end))
        new_state = rk4_step(delayed, state, step, drives)
        # Step n + 1's drive replaces step n - D's, which no later step reads.
        history = history.at[(step_index + 1) % buffer_size].set(phase_combination(new_state, weights))
        return (new_state, history), None

    def one_sample(carry, sample_index):
        first = transient_steps + sample_index * substeps
        carry, _ = lax.scan(one_step, carry, first + jnp.arange(substeps))
        return carry, carry[0][..., 0]

    carry = (initial_state, history)
    if transient_steps:
        carry, _ = lax.scan(one_step, carry, jnp.arange(transient_steps))
    _, recorded = lax.scan(one_sample, carry, jnp.arange(n_samples))
    return recorded


def simulate_rossler(
    seed: int,
    *,
    n_trials: int,
    duration: float,
    sfreq: float,
    frequencies: Sequence[float],
    weights: Sequence[int],
    coupling: float,
    coupling_window: tuple[float, float],
    delay: float = 0.0,
    detuning: float = 0.0,
    frequency_jitter: float = 0.0,
    detuning_std: float = 0.0,
    substeps: int = 8,
    transient: float = 1.0,
    snr_db: float = 10.0,
    band_half_width: float = 1.5,
    a: float = ROSSLER_A,
    b: float = ROSSLER_B,
    c: float = ROSSLER_C,
) -> SimulatedCoupling:
    """Simulate input Rössler oscillators at `frequencies` (Hz) and an output driven by Σ w_l φ_l.

    `weights` must be integers, because the drive is built from wrapped phases. `coupling` is ε,
    `coupling_window` = (start, stop) and `delay` are in seconds from the start of the recording,
    which begins after `transient` seconds without coupling. The output's time scale is
    2π (Σ w_l f_l + detuning) per trial, with the per-trial spreads described in the module docstring.
    RK4 takes `substeps` steps per sample at `sfreq`, and the delay is
    rounded to whole steps.
    The returned frequencies are the measured mean frequencies of the clean x signals (median over
    trials), and the bands are those ± `band_half_width` Hz.
    """
    # Limitation: the drive uses wrapped atan2 phases, so only integer weights are simulated here.
    # Rational relations are covered by `simulate_coupled_gaussian`.
    if any(Fraction(w).denominator != 1 for w in weights):
        raise ValueError(f"weights must be integers for the Rössler drive, got {list(weights)!r}")
    weights = [int(w) for w in weights]
    if len(weights) != len(frequencies) or not weights:
        raise ValueError(f"frequencies and weights need one entry per input, got {len(frequencies)} and {len(weights)}")
    output_frequency = float(np.dot(weights, frequencies)) + detuning
    if output_frequency <= 0:
        raise ValueError(f"the output frequency Σ w_l f_l + detuning must be > 0 Hz, got {output_frequency:g}")
    if not 0 <= coupling_window[0] < coupling_window[1] <= duration:
        raise ValueError(
            f"coupling_window must satisfy 0 <= start < stop <= duration={duration}, got {coupling_window}"
        )
    if delay < 0 or substeps < 1 or transient < 0 or duration <= 0:
        raise ValueError(
            f"delay and transient must be >= 0 s, duration > 0 s and substeps >= 1, got delay={delay}, "
            f"transient={transient}, duration={duration}, substeps={substeps}"
        )
    if not 0 <= frequency_jitter < 0.5 or detuning_std < 0:
        raise ValueError(
            f"frequency_jitter must be in [0, 0.5) and detuning_std >= 0, got {frequency_jitter} and {detuning_std}"
        )

    step = 1.0 / (sfreq * substeps)
    n_samples = int(round(duration * sfreq))
    delay_steps = int(round(delay / step))
    transient_steps = int(round(transient / step))

    # Coupling strength at every step boundary, recording time 0 at the end of the transient.
    step_times = (np.arange(transient_steps + n_samples * substeps + 1) - transient_steps) * step
    inside = (step_times >= coupling_window[0]) & (step_times < coupling_window[1])
    coupling_per_step = jnp.asarray(np.where(inside, coupling, 0.0), jnp.float32)

    initial_key, noise_key, jitter_key = jax.random.split(jax.random.key(seed), 3)
    initial_state = _random_initial_state(initial_key, n_trials, len(frequencies) + 1)
    time_scales = _trial_time_scales(
        jitter_key, n_trials, frequencies, weights, detuning, frequency_jitter, detuning_std
    )
    recorded = _integrate(
        initial_state, time_scales, jnp.asarray(weights, jnp.float32), coupling_per_step, step,
        n_samples=n_samples, substeps=substeps, delay_steps=delay_steps, transient_steps=transient_steps,
        a=a, b=b, c=c,
    )
    clean = jnp.transpose(recorded, (1, 2, 0))
    if not bool(jnp.isfinite(clean).all()):
        raise FloatingPointError("the Rössler integration diverged; use more substeps or a weaker coupling")

    mean_frequencies = _mean_frequencies(np.asarray(clean), sfreq)
    signals = add_white_noise(noise_key, clean, snr_db)
    return SimulatedCoupling(
        signals=np.asarray(signals, dtype=np.float32),
        sfreq=float(sfreq),
        weights=(*(Fraction(w) for w in weights), Fraction(-1)),
        frequencies=mean_frequencies,
        bands=[(float(f - band_half_width), float(f + band_half_width)) for f in mean_frequencies],
        lag=int(round(delay * sfreq)),
        window=(int(round(coupling_window[0] * sfreq)), int(round(coupling_window[1] * sfreq))),
    )


def _trial_time_scales(
    key: jax.Array,
    n_trials: int,
    frequencies: Sequence[float],
    weights: Sequence[int],
    detuning: float,
    frequency_jitter: float,
    detuning_std: float,
) -> jax.Array:
    """Return each trial's time scales 2π f in rad/s, shape (trials, oscillators), with the output's last."""
    scale_key, detuning_key = jax.random.split(key)
    factors = 1.0 + frequency_jitter * jax.random.normal(scale_key, (n_trials, 1))
    inputs = factors * jnp.asarray(frequencies, jnp.float32)[None, :]
    detunings = detuning + detuning_std * jax.random.normal(detuning_key, (n_trials, 1))
    output = inputs @ jnp.asarray(weights, jnp.float32)[:, None] + detunings
    if not bool((output > 0).all()):
        raise ValueError("a trial's output frequency Σ w_l f_l + detuning came out <= 0 Hz; reduce the spreads")
    return 2 * jnp.pi * jnp.concatenate([inputs, output], axis=1)


def _random_initial_state(key: jax.Array, n_trials: int, n_oscillators: int) -> jax.Array:
    """Start each oscillator near the attractor at a random angle, so that trial phases are independent."""
    angle_key, radius_key = jax.random.split(key)
    angles = jax.random.uniform(angle_key, (n_trials, n_oscillators), minval=-jnp.pi, maxval=jnp.pi)
    radii = jax.random.uniform(radius_key, (n_trials, n_oscillators), minval=4.0, maxval=8.0)
    z = jnp.full((n_trials, n_oscillators), 0.05)
    return jnp.stack([radii * jnp.cos(angles), radii * jnp.sin(angles), z], axis=-1)


def _mean_frequencies(clean: np.ndarray, sfreq: float) -> np.ndarray:
    """Return each oscillator's mean frequency in Hz, from the slope of its unwrapped analytic phase.

    The analytic phase of x advances by 2π per turn of the attractor, so the slope counts turns per
    second, more finely than a spectral peak with its 1 / duration resolution. The median over trials
    is returned because in a few trials the strongly driven output's x turns irregularly and its
    count comes out far off.
    """
    centred = clean - clean.mean(axis=-1, keepdims=True)
    phases = np.unwrap(np.angle(scipy.signal.hilbert(centred, axis=-1)), axis=-1)
    turns = (phases[..., -1] - phases[..., 0]) / (2 * np.pi)
    return np.median(turns, axis=0) * sfreq / (clean.shape[-1] - 1)
