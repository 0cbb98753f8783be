"""The one training loop that every paper's training runs on.

A paper supplies a `Task`: how to build the training state, one pure train step, the batch for each
step, and an optional evaluation hook. `train` owns everything else: a `jax.jit`-compiled step over a
data-parallel mesh with the state donated, replayable per-step keys, metric logging, progress, orbax
checkpoints with automatic resume, and a loud stop on non-finite losses or gradient norms.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax.sharding import Mesh

from jaxlab.config import ConfigError, require_divisible, require_non_negative, require_positive
from jaxlab.engine.checkpoint import Checkpoints
from jaxlab.engine.progress import Progress
from jaxlab.engine.run_folder import RunFolder
from jaxlab.engine.sharding import batch_sharding, make_mesh, replicated_sharding, shard_batch

logger = logging.getLogger("jaxlab")

PyTree = Any
Batch = Any
Metrics = dict[str, jax.Array]

# Metrics whose non-finite value means the run has diverged and must stop.
WATCHED_METRICS = ("loss", "grad_norm")


@dataclasses.dataclass(frozen=True)
class Task:
    """The parts of a training job that a paper supplies to `train`.

    Attributes:
      init_state: key -> the whole training state as a jittable pytree (parameters, optimizer
        states, batch statistics; a GAN keeps both networks here). The engine tracks the step.
      train_step: pure (state, global batch, key) -> (new state, scalar metrics). Metrics should
        contain "loss" and, where gradients exist, "grad_norm".
      batch_at: step -> the global batch for that step, a pytree of host arrays with leading axis
        `batch_size`. It must depend on the step alone, so that a resumed run trains on the same data.
      evaluate: optional host-side hook (state, step) -> scalar metrics, run every `eval_every`
        steps and after the last one.
    """

    init_state: Callable[[jax.Array], PyTree]
    train_step: Callable[[PyTree, Batch, jax.Array], tuple[PyTree, Metrics]]
    batch_at: Callable[[int], Batch]
    evaluate: Callable[[PyTree, int], dict[str, float]] | None = None


@dataclasses.dataclass
class TrainResult:
    """The final state, its step, and the metric rows this model logged (each with "step")."""

    state: PyTree
    step: int
    history: list[dict[str, Any]]
    num_compiles: int = 0


class NonFiniteError(RuntimeError):
    """A watched metric became NaN or infinite; the message names the step and the metric."""


def default_train_config(
    *,
    num_steps: int,
    batch_size: int,
    learning_rate: float = 1e-3,
    log_every: int = 50,
    eval_every: int = 0,
    checkpoint_every: int = 500,
    keep_checkpoints: int = 2,
    seed: int = 0,
) -> ml_collections.ConfigDict:
    """Return the `config.train` section that `train` reads; `eval_every=0` evaluates only at the end."""
    return ml_collections.ConfigDict(
        dict(
            num_steps=num_steps,
            batch_size=batch_size,
            learning_rate=learning_rate,
            log_every=log_every,
            eval_every=eval_every,
            checkpoint_every=checkpoint_every,
            keep_checkpoints=keep_checkpoints,
            seed=seed,
        )
    )


def validate_train_config(train_config: ml_collections.ConfigDict, prefix: str = "train") -> None:
    """Raise ConfigError naming the key for an invalid `config.train` section.

    Call it before anything is compiled; it checks that the global batch splits evenly over all
    devices of all processes.
    """
    wrapped = ml_collections.ConfigDict({prefix: train_config})
    require_positive(wrapped, f"{prefix}.num_steps", f"{prefix}.batch_size", f"{prefix}.log_every")
    require_positive(wrapped, f"{prefix}.checkpoint_every", f"{prefix}.keep_checkpoints")
    require_non_negative(wrapped, f"{prefix}.eval_every", f"{prefix}.seed")
    if "learning_rate" in train_config:
        require_positive(wrapped, f"{prefix}.learning_rate")
    require_divisible(wrapped, f"{prefix}.batch_size", jax.device_count(), "the device count")
    for key in ("num_steps", "batch_size", "log_every", "checkpoint_every", "keep_checkpoints"):
        if not isinstance(train_config[key], int):
            raise ConfigError(f"config.{prefix}.{key} must be an integer, got {train_config[key]!r}")


def _check_finite(rows: list[tuple[int, dict[str, float]]], name: str | None) -> None:
    for step, metrics in rows:
        for metric in WATCHED_METRICS:
            value = metrics.get(metric)
            if value is not None and not math.isfinite(value):
                model = f" of model {name!r}" if name else ""
                raise NonFiniteError(
                    f"training{model} stopped: {metric} is {value} at step {step}; lower the "
                    "learning rate, check the data for NaN or inf, or clip gradients"
                )


def _mean_rows(rows: list[tuple[int, dict[str, float]]]) -> dict[str, float]:
    """Average each metric over the steps of one logging interval."""
    keys = rows[-1][1].keys()
    return {key: float(np.mean([metrics[key] for _, metrics in rows])) for key in keys}


def _prefixed(metrics: dict[str, Any], name: str | None) -> dict[str, Any]:
    return {f"{name}/{key}" if name else key: value for key, value in metrics.items()}


def _history_of(run: RunFolder, name: str | None) -> list[dict[str, Any]]:
    """Metric rows logged for `name`, with the name prefix removed."""
    prefix = f"{name}/" if name else ""
    history = []
    for row in run.read_metrics():
        values = {key[len(prefix):]: value for key, value in row.items() if key.startswith(prefix) and key != "step"}
        if values:
            history.append({"step": row["step"], **values})
    return history


def _compile_step(task: Task, mesh: Mesh, step_key: jax.Array) -> tuple[Callable, list[int]]:
    """Jit the step with a sharded batch, replicated state and donated state buffers.

    Returns the compiled function and a one-element list counting how often it was traced, which
    the tests use to prove that the step compiles once.
    """
    trace_count = [0]

    def step_fn(state, batch, step):
        trace_count[0] += 1
        return task.train_step(state, batch, jax.random.fold_in(step_key, step))

    replicated = replicated_sharding(mesh)
    compiled = jax.jit(
        step_fn,
        in_shardings=(replicated, batch_sharding(mesh), replicated),
        out_shardings=(replicated, replicated),
        donate_argnums=0,
    )
    return compiled, trace_count


def _initial_state(task, checkpoints, init_key, mesh, run, name):
    """Restore the newest checkpoint or build a fresh state; return (state, step)."""
    replicated = replicated_sharding(mesh)
    latest = checkpoints.latest_step()
    if latest is None:
        return jax.jit(task.init_state, out_shardings=replicated)(init_key), 0

    abstract_state = jax.eval_shape(task.init_state, init_key)
    state = checkpoints.restore(latest, abstract_state, replicated)
    run.truncate_metrics_after(latest, prefix=f"{name}/" if name else "")
    return state, latest


def train(
    task: Task,
    train_config: ml_collections.ConfigDict,
    run: RunFolder,
    *,
    name: str | None = None,
    mesh: Mesh | None = None,
) -> TrainResult:
    """Train `task` for `train_config.num_steps` steps, resuming from the newest checkpoint in `run`.

    A model whose newest checkpoint is already at `num_steps` is restored, not trained or evaluated
    again; its history comes from metrics.jsonl. With `name`, checkpoints go to checkpoints/<name>/ and metric keys get the prefix
    "<name>/", so one run folder can hold several models.
    """
    validate_train_config(train_config)
    mesh = make_mesh() if mesh is None else mesh
    num_steps = train_config.num_steps

    init_key, step_key = jax.random.split(jax.random.key(train_config.seed))
    checkpoint_dir = run.checkpoints_dir / name if name else run.checkpoints_dir
    checkpoints = Checkpoints(checkpoint_dir, keep=train_config.keep_checkpoints)
    state, start_step = _initial_state(task, checkpoints, init_key, mesh, run, name)
    label = name or "train"

    if start_step >= num_steps:
        logger.info("%s already finished at step %d; restored without training", label, start_step)
        checkpoints.close()
        return TrainResult(state=state, step=start_step, history=_history_of(run, name))

    if start_step:
        logger.info("%s resumed from the checkpoint at step %d", label, start_step)
    logger.info(
        "%s on %d device(s) in %d process(es); compiling the step (this may take a minute)",
        label, jax.device_count(), jax.process_count(),
    )
    step_fn, trace_count = _compile_step(task, mesh, step_key)
    progress = Progress(num_steps, start_step, label)
    pending: list[tuple[int, Metrics]] = []

    try:
        for step in range(start_step, num_steps):
            batch = shard_batch(task.batch_at(step), mesh)
            state, metrics = step_fn(state, batch, jnp.asarray(step, jnp.int32))
            done = step + 1
            pending.append((done, metrics))

            is_last = done == num_steps
            if done % train_config.log_every == 0 or is_last:
                rows = [(at, {k: float(v) for k, v in jax.device_get(m).items()}) for at, m in pending]
                pending.clear()
                _check_finite(rows, name)
                logged = _mean_rows(rows)
                run.log_metrics(done, _prefixed(logged, name))
                progress.advance(done, logged)
            else:
                progress.advance(done)

            if train_config.eval_every and done % train_config.eval_every == 0 and not is_last:
                _evaluate(task, state, done, run, name)
            if done % train_config.checkpoint_every == 0 or is_last:
                checkpoints.save(done, state)
    except KeyboardInterrupt:
        checkpoints.wait()
        saved = checkpoints.latest_step()
        logger.warning(
            "%s interrupted; the newest checkpoint is at step %s. Run the same command again to resume.",
            label, saved if saved is not None else "none (no step saved yet)",
        )
        raise
    finally:
        progress.close()
        checkpoints.close()

    _evaluate(task, state, num_steps, run, name)
    return TrainResult(
        state=state, step=num_steps, history=_history_of(run, name), num_compiles=trace_count[0]
    )


def _evaluate(task: Task, state: PyTree, step: int, run: RunFolder, name: str | None) -> None:
    if task.evaluate is None:
        return
    metrics = task.evaluate(state, step)
    run.log_metrics(step, _prefixed(dict(metrics), name))
