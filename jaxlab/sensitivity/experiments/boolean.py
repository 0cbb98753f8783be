"""Boolean experiment: exact sensitivity of the four architectures at random initialization and after training.

At initialization, each architecture is initialized with `init.num_seeds` keys at once (vmapped)
and the exact average sensitivity of each resulting function on the n-bit cube is computed. After
training on a sparse parity and on a random threshold of low-degree parities, the exact
sensitivity of every trained model is compared with the target's.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxlab import engine
from jaxlab.config import ConfigError, require_in_range, require_positive
from jaxlab.data import boolean as boolean_data
from jaxlab.data.sequences import SequenceDataset
from jaxlab.nn.classifiers import make_classifier
from jaxlab.sensitivity.boolean import average_sensitivity, classifier_boolean_sensitivity, cube_tokens
from jaxlab.sensitivity.experiments import common
from jaxlab.sensitivity.training import accuracy


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError naming the first invalid key."""
    common.validate_architectures(config)
    require_in_range(config, "num_bits", 2, 20)
    require_positive(config, "model.width", "model.depth", "model.num_heads", "init.num_seeds")
    require_positive(config, "targets.num_train", "targets.num_terms")
    require_in_range(config, "targets.parity_size", 1, config.num_bits)
    require_in_range(config, "targets.degree", 1, config.num_bits)
    if config.model.width % config.model.num_heads:
        raise ConfigError(
            f"config.model.width={config.model.width} must be divisible by config.model.num_heads={config.model.num_heads}"
        )
    if config.train.batch_size > config.targets.num_train:
        raise ConfigError(
            f"config.train.batch_size={config.train.batch_size} must be <= config.targets.num_train={config.targets.num_train}"
        )
    engine.validate_train_config(config.train)


def _boolean_model(architecture: str, config: ml_collections.ConfigDict):
    return make_classifier(
        architecture,
        num_classes=2,
        width=config.model.width,
        depth=config.model.depth,
        vocab_size=2,
        num_heads=config.model.num_heads,
        max_length=config.num_bits,
    )


def sensitivity_at_init(architecture: str, config: ml_collections.ConfigDict) -> np.ndarray:
    """Return the exact average sensitivity of `init.num_seeds` random initializations, shape (num_seeds,)."""
    model = _boolean_model(architecture, config)
    num_bits = config.num_bits
    keys = jax.random.split(jax.random.key(config.seed), config.init.num_seeds)
    example = jnp.zeros((1, num_bits), jnp.int32)

    # Initialization and measurement are compiled as two programs, which keeps each compile short.
    variables = jax.jit(jax.vmap(lambda key: model.init(key, example)))(keys)

    @jax.jit
    def sensitivities(variables):
        per_seed = lambda v: classifier_boolean_sensitivity(model, v, num_bits, chunk_size=min(2**num_bits, 4096))
        return jax.lax.map(per_seed, variables, batch_size=config.init.seeds_per_batch)

    return np.asarray(sensitivities(variables))


def _targets(config: ml_collections.ConfigDict) -> dict[str, tuple[np.ndarray, str]]:
    num_bits, targets = config.num_bits, config.targets
    support = tuple(range(targets.parity_size))
    parity = boolean_data.sparse_parity_table(num_bits, support)
    low_degree, supports = boolean_data.random_parity_sum_table(
        num_bits, targets.degree, targets.num_terms, seed=config.seed
    )
    return {
        "sparse_parity": (parity, f"parity of bits {support}"),
        "low_degree": (low_degree, f"sign of a random sum over supports {supports}"),
    }


def train_on_target(architecture: str, target_name: str, table: np.ndarray, config, run) -> dict[str, Any]:
    """Train on samples of `table` and return exact sensitivity and accuracy on the whole cube."""
    inputs, labels = boolean_data.sample_boolean_dataset(table, config.targets.num_train, seed=config.seed)
    cube = np.asarray(cube_tokens(config.num_bits))
    dataset = SequenceDataset(inputs, labels, cube, boolean_data.table_to_labels(table), num_classes=2, vocab_size=2)

    model_config = ml_collections.ConfigDict(dict(config.to_dict(), weight_decay=config.targets.weight_decay))
    model, variables, _ = common.train_classifier(architecture, dataset, model_config, run, f"{target_name}_{architecture}")
    sensitivity = classifier_boolean_sensitivity(model, variables, config.num_bits, chunk_size=min(2**config.num_bits, 4096))
    return {
        "sensitivity": float(sensitivity),
        "cube_accuracy": accuracy(model, variables, cube, dataset.test_labels),
        "train_accuracy": accuracy(model, variables, inputs, labels),
    }


def _plot_init(at_init: dict[str, np.ndarray], num_bits: int):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.5))
    bins = np.linspace(0, max(float(np.max(v)) for v in at_init.values()) + 1e-6, 30)
    for architecture, values in at_init.items():
        axes.hist(values, bins=bins, histtype="step", linewidth=1.5, label=f"{architecture} (mean {values.mean():.2f})")
    axes.set_xlabel(f"average sensitivity at initialization (n = {num_bits})")
    axes.set_ylabel("number of seeds")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _plot_trained(trained: dict[str, dict[str, dict]], target_sensitivity: dict[str, float]):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(trained), figsize=(4 * len(trained), 3.2), squeeze=False)
    for axis, (target_name, per_architecture) in zip(axes[0], trained.items()):
        names = list(per_architecture)
        axis.bar(names, [per_architecture[name]["sensitivity"] for name in names])
        axis.axhline(target_sensitivity[target_name], color="k", linestyle="--", label="target")
        axis.set_title(target_name)
        axis.set_ylabel("average sensitivity after training")
        axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
    """Measure sensitivity at initialization over many seeds, then after training on two targets."""
    validate_config(config)
    run = engine.RunFolder.open(workdir, config)

    at_init = {architecture: sensitivity_at_init(architecture, config) for architecture in config.architectures}
    run.save_figure(_plot_init(at_init, config.num_bits), "sensitivity_at_init")

    targets = _targets(config)
    target_sensitivity = {name: float(average_sensitivity(table)) for name, (table, _) in targets.items()}
    trained = {
        name: {architecture: train_on_target(architecture, name, table, config, run) for architecture in config.architectures}
        for name, (table, _) in targets.items()
    }
    run.save_figure(_plot_trained(trained, target_sensitivity), "sensitivity_after_training")

    summary = {
        "num_bits": config.num_bits,
        "at_init": {
            architecture: {
                "mean": float(values.mean()),
                "std": float(values.std()),
                "median": float(np.median(values)),
                "fraction_constant": float(np.mean(values == 0)),
            }
            for architecture, values in at_init.items()
        },
        "least_sensitive_at_init": min(at_init, key=lambda architecture: at_init[architecture].mean()),
        "targets": {name: {"description": description, "sensitivity": target_sensitivity[name]}
                    for name, (_, description) in targets.items()},
        "trained": trained,
    }
    summary = run.write_summary(summary)
    run.close()
    print(f"boolean: summary in {run.summary_path}, figures in {run.figures_dir}")
    return summary
