"""Shared parts of the CS-MRI experiments: config checks, data, GAN runs, tables and figures.

A GAN experiment trains one generator per mask in `config.masks` on real training slices plus
phantoms, then compares zero-filled, GAN and GAN-plus-data-consistency reconstructions of the
held-out real slices by PSNR and SSIM of the magnitude images.
"""

from __future__ import annotations

import ml_collections
import numpy as np

from jaxlab import engine
from jaxlab.config import ConfigError, get_value, require_choice, require_in_range, require_non_negative, require_positive
from jaxlab.csmri import training
from jaxlab.csmri.generators import check_image_size, count_parameters
from jaxlab.csmri.losses import ADVERSARIAL_KINDS
from jaxlab.csmri.masks import MASK_KINDS, make_mask
from jaxlab.data.mri import load_real_slices, random_ellipse_phantoms

METHODS = ("zero_filled", "gan", "gan_dc")
METHOD_LABELS = {"zero_filled": "zero-filled", "gan": "GAN", "gan_dc": "GAN + data consistency"}

# The mask and rate at which every GAN must beat the zero-filled PSNR.
CHECK_MASK = ("gaussian1d", 0.2)


# ----------------------------------------------------------------------------------------------
# Config checks
# ----------------------------------------------------------------------------------------------


def parse_masks(text: str) -> list[tuple[str, float]]:
    """Parse "kind:fraction,kind:fraction" (e.g. "gaussian1d:0.2,radial:0.3") into (kind, fraction) pairs."""
    pairs = []
    for item in text.split(","):
        kind, separator, fraction = item.strip().partition(":")
        if not separator:
            raise ConfigError(f"config.masks entry {item!r} must look like 'kind:fraction', e.g. 'gaussian1d:0.2'")
        if kind not in MASK_KINDS:
            raise ConfigError(f"config.masks kind {kind!r} must be one of {list(MASK_KINDS)}")
        try:
            value = float(fraction)
        except ValueError:
            raise ConfigError(f"config.masks fraction {fraction!r} of {kind!r} must be a number") from None
        if not 0.0 < value <= 1.0:
            raise ConfigError(f"config.masks fraction of {kind!r} must be in (0, 1], got {value}")
        pairs.append((kind, value))
    return pairs


def mask_name(kind: str, fraction: float) -> str:
    """Return a run-folder-safe name such as "gaussian1d_20" for 20% sampling."""
    return f"{kind}_{round(fraction * 100)}"


def require_widths(config: ml_collections.ConfigDict, key: str) -> None:
    """Raise ConfigError unless `config.<key>` is a non-empty sequence of positive integers."""
    widths = get_value(config, key)
    valid = isinstance(widths, (list, tuple)) and len(widths) > 0
    if not valid or not all(isinstance(width, int) and width > 0 for width in widths):
        raise ConfigError(f"config.{key} must be a non-empty sequence of positive integers, got {widths!r}")


def validate_data_config(config: ml_collections.ConfigDict) -> None:
    """Check config.image_size, config.masks and config.data."""
    require_positive(config, "image_size", "data.num_phantoms", "num_figure_slices")
    require_non_negative(config, "data.seed", "seed")
    if not isinstance(config.masks, str):
        raise ConfigError(f"config.masks must be a string like 'gaussian1d:0.2,radial:0.3', got {config.masks!r}")
    parse_masks(config.masks)


def validate_gan_config(config: ml_collections.ConfigDict, num_levels: int) -> None:
    """Check every section a GAN experiment reads, before anything compiles."""
    validate_data_config(config)
    require_non_negative(config, "loss.wavelet_weight")
    # The wavelet loss halves the image three times, so it needs sizes divisible by 8 as well.
    required_levels = max(num_levels, 3) if config.loss.wavelet_weight else num_levels
    try:
        check_image_size(config.image_size, config.image_size, required_levels)
    except ValueError as error:
        raise ConfigError(f"config.image_size: {error}") from None
    require_choice(config, "loss.adversarial", ADVERSARIAL_KINDS)
    require_positive(config, "loss.critic_steps", "loss.clip_value")
    require_non_negative(config, "loss.adversarial_weight", "loss.l1_weight", "loss.ssim_weight", "loss.wavelet_weight")
    require_positive(config, "optimizer.generator_learning_rate", "optimizer.critic_learning_rate")
    require_in_range(config, "optimizer.b1", 0.0, 0.999999)
    require_in_range(config, "optimizer.b2", 0.0, 0.999999)
    engine.validate_train_config(config.train)


# ----------------------------------------------------------------------------------------------
# Data and training
# ----------------------------------------------------------------------------------------------


def load_data(config: ml_collections.ConfigDict) -> dict[str, np.ndarray]:
    """Return the training pool (real slices plus phantoms) and the held-out real test slices."""
    slices = load_real_slices(config.image_size, seed=config.data.seed)
    phantoms = random_ellipse_phantoms(config.data.num_phantoms, config.image_size, seed=config.data.seed)
    pool = training.make_image_pool(np.asarray(slices["train"]), np.asarray(phantoms))
    return {"pool": pool, "test": np.asarray(slices["test"], np.complex64)}


def train_and_compare(kind: str, config: ml_collections.ConfigDict, run: engine.RunFolder) -> dict:
    """Train one GAN per mask and evaluate it on the held-out slices.

    Returns {"masks": {mask name: {"kind", "fraction", "mask", "images", "quality"}}, "test": slices}.
    """
    data = load_data(config)
    size = (config.image_size, config.image_size)
    results = {}
    for mask_kind, fraction in parse_masks(config.masks):
        mask = make_mask(mask_kind, size, fraction, seed=config.seed)
        setup = training.make_gan(kind, config)
        task = training.make_task(
            setup, data["pool"], mask, batch_size=config.train.batch_size, seed=config.seed, eval_targets=data["test"]
        )
        name = mask_name(mask_kind, fraction)
        result = engine.train(task, config.train, run, name=name)

        images = training.reconstruct_all(setup, result.state, data["test"], mask)
        quality = {method: training.image_quality(images[method], data["test"]) for method in METHODS}
        results[name] = {"kind": mask_kind, "fraction": fraction, "mask": mask, "images": images, "quality": quality}
    return {"masks": results, "test": data["test"]}


def summarize(outcome: dict) -> dict:
    """Return mean PSNR/SSIM per mask and method, and the PSNR gain over zero-filled at 20% 1-D Gaussian."""
    table = {}
    for name, entry in outcome["masks"].items():
        row = {}
        for method, quality in entry["quality"].items():
            row[f"{method}_psnr"] = float(quality["psnr"].mean())
            row[f"{method}_ssim"] = float(quality["ssim"].mean())
        row["psnr_gain"] = row["gan_psnr"] - row["zero_filled_psnr"]
        row["psnr_gain_with_dc"] = row["gan_dc_psnr"] - row["zero_filled_psnr"]
        row["min_psnr_gain"] = float(np.min(entry["quality"]["gan"]["psnr"] - entry["quality"]["zero_filled"]["psnr"]))
        table[name] = row

    summary: dict = {"table": table, "num_test_slices": int(len(outcome["test"]))}
    check = mask_name(*CHECK_MASK)
    if check in table:
        summary["psnr_gain_gaussian1d_20"] = table[check]["psnr_gain"]
        summary["psnr_gain_with_dc_gaussian1d_20"] = table[check]["psnr_gain_with_dc"]
    return summary


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------


def reconstruction_figure(entry: dict, targets: np.ndarray, num_slices: int, title: str):
    """Plot zero-filled, GAN, GAN + DC, target and |GAN - target| side by side for held-out slices."""
    import matplotlib.pyplot as plt

    num_slices = min(num_slices, len(targets))
    columns = ["zero-filled", "GAN", "GAN + DC", "target", "error |GAN - target|"]
    figure, axes = plt.subplots(num_slices, len(columns), figsize=(2.4 * len(columns), 2.4 * num_slices), squeeze=False)
    for row in range(num_slices):
        target = np.abs(targets[row])
        panels = [
            np.abs(entry["images"]["zero_filled"][row]),
            np.abs(entry["images"]["gan"][row]),
            np.abs(entry["images"]["gan_dc"][row]),
            target,
        ]
        for column, panel in enumerate(panels):
            axes[row, column].imshow(panel, cmap="gray", vmin=0.0, vmax=1.0)
        error = np.abs(np.abs(entry["images"]["gan"][row]) - target)
        axes[row, 4].imshow(error, cmap="inferno", vmin=0.0, vmax=max(float(error.max()), 1e-6))

        psnr_values = [entry["quality"][method]["psnr"][row] for method in METHODS]
        for column, value in enumerate(psnr_values):
            axes[row, column].set_xlabel(f"{value:.2f} dB", fontsize=8)

    for column, label in enumerate(columns):
        axes[0, column].set_title(label, fontsize=9)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def table_figure(rows: list[list[str]], header: list[str], title: str):
    """Render a table of strings as a matplotlib figure."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(2.2 * len(header), 0.5 * (len(rows) + 2)))
    axis.axis("off")
    table = axis.table(cellText=rows, colLabels=header, loc="center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1.0, 1.3)
    axis.set_title(title, fontsize=10)
    return figure


def quality_table_rows(summary_table: dict) -> tuple[list[str], list[list[str]]]:
    """Return (header, rows) of PSNR / SSIM per mask and method from `summarize`'s table."""
    header = ["mask", *(f"{METHOD_LABELS[method]}\nPSNR / SSIM" for method in METHODS)]
    rows = []
    for name, row in summary_table.items():
        cells = [f"{row[f'{method}_psnr']:.2f} / {row[f'{method}_ssim']:.3f}" for method in METHODS]
        rows.append([name, *cells])
    return header, rows


def run_gan_experiment(kind: str, label: str, config: ml_collections.ConfigDict, workdir: str) -> dict:
    """Train `kind` per mask, save the figures and summary, and return the summary."""
    run = engine.RunFolder.open(workdir, config)
    outcome = train_and_compare(kind, config, run)
    summary = summarize(outcome)

    setup = training.make_gan(kind, config)
    summary["generator_parameters"] = count_parameters(setup.generator, config.image_size).total
    summary["critic_parameters"] = count_parameters(setup.critic, config.image_size).total

    for name, entry in outcome["masks"].items():
        title = f"{label}, {name.replace('_', ' ')}% sampling, held-out real slices"
        run.save_figure(reconstruction_figure(entry, outcome["test"], config.num_figure_slices, title), f"reconstructions_{name}")
    header, rows = quality_table_rows(summary["table"])
    run.save_figure(table_figure(rows, header, f"{label}: mean PSNR (dB) / SSIM on held-out real slices"), "quality_table")

    summary = run.write_summary(summary)
    run.close()
    print(f"{label}: summary in {run.summary_path}, figures in {run.figures_dir}")
    return summary
