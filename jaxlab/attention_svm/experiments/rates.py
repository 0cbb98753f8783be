"""Convergence rates per step rule: how fast 1 - correlation and the non-optimal attention mass shrink.

For each rule the seed medians of 1 - <W_t, W_mm> / (||W_t|| ||W_mm||), of the softmax mass off the
optimal token and of ||W_t|| are fitted over iterations [config.fit_start * N, N), ending earlier where
the median seed's gradient underflows float32. The summary gives
log-log slopes (power laws t^slope) and, for the attention mass, the exponential rate c in exp(-c t).
Medians rather than means keep the rare seed that selects another token from flattening the fits.
Writes figures/rates.png and summary.json.
"""

from __future__ import annotations

import ml_collections
import numpy as np

from jaxlab.attention_svm.analysis import fit_loglog_slope, fit_semilog_rate, seed_statistics, underflow_iteration
from jaxlab.attention_svm.experiments import common
from jaxlab.config import require_in_range
from jaxlab.engine.run_folder import RunFolder

# float32 resolves 1 - correlation down to about 1e-12 and attention mass down to about 1e-38;
# the floors keep values at rounding level out of the fits.
CORRELATION_GAP_FLOOR = 1e-9
ATTENTION_MASS_FLOOR = 1e-35


def validate_config(config: ml_collections.ConfigDict) -> None:
    common.validate_common(config)
    require_in_range(config, "fit_start", 0.0, 0.9)


def fit_rates(simulation: common.Simulation, fit_start: float) -> dict:
    """Return the fitted slopes and rates of every step rule, keyed "<rule>_<quantity>"."""
    rates: dict = {}
    for rule, history in simulation.histories.items():
        num_iterations = history["correlation_gap"].shape[1]
        start = max(1, int(fit_start * num_iterations))
        # Past a float32 gradient underflow the iterates are frozen, so the fit ends there.
        stop = underflow_iteration(history["gradient_norm"]) or num_iterations
        gap = seed_statistics(history["correlation_gap"])["median"]
        mass = seed_statistics(history["non_optimal_attention"])["median"]
        norm = seed_statistics(history["w_norm"])["median"]

        fits = {
            "correlation_gap_loglog_slope": fit_loglog_slope(gap, start, stop, floor=CORRELATION_GAP_FLOOR),
            "attention_mass_loglog_slope": fit_loglog_slope(mass, start, stop, floor=ATTENTION_MASS_FLOOR),
            "attention_mass_exponential_rate": fit_semilog_rate(mass, start, stop, floor=ATTENTION_MASS_FLOOR),
            "w_norm_loglog_slope": fit_loglog_slope(norm, start, stop),
            "final_correlation_gap_median": float(gap[-1]),
            "fit_window": [start, stop],
        }
        rates.update({f"{rule}_{key}": value for key, value in fits.items()})
    return rates


def _draw_fit(axis, values: np.ndarray, slope: float | None, window: list[int], color: str | None) -> None:
    """Overlay the fitted power law on the median curve over the fit window, anchored at its first point."""
    start, stop = window
    if slope is None or not values[start] > 0:
        return
    iterations = np.arange(start, stop)
    axis.plot(iterations, values[start] * (iterations / start) ** slope, color=color, linestyle="--", linewidth=1)


def plot(simulation: common.Simulation, rates: dict):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    panels = [
        ("correlation_gap", "1 - correlation with $W_{mm}$", "correlation_gap_loglog_slope"),
        ("non_optimal_attention", "softmax mass off the optimal token", "attention_mass_loglog_slope"),
        ("w_norm", r"$\|W_t\|_F$", "w_norm_loglog_slope"),
    ]
    for axis, (metric, label, slope_key) in zip(axes, panels):
        common.plot_metric(axis, simulation.histories, metric, log_y=True, center="median")
        for rule, history in simulation.histories.items():
            median = seed_statistics(history[metric])["median"]
            window = rates[f"{rule}_fit_window"]
            _draw_fit(axis, median, rates[f"{rule}_{slope_key}"], window, common.RULE_COLORS.get(rule))
        axis.set_xscale("log")
        axis.set_ylabel(label)
    axes[0].legend(title="median, 10-90%; dashed: fit")
    figure.tight_layout()
    return figure


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict:
    """Train every step rule, fit the rates, log the seed means, save the figure and return the summary."""
    validate_config(config)
    run = RunFolder.open(workdir, config)

    data = common.make_seed_data(config)
    reference = common.solve_references(data, norm="fro")
    simulation = common.simulate(config, data, reference)
    common.log_histories(run, simulation.histories, config.log_every)

    rates = fit_rates(simulation, config.fit_start)
    figure_path = run.save_figure(plot(simulation, rates), "rates")
    summary = common.underflow_summary(simulation.histories) | rates
    summary = run.write_summary(summary)
    run.close()
    print(f"rates: summary in {run.summary_path}, figure in {figure_path}")
    return summary
