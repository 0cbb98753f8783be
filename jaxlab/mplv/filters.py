"""Phase extraction: zero-phase FIR band-pass filtering followed by the analytic signal.

The filter is a Hamming-windowed sinc, designed as EEGLAB's `pop_eegfiltnew` (firfilt plugin 1.6.2)
designs a band-pass:

* The band edges (low, high) are the passband edges. The -6 dB cutoffs of the single filter sit half a
  transition width outside them, at low - df/2 and high + df/2.
* The default transition width is df = min(max(0.25 * low, 2 Hz), low, Nyquist - high).
* The order is 3.3 * sfreq / df rounded up to an even number, because a Hamming window's transition
  width is about 3.3 / order in units of the sampling rate. The filter has order + 1 taps.
* A single pass has about 0.02 dB passband ripple and 53 dB stop-band attenuation.

EEGLAB applies this filter once and removes its delay. Here it runs forwards and then backwards (as
`scipy.signal.filtfilt` does), so the phase delay cancels exactly and the magnitude response is
squared: the attenuation doubles to about 106 dB and the cutoffs fall to -12 dB. The edges are padded
by odd reflection of `ntaps - 1` samples, as `filtfilt` pads them.

The analytic signal comes from the FFT (as `scipy.signal.hilbert` computes it), and the phase is its
angle in [-π, π], computed by `jaxlab.mplv.trig.phase_angle` because XLA's atan2 is slow on CPU.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import scipy.fft

from jaxlab.mplv.inputs import as_signals, resolve_channels
from jaxlab.mplv.trig import phase_angle

# Hamming window: transition width ≈ 3.3 / order in units of the sampling rate.
HAMMING_TRANSITION_FACTOR = 3.3


def default_transition_width(band: tuple[float, float], sfreq: float) -> float:
    """Return EEGLAB's default transition width in Hz for a band-pass with passband `band`."""
    low, high = band
    return min(max(0.25 * low, 2.0), low, sfreq / 2 - high)


def check_band(band: Sequence[float], sfreq: float, name: str = "band") -> tuple[float, float]:
    """Return `band` as (low, high) in Hz, or raise ValueError unless 0 < low < high < Nyquist."""
    try:
        low, high = (float(edge) for edge in band)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) in Hz, got {band!r}") from None
    nyquist = sfreq / 2
    if not (np.isfinite(low) and np.isfinite(high) and 0 < low < high < nyquist):
        raise ValueError(
            f"{name}=({low:g}, {high:g}) Hz must satisfy 0 < low < high < Nyquist ({nyquist:g} Hz)"
        )
    return low, high


def filter_order(sfreq: float, transition_width: float) -> int:
    """Return the even Hamming-window filter order for a transition width in Hz."""
    return 2 * math.ceil(HAMMING_TRANSITION_FACTOR * sfreq / transition_width / 2)


def design_bandpass(
    band: tuple[float, float], sfreq: float, transition_width: float | None = None
) -> np.ndarray:
    """Return the taps of a Hamming-windowed sinc band-pass filter for passband `band` in Hz.

    See the module docstring for the cutoffs, the default transition width and the order. The taps
    equal `scipy.signal.firwin(ntaps, [low - df/2, high + df/2], pass_zero=False, window="hamming",
    scale=False, fs=sfreq)`.
    """
    low, high = check_band(band, sfreq)
    if transition_width is None:
        transition_width = default_transition_width((low, high), sfreq)
    widest = min(2 * low, sfreq - 2 * high)
    if not 0 < transition_width < widest:
        raise ValueError(
            f"transition_width must be in (0, {widest:g}) Hz for band ({low:g}, {high:g}) "
            f"so that both cutoffs stay inside (0, Nyquist), got {transition_width!r}"
        )

    order = filter_order(sfreq, transition_width)
    cutoff_low = (low - transition_width / 2) / sfreq
    cutoff_high = (high + transition_width / 2) / sfreq
    n = np.arange(order + 1) - order / 2

    # A band-pass is the difference of two low-passes, and a low-pass with cutoff fc is 2 fc sinc(2 fc n).
    ideal = 2 * cutoff_high * np.sinc(2 * cutoff_high * n) - 2 * cutoff_low * np.sinc(2 * cutoff_low * n)
    return ideal * np.hamming(order + 1)


@functools.partial(jax.jit, static_argnames=("padlen",))
def filtfilt_fir(x: jax.Array, taps: jax.Array, padlen: int) -> jax.Array:
    """Filter `x` along its last axis forwards and backwards with FIR `taps` (zero phase).

    Matches `scipy.signal.filtfilt(taps, [1.0], x, padlen=padlen)` with its default odd padding.
    `taps` may carry leading axes that broadcast against those of `x` (one filter per channel).
    Requires taps - 1 <= padlen < x.shape[-1]. With that much padding the returned samples do not
    depend on the initial filter state, so both passes reduce to one multiplication by |H(f)|² in
    the frequency domain.
    """
    n_taps, n_times = taps.shape[-1], x.shape[-1]
    if not n_taps - 1 <= padlen < n_times:
        raise ValueError(
            f"padlen must be in [{n_taps - 1}, {n_times - 1}] for {n_taps} taps and {n_times} samples, got {padlen}"
        )
    left = 2 * x[..., :1] - x[..., padlen:0:-1]
    right = 2 * x[..., -1:] - x[..., -2 : -padlen - 2 : -1]
    extended = jnp.concatenate([left, x, right], axis=-1)

    # Kept sample j depends on extended samples j - (taps - 1) ... j + (taps - 1), which all lie inside
    # the array, so a transform as long as the extended signal wraps nothing into the kept part.
    n_fft = scipy.fft.next_fast_len(extended.shape[-1], real=True)
    power_response = jnp.abs(jnp.fft.rfft(taps, n_fft)) ** 2
    filtered = jnp.fft.irfft(jnp.fft.rfft(extended, n_fft) * power_response, n_fft)
    return filtered[..., padlen : padlen + n_times]


@jax.jit
def analytic_signal(x: jax.Array) -> jax.Array:
    """Return the analytic signal of real `x` along its last axis (FFT method, like scipy.signal.hilbert)."""
    n_times = x.shape[-1]
    n_positive = n_times // 2 + 1
    gain = np.full(n_positive, 2.0, np.float32)
    gain[0] = 1.0
    if n_times % 2 == 0:
        gain[-1] = 1.0
    one_sided = jnp.fft.rfft(x) * gain
    padding = [(0, 0)] * (x.ndim - 1) + [(0, n_times - n_positive)]
    return jnp.fft.ifft(jnp.pad(one_sided, padding)).astype(jnp.complex64)


@functools.partial(jax.jit, static_argnames=("padlen",))
def _bandpass_phase(x: jax.Array, taps: jax.Array, padlen: int) -> jax.Array:
    return phase_angle(analytic_signal(filtfilt_fir(x, taps, padlen)))


def bandpass_taps(
    band: Sequence[float], sfreq: float, n_times: int, transition_width: float | None = None, name: str = "band"
) -> np.ndarray:
    """Design the filter for `band` and check that it fits a signal of `n_times` samples.

    A band whose low edge is close to 0 Hz, or whose high edge is close to Nyquist, needs a narrow
    transition and so a long filter. The filter must be shorter than the signal, because the edge
    padding reflects ntaps - 1 samples of it.
    """
    band = check_band(band, sfreq, name)
    taps = design_bandpass(band, sfreq, transition_width)
    if taps.size > n_times:
        width = transition_width or default_transition_width(band, sfreq)
        raise ValueError(
            f"{name}=({band[0]:g}, {band[1]:g}) Hz is too narrow for the signal length. Its filter "
            f"(transition width {width:g} Hz) has {taps.size} taps but the signal has {n_times} samples. "
            "Use a longer signal, a wider transition_width, or a band further from 0 Hz and Nyquist"
        )
    return taps


def extract_phases(
    signals: np.ndarray | jax.Array,
    bands: Sequence[Sequence[float]],
    sfreq: float | None = None,
    channels: Sequence[int | str] | None = None,
    transition_widths: Sequence[float | None] | None = None,
) -> jax.Array:
    """Band-pass each component's channel and return the instantaneous phases.

    `signals` is a (trials, channels, times) array with `sfreq` in Hz, or an `mne.Epochs`.
    `bands[l]` = (low, high) is the passband of component l in Hz, and `channels[l]` is its channel
    (index, or name for mne input). By default a one-channel recording feeds every band and a
    recording with one channel per band feeds them in order. Returns float32 phases in [-π, π] with
    shape (trials, components, times).
    """
    signals, sfreq, channel_names = as_signals(signals, sfreq)
    if len(bands) == 0:
        raise ValueError("bands is empty; pass at least one (low, high) band in Hz")
    channel_indices = resolve_channels(channels, len(bands), signals.shape[1], channel_names)
    if transition_widths is None:
        transition_widths = [None] * len(bands)
    if len(transition_widths) != len(bands):
        raise ValueError(f"transition_widths has {len(transition_widths)} entries but bands has {len(bands)}")

    n_times = signals.shape[-1]
    taps = [
        bandpass_taps(band, sfreq, n_times, width, name=f"bands[{index}]")
        for index, (band, width) in enumerate(zip(bands, transition_widths))
    ]

    # Components whose filters have the same length go through one call, one filter per channel.
    phases = [None] * len(bands)
    for n_taps in sorted({t.size for t in taps}):
        group = [index for index, t in enumerate(taps) if t.size == n_taps]
        channel_signals = signals[:, [channel_indices[index] for index in group], :]
        group_taps = jnp.asarray(np.stack([taps[index] for index in group]), jnp.float32)
        group_phases = _bandpass_phase(channel_signals, group_taps, padlen=n_taps - 1)
        for position, index in enumerate(group):
            phases[index] = group_phases[:, position]
    return jnp.stack(phases, axis=1)
