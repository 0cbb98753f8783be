"""M-PLV finds the lag, coupling window and frequency combination of coupled band-limited Gaussian signals.

Command:   python -m jaxlab.run --config=experiments/mplv/synthetic.py:quick
CPU time:  quick ~0.5 min on 2 cores; full ~1.5 min.
Expected:  summary.json "detected_lag_error_samples" <= 1, "min_window_overlap" >= 0.9,
           "true_combination_ranks" all 1, "all_couplings_significant" true, "any_control_significant" false.
"""

import ml_collections


def _case(frequencies, weights, bandwidth, lag_seconds, coefficients, tolerance):
    return ml_collections.ConfigDict(
        dict(
            frequencies=frequencies,  # input centre frequencies in Hz, with the output at Σ w_l f_l
            weights=weights,  # input weights, with the output's at -1
            bandwidth=bandwidth,  # input noise bandwidth in Hz
            lag_seconds=lag_seconds,  # how far the output follows the inputs
            search=ml_collections.ConfigDict(dict(coefficients=coefficients, tolerance=tolerance)),
        )
    )


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.name = "mplv_synthetic"
    config.experiment = "jaxlab.mplv.experiments.synthetic"
    config.seed = 0

    config.sfreq = 256.0
    config.n_trials = 250
    config.duration = 8.0  # seconds per trial
    config.window_seconds = ml_collections.ConfigDict(dict(start=3.0, stop=5.5))
    config.snr_db = 0.0  # white noise over the full band 0 Hz to Nyquist

    # The search tolerance is half the output band, so every candidate predicts a frequency inside it.
    config.cases = ml_collections.ConfigDict(
        dict(
            four_frequency=_case([6.0, 11.0, 17.0], ["1", "1", "1"], 3.0, 0.0, ["-2", "-1", "1", "2"], 4.5),
            non_integer=_case(
                [12.0, 21.0], ["2/3", "1/3"], 3.0, 0.0, ["-4/3", "-1", "-2/3", "-1/3", "1/3", "2/3", "1", "4/3"], 1.5
            ),
            delayed=_case([8.0, 13.0], ["1", "1"], 4.0, 0.15, ["-3", "-2", "-1", "1", "2", "3"], 4.0),
        )
    )

    config.analysis = ml_collections.ConfigDict(
        dict(
            max_lag_seconds=0.5,  # lag grid ±0.5 s in steps of one sample (257 lags at 256 Hz)
            n_surrogates=10_000,
            search_surrogates=2000,
            method="time_shift",  # or "trial_shuffle"
            percentile=95.0,
            alpha=0.05,  # family-wise, Bonferroni-corrected over the candidates of the search
            max_gap_seconds=0.05,  # below-threshold dips this short do not split the coupling window
            min_duration_seconds=0.1,
            chunk_size=128,  # surrogates per vectorized chunk
        )
    )

    if arg == "quick":
        config.n_trials = 100
        config.duration = 4.0
        config.window_seconds.start = 1.5
        config.window_seconds.stop = 3.0
        config.analysis.max_lag_seconds = 0.25
        config.analysis.n_surrogates = 1000
        config.analysis.search_surrogates = 500
    elif arg not in (None, ""):
        raise ValueError(f"unknown config variant {arg!r}; expected 'quick' or nothing")
    return config
