"""Pieces shared by the attention-SVM experiments: config checks, the many-seed simulation, logging and plots.

Every experiment config has the same three groups:
  config.data   setting, num_seeds, num_samples, num_tokens, dim, attention, options (generator keywords)
  config.model  parametrization ("w" or "kq"), rank (0 means d), init_scale, train_decoder
  config.train  num_steps, step_rules, gd_learning_rate, ngd_learning_rate, polyak_max_learning_rate
plus config.log_every (iterations between logged rows) and config.threshold (the correlation target).
"""

from __future__ import annotations

import dataclasses
import logging
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jaxlab.engine.progress import progress_bar

from jaxlab.attention_svm import data as data_lib
from jaxlab.attention_svm import model, step_rules, svm, training
from jaxlab.attention_svm.analysis import seed_statistics, underflow_iteration
from jaxlab.config import (
    ConfigError,
    get_value,
    require_choice,
    require_in_range,
    require_non_negative,
    require_positive,
)

logger = logging.getLogger("jaxlab")

RULE_LABELS = {"gd": "GD", "ngd": "NGD", "polyak": "Polyak"}
RULE_COLORS = {"gd": "tab:blue", "ngd": "tab:orange", "polyak": "tab:green"}


def validate_common(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError on an invalid data, model or train entry."""
    require_choice(config, "data.setting", sorted(data_lib.GENERATORS))
    require_choice(config, "data.attention", data_lib.ATTENTION_KINDS)
    require_positive(config, "data.num_seeds", "data.num_samples", "data.dim")
    require_in_range(config, "data.num_tokens", 2, 10_000)
    for key in ("data.num_seeds", "data.num_samples", "data.num_tokens", "data.dim", "model.rank"):
        if not isinstance(get_value(config, key), int):
            raise ConfigError(f"config.{key} must be an integer, got {get_value(config, key)!r}")
    if config.data.setting == "orthogonal" and config.data.dim < config.data.num_samples * config.data.num_tokens:
        raise ConfigError(
            "config.data.dim must be >= num_samples * num_tokens for orthogonal tokens, "
            f"got dim={config.data.dim} with {config.data.num_samples} x {config.data.num_tokens} tokens"
        )

    require_choice(config, "model.parametrization", model.PARAMETRIZATIONS)
    require_non_negative(config, "model.rank")
    require_positive(config, "model.init_scale")
    require_choice(config, "model.train_decoder", (True, False))

    require_positive(config, "train.num_steps", "log_every")
    require_in_range(config, "threshold", 0.0, 1.0)
    rules = tuple(get_value(config, "train.step_rules"))
    if not rules or any(rule not in step_rules.STEP_RULES for rule in rules) or len(set(rules)) != len(rules):
        raise ConfigError(f"config.train.step_rules must be distinct names from {step_rules.STEP_RULES}, got {rules}")
    require_positive(config, "train.gd_learning_rate", "train.ngd_learning_rate", "train.polyak_max_learning_rate")


def build_step_rule(config: ml_collections.ConfigDict, name: str):
    """Return the optax transformation for step rule `name` with the config's step sizes."""
    if name == "polyak":
        return step_rules.make_step_rule(name, max_learning_rate=float(config.train.polyak_max_learning_rate))
    return step_rules.make_step_rule(name, learning_rate=float(config.train[f"{name}_learning_rate"]))


def make_seed_data(config: ml_collections.ConfigDict) -> data_lib.AttentionData:
    """Draw one data set per seed, as described by config.data."""
    data_config = config.data
    key = jax.random.fold_in(jax.random.key(config.seed), 0)
    return data_lib.make_seeds_data(
        key,
        data_config.num_seeds,
        data_config.setting,
        data_config.num_samples,
        data_config.num_tokens,
        data_config.dim,
        attention=data_config.attention,
        **data_config.options.to_dict(),
    )


def solve_references(
    data: data_lib.AttentionData, norm: str, alternative_norm: str | None = None, with_decoder: bool = False
) -> training.Reference:
    """Solve W_mm (and the decoder SVM) for every seed on the CPU and stack them as a Reference."""
    tokens = np.asarray(data.tokens, dtype=np.float64)
    queries = np.asarray(data.queries, dtype=np.float64)
    optimal = np.asarray(data.optimal)
    labels = np.asarray(data.labels, dtype=np.float64)
    num_seeds, num_samples = optimal.shape

    w, w_alternative, decoders = [], [], []
    for seed in progress_bar(range(num_seeds), f"solving W_mm ({norm})", leave=False):
        w.append(svm.w_mm(tokens[seed], queries[seed], optimal[seed], norm=norm))
        if alternative_norm is not None:
            w_alternative.append(svm.w_mm(tokens[seed], queries[seed], optimal[seed], norm=alternative_norm))
        if with_decoder:
            selected = tokens[seed, np.arange(num_samples), optimal[seed]]
            decoders.append(svm.decoder_mm(selected, labels[seed]))

    def stacked(arrays):
        return jnp.asarray(np.stack(arrays), dtype=jnp.float32) if arrays else None

    return training.Reference(w=stacked(w), decoder=stacked(decoders), w_alternative=stacked(w_alternative))


def init_seed_params(config: ml_collections.ConfigDict, num_seeds: int) -> model.Params:
    """Draw the initial parameters of every seed from config.model."""
    keys = jax.random.split(jax.random.fold_in(jax.random.key(config.seed), 1), num_seeds)
    rank = config.model.rank or None

    def init_one(key):
        return training.init_params(
            key,
            config.data.dim,
            parametrization=config.model.parametrization,
            rank=rank,
            init_scale=config.model.init_scale,
            train_decoder=config.model.train_decoder,
        )

    return jax.vmap(init_one)(keys)


@dataclasses.dataclass
class Simulation:
    """Per-rule histories, each metric a (seeds, iterations) array, and the data behind them."""

    data: data_lib.AttentionData
    reference: training.Reference
    histories: dict[str, dict[str, np.ndarray]]
    final_params: dict[str, model.Params]
    seconds: dict[str, float]


def simulate(
    config: ml_collections.ConfigDict, data: data_lib.AttentionData, reference: training.Reference
) -> Simulation:
    """Train every step rule in config.train.step_rules on all seeds, one compiled call per rule."""
    params = init_seed_params(config, config.data.num_seeds)
    histories, final_params, seconds = {}, {}, {}
    for rule in progress_bar(tuple(config.train.step_rules), "step rules", leave=False):
        logger.info("training %s on %d seeds for %d iterations (compiling, this may take a minute)",
                    rule, config.data.num_seeds, config.train.num_steps)
        start = time.perf_counter()
        final, history = training.train_seeds(
            params, data, reference, build_step_rule(config, rule), int(config.train.num_steps)
        )
        history = jax.device_get(history)
        seconds[rule] = time.perf_counter() - start

        _raise_on_non_finite(rule, history)
        histories[rule] = {name: np.asarray(values) for name, values in history.items()}
        final_params[rule] = final
    return Simulation(data=data, reference=reference, histories=histories, final_params=final_params, seconds=seconds)


def _raise_on_non_finite(rule: str, history: dict) -> None:
    for name in ("loss", "correlation", "w_norm"):
        values = np.asarray(history[name])
        if not np.all(np.isfinite(values)):
            seed, iteration = np.argwhere(~np.isfinite(values))[0]
            raise FloatingPointError(
                f"{rule}: {name} became non-finite at iteration {iteration} of seed {seed}; "
                "lower the step size (or the Polyak cap config.train.polyak_max_learning_rate)"
            )


def underflow_summary(histories: dict[str, dict[str, np.ndarray]]) -> dict[str, int | None]:
    """Return "<rule>_gradient_underflow_iteration" per rule: where the median seed stopped moving in float32."""
    return {
        f"{rule}_gradient_underflow_iteration": underflow_iteration(history["gradient_norm"])
        for rule, history in histories.items()
    }


def log_histories(run, histories: dict[str, dict[str, np.ndarray]], every: int) -> None:
    """Log the seed means of every metric at iterations 0, every, 2 every, ... and the last one."""
    num_iterations = next(iter(histories.values()))["loss"].shape[1]
    logged = sorted(set(range(0, num_iterations, every)) | {num_iterations - 1})
    means = {
        f"{rule}/{name}": values.mean(axis=0) for rule, metrics in histories.items() for name, values in metrics.items()
    }
    for iteration in logged:
        run.log_metrics(iteration, {key: curve[iteration] for key, curve in means.items()})


def plot_metric(
    axis, histories: dict[str, dict[str, np.ndarray]], metric: str, log_y: bool = False, center: str = "mean"
) -> None:
    """Draw the seed `center` ("mean" or "median") and the 10-90 percentile band of `metric` per step rule."""
    for rule, metrics in histories.items():
        values = metrics[metric]
        stats = seed_statistics(values)
        iterations = np.arange(values.shape[1])
        color = RULE_COLORS.get(rule)
        axis.plot(iterations, stats[center], color=color, label=RULE_LABELS.get(rule, rule))
        axis.fill_between(iterations, stats["low"], stats["high"], color=color, alpha=0.2, linewidth=0)
    if log_y:
        axis.set_yscale("log")
    axis.set_xlabel("iteration")
    axis.grid(alpha=0.3)
