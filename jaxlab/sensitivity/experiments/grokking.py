"""Grokking experiment: sensitivity and test accuracy of a transformer over training on modular addition.

A small transformer is trained full-batch with AdamW and strong weight decay on a fraction of all
pairs (a, b) mod p. Every `train.eval_every` steps the evaluation hook records train and test
accuracy and the noise sensitivity on all p^2 inputs, with noise on one token embedding at a time.
The noise standard deviation is `sensitivity.relative_sigma` times the root-mean-square entry of
the embedding table at that step: weight decay shrinks the embeddings by orders of magnitude during
grokking, and a fixed sigma would measure that shrinkage rather than the function.
The summary compares the step at which sensitivity has fallen to half its peak with the step at
which test accuracy first reaches 0.5.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxlab import engine
from jaxlab.config import ConfigError, require_in_range, require_non_negative, require_positive
from jaxlab.data.sequences import make_modular_addition
from jaxlab.sensitivity.experiments import common
from jaxlab.sensitivity.noise import noise_sensitivity
from jaxlab.sensitivity.training import accuracy, make_classifier_task


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError naming the first invalid key."""
    require_in_range(config, "prime", 3, 1000)
    require_in_range(config, "train_fraction", 0.05, 0.95)
    require_positive(config, "model.width", "model.depth", "model.num_heads", "sensitivity.num_draws")
    require_non_negative(config, "weight_decay", "sensitivity.relative_sigma")
    if config.model.width % config.model.num_heads:
        raise ConfigError(
            f"config.model.width={config.model.width} must be divisible by config.model.num_heads={config.model.num_heads}"
        )
    require_positive(config, "train.eval_every")
    engine.validate_train_config(config.train)
    num_train = int(round(config.train_fraction * config.prime**2))
    if config.train.batch_size > num_train:
        raise ConfigError(
            f"config.train.batch_size={config.train.batch_size} must be <= the {num_train} training pairs"
        )


def first_step(steps: np.ndarray, condition: np.ndarray) -> int | None:
    """Return the first step where `condition` holds, or None."""
    hits = np.flatnonzero(condition)
    return int(steps[hits[0]]) if hits.size else None


def grokking_milestones(steps, sensitivity, test_accuracy, train_accuracy) -> dict[str, Any]:
    """Return the steps of the sensitivity peak, its fall to half the peak, train fit and the test-accuracy rise."""
    steps, sensitivity = np.asarray(steps), np.asarray(sensitivity)
    peak = int(np.argmax(sensitivity))
    after_peak = np.arange(len(steps)) > peak
    fall = first_step(steps, after_peak & (sensitivity <= 0.5 * sensitivity[peak]))
    rise = first_step(steps, np.asarray(test_accuracy) >= 0.5)
    return {
        "sensitivity_peak_step": int(steps[peak]),
        "sensitivity_half_fall_step": fall,
        "train_fit_step": first_step(steps, np.asarray(train_accuracy) >= 0.99),
        "test_rise_step": rise,
        "sensitivity_falls_before_test_rises": fall is not None and rise is not None and fall <= rise,
    }


def _plot(history: dict[str, np.ndarray]):
    import matplotlib.pyplot as plt

    figure, left = plt.subplots(figsize=(6.5, 3.5))
    left.plot(history["step"], history["train_accuracy"], label="train accuracy", color="tab:blue", linestyle=":")
    left.plot(history["step"], history["test_accuracy"], label="test accuracy", color="tab:blue")
    left.set_xlabel("step")
    left.set_ylabel("accuracy")
    right = left.twinx()
    right.plot(history["step"], history["sensitivity"], label="sensitivity", color="tab:red")
    right.set_ylabel("sensitivity (mean flip rate)", color="tab:red")
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    left.legend(handles=handles, loc="center left", fontsize=8)
    figure.tight_layout()
    return figure


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
    """Train on modular addition, tracking sensitivity and accuracy; write curves and milestone steps."""
    validate_config(config)
    run = engine.RunFolder.open(workdir, config)
    dataset = make_modular_addition(config.prime, config.train_fraction, seed=config.seed)
    model = common.build_classifier("transformer", config.model, dataset)
    all_inputs = jnp.asarray(np.concatenate([dataset.train_inputs, dataset.test_inputs]))
    sensitivity_key = jax.random.key(config.seed + 1)

    def evaluate(state, step: int) -> dict[str, float]:
        variables = {"params": state.params}
        embedding = state.params["input"]["token_embedding"]["embedding"]
        embedding_rms = jnp.sqrt(jnp.mean(embedding**2))
        measured = noise_sensitivity(
            model, variables, all_inputs, sensitivity_key,
            sigma=config.sensitivity.relative_sigma * embedding_rms, num_draws=config.sensitivity.num_draws,
        )
        return {
            "train_accuracy": accuracy(model, variables, dataset.train_inputs, dataset.train_labels),
            "test_accuracy": accuracy(model, variables, dataset.test_inputs, dataset.test_labels),
            "sensitivity": float(measured.mean_per_position),
            "embedding_rms": float(embedding_rms),
        }

    task = make_classifier_task(
        model, dataset.train_inputs, dataset.train_labels,
        batch_size=config.train.batch_size, learning_rate=config.train.learning_rate,
        weight_decay=config.weight_decay, data_seed=config.seed, evaluate=evaluate,
    )
    result = engine.train(task, config.train, run, name="transformer")

    rows = [row for row in result.history if "sensitivity" in row]
    history = {key: np.array([row[key] for row in rows]) for key in ("step", "train_accuracy", "test_accuracy", "sensitivity")}
    run.save_figure(_plot(history), "grokking")

    summary = {
        "final_train_accuracy": float(history["train_accuracy"][-1]),
        "final_test_accuracy": float(history["test_accuracy"][-1]),
        "final_sensitivity": float(history["sensitivity"][-1]),
        "peak_sensitivity": float(history["sensitivity"].max()),
        **grokking_milestones(history["step"], history["sensitivity"], history["test_accuracy"], history["train_accuracy"]),
    }
    summary = run.write_summary(summary)
    run.close()
    print(f"grokking: summary in {run.summary_path}, figures in {run.figures_dir}")
    return summary
