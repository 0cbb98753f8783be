"""During grokking on modular addition, the transformer's sensitivity falls before its test accuracy rises.

Command:   python -m jaxlab.run --config=experiments/sensitivity/grokking.py:quick
CPU time:  quick ~4 min on 2 shared cores; full ~40 min (an estimate; the full size was not run).
Expected:  summary.json "sensitivity_falls_before_test_rises": true, as Vasudeva et al. report. The quick run
           measured train fit at step 100, the sensitivity peak (0.33) at step 300 and its fall to half at
           step 900, test accuracy 0.5 at step 3300 and 0.955 at step 5000.
"""

import ml_collections

from jaxlab import engine


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.name = "sensitivity_grokking"
    config.experiment = "jaxlab.sensitivity.experiments.grokking"
    config.seed = 0
    config.distributed = False  # True: join a multi-process run through jax.distributed.initialize()
    config.prime = 97
    config.train_fraction = 0.3

    config.model = ml_collections.ConfigDict(dict(width=128, depth=1, num_heads=4))
    config.weight_decay = 1.0
    # Full-batch training (batch = every training pair), the usual grokking setup.
    config.train = engine.default_train_config(
        num_steps=20000, batch_size=2823, learning_rate=1e-3, log_every=100, eval_every=200,
        checkpoint_every=5000,
    )
    config.sensitivity = ml_collections.ConfigDict(dict(relative_sigma=0.5, num_draws=4))

    if arg == "quick":
        config.prime = 31
        config.model.width = 64
        config.train.batch_size = 288
        config.train.num_steps = 5000
        config.train.eval_every = 100
        config.train.checkpoint_every = 2000
    elif arg not in (None, ""):
        raise ValueError(f"unknown config variant {arg!r}; expected 'quick' or nothing")
    return config
