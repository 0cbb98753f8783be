"""The sensitivity regularizer makes a transformer less sensitive and more accurate under noise and occlusion on digits.

Command:   python -m jaxlab.run --config=experiments/sensitivity/robustness.py:quick
CPU time:  quick ~3 min on 2 shared cores; full ~15 min (an estimate; the full size was not run).
Expected:  summary.json "sensitivity_reduced": true. The quick run measured sensitivity 0.125 plain vs 0.019
           regularized, clean accuracy 0.939 vs 0.961, accuracy under noise sigma 0.2: 0.21 vs 0.81, and
           with a quarter of the patches occluded: 0.40 vs 0.57.
"""

import ml_collections

from jaxlab import engine


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.name = "sensitivity_robustness"
    config.experiment = "jaxlab.sensitivity.experiments.robustness"
    config.seed = 0
    config.distributed = False  # True: join a multi-process run through jax.distributed.initialize()
    config.architecture = "transformer"

    config.digits = ml_collections.ConfigDict(dict(patch_size=2))
    config.model = ml_collections.ConfigDict(dict(width=64, depth=2, num_heads=4))
    config.weight_decay = 1e-4
    config.train = engine.default_train_config(
        num_steps=3000, batch_size=128, learning_rate=1e-3, log_every=100, checkpoint_every=1000
    )
    # The penalty perturbs one random patch per example, with the same sigma as the measurement.
    config.regularizer = ml_collections.ConfigDict(dict(weight=1.0, sigma=0.5))
    config.sensitivity = ml_collections.ConfigDict(
        dict(sigma=0.5, num_draws=16, num_examples=359, batch_size=359)
    )
    config.corruptions = ml_collections.ConfigDict(
        dict(noise_sigmas=(0.0, 0.2, 0.4, 0.6, 0.8), occlusion_fractions=(0.0, 0.125, 0.25, 0.375, 0.5))
    )

    if arg == "quick":
        config.model.width = 32
        config.train.num_steps = 1500
        config.train.batch_size = 64
        config.train.log_every = 50
        config.train.checkpoint_every = 500
        config.sensitivity.num_draws = 4
    elif arg not in (None, ""):
        raise ValueError(f"unknown config variant {arg!r}; expected 'quick' or nothing")
    return config
