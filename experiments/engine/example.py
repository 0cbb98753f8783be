"""The engine's example task: a small MLP on a Gaussian mixture, as a template for new experiments.

Command:   python -m jaxlab.run --config=experiments/engine/example.py:quick
CPU time:  quick ~15 s on 2 cores; full ~1 min.
Expected:  summary.json "eval_accuracy" >= 0.95.
"""

import ml_collections

from jaxlab.engine import default_train_config


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.name = "engine_example"
    config.experiment = "jaxlab.engine.example_experiment"
    config.distributed = False  # True: join a multi-process run through jax.distributed.initialize()
    config.input_dim = 8
    config.train = default_train_config(
        num_steps=1000, batch_size=64, learning_rate=1e-2, log_every=50, eval_every=250, checkpoint_every=250
    )
    if arg == "quick":
        config.train.num_steps = 100
        config.train.eval_every = 50
        config.train.checkpoint_every = 50
        config.train.log_every = 10
    elif arg not in (None, ""):
        raise ValueError(f"unknown config variant {arg!r}; expected 'quick' or nothing")
    return config
