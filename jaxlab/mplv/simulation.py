"""Coupled white-Gaussian signals: band-limited noise whose phases obey a known multi-frequency relation.

Each input component l is Gaussian noise band-limited to frequencies[l] ± bandwidth / 2, generated as
an analytic signal a_l(t) exp(i Φ_l(t)) from a one-sided random spectrum, with Φ_l unwrapped. The output
component has an independent envelope a_out(t) around Σ w_l f_l. Inside the coupling window its phase is

    Θ(t) = Σ_l w_l Φ_l(t - lag) + θ0,

with θ0 the same in every trial. Outside the window its phase is that of independent band-limited
noise. White Gaussian noise is then added to every channel at `snr_db`, measured over the full band
from 0 Hz to Nyquist, so the in-band SNR is higher by about 10·log10(Nyquist / bandwidth) dB. The
signals have one channel per component, inputs first and the output last.

Because Φ_l are unwrapped, non-integer weights such as 2/3 and 1/3 give a smooth output signal. Each
unwrapped Φ_l also gets a random multiple 2π·m of its own per trial, with m uniform in 0 … D - 1 for
the common denominator D of the weights. A non-integer relation fixes the 2π branch of each phase
only by convention. Without this draw every trial would use the branch in which its unwrapping
starts, and relations other than the simulated one, such as φ1 - φ3 = (Φ1 - Φ2) / 3 - θ0 for
2/3·f1 + 1/3·f2, would come out partly locked across trials.

NOTE: even with the random branches, such a related relation changes only slowly across trials,
at a third of the rate of the phases. In 12 simulations of the 2/3·f1 + 1/3·f2 case (100 trials,
4 s), φ1 - φ3 passed the 5% time-shift surrogate test in 3, so treat significant relations that
share a denominator with a true one with care. Only the simulated relation is locked inside the
window by construction.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

from jaxlab.mplv.weights import as_fraction


@dataclasses.dataclass(frozen=True)
class SimulatedCoupling:
    """Simulated recordings with the ground truth of their coupling."""

    signals: np.ndarray  # (trials, components, times), inputs first and the output last
    sfreq: float
    weights: tuple[Fraction, ...]  # one per component; the output's weight is -1
    frequencies: np.ndarray  # centre (or measured mean) frequency of each component in Hz
    bands: list[tuple[float, float]]  # passbands that contain each component, for phase extraction
    lag: int  # samples by which the output follows the inputs
    window: tuple[int, int]  # true coupling window [start, stop) in output-time samples

    @property
    def window_seconds(self) -> tuple[float, float]:
        return self.window[0] / self.sfreq, self.window[1] / self.sfreq


def add_white_noise(key: jax.Array, signals: jax.Array, snr_db: float) -> jax.Array:
    """Add white Gaussian noise to each channel so that signal power / noise power = 10^(snr_db / 10)."""
    power = jnp.mean(signals**2, axis=(0, 2), keepdims=True)
    noise_std = jnp.sqrt(power / 10 ** (snr_db / 10))
    return signals + noise_std * jax.random.normal(key, signals.shape)


def band_limited_analytic_noise(
    key: jax.Array, shape: tuple[int, ...], sfreq: float, centre: float, bandwidth: float
) -> jax.Array:
    """Return complex analytic Gaussian noise with flat spectrum on centre ± bandwidth / 2 Hz and RMS 1.

    `shape` ends with the number of samples. The noise is periodic in that length, so callers crop
    it when they need a lagged copy.
    """
    n_times = shape[-1]
    frequencies = np.fft.fftfreq(n_times, 1 / sfreq)
    in_band = (frequencies >= centre - bandwidth / 2) & (frequencies <= centre + bandwidth / 2)
    if not in_band.any():
        raise ValueError(
            f"band {centre:g} ± {bandwidth / 2:g} Hz contains no FFT bin for {n_times} samples at {sfreq:g} Hz"
        )

    real_key, imag_key = jax.random.split(key)
    spectrum = jax.random.normal(real_key, shape) + 1j * jax.random.normal(imag_key, shape)
    noise = jnp.fft.ifft(spectrum * in_band)
    return noise / jnp.sqrt(jnp.mean(jnp.abs(noise) ** 2, axis=-1, keepdims=True))


def _check_simulation_arguments(
    n_trials: int, n_times: int, sfreq: float, frequencies, bandwidth, weights, lag, window, output_frequency
) -> None:
    if n_trials < 1 or n_times < 2:
        raise ValueError(f"n_trials must be >= 1 and n_times >= 2, got {n_trials} and {n_times}")
    if len(frequencies) != len(weights) or len(weights) == 0:
        raise ValueError(f"frequencies and weights need one entry per input, got {len(frequencies)} and {len(weights)}")
    nyquist = sfreq / 2
    for frequency in [*frequencies, output_frequency]:
        if not bandwidth / 2 < frequency < nyquist - bandwidth / 2:
            raise ValueError(
                f"every component band (centre ± bandwidth/2 = {frequency:g} ± {bandwidth / 2:g} Hz) must lie "
                f"inside (0, {nyquist:g}) Hz; the output centre is Σ w_l f_l = {output_frequency:g} Hz"
            )
    if not 0 <= lag < n_times:
        raise ValueError(f"lag must be in [0, {n_times - 1}] samples, got {lag}")
    if not 0 <= window[0] < window[1] <= n_times:
        raise ValueError(f"window must satisfy 0 <= start < stop <= {n_times} samples, got {tuple(window)}")


def simulate_coupled_gaussian(
    seed: int,
    *,
    n_trials: int,
    n_times: int,
    sfreq: float,
    frequencies: Sequence[float],
    weights: Sequence[float | int | Fraction | str],
    bandwidth: float,
    lag: int,
    window: tuple[int, int],
    snr_db: float,
) -> SimulatedCoupling:
    """Simulate band-limited Gaussian inputs and an output phase-locked to Σ w_l Φ_l inside `window`.

    `frequencies` and `weights` describe the inputs (Hz and rational weights). `bandwidth` is each
    input's noise bandwidth in Hz. The output's bandwidth is Σ |w_l| · bandwidth, because the phase
    sum adds the spread of every term. `lag` (samples, >= 0) is how far the output follows the inputs,
    and `window` = (start, stop) is in output-time samples. The suggested extraction bands are
    centre ± bandwidth / 2 for each component.
    """
    input_weights = [as_fraction(weight) for weight in weights]
    if any(weight is None for weight in input_weights):
        raise ValueError(f"weights must be rational numbers such as 2/3, got {list(weights)!r}")
    output_frequency = float(sum(float(w) * f for w, f in zip(input_weights, frequencies)))
    output_bandwidth = float(sum(abs(float(w)) for w in input_weights) * bandwidth)
    _check_simulation_arguments(
        n_trials, n_times, sfreq, frequencies, bandwidth, input_weights, lag, window, output_frequency
    )
    if output_frequency - output_bandwidth / 2 <= 0:
        raise ValueError(f"the output band {output_frequency:g} ± {output_bandwidth / 2:g} Hz must stay above 0 Hz")

    input_key, output_key, offset_key, noise_key, branch_key = jax.random.split(jax.random.key(seed), 5)
    input_keys = jax.random.split(input_key, len(frequencies))

    # Inputs run `lag` samples ahead: extended sample e is input time e - lag.
    n_extended = n_times + lag
    inputs = jnp.stack(
        [
            band_limited_analytic_noise(key, (n_trials, n_extended), sfreq, frequency, bandwidth)
            for key, frequency in zip(input_keys, frequencies)
        ],
        axis=1,
    )
    input_phases = jnp.unwrap(jnp.angle(inputs), axis=-1)
    denominator = math.lcm(*(weight.denominator for weight in input_weights))
    branches = jax.random.randint(branch_key, (n_trials, len(frequencies), 1), 0, denominator)
    input_phases = input_phases + 2 * jnp.pi * branches
    weight_vector = jnp.asarray([float(w) for w in input_weights], jnp.float32)
    coupled_phase = jnp.einsum("klt,l->kt", input_phases[:, :, :n_times], weight_vector)
    coupled_phase = coupled_phase + jax.random.uniform(offset_key, (), minval=-jnp.pi, maxval=jnp.pi)

    output = band_limited_analytic_noise(output_key, (n_trials, n_times), sfreq, output_frequency, output_bandwidth)
    inside = (jnp.arange(n_times) >= window[0]) & (jnp.arange(n_times) < window[1])
    output_phase = jnp.where(inside, coupled_phase, jnp.angle(output))
    output_signal = jnp.abs(output) * jnp.cos(output_phase)

    # Limitation: every component gets its own channel. Recordings that mix several rhythms in one
    # channel, where each band-pass also passes leakage from its neighbours, are not simulated.
    clean = jnp.concatenate([inputs[:, :, lag:].real, output_signal[:, None, :]], axis=1)
    signals = add_white_noise(noise_key, clean, snr_db)

    centres = np.array([*frequencies, output_frequency], dtype=np.float64)
    widths = np.array([bandwidth] * len(frequencies) + [output_bandwidth])
    return SimulatedCoupling(
        signals=np.asarray(signals, dtype=np.float32),
        sfreq=float(sfreq),
        weights=(*input_weights, Fraction(-1)),
        frequencies=centres,
        bands=[(float(c - w / 2), float(c + w / 2)) for c, w in zip(centres, widths)],
        lag=int(lag),
        window=(int(window[0]), int(window[1])),
    )
