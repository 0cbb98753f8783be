"""Joint training of the key-query matrix W and the decoder v: loss decay and alignment of both parameters.

With the decoder trained, the loss tends to 0. W is compared with W_mm for the label-carrying tokens and
v with the decoder's hard-margin SVM on those tokens (`svm.decoder_mm`). The summary gives each rule's
final loss, the exponent a of a fitted exp(-c t^a) loss decay and the final correlations.
Writes figures/joint.png and summary.json.
"""

from __future__ import annotations

import ml_collections

from jaxlab.attention_svm.analysis import fit_stretched_exponent, iterations_to_reach, seed_statistics
from jaxlab.attention_svm.experiments import common
from jaxlab.config import ConfigError, require_in_range
from jaxlab.engine.run_folder import RunFolder


def validate_config(config: ml_collections.ConfigDict) -> None:
    common.validate_common(config)
    require_in_range(config, "fit_start", 0.0, 0.9)
    if not config.model.train_decoder:
        raise ConfigError("config.model.train_decoder must be True for the joint experiment, got False")


def summarize(simulation: common.Simulation, threshold: float, fit_start: float) -> dict:
    """Return each rule's final loss, fitted loss-decay exponent and final W and decoder correlations."""
    summary: dict = {"threshold": threshold}
    for rule, history in simulation.histories.items():
        loss = seed_statistics(history["loss"])["median"]
        start = max(1, int(fit_start * loss.size))
        w_correlation = history["correlation"].mean(axis=0)
        decoder_correlation = history["decoder_correlation"].mean(axis=0)

        summary[f"{rule}_final_loss_median"] = float(loss[-1])
        summary[f"{rule}_loss_decay_exponent"] = fit_stretched_exponent(loss, start)
        summary[f"{rule}_final_w_correlation"] = float(w_correlation[-1])
        summary[f"{rule}_final_decoder_correlation"] = float(decoder_correlation[-1])
        summary[f"{rule}_iterations_to_threshold"] = iterations_to_reach(w_correlation, threshold)
        summary[f"{rule}_final_optimal_attention"] = float(history["optimal_attention"].mean(axis=0)[-1])
    return summary


def plot(simulation: common.Simulation):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    common.plot_metric(axes[0], simulation.histories, "loss", log_y=True, center="median")
    axes[0].set_ylabel("logistic loss")
    common.plot_metric(axes[1], simulation.histories, "correlation")
    axes[1].set_ylabel(r"correlation of $W_t$ with $W_{mm}$")
    common.plot_metric(axes[2], simulation.histories, "decoder_correlation")
    axes[2].set_ylabel(r"correlation of $v_t$ with $v_{mm}$")
    for axis in axes:
        axis.set_xscale("log")
    axes[0].legend(title="loss: median; others: mean")
    figure.tight_layout()
    return figure


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict:
    """Train W and v jointly with every step rule, log the seed means, save the figure and return the summary."""
    validate_config(config)
    run = RunFolder.open(workdir, config)

    data = common.make_seed_data(config)
    reference = common.solve_references(data, norm="fro", with_decoder=True)
    simulation = common.simulate(config, data, reference)
    common.log_histories(run, simulation.histories, config.log_every)

    figure_path = run.save_figure(plot(simulation), "joint")
    summary = common.underflow_summary(simulation.histories) | summarize(simulation, config.threshold, config.fit_start)
    summary = run.write_summary(summary)
    run.close()
    print(f"joint: summary in {run.summary_path}, figure in {figure_path}")
    return summary
