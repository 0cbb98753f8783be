"""Experiment entry points for the engine's example task (see experiments/engine/example.py)."""

from __future__ import annotations

import ml_collections

from jaxlab.config import require_positive
from jaxlab.engine.example_task import make_classifier_task
from jaxlab.engine.run_folder import RunFolder
from jaxlab.engine.trainer import train, validate_train_config


def validate_config(config: ml_collections.ConfigDict) -> None:
    require_positive(config, "input_dim")
    validate_train_config(config.train)


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict:
    """Train the example classifier, plot its loss curve and return the final accuracy."""
    validate_config(config)
    run = RunFolder.open(workdir, config)
    task = make_classifier_task(
        batch_size=config.train.batch_size, learning_rate=config.train.learning_rate, dim=config.input_dim
    )
    result = train(task, config.train, run)

    import matplotlib.pyplot as plt

    losses = [(row["step"], row["loss"]) for row in result.history if "loss" in row]
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.plot(*zip(*losses))
    axis.set_xlabel("step")
    axis.set_ylabel("cross-entropy")
    run.save_figure(figure, "loss")

    accuracy = [row["eval_accuracy"] for row in result.history if "eval_accuracy" in row]
    summary = run.write_summary({"final_step": result.step, "final_loss": losses[-1][1], "eval_accuracy": accuracy[-1]})
    run.close()
    return summary
