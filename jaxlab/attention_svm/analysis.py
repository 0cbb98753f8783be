"""Summaries of training curves: seed statistics, first crossing of a threshold and fitted rates."""

from __future__ import annotations

import numpy as np


def seed_statistics(history: np.ndarray, spread: tuple[float, float] = (10.0, 90.0)) -> dict[str, np.ndarray]:
    """Return the mean, median and `spread` percentiles over seeds of a (seeds, iterations) array."""
    history = np.asarray(history, dtype=np.float64)
    if history.ndim != 2:
        raise ValueError(f"history must have shape (seeds, iterations), got {history.shape}")
    low, median, high = np.percentile(history, (spread[0], 50.0, spread[1]), axis=0)
    return {"mean": history.mean(axis=0), "median": median, "low": low, "high": high}


def iterations_to_reach(curve: np.ndarray, threshold: float) -> int | None:
    """Return the first iteration at which `curve` is >= `threshold`, or None if it never is."""
    reached = np.flatnonzero(np.asarray(curve) >= threshold)
    return int(reached[0]) if reached.size else None


def underflow_iteration(gradient_norms: np.ndarray) -> int | None:
    """Return the first iteration at which the seed median of the gradient norm is exactly 0, or None.

    `gradient_norms` is (seeds, iterations). From there on float32 training has stopped for most seeds.
    """
    median = np.median(np.asarray(gradient_norms), axis=0)
    stopped = np.flatnonzero(median == 0.0)
    return int(stopped[0]) if stopped.size else None


def _fit_window(values: np.ndarray, start: int, stop: int | None, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the iterations in [start, stop) with values above `floor`, and those values."""
    values = np.asarray(values, dtype=np.float64)
    stop = values.size if stop is None else min(stop, values.size)
    if not 1 <= start < stop:
        raise ValueError(f"need 1 <= start < stop <= {values.size}, got start={start}, stop={stop}")
    iterations = np.arange(start, stop)
    window = values[start:stop]
    usable = np.isfinite(window) & (window > floor)
    return iterations[usable], window[usable]


def fit_loglog_slope(values: np.ndarray, start: int, stop: int | None = None, floor: float = 1e-6) -> float | None:
    """Fit log(values[t]) = a + slope * log(t) over t in [start, stop); return the slope.

    A power law values ~ t^slope gives a straight line. Values at or below `floor` are dropped, because
    float32 metrics such as 1 - correlation bottom out there. Returns None with fewer than 10 points.
    """
    iterations, window = _fit_window(values, start, stop, floor)
    if iterations.size < 10:
        return None
    slope, _ = np.polyfit(np.log(iterations), np.log(window), 1)
    return float(slope)


def fit_semilog_rate(values: np.ndarray, start: int, stop: int | None = None, floor: float = 1e-30) -> float | None:
    """Fit log(values[t]) = a - rate * t over t in [start, stop); return the rate of exponential decay.

    Returns None with fewer than 10 points above `floor`.
    """
    iterations, window = _fit_window(values, start, stop, floor)
    if iterations.size < 10:
        return None
    slope, _ = np.polyfit(iterations, np.log(window), 1)
    return float(-slope)


def fit_stretched_exponent(
    values: np.ndarray, start: int, stop: int | None = None, floor: float = 1e-37
) -> float | None:
    """Fit values ~ exp(-c t^a) over t in [start, stop) and return a, the slope of log(-log values) against log t.

    Only values in (floor, 1) enter the fit, since -log must be positive. Returns None with fewer than 10 points.
    """
    iterations, window = _fit_window(values, start, stop, floor)
    below_one = window < 1.0
    iterations, window = iterations[below_one], window[below_one]
    if iterations.size < 10:
        return None
    slope, _ = np.polyfit(np.log(iterations), np.log(-np.log(window)), 1)
    return float(slope)
