"""Masks experiment: the undersampling patterns and zero-filled reconstruction quality at each rate.

For every mask in `config.masks` it builds the mask, checks the sampled fraction, and measures the
zero-filled PSNR and SSIM (Gaussian 11x11 window, and scikit-image's 7x7 uniform window) on the
held-out real slices. Config: experiments/csmri/masks.py.
"""

from __future__ import annotations

import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxlab.config import require_non_negative, require_positive
from jaxlab.csmri import kspace
from jaxlab.csmri.experiments import common
from jaxlab.csmri.masks import make_mask
from jaxlab.data.mri import load_real_slices
from jaxlab.engine import RunFolder
from jaxlab.metrics.image import nmse, psnr, ssim


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError naming the first invalid key."""
    require_positive(config, "image_size")
    require_non_negative(config, "seed", "data.seed")
    require_non_negative(config, "center_fraction")
    common.parse_masks(config.masks)


def zero_filled_quality(targets: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Return the mean zero-filled PSNR, SSIM (both windows) and NMSE of magnitude images."""
    reconstruction = jnp.abs(kspace.zero_filled(jnp.asarray(targets), jnp.asarray(mask)))
    reference = jnp.abs(jnp.asarray(targets))
    return {
        "psnr": float(jnp.mean(psnr(reconstruction, reference, 1.0))),
        "ssim": float(jnp.mean(ssim(reconstruction, reference, max_val=1.0, window="gaussian"))),
        "ssim_uniform": float(jnp.mean(ssim(reconstruction, reference, max_val=1.0, window="uniform"))),
        "nmse": float(jnp.mean(nmse(reference, reconstruction))),
    }


def patterns_figure(masks: dict[str, np.ndarray], target: np.ndarray):
    """Plot each mask above the zero-filled magnitude image of one held-out slice."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, len(masks), figsize=(2.4 * len(masks), 5.0), squeeze=False)
    for column, (name, mask) in enumerate(masks.items()):
        axes[0, column].imshow(mask, cmap="gray", vmin=0.0, vmax=1.0)
        axes[0, column].set_title(f"{name}\n{mask.mean():.1%} sampled", fontsize=8)
        zero_filled = np.abs(np.asarray(kspace.zero_filled(jnp.asarray(target), jnp.asarray(mask))))
        axes[1, column].imshow(zero_filled, cmap="gray", vmin=0.0, vmax=1.0)
    axes[1, 0].set_ylabel("zero-filled", fontsize=8)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout()
    return figure


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict:
    """Build every mask, measure zero-filled quality on the held-out slices, save figures and summary."""
    validate_config(config)
    run = RunFolder.open(workdir, config)
    size = (config.image_size, config.image_size)
    targets = load_real_slices(size, seed=config.data.seed)["test"]

    masks, table = {}, {}
    for kind, fraction in common.parse_masks(config.masks):
        name = common.mask_name(kind, fraction)
        mask = make_mask(kind, size, fraction, seed=config.seed, center_fraction=config.center_fraction)
        masks[name] = mask
        table[name] = {"requested_fraction": fraction, "sampled_fraction": float(mask.mean())}
        table[name].update(zero_filled_quality(targets, mask))

    run.save_figure(patterns_figure(masks, targets[0]), "patterns")
    header = ["mask", "sampled", "PSNR (dB)", "SSIM gauss", "SSIM 7x7", "NMSE"]
    rows = [
        [name, f"{row['sampled_fraction']:.3f}", f"{row['psnr']:.2f}", f"{row['ssim']:.3f}", f"{row['ssim_uniform']:.3f}", f"{row['nmse']:.4f}"]
        for name, row in table.items()
    ]
    title = f"zero-filled reconstruction of {len(targets)} held-out real slices"
    run.save_figure(common.table_figure(rows, header, title), "zero_filled_table")

    max_fraction_error = max(abs(row["sampled_fraction"] - row["requested_fraction"]) for row in table.values())
    summary = run.write_summary(
        {"table": table, "num_test_slices": int(len(targets)), "max_fraction_error": max_fraction_error}
    )
    run.close()
    print(f"masks: summary in {run.summary_path}, figures in {run.figures_dir}")
    return summary
