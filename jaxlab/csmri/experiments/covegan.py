"""Co-VeGAN experiment: train the complex-valued GAN per mask and compare it with zero-filled reconstruction.

Config: experiments/csmri/covegan.py. The summary's "table" gives mean PSNR (dB) and SSIM on the
held-out real slices for zero-filled, GAN and GAN + data consistency per mask, and
"psnr_gain_gaussian1d_20" the GAN's PSNR gain over zero-filled at 20% 1-D Gaussian sampling.
"""

from __future__ import annotations

import ml_collections

from jaxlab.config import require_non_negative, require_positive
from jaxlab.csmri.experiments import common


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError naming the first invalid key."""
    require_positive(config, "model.features", "model.num_levels", "model.growth", "model.kernel_size")
    require_positive(config, "model.num_cosines", "model.residual_scale")
    require_non_negative(config, "model.num_rrdb", "critic.head_features")
    common.require_widths(config, "critic.features")
    common.validate_gan_config(config, config.model.num_levels)


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict:
    """Train Co-VeGAN for each mask, save figures and summary.json, and return the summary."""
    validate_config(config)
    return common.run_gan_experiment("covegan", "Co-VeGAN", config, workdir)
