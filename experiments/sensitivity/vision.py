"""Accuracy and per-position noise sensitivity of transformer, LSTM, MLP and CNN classifiers on mnist1d and 8x8 digits.

Command:   python -m jaxlab.run --config=experiments/sensitivity/vision.py:quick
CPU time:  quick ~4 min on 2 shared cores; full ~30 min (an estimate; the full size was not run).
Expected:  summary.json "<data set>.per_architecture.<arch>.sensitivity" (mean flip rate) and "test_accuracy",
           and "<data set>.least_sensitive". Vasudeva et al. report the transformer least sensitive. The quick
           run measured otherwise. On mnist1d, sensitivity was lstm 0.101, transformer 0.111, cnn 0.121,
           mlp 0.144 (accuracy 0.68, 0.48, 0.59, 0.53). On digits, it was mlp 0.041, lstm 0.078,
           transformer 0.125, cnn 0.169 (accuracy 0.97, 0.97, 0.94, 0.82).
"""

import ml_collections

from jaxlab import engine


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.name = "sensitivity_vision"
    config.experiment = "jaxlab.sensitivity.experiments.vision"
    config.seed = 0
    config.distributed = False  # True: join a multi-process run through jax.distributed.initialize()
    config.architectures = ("transformer", "lstm", "mlp", "cnn")

    config.model = ml_collections.ConfigDict(dict(width=64, depth=2, num_heads=4))
    config.weight_decay = 1e-4
    config.train = engine.default_train_config(
        num_steps=3000, batch_size=128, learning_rate=1e-3, log_every=100, checkpoint_every=1000
    )

    # The noise standard deviation is about the data's own: mnist1d is standardized to std 1, and
    # the pixels of digits (scaled to [0, 1]) have std 0.38, so sigma 0.5 per pixel of a 2x2 patch.
    config.mnist1d = ml_collections.ConfigDict(dict(num_samples=5000, seed=42, sigma=1.0))
    config.digits = ml_collections.ConfigDict(dict(patch_size=2, sigma=0.5))
    # sensitivity.sigma is replaced by mnist1d.sigma and digits.sigma for each data set; set those.
    config.sensitivity = ml_collections.ConfigDict(
        dict(sigma=1.0, num_draws=16, num_examples=1000, batch_size=250)
    )

    if arg == "quick":
        config.model.width = 32
        config.train.num_steps = 1500
        config.train.batch_size = 64
        config.train.log_every = 50
        config.train.checkpoint_every = 500
        config.mnist1d.num_samples = 4000
        config.sensitivity.num_draws = 4
        config.sensitivity.num_examples = 256
        config.sensitivity.batch_size = 128
    elif arg not in (None, ""):
        raise ValueError(f"unknown config variant {arg!r}; expected 'quick' or nothing")
    return config
