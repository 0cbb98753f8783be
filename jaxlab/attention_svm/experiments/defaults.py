"""Default config groups shared by the attention-SVM experiment configs (importing only ml_collections)."""

from __future__ import annotations

import ml_collections


def base_config(name: str) -> ml_collections.ConfigDict:
    """Return the base config, the convergence experiment's: n = 6, T = 8, d = 10, 100 seeds, 2,000 iterations.

    The step rules are GD, NGD and Polyak. The data are "equal_score" with self-attention (the query
    is the first token), where about 99% of seeds converge to the global W_mm (see
    `jaxlab.attention_svm.data`). GD's step size 10 gives it the same first step as NGD's 0.1,
    because the gradient norm at the small initialization is about 0.01 here.
    """
    config = ml_collections.ConfigDict()
    config.name = f"attention_svm_{name}"
    config.experiment = f"jaxlab.attention_svm.experiments.{name}"
    config.seed = 0

    config.data = ml_collections.ConfigDict()
    config.data.setting = "equal_score"
    config.data.attention = "self"
    config.data.num_seeds = 100
    config.data.num_samples = 6
    config.data.num_tokens = 8
    config.data.dim = 10
    config.data.options = ml_collections.ConfigDict({"optimal_score": 0.5, "other_score": 0.0})

    config.model = ml_collections.ConfigDict()
    config.model.parametrization = "w"
    config.model.rank = 0  # 0 means d; only read for the "kq" parametrization
    config.model.init_scale = 0.01
    config.model.train_decoder = False

    config.train = ml_collections.ConfigDict()
    config.train.num_steps = 2000
    config.train.step_rules = ("gd", "ngd", "polyak")
    config.train.gd_learning_rate = 10.0
    config.train.ngd_learning_rate = 0.1
    # The Polyak step (L - L*) / ||g||^2 grows without bound as the gradient vanishes; the cap turns
    # it into GD with this step size late in training.
    config.train.polyak_max_learning_rate = 1e8

    config.log_every = 10
    config.threshold = 0.99
    return config


def check_variant(arg: str | None) -> None:
    """Raise ValueError unless `arg` names a known config variant."""
    if arg not in (None, "", "quick"):
        raise ValueError(f"unknown config variant {arg!r}; expected 'quick' or nothing")
