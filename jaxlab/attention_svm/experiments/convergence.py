"""Convergence of W_t to W_mm under GD, normalized GD and the Polyak step, averaged over many seeds.

Writes figures/convergence.png: the correlation with W_mm, the softmax weight on the optimal token and
the loss gap L - L* against iterations, as seed mean (median for the loss gap) with a 10-90 percentile
band. summary.json gives
the iterations each step rule needs to bring the mean correlation to config.threshold.
"""

from __future__ import annotations

import ml_collections
import numpy as np

from jaxlab.attention_svm.analysis import iterations_to_reach
from jaxlab.attention_svm.experiments import common
from jaxlab.engine.run_folder import RunFolder


def validate_config(config: ml_collections.ConfigDict) -> None:
    common.validate_common(config)


def summarize(simulation: common.Simulation, threshold: float) -> dict:
    """Return the headline numbers per step rule: iterations to the threshold, and values at checkpoints.

    Iterations to the threshold are counted on the seed mean and on the seed median of the correlation.
    """
    summary: dict = {"threshold": threshold}
    for rule, history in simulation.histories.items():
        correlation = history["correlation"].mean(axis=0)
        attention = history["optimal_attention"].mean(axis=0)
        last = correlation.size - 1
        checkpoints = [step for step in (100, 400, 1000) if step <= last] + [last]
        summary[f"{rule}_iterations_to_threshold"] = iterations_to_reach(correlation, threshold)
        # The median curve is not held back by the rare seed that locks onto another token.
        median = np.median(history["correlation"], axis=0)
        summary[f"{rule}_iterations_to_threshold_median"] = iterations_to_reach(median, threshold)
        summary[f"{rule}_iterations_to_optimal_attention_0.99"] = iterations_to_reach(attention, 0.99)
        summary[f"{rule}_final_correlation"] = float(correlation[-1])
        summary[f"{rule}_final_optimal_attention"] = float(attention[-1])
        summary[f"{rule}_final_loss"] = float(history["loss"].mean(axis=0)[-1])
        summary[f"{rule}_seeds_at_threshold_fraction"] = float(np.mean(history["correlation"][:, -1] >= threshold))
        summary[f"{rule}_correlation_at"] = {str(step): float(correlation[step]) for step in checkpoints}
        summary[f"{rule}_train_seconds"] = simulation.seconds[rule]
    return summary


def plot(simulation: common.Simulation, threshold: float):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    common.plot_metric(axes[0], simulation.histories, "correlation")
    axes[0].axhline(threshold, color="gray", linestyle="--", linewidth=0.8)
    axes[0].set_ylabel(r"$\langle W_t, W_{mm}\rangle / \|W_t\|\|W_{mm}\|$")
    common.plot_metric(axes[1], simulation.histories, "optimal_attention")
    axes[1].set_ylabel("softmax weight on optimal token")
    # The fixed-decoder loss tends to L* > 0, so the gap L - L* shows the decay on a log scale. Its
    # median is drawn because one seed stuck on another token would dominate the mean.
    common.plot_metric(axes[2], simulation.histories, "loss_gap", log_y=True, center="median")
    axes[2].set_ylabel(r"loss gap $L(W_t) - L^*$ (median)")
    for axis in axes:
        axis.set_xscale("log")
    axes[0].legend(title="mean, 10-90% band")
    figure.suptitle("Gradient descent on self-attention: convergence to W_mm by step rule")
    figure.tight_layout()
    return figure


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict:
    """Train every step rule on all seeds, log the seed means, save the figure and return the summary."""
    validate_config(config)
    run = RunFolder.open(workdir, config)

    data = common.make_seed_data(config)
    reference = common.solve_references(data, norm="fro")
    simulation = common.simulate(config, data, reference)
    common.log_histories(run, simulation.histories, config.log_every)

    figure_path = run.save_figure(plot(simulation, config.threshold), "convergence")
    summary = common.underflow_summary(simulation.histories) | summarize(simulation, config.threshold)
    summary = run.write_summary(summary)
    run.close()
    print(f"convergence: summary in {run.summary_path}, figure in {figure_path}")
    return summary
