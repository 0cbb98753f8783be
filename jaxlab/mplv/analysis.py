"""One call from recordings to a tested coupling: phases, lag scan, surrogate test and summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import jax
import numpy as np

from jaxlab.mplv.core import WeightsLike
from jaxlab.mplv.filters import extract_phases
from jaxlab.mplv.inputs import as_signals
from jaxlab.mplv.lags import LagScan, lag_scan
from jaxlab.mplv.significance import SurrogateTest, surrogate_test
from jaxlab.mplv.summaries import CouplingSummary, summarize_psi
from jaxlab.mplv.weights import DEFAULT_MAX_DENOMINATOR


@dataclasses.dataclass(frozen=True)
class CouplingAnalysis:
    """Everything `analyze_coupling` computed, for plotting and reporting."""

    phases: jax.Array  # (trials, components, times)
    sfreq: float
    scan: LagScan | None  # None when no lag grid was given
    test: SurrogateTest  # at the best lag of the scan, or at lag 0
    summary: CouplingSummary  # of the per-sample ψ at that lag

    @property
    def lag(self) -> int:
        """The lag in samples at which the test and summary were computed."""
        return self.test.lag


def analyze_coupling(
    data: np.ndarray | jax.Array | object,
    bands: Sequence[Sequence[float]],
    weights: WeightsLike,
    *,
    sfreq: float | None = None,
    channels: Sequence[int | str] | None = None,
    transition_widths: Sequence[float | None] | None = None,
    lags: Sequence[int] | np.ndarray | None = None,
    lags_seconds: Sequence[float] | np.ndarray | None = None,
    output_index: int = -1,
    method: str = "time_shift",
    n_surrogates: int = 1000,
    percentile: float = 95.0,
    seed: int = 0,
    max_gap_seconds: float = 0.05,
    min_duration_seconds: float = 0.1,
    unwrap: bool = False,
    max_denominator: int = DEFAULT_MAX_DENOMINATOR,
    chunk_size: int = 128,
) -> CouplingAnalysis:
    """Extract phases, scan lags, test the best lag against surrogates and summarize ψ over time.

    `data` is a (trials, channels, times) NumPy or JAX array with `sfreq` in Hz, or an `mne.Epochs`.
    `bands` gives one (low, high) passband in Hz per component, `channels` the channel of each (see
    `extract_phases`), and `weights` one weight per component, e.g. (1, 1, 1, -1) for
    f1 + f2 + f3 = f4 with the output last. Without a lag grid, the coupling is tested at lag 0. The
    coupling window merges above-threshold runs separated by up to `max_gap_seconds` and ignores runs
    shorter than `min_duration_seconds`.

    NOTE: with a lag grid, the surrogate test runs at the lag that the scan picked as best, and the
    surrogates do not repeat that choice. For a weak coupling the p-value is therefore optimistic, by
    up to a factor of the number of lags. When that matters, test a lag chosen beforehand (a one-lag
    grid).
    """
    signals, sfreq, channel_names = as_signals(data, sfreq)
    if channel_names is not None:
        channels = _channels_for_epochs(channels, channel_names)
    phases = extract_phases(signals, bands, sfreq, channels=channels, transition_widths=transition_widths)
    if max_gap_seconds < 0 or min_duration_seconds < 0:
        raise ValueError(
            f"max_gap_seconds and min_duration_seconds must be >= 0, got {max_gap_seconds} and {min_duration_seconds}"
        )

    scan = None
    lag = 0
    if lags is not None or lags_seconds is not None:
        scan = lag_scan(
            phases, weights, lags=lags, lags_seconds=lags_seconds, sfreq=sfreq, output_index=output_index,
            unwrap=unwrap, max_denominator=max_denominator,
        )
        lag = scan.best_lag

    test = surrogate_test(
        phases, weights, lag=lag, method=method, n_surrogates=n_surrogates, percentile=percentile, seed=seed,
        output_index=output_index, unwrap=unwrap, max_denominator=max_denominator, chunk_size=chunk_size,
    )
    summary = summarize_psi(
        test.observed_psi,
        test.per_sample_threshold,
        sfreq=sfreq,
        first_sample=test.first_sample,
        max_gap=int(round(max_gap_seconds * sfreq)),
        min_length=max(1, int(round(min_duration_seconds * sfreq))),
    )
    return CouplingAnalysis(phases=phases, sfreq=sfreq, scan=scan, test=test, summary=summary)


def _channels_for_epochs(channels: Sequence[int | str] | None, channel_names: list[str]) -> Sequence[int | str] | None:
    """Keep channel names usable after `as_signals` has turned mne epochs into an array."""
    if channels is None:
        return None
    return [channel_names.index(c) if isinstance(c, str) and c in channel_names else c for c in channels]
