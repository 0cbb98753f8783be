"""Fitted convergence rates of W_t to W_mm and of attention sparsification for GD, normalized GD and the Polyak step.

Command:   python -m jaxlab.run --config=experiments/attention_svm/rates.py:quick
CPU time:  quick ~1 min on 2 cores; full ~1 min.
Expected:  summary.json "ngd_correlation_gap_loglog_slope" about -1.6 and "gd_correlation_gap_loglog_slope"
           about -0.25 (quick run); "ngd_attention_mass_exponential_rate" about 0.03 per iteration.
"""
import ml_collections

from jaxlab.attention_svm.experiments.defaults import base_config, check_variant


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    check_variant(arg)
    config = base_config("rates")
    config.train.num_steps = 5000
    config.log_every = 50
    config.fit_start = 0.1  # fit over the last 90% of iterations
    if arg == "quick":
        config.data.num_seeds = 20
        config.train.num_steps = 3000
    return config
