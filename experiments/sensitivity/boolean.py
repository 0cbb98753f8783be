"""Exact Boolean sensitivity of the four architectures at random initialization and after training on two targets.

Command:   python -m jaxlab.run --config=experiments/sensitivity/boolean.py:quick
CPU time:  quick ~3 min on 2 shared cores; full ~30 min (an estimate; the full size was not run).
Expected:  summary.json "at_init.<arch>.mean" (exact average sensitivity, unnormalized, in [0, num_bits]).
           The quick run (n = 10, 64 seeds) measured cnn 0.30, transformer 0.47, lstm 0.70, mlp 1.17: the
           transformer is below the LSTM and MLP, as Vasudeva et al. report, but the CNN is lowest. After
           training, "trained.<target>.<arch>.sensitivity" equals the target's (2.0 for the 2-bit parity,
           3.0 for the low-degree target) wherever "cube_accuracy" is 1.
"""

import ml_collections

from jaxlab import engine


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.name = "sensitivity_boolean"
    config.experiment = "jaxlab.sensitivity.experiments.boolean"
    config.seed = 0
    config.distributed = False  # True: join a multi-process run through jax.distributed.initialize()
    config.architectures = ("transformer", "lstm", "mlp", "cnn")
    config.num_bits = 16

    config.model = ml_collections.ConfigDict(dict(width=64, depth=2, num_heads=4))
    config.init = ml_collections.ConfigDict(dict(num_seeds=256, seeds_per_batch=8))
    config.targets = ml_collections.ConfigDict(
        dict(parity_size=3, degree=2, num_terms=4, num_train=20000, weight_decay=1e-4)
    )
    config.train = engine.default_train_config(
        num_steps=5000, batch_size=128, learning_rate=1e-3, log_every=100, checkpoint_every=1000
    )

    if arg == "quick":
        config.num_bits = 10
        config.model.width = 32
        config.init.num_seeds = 64
        config.targets.parity_size = 2
        config.targets.num_train = 2000
        config.train.num_steps = 600
        config.train.batch_size = 64
        config.train.log_every = 100
        config.train.checkpoint_every = 300
    elif arg not in (None, ""):
        raise ValueError(f"unknown config variant {arg!r}; expected 'quick' or nothing")
    return config
