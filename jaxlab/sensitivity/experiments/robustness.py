"""Robustness experiment: a transformer trained with and without the sensitivity regularizer on digits patches.

Both models share data, initialization seed and steps; they differ only in the regularizer weight.
Each is scored on clean test accuracy, noise sensitivity, and accuracy under Gaussian pixel noise
and patch occlusion at several severities.
"""

from __future__ import annotations

from typing import Any

import jax
import ml_collections

from jaxlab import engine
from jaxlab.config import ConfigError, require_choice, require_positive
from jaxlab.data.sequences import load_digits_patches
from jaxlab.sensitivity.corruptions import gaussian_noise, occlude_patches
from jaxlab.sensitivity.experiments import common
from jaxlab.sensitivity.training import accuracy


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError naming the first invalid key."""
    require_choice(config, "architecture", ("transformer", "lstm", "mlp", "cnn"))
    common.validate_model_and_sensitivity(config)
    require_positive(config, "regularizer.weight", "regularizer.sigma")
    require_choice(config, "digits.patch_size", (1, 2, 4, 8))
    for key in ("corruptions.noise_sigmas", "corruptions.occlusion_fractions"):
        values = config.corruptions[key.split(".")[1]]
        if not values or any(not isinstance(v, (int, float)) or v < 0 for v in values):
            raise ConfigError(f"config.{key} must be a non-empty tuple of numbers >= 0, got {values!r}")
    if any(v > 1 for v in config.corruptions.occlusion_fractions):
        raise ConfigError(f"config.corruptions.occlusion_fractions must be in [0, 1], got {config.corruptions.occlusion_fractions!r}")


def corrupted_accuracies(model, variables, dataset, corruptions, seed: int) -> dict[str, dict[str, float]]:
    """Return accuracy under each corruption and severity, keyed "gaussian_noise" / "occlusion" then severity."""
    inputs, labels = dataset.test_inputs, dataset.test_labels
    noise = {str(s): accuracy(model, variables, gaussian_noise(inputs, s, seed), labels) for s in corruptions.noise_sigmas}
    occlusion = {str(f): accuracy(model, variables, occlude_patches(inputs, f, seed), labels)
                 for f in corruptions.occlusion_fractions}
    return {"gaussian_noise": noise, "occlusion": occlusion}


def _plot(results: dict[str, dict[str, Any]]):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for axis, corruption, label in zip(axes, ("gaussian_noise", "occlusion"), ("noise sigma", "occluded fraction")):
        for name, measured in results.items():
            severities = list(measured[corruption])
            axis.plot([float(s) for s in severities], [measured[corruption][s] for s in severities],
                      marker="o", label=f"{name} (sensitivity {measured['sensitivity']:.3f})")
        axis.set_xlabel(label)
        axis.set_ylabel("test accuracy")
        axis.legend(fontsize=7)
    figure.tight_layout()
    return figure


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
    """Train the plain and the regularized model; write sensitivity, clean and corrupted accuracy of both."""
    validate_config(config)
    run = engine.RunFolder.open(workdir, config)
    dataset = load_digits_patches(patch_size=config.digits.patch_size, seed=config.seed)

    results = {}
    for index, (name, weight) in enumerate((("plain", 0.0), ("regularized", config.regularizer.weight))):
        model, variables, _ = common.train_classifier(
            config.architecture, dataset, config, run, name,
            regularizer_weight=weight, regularizer_sigma=config.regularizer.sigma,
        )
        key = jax.random.fold_in(jax.random.key(config.seed), index)
        measured = common.measure_classifier(model, variables, dataset, config.sensitivity, key)
        measured.update(corrupted_accuracies(model, variables, dataset, config.corruptions, config.seed))
        results[name] = measured

    run.save_figure(_plot(results), "robustness")
    run.save_figure(common.plot_position_curves(results, "per-position sensitivity", config.sensitivity.sigma), "positions")
    summary = {name: {k: v for k, v in measured.items() if k != "per_position"} for name, measured in results.items()}
    summary["sensitivity_reduced"] = results["regularized"]["sensitivity"] < results["plain"]["sensitivity"]
    summary = run.write_summary(summary)
    run.close()
    print(f"robustness: summary in {run.summary_path}, figures in {run.figures_dir}")
    return summary
