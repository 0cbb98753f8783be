"""Training a sequence classifier on the shared engine, with or without the sensitivity regularizer.

`make_classifier_task` turns a model and a labelled data set into an `engine.Task`; experiments pass
it to `engine.train`. Batches are epochs of a permutation drawn from numpy's Generator((seed,
epoch)), so the batch of every step depends on the step alone and a resumed run repeats the same data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlab import engine
from jaxlab.sensitivity.noise import sensitivity_regularized_loss


@flax.struct.dataclass
class ClassifierState:
    """The training state: model parameters and AdamW state."""

    params: Any
    opt_state: Any


def global_norm(tree) -> jax.Array:
    """Return the L2 norm of all leaves of `tree` taken together."""
    return jnp.sqrt(sum(jnp.sum(jnp.square(leaf)) for leaf in jax.tree.leaves(tree)))


def epoch_batch_indices(step: int, batch_size: int, num_examples: int, seed: int) -> np.ndarray:
    """Return the example indices of `step`: consecutive slices of a fresh permutation per epoch.

    An epoch has num_examples // batch_size steps; the leftover examples of each permutation are skipped.
    """
    if not 1 <= batch_size <= num_examples:
        raise ValueError(f"batch_size must be in [1, {num_examples}] (the data set size), got {batch_size}")
    steps_per_epoch = num_examples // batch_size
    epoch, offset = divmod(step, steps_per_epoch)
    permutation = np.random.default_rng((seed, epoch)).permutation(num_examples)
    return permutation[offset * batch_size : (offset + 1) * batch_size]


def make_classifier_task(
    model: nn.Module,
    inputs: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int,
    learning_rate: float,
    weight_decay: float = 0.0,
    data_seed: int = 0,
    regularizer_weight: float = 0.0,
    regularizer_sigma: float = 0.0,
    evaluate: Callable[[ClassifierState, int], dict[str, float]] | None = None,
) -> engine.Task:
    """Build the engine Task that trains `model` on (inputs, labels) with AdamW and cross-entropy.

    With `regularizer_weight > 0` the loss is `sensitivity_regularized_loss` with noise of standard
    deviation `regularizer_sigma` on one random position per example. `evaluate` is passed through
    to the engine unchanged.
    """
    if regularizer_weight < 0 or regularizer_sigma < 0:
        raise ValueError(
            f"regularizer_weight and regularizer_sigma must be >= 0, got {regularizer_weight}, {regularizer_sigma}"
        )
    if regularizer_weight > 0 and regularizer_sigma == 0:
        raise ValueError("regularizer_sigma must be > 0 when regularizer_weight > 0")

    inputs = np.asarray(inputs)
    labels = np.asarray(labels, dtype=np.int32)
    optimizer = optax.adamw(learning_rate, weight_decay=weight_decay)
    example_input = jnp.asarray(inputs[:1])

    def init_state(key: jax.Array) -> ClassifierState:
        params = model.init(key, example_input)["params"]
        return ClassifierState(params=params, opt_state=optimizer.init(params))

    def loss_fn(params, batch, key):
        variables = {"params": params}
        if regularizer_weight > 0:
            return sensitivity_regularized_loss(
                model, variables, batch["inputs"], batch["labels"], key,
                sigma=regularizer_sigma, weight=regularizer_weight,
            )
        logits = model.apply(variables, batch["inputs"])
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, batch["labels"]).mean()
        return loss, {"accuracy": jnp.mean(jnp.argmax(logits, -1) == batch["labels"])}

    def train_step(state: ClassifierState, batch, key: jax.Array):
        (loss, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params, batch, key)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics = {**metrics, "loss": loss, "grad_norm": global_norm(grads)}
        return ClassifierState(params=params, opt_state=opt_state), metrics

    def batch_at(step: int):
        indices = epoch_batch_indices(step, batch_size, len(labels), data_seed)
        return {"inputs": inputs[indices], "labels": labels[indices]}

    return engine.Task(init_state=init_state, train_step=train_step, batch_at=batch_at, evaluate=evaluate)


def predict_labels(model: nn.Module, variables, inputs: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Return argmax predictions over a data set, `batch_size` examples per forward pass."""
    parts = [
        np.asarray(_predict_chunk(model, variables, jnp.asarray(inputs[start : start + batch_size])))
        for start in range(0, len(inputs), batch_size)
    ]
    return np.concatenate(parts)


@functools.partial(jax.jit, static_argnums=0)
def _predict_chunk(model: nn.Module, variables, chunk: jax.Array) -> jax.Array:
    return jnp.argmax(model.apply(variables, chunk), axis=-1)


def accuracy(model: nn.Module, variables, inputs: np.ndarray, labels: np.ndarray, batch_size: int = 1024) -> float:
    """Return the fraction of examples whose predicted label equals `labels`."""
    return float(np.mean(predict_labels(model, variables, inputs, batch_size) == np.asarray(labels)))
