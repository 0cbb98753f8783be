"""Summaries of a ψ time course against a per-sample threshold, and the detected coupling window."""

from __future__ import annotations

import dataclasses

import numpy as np

from jaxlab.mplv.core import require_psi


@dataclasses.dataclass(frozen=True)
class CouplingSummary:
    """Headline numbers of one ψ time course. Sample indices count output-time samples of the trial."""

    time_averaged_psi: float
    threshold: float  # the per-sample threshold used for the other fields
    fraction_above: float  # fraction of samples with ψ above the threshold
    area_above: float  # Σ max(ψ - threshold, 0) per sample, times 1/sfreq when sfreq is known
    window: tuple[int, int] | None  # detected coupling window [start, stop) in samples, or None
    sfreq: float | None = None

    @property
    def window_seconds(self) -> tuple[float, float] | None:
        if self.window is None or self.sfreq is None:
            return None
        return self.window[0] / self.sfreq, self.window[1] / self.sfreq


def above_threshold_runs(above: np.ndarray) -> list[tuple[int, int]]:
    """Return the [start, stop) index ranges of the runs of True in a boolean array."""
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), stops.tolist()))


def detect_window(above: np.ndarray, *, max_gap: int = 0, min_length: int = 1) -> tuple[int, int] | None:
    """Return the longest run of above-threshold samples as [start, stop), or None.

    Runs separated by at most `max_gap` samples below threshold are merged first, so that brief dips
    inside a coupled stretch do not split it. Merged runs shorter than `min_length` samples are
    ignored, because at a 95% threshold about 5% of uncoupled samples exceed it by chance.
    """
    if max_gap < 0 or min_length < 1:
        raise ValueError(f"max_gap must be >= 0 and min_length >= 1, got {max_gap} and {min_length}")
    merged: list[list[int]] = []
    for start, stop in above_threshold_runs(np.asarray(above, dtype=bool)):
        if merged and start - merged[-1][1] <= max_gap:
            merged[-1][1] = stop
        else:
            merged.append([start, stop])

    candidates = [(stop - start, -start, start, stop) for start, stop in merged if stop - start >= min_length]
    if not candidates:
        return None
    _, _, start, stop = max(candidates)
    return start, stop


def summarize_psi(
    psi: np.ndarray,
    threshold: float,
    *,
    sfreq: float | None = None,
    first_sample: int = 0,
    max_gap: int = 0,
    min_length: int = 1,
) -> CouplingSummary:
    """Summarize a ψ time course: mean, fraction and area above `threshold`, and the coupling window.

    `psi` is the per-sample ψ (use the per-sample threshold here, never the time-averaged one), and
    `first_sample` is the trial sample of psi[0] (nonzero for a lagged ψ). `max_gap` and
    `min_length` are in samples (see `detect_window`).
    """
    psi = require_psi(psi)
    above = psi > threshold
    excess = np.clip(psi - threshold, 0.0, None).sum()
    window = detect_window(above, max_gap=max_gap, min_length=min_length)
    if window is not None:
        window = (window[0] + first_sample, window[1] + first_sample)
    return CouplingSummary(
        time_averaged_psi=float(psi.mean()),
        threshold=float(threshold),
        fraction_above=float(above.mean()),
        area_above=float(excess / sfreq if sfreq else excess),
        window=window,
        sfreq=sfreq,
    )


def window_overlap(detected: tuple[int, int] | None, true: tuple[int, int]) -> float:
    """Return the intersection over union of two [start, stop) windows, or 0 when nothing was detected.

    An overlap of 0.9 means the detected window covers at least 90% of the true one and at most
    about 11% of it lies outside.
    """
    if detected is None:
        return 0.0
    intersection = max(0, min(detected[1], true[1]) - max(detected[0], true[0]))
    union = max(detected[1], true[1]) - min(detected[0], true[0])
    return intersection / union if union > 0 else 0.0
