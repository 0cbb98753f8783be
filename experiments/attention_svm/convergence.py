"""GD, normalized GD and the Polyak step drive attention's W_t to the max-margin W_mm, the adaptive rules faster.

Command:   python -m jaxlab.run --config=experiments/attention_svm/convergence.py:quick
CPU time:  quick 15-40 s on 2 cores (1,200 iterations); full about 40 s (2,000 iterations).
Expected:  summary.json "ngd_iterations_to_threshold_median" about 400, "polyak_iterations_to_threshold_median"
           under 50 and "gd_iterations_to_threshold_median" null (GD stays below correlation 0.99 for the
           whole run). Keys without "_median" track the mean over seeds instead, and one seed that locks
           onto another token can keep that mean below 0.99 (it does in the quick run).
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
