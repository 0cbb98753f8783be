"""The config shared by the two CS-MRI GAN experiments; each config file picks the model and its losses."""

from __future__ import annotations

import ml_collections

from jaxlab.csmri.discriminators import discriminator_config
from jaxlab.csmri.generators import covegan_config, spgan_config
from jaxlab.engine.trainer import default_train_config

MODEL_CONFIGS = {"covegan": covegan_config, "spgan": spgan_config}


def gan_config(
    kind: str,
    arg: str | None,
    *,
    wavelet_weight: float,
    generator_learning_rate: float,
    critic_learning_rate: float,
) -> ml_collections.ConfigDict:
    """Return the config of the `kind` GAN experiment ("covegan" or "spgan"); arg "quick" is the CPU form."""
    model_config = MODEL_CONFIGS[kind]
    config = ml_collections.ConfigDict()
    config.name = f"csmri_{kind}"
    config.experiment = f"jaxlab.csmri.experiments.{kind}"
    config.seed = 0
    config.distributed = False  # True: join a multi-process run through jax.distributed.initialize()
    config.image_size = 256
    config.masks = "gaussian1d:0.1,gaussian1d:0.2,gaussian1d:0.3,gaussian2d:0.3,radial:0.3,spiral:0.3"
    config.num_figure_slices = 4
    config.data = ml_collections.ConfigDict(dict(seed=0, num_phantoms=2000))

    config.model = model_config("paper")
    config.critic = discriminator_config(kind, "paper")
    # Both papers' loss: Wasserstein with weight clipping and 3 critic steps per generator step. The
    # papers clip at 0.05 in a critic with batch norm. This critic has none, and its scores grew
    # without bound at 0.05 in CPU runs, so the clip is the WGAN default 0.01.
    config.loss = ml_collections.ConfigDict(
        dict(
            adversarial="wgan",  # or "hinge", "least_squares"
            critic_steps=3,
            clip_value=0.01,
            adversarial_weight=0.01,
            l1_weight=20.0,
            ssim_weight=1.0,
            wavelet_weight=wavelet_weight,
        )
    )
    config.optimizer = ml_collections.ConfigDict(
        dict(
            generator_learning_rate=generator_learning_rate,
            critic_learning_rate=critic_learning_rate,
            b1=0.5,
            b2=0.999,
        )
    )
    config.train = default_train_config(
        num_steps=50_000, batch_size=8, log_every=100, eval_every=2_000, checkpoint_every=2_000
    )

    if arg == "quick":
        # Larger generator steps than the papers' so that 200 CPU steps learn something.
        config.image_size = 64
        config.masks = "gaussian1d:0.2"
        config.data.num_phantoms = 200
        config.model = model_config("cpu")
        config.critic = discriminator_config(kind, "cpu")
        config.optimizer.generator_learning_rate = 5e-4
        config.optimizer.critic_learning_rate = 1e-4
        config.train = default_train_config(
            num_steps=200, batch_size=8, log_every=20, eval_every=100, checkpoint_every=100
        )
    elif arg not in (None, ""):
        raise ValueError(f"unknown config variant {arg!r}; expected 'quick' or nothing")
    return config
