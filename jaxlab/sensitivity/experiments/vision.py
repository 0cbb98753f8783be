"""Vision experiment: accuracy and noise sensitivity of the four architectures on mnist1d and 8x8 digits."""

from __future__ import annotations

from typing import Any

import ml_collections

from jaxlab import engine
from jaxlab.config import require_choice, require_in_range, require_positive
from jaxlab.data.sequences import load_digits_patches, load_mnist1d
from jaxlab.sensitivity.experiments import common


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError naming the first invalid key."""
    common.validate_architectures(config)
    common.validate_model_and_sensitivity(config)
    require_positive(config, "mnist1d.sigma", "digits.sigma")
    require_in_range(config, "mnist1d.num_samples", 100, 10**6)
    require_choice(config, "digits.patch_size", (1, 2, 4, 8))  # patches must tile the 8x8 image

def _run_dataset(dataset, name: str, sigma: float, config, run) -> dict[str, Any]:
    with config.unlocked():
        config.sensitivity.sigma = sigma
    results = common.compare_architectures(dataset, name, config, run)
    run.save_figure(common.plot_position_curves(results, f"{name}: per-position sensitivity", sigma), f"{name}_positions")
    run.save_figure(common.plot_bars(results, f"{name}: accuracy and sensitivity"), f"{name}_bars")
    return {**common.summarize(results), "sigma": sigma, "per_position": {a: r["per_position"] for a, r in results.items()}}


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
    """Train every architecture on mnist1d and on digits patches; write accuracy, sensitivity and curves."""
    validate_config(config)
    run = engine.RunFolder.open(workdir, config)
    config = ml_collections.ConfigDict(config.to_dict())  # a private unlocked copy for per-data-set sigma

    mnist1d = load_mnist1d(num_samples=config.mnist1d.num_samples, seed=config.mnist1d.seed)
    digits = load_digits_patches(patch_size=config.digits.patch_size, seed=config.seed)
    summary = {
        "mnist1d": _run_dataset(mnist1d, "mnist1d", config.mnist1d.sigma, config, run),
        "digits": _run_dataset(digits, "digits", config.digits.sigma, config, run),
    }
    summary = run.write_summary(summary)
    run.close()
    print(f"vision: summary in {run.summary_path}, figures in {run.figures_dir}")
    return summary
