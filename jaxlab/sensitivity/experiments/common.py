"""Steps shared by the sensitivity experiments: train each architecture, measure accuracy and sensitivity, plot curves."""

from __future__ import annotations

from typing import Any

import jax
import ml_collections
import numpy as np

from jaxlab import engine
from jaxlab.config import ConfigError, get_value, require_non_negative, require_positive
from jaxlab.data.sequences import SequenceDataset
from jaxlab.nn.classifiers import ARCHITECTURES, make_classifier
from jaxlab.sensitivity.noise import noise_sensitivity_batched
from jaxlab.sensitivity.training import accuracy, make_classifier_task


def validate_architectures(config: ml_collections.ConfigDict, key: str = "architectures") -> None:
    """Raise ConfigError unless `config.<key>` is a non-empty sequence of names from ARCHITECTURES."""
    value = get_value(config, key)
    if isinstance(value, str) or not value:
        raise ConfigError(f"config.{key} must be a non-empty tuple drawn from {ARCHITECTURES}, got {value!r}")
    for name in value:
        if name not in ARCHITECTURES:
            raise ConfigError(f"config.{key} entries must be in {ARCHITECTURES}, got {name!r}")


def validate_model_and_sensitivity(config: ml_collections.ConfigDict) -> None:
    """Check config.model (width, depth, num_heads), config.weight_decay and config.sensitivity."""
    require_positive(config, "model.width", "model.depth", "model.num_heads")
    for key in ("model.width", "model.depth", "model.num_heads"):
        if not isinstance(get_value(config, key), int):
            raise ConfigError(f"config.{key} must be an integer, got {get_value(config, key)!r}")
    if config.model.width % config.model.num_heads:
        raise ConfigError(
            f"config.model.width={config.model.width} must be divisible by config.model.num_heads={config.model.num_heads}"
        )
    require_non_negative(config, "weight_decay")
    require_positive(config, "sensitivity.num_draws", "sensitivity.num_examples", "sensitivity.batch_size")
    require_non_negative(config, "sensitivity.sigma")
    engine.validate_train_config(config.train)


def build_classifier(architecture: str, model_config: ml_collections.ConfigDict, dataset: SequenceDataset):
    """Build `architecture` sized by config.model for the inputs and classes of `dataset`."""
    return make_classifier(
        architecture,
        num_classes=dataset.num_classes,
        width=model_config.width,
        depth=model_config.depth,
        vocab_size=dataset.vocab_size,
        num_heads=model_config.num_heads,
        max_length=max(dataset.sequence_length, 1),
    )


def train_classifier(
    architecture: str,
    dataset: SequenceDataset,
    config: ml_collections.ConfigDict,
    run: engine.RunFolder,
    name: str,
    *,
    regularizer_weight: float = 0.0,
    regularizer_sigma: float = 0.0,
):
    """Train one architecture on `dataset` through the engine; return (model, variables, TrainResult)."""
    model = build_classifier(architecture, config.model, dataset)
    task = make_classifier_task(
        model,
        dataset.train_inputs,
        dataset.train_labels,
        batch_size=config.train.batch_size,
        learning_rate=config.train.learning_rate,
        weight_decay=config.weight_decay,
        data_seed=config.seed,
        regularizer_weight=regularizer_weight,
        regularizer_sigma=regularizer_sigma,
    )
    result = engine.train(task, config.train, run, name=name)
    return model, {"params": result.state.params}, result


def measure_classifier(model, variables, dataset: SequenceDataset, sensitivity_config, key: jax.Array) -> dict[str, Any]:
    """Return test accuracy and the noise sensitivity of a trained classifier on the first test examples."""
    examples = dataset.test_inputs[: sensitivity_config.num_examples]
    sensitivity = noise_sensitivity_batched(
        model,
        variables,
        examples,
        key,
        sigma=sensitivity_config.sigma,
        num_draws=sensitivity_config.num_draws,
        batch_size=sensitivity_config.batch_size,
    )
    return {
        "test_accuracy": accuracy(model, variables, dataset.test_inputs, dataset.test_labels),
        "sensitivity": float(sensitivity.mean_per_position),
        "sensitivity_all_positions": float(sensitivity.all_positions),
        "per_position": np.asarray(sensitivity.per_position).tolist(),
    }


def compare_architectures(
    dataset: SequenceDataset, dataset_name: str, config: ml_collections.ConfigDict, run: engine.RunFolder
) -> dict[str, dict[str, Any]]:
    """Train every architecture in config.architectures on `dataset` and measure each; keyed by architecture."""
    results = {}
    for index, architecture in enumerate(config.architectures):
        model, variables, _ = train_classifier(architecture, dataset, config, run, f"{dataset_name}_{architecture}")
        key = jax.random.fold_in(jax.random.key(config.seed), index)
        results[architecture] = measure_classifier(model, variables, dataset, config.sensitivity, key)
        run.log_metrics(
            config.train.num_steps,
            {f"{dataset_name}_{architecture}/{name}": value
             for name, value in results[architecture].items() if name != "per_position"},
        )
    return results


def plot_position_curves(results: dict[str, dict[str, Any]], title: str, sigma: float):
    """Plot each architecture's per-position flip rate against the position."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.5))
    for architecture, measured in results.items():
        curve = np.asarray(measured["per_position"])
        axes.plot(np.arange(len(curve)), curve, marker=".", label=f"{architecture} (mean {curve.mean():.3f})")
    axes.set_xlabel("perturbed position (token, time step or patch index)")
    axes.set_ylabel(f"label-flip rate (sigma={sigma})")
    axes.set_title(title)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def plot_bars(results: dict[str, dict[str, Any]], title: str):
    """Plot test accuracy and mean per-position sensitivity per architecture side by side."""
    import matplotlib.pyplot as plt

    names = list(results)
    figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
    left.bar(names, [results[name]["test_accuracy"] for name in names], color="tab:blue")
    left.set_ylabel("test accuracy")
    right.bar(names, [results[name]["sensitivity"] for name in names], color="tab:orange")
    right.set_ylabel("sensitivity (mean flip rate)")
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def summarize(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Keep the scalar numbers of each architecture and name the least sensitive one."""
    scalars = {
        architecture: {name: value for name, value in measured.items() if name != "per_position"}
        for architecture, measured in results.items()
    }
    least = min(scalars, key=lambda architecture: scalars[architecture]["sensitivity"])
    return {"per_architecture": scalars, "least_sensitive": least}
