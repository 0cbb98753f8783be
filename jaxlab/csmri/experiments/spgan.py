"""Structure-preserving GAN experiment: train the real-valued GAN per mask and compare it with zero-filled.

Config: experiments/csmri/spgan.py. The summary's "table" gives mean PSNR (dB) and SSIM on the
held-out real slices for zero-filled, GAN and GAN + data consistency per mask, and
"psnr_gain_gaussian1d_20" the GAN's PSNR gain over zero-filled at 20% 1-D Gaussian sampling.
"""

from __future__ import annotations

import ml_collections

from jaxlab.config import ConfigError, require_non_negative, require_positive
from jaxlab.csmri.experiments import common


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError naming the first invalid key."""
    common.require_widths(config, "model.encoder_features")
    common.require_widths(config, "model.decoder_features")
    if len(config.model.decoder_features) != len(config.model.encoder_features):
        raise ConfigError(
            "config.model.decoder_features must have one entry per encoder level "
            f"({len(config.model.encoder_features)}), got {len(config.model.decoder_features)}"
        )
    require_positive(config, "model.bottleneck_features", "model.growth", "model.kernel_size", "model.residual_scale")
    require_non_negative(config, "model.num_rrdb", "critic.head_features")
    common.require_widths(config, "critic.features")
    common.validate_gan_config(config, len(config.model.encoder_features))


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict:
    """Train the structure-preserving GAN for each mask, save figures and summary.json, and return the summary."""
    validate_config(config)
    return common.run_gan_experiment("spgan", "Structure-preserving GAN", config, workdir)
