"""The analysis both M-PLV experiments run on a simulated recording, and their shared config checks.

For one simulation: extract phases in the simulation's bands, scan lags, test the best lag against
surrogates, summarize ψ over time, run three controls that must not be significant, and rank the
candidate frequency combinations. The controls are a fixed trial shuffle of the output, the reversed
direction (the negated lag) and every wrong combination of the search.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import ml_collections
import numpy as np

from jaxlab.config import ConfigError, require_choice, require_in_range, require_non_negative, require_positive
from jaxlab.engine.run_folder import RunFolder
from jaxlab.mplv.filters import extract_phases
from jaxlab.mplv.lags import lag_scan
from jaxlab.mplv.plots import plot_combination_table, plot_lag_scan, plot_psi_time_course
from jaxlab.mplv.search import search_combinations
from jaxlab.mplv.significance import SURROGATE_METHODS, surrogate_test
from jaxlab.mplv.simulation import SimulatedCoupling
from jaxlab.mplv.summaries import summarize_psi, window_overlap
from jaxlab.mplv.weights import as_fraction, format_relation


@dataclasses.dataclass(frozen=True)
class AnalysisSettings:
    """The analysis parameters of an experiment config, in samples where the config has seconds."""

    max_lag: int
    n_surrogates: int
    search_surrogates: int
    method: str
    percentile: float
    alpha: float
    max_gap: int
    min_length: int
    chunk_size: int
    seed: int

    @classmethod
    def from_config(cls, config: ml_collections.ConfigDict, sfreq: float) -> "AnalysisSettings":
        analysis = config.analysis
        return cls(
            max_lag=int(round(analysis.max_lag_seconds * sfreq)),
            n_surrogates=analysis.n_surrogates,
            search_surrogates=analysis.search_surrogates,
            method=analysis.method,
            percentile=analysis.percentile,
            alpha=analysis.alpha,
            max_gap=int(round(analysis.max_gap_seconds * sfreq)),
            min_length=max(1, int(round(analysis.min_duration_seconds * sfreq))),
            chunk_size=analysis.chunk_size,
            seed=config.seed,
        )


def validate_analysis_config(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError naming the first invalid key of `config.analysis`."""
    require_positive(config, "analysis.max_lag_seconds", "analysis.chunk_size", "analysis.min_duration_seconds")
    require_in_range(config, "analysis.n_surrogates", 20, 100_000)
    require_in_range(config, "analysis.search_surrogates", 20, 100_000)
    require_in_range(config, "analysis.percentile", 50.0, 99.9)
    require_in_range(config, "analysis.alpha", 1e-6, 0.5)
    require_non_negative(config, "analysis.max_gap_seconds")
    require_choice(config, "analysis.method", SURROGATE_METHODS)


def validate_weights(config: ml_collections.ConfigDict, key: str, values: Any, *, integers: bool = False) -> None:
    """Raise ConfigError unless `values` are rational weights (integers when `integers` is set)."""
    for index, value in enumerate(values):
        fraction = as_fraction(value)
        if fraction is None or fraction == 0 or (integers and fraction.denominator != 1):
            kind = "nonzero integers" if integers else "nonzero rational numbers such as '2/3'"
            raise ConfigError(f"config.{key}[{index}] must be one of {kind}, got {value!r}")


def derange_output_trials(phases: np.ndarray, seed: int) -> np.ndarray:
    """Return a copy of `phases` whose output component (the last) comes from another trial in every trial."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(phases.shape[0])
    sources = order[(np.argsort(order) + 1) % phases.shape[0]]
    shuffled = np.array(phases, copy=True)
    shuffled[:, -1, :] = shuffled[sources, -1, :]
    return shuffled


def analyze_simulation(
    simulation: SimulatedCoupling,
    settings: AnalysisSettings,
    search: ml_collections.ConfigDict,
    run: RunFolder,
    name: str,
    step: int,
) -> dict[str, Any]:
    """Analyze one simulated recording, save its three figures and return its summary entries."""
    sfreq = simulation.sfreq
    phases = np.asarray(extract_phases(simulation.signals, simulation.bands, sfreq))
    scan = lag_scan(phases, simulation.weights, lags=np.arange(-settings.max_lag, settings.max_lag + 1), sfreq=sfreq)
    lag = scan.best_lag

    def run_test(test_phases, weights=simulation.weights, test_lag=lag, method=settings.method):
        return surrogate_test(
            test_phases, weights, lag=test_lag, method=method, n_surrogates=settings.n_surrogates,
            percentile=settings.percentile, seed=settings.seed, chunk_size=settings.chunk_size,
        )

    main = run_test(phases)
    summary = summarize_psi(
        main.observed_psi, main.per_sample_threshold, sfreq=sfreq, first_sample=main.first_sample,
        max_gap=settings.max_gap, min_length=settings.min_length,
    )
    shuffled = run_test(derange_output_trials(phases, settings.seed + 1))
    other_null = run_test(phases, method="trial_shuffle" if settings.method == "time_shift" else "time_shift")
    reversed_direction = run_test(phases, test_lag=-lag) if lag != 0 else None

    ranking = search_combinations(
        phases, list(simulation.frequencies), coefficients=list(search.coefficients), tolerance=search.tolerance,
        lag=lag, n_surrogates=settings.search_surrogates, method=settings.method, percentile=settings.percentile,
        alpha=settings.alpha, seed=settings.seed, chunk_size=settings.chunk_size,
    )
    true_weights = tuple(Fraction(w) for w in simulation.weights)
    true_rank = next((item.rank for item in ranking if item.weights == true_weights), None)
    wrong_significant = [item.relation for item in ranking if item.weights != true_weights and item.significant]

    relation = format_relation(simulation.weights)
    run.save_figure(plot_psi_time_course(main, summary, sfreq, simulation.window, f"{name}: {relation}"), f"psi_{name}")
    lag_figure = plot_lag_scan(scan, simulation.lag, main.time_averaged_threshold, f"{name}: ψ against lag")
    run.save_figure(lag_figure, f"lag_{name}")
    table_figure = plot_combination_table(ranking, f"{name}: candidate combinations ranked by significance")
    run.save_figure(table_figure, f"combinations_{name}")

    entries = {
        "relation": relation,
        "frequencies_hz": [round(float(f), 3) for f in simulation.frequencies],
        "true_lag_samples": simulation.lag,
        "detected_lag_samples": lag,
        "lag_error_samples": abs(lag - simulation.lag),
        "true_window_s": list(simulation.window_seconds),
        "detected_window_s": list(summary.window_seconds) if summary.window else None,
        "window_overlap": window_overlap(summary.window, simulation.window),
        "time_averaged_psi": main.observed_mean,
        "time_averaged_threshold": main.time_averaged_threshold,
        "per_sample_threshold": main.per_sample_threshold,
        "analytic_per_sample_threshold": main.analytic_threshold,
        "fraction_above_threshold": summary.fraction_above,
        "area_above_threshold": summary.area_above,
        "p_value": main.p_value,
        "significant": main.significant,
        f"p_value_{other_null.method}_null": other_null.p_value,
        "shuffled_control_p_value": shuffled.p_value,
        "shuffled_control_significant": shuffled.significant,
        "reversed_direction_p_value": None if reversed_direction is None else reversed_direction.p_value,
        "reversed_direction_significant": None if reversed_direction is None else reversed_direction.significant,
        "true_combination_rank": true_rank,
        "n_candidates": len(ranking),
        "wrong_combinations_significant": wrong_significant,
        "ranking": [
            {"rank": item.rank, "relation": item.relation, "p_value": item.p_value, "mean_psi": item.mean_psi,
             "significant": item.significant}
            for item in ranking[:10]
        ],
    }
    run.log_metrics(step, {key: value for key, value in entries.items() if isinstance(value, (int, float))})
    return entries
