"""The factorized form W = K Q^T: gradient steps on (K, Q) approach the nuclear-norm W_mm, not the Frobenius one.

Each iterate's K Q^T is compared with both max-margin solutions. The summary gives, per rule, the final
mean correlation with each and the iterations to config.threshold for the nuclear-norm one, next to the
correlation between the two solutions themselves. Writes figures/kq.png and summary.json.

NOTE: with NGD the product K Q^T grows quadratically, so its gradient underflows float32 within a few
hundred iterations and K Q^T freezes (about 0.9 correlation with the nuclear-norm W_mm at n = 6, T = 8,
d = 10). The summary gives that iteration as "ngd_gradient_underflow_iteration". GD keeps moving, slowly.
"""

from __future__ import annotations

import ml_collections
import numpy as np

from jaxlab.attention_svm.analysis import iterations_to_reach
from jaxlab.attention_svm.experiments import common
from jaxlab.attention_svm.training import correlation
from jaxlab.config import ConfigError
from jaxlab.engine.run_folder import RunFolder


def validate_config(config: ml_collections.ConfigDict) -> None:
    common.validate_common(config)
    if config.model.parametrization != "kq":
        raise ConfigError(
            f"config.model.parametrization must be 'kq' for this experiment, got {config.model.parametrization!r}"
        )


def summarize(simulation: common.Simulation, threshold: float) -> dict:
    """Return the final correlations with the nuclear- and Frobenius-norm W_mm for every step rule."""
    reference = simulation.reference
    between = [
        float(correlation(nuclear, frobenius)) for nuclear, frobenius in zip(reference.w, reference.w_alternative)
    ]
    summary: dict = {"threshold": threshold, "nuclear_frobenius_correlation": float(np.mean(between))}
    for rule, history in simulation.histories.items():
        nuclear = history["correlation"].mean(axis=0)
        summary[f"{rule}_final_nuclear_correlation"] = float(nuclear[-1])
        summary[f"{rule}_final_frobenius_correlation"] = float(history["alternative_correlation"].mean(axis=0)[-1])
        summary[f"{rule}_iterations_to_threshold"] = iterations_to_reach(nuclear, threshold)
    return summary


def plot(simulation: common.Simulation):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    common.plot_metric(axes[0], simulation.histories, "correlation")
    axes[0].set_ylabel(r"correlation of $KQ^\top$ with nuclear $W_{mm}$")
    common.plot_metric(axes[1], simulation.histories, "alternative_correlation")
    axes[1].set_ylabel(r"correlation of $KQ^\top$ with Frobenius $W_{mm}$")
    common.plot_metric(axes[2], simulation.histories, "optimal_attention")
    axes[2].set_ylabel("softmax weight on optimal token")
    for axis in axes:
        axis.set_xscale("log")
    axes[0].legend(title="mean, 10-90%")
    figure.tight_layout()
    return figure


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict:
    """Train (K, Q) with every step rule, log the seed means, save the figure and return the summary."""
    validate_config(config)
    run = RunFolder.open(workdir, config)

    data = common.make_seed_data(config)
    reference = common.solve_references(data, norm="nuclear", alternative_norm="fro")
    simulation = common.simulate(config, data, reference)
    common.log_histories(run, simulation.histories, config.log_every)

    figure_path = run.save_figure(plot(simulation), "kq")
    summary = common.underflow_summary(simulation.histories) | summarize(simulation, config.threshold)
    summary = run.write_summary(summary)
    run.close()
    print(f"kq: summary in {run.summary_path}, figure in {figure_path}")
    return summary
