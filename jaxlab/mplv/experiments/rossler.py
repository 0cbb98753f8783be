"""Rössler experiment: M-PLV finds the delayed f1 + f2 = f3 coupling between chaotic Rössler oscillators.

Two free-running Rössler oscillators drive a third, inside a coupling window and with a delay,
towards the sum of their phases (see `jaxlab.mplv.rossler`). The analysis is the synthetic
experiment's, so the figures and summary entries are the same.
"""

from __future__ import annotations

from typing import Any

import ml_collections

from jaxlab.config import ConfigError, require_in_range, require_non_negative, require_positive
from jaxlab.engine.run_folder import RunFolder
from jaxlab.mplv.experiments import common
from jaxlab.mplv.rossler import simulate_rossler


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError naming the first invalid key."""
    require_positive(config, "sfreq", "duration", "rossler.coupling", "rossler.substeps", "rossler.band_half_width")
    require_in_range(config, "n_trials", 2, 100_000)
    require_non_negative(config, "rossler.delay", "rossler.transient", "rossler.detuning_std")
    require_in_range(config, "rossler.frequency_jitter", 0.0, 0.3)
    require_in_range(config, "snr_db", -40.0, 100.0)
    window = config.rossler.coupling_window
    if not 0 <= window.start < window.stop <= config.duration:
        raise ConfigError(
            f"config.rossler.coupling_window must satisfy 0 <= start < stop <= duration={config.duration}, "
            f"got ({window.start}, {window.stop})"
        )
    if len(config.rossler.frequencies) != len(config.rossler.weights):
        raise ConfigError("config.rossler.frequencies and config.rossler.weights must have the same length")
    common.validate_weights(config, "rossler.weights", config.rossler.weights, integers=True)
    common.validate_weights(config, "search.coefficients", config.search.coefficients)
    require_positive(config, "search.tolerance")
    require_in_range(config, "rossler.delay", 0.0, config.analysis.max_lag_seconds)
    common.validate_analysis_config(config)


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
    """Simulate the oscillators, analyze them, write the figures and summary.json, and return the summary."""
    validate_config(config)
    run = RunFolder.open(workdir, config)
    settings = common.AnalysisSettings.from_config(config, config.sfreq)
    oscillators = config.rossler

    print("mplv rossler: integrating the oscillators (the first call compiles, about a minute)")
    simulation = simulate_rossler(
        config.seed,
        n_trials=config.n_trials,
        duration=config.duration,
        sfreq=config.sfreq,
        frequencies=list(oscillators.frequencies),
        weights=[int(w) for w in oscillators.weights],
        coupling=oscillators.coupling,
        coupling_window=(oscillators.coupling_window.start, oscillators.coupling_window.stop),
        delay=oscillators.delay,
        frequency_jitter=oscillators.frequency_jitter,
        detuning_std=oscillators.detuning_std,
        substeps=oscillators.substeps,
        transient=oscillators.transient,
        snr_db=config.snr_db,
        band_half_width=oscillators.band_half_width,
    )
    entries = common.analyze_simulation(simulation, settings, config.search, run, "rossler", step=0)

    summary = run.write_summary(
        {
            "detected_lag_error_samples": entries["lag_error_samples"],
            "window_overlap": entries["window_overlap"],
            "true_combination_rank": entries["true_combination_rank"],
            "coupling_significant": entries["significant"],
            "any_control_significant": bool(
                entries["shuffled_control_significant"] or entries["reversed_direction_significant"]
                or entries["wrong_combinations_significant"]
            ),
            **entries,
        }
    )
    run.close()
    print(f"mplv rossler: summary {run.summary_path}, figures {run.figures_dir}")
    return summary
