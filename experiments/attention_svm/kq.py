"""Gradient steps on the factors of W = K Q^T converge toward the nuclear-norm W_mm rather than the Frobenius one.

Command:   python -m jaxlab.run --config=experiments/attention_svm/kq.py:quick
CPU time:  quick ~1 min on 2 cores; full ~1 min.
Expected:  summary.json "ngd_final_nuclear_correlation" well above "ngd_final_frobenius_correlation"
           (0.92 against 0.79 full, 0.91 against 0.77 quick), though short of 1 because NGD's gradient
           underflows float32 after about 350 iterations ("ngd_gradient_underflow_iteration").
"""
import ml_collections

from jaxlab.attention_svm.experiments.defaults import base_config, check_variant


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    check_variant(arg)
    config = base_config("kq")
    config.model.parametrization = "kq"
    config.model.rank = 0  # full rank d, so the factorization does not restrict W
    # At the small initialization the factors' gradient nearly vanishes while the loss gap does not, so
    # the Polyak step (gap / ||g||^2) jumps far and diverges; GD and NGD only.
    config.train.step_rules = ("gd", "ngd")
    config.train.num_steps = 5000
    config.log_every = 25
    if arg == "quick":
        config.data.num_seeds = 20
        config.train.num_steps = 2000
    return config
