"""GD, normalized GD and the Polyak step drive attention's W_t to the max-margin W_mm, the adaptive rules faster.

Command:   python -m jaxlab.run --config=experiments/attention_svm/convergence.py:quick --workdir=runs/convergence-quick
CPU time:  quick ~1 min on 2 cores; full ~1 min.
Expected:  summary.json "ngd_iterations_to_threshold_median" about 400, "polyak_iterations_to_threshold_median"
           under 50 and "gd_iterations_to_threshold_median" null (GD stays below correlation 0.99 within 2,000
           iterations). The "_iterations_to_threshold" keys use the seed mean instead, which a single seed
           locked onto another token can keep below 0.99 (it does in the quick run).
"""
import ml_collections

from jaxlab.attention_svm.experiments.defaults import base_config, check_variant


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    check_variant(arg)
    config = base_config("convergence")
    if arg == "quick":
        config.data.num_seeds = 20
        config.train.num_steps = 1200
    return config
