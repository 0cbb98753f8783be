"""Figures of the M-PLV experiments: ψ over time, ψ over lag, and the ranked table of combinations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jaxlab.mplv.lags import LagScan
from jaxlab.mplv.search import RankedCombination
from jaxlab.mplv.significance import SurrogateTest
from jaxlab.mplv.summaries import CouplingSummary


def plot_psi_time_course(
    test: SurrogateTest,
    summary: CouplingSummary,
    sfreq: float,
    true_window: tuple[int, int] | None,
    title: str,
):
    """Plot ψ(t) at the tested lag with the per-sample thresholds, the true window and the detected window."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 3.2))
    times = (test.first_sample + np.arange(test.observed_psi.size)) / sfreq
    if true_window is not None:
        axes.axvspan(true_window[0] / sfreq, true_window[1] / sfreq, color="tab:green", alpha=0.15, label="true window")
    axes.plot(times, test.observed_psi, color="black", linewidth=0.8, label="ψ(t)")
    axes.axhline(test.per_sample_threshold, color="tab:red", linestyle="--",
                 label=f"surrogate {test.percentile:g}% ({test.per_sample_threshold:.3f})")
    axes.axhline(test.analytic_threshold, color="tab:blue", linestyle=":",
                 label=f"analytic √(-ln(1-p)/K) ({test.analytic_threshold:.3f})")
    if summary.window is not None:
        start, stop = summary.window[0] / sfreq, summary.window[1] / sfreq
        axes.hlines(1.02, start, stop, color="tab:orange", linewidth=4, label="detected window")
    axes.set(xlabel="time (s)", ylabel="ψ", ylim=(0, 1.06), title=f"{title}: lag {test.lag} samples")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7, ncol=4, frameon=False)
    return figure


def plot_lag_scan(scan: LagScan, true_lag: int | None, threshold: float | None, title: str):
    """Plot the time-averaged ψ against lag, with the true and detected lags marked."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.2))
    seconds = scan.lags_seconds is not None
    lags = scan.lags_seconds if seconds else scan.lags
    unit = scan.sfreq if seconds else 1.0
    axes.plot(lags, scan.mean_psi, color="black", linewidth=1.0, label="mean ψ over shared times")
    if true_lag is not None:
        axes.axvline(true_lag / unit, color="tab:green", linestyle="--", label=f"true lag ({true_lag} samples)")
    axes.axvline(
        scan.best_lag / unit, color="tab:orange", linestyle=":",
        label=f"detected lag, max of mean ψ² ({scan.best_lag} samples)",
    )
    if threshold is not None:
        axes.axhline(
            threshold, color="tab:red", linestyle="--", linewidth=0.8, label="time-averaged threshold at the detected lag"
        )
    axes.set(xlabel="lag (s)" if seconds else "lag (samples)", ylabel="mean ψ", title=title)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7, ncol=2, frameon=False)
    return figure


def plot_combination_table(ranking: Sequence[RankedCombination], title: str, max_rows: int = 12):
    """Draw the ranked candidate combinations as a table figure."""
    import matplotlib.pyplot as plt

    rows = [
        [str(item.rank), item.relation, f"{item.predicted_frequency:.2f}", f"{item.mean_psi:.3f}",
         f"{item.p_value:.2g}", f"{item.z_score:.1f}", "yes" if item.significant else "no"]
        for item in ranking[:max_rows]
    ]
    columns = ["rank", "relation", "Σ c·f (Hz)", "mean ψ", "p", "z", "significant"]
    figure, axes = plt.subplots(figsize=(8, 0.35 * (len(rows) + 2)))
    axes.axis("off")
    table = axes.table(cellText=rows, colLabels=columns, loc="center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.auto_set_column_width(list(range(len(columns))))
    axes.set_title(title, fontsize=9)
    return figure
