"""A minimal `Task`: a small MLP classifying points from a Gaussian mixture.

It is the template for a new paper's training code and the workload of the engine's own tests
(resume, multi-device and multi-process equivalence, compile-once). The data are generated from
the step number alone, as every `batch_at` must be.
"""

from __future__ import annotations

import flax.linen as nn
import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlab.engine.trainer import Task


class MLP(nn.Module):
    """Two-layer perceptron with dropout, so the per-step key matters."""

    hidden: int = 32
    num_classes: int = 3

    @nn.compact
    def __call__(self, inputs: jax.Array, *, dropout_key: jax.Array | None = None) -> jax.Array:
        hidden = nn.relu(nn.Dense(self.hidden)(inputs))
        if dropout_key is not None:
            keep = jax.random.bernoulli(dropout_key, 0.9, hidden.shape)
            hidden = jnp.where(keep, hidden / 0.9, 0.0)
        return nn.Dense(self.num_classes)(hidden)


@flax.struct.dataclass
class ClassifierState:
    params: dict
    opt_state: optax.OptState


def gaussian_mixture_batch(step: int, batch_size: int, *, seed: int = 0, dim: int = 8, num_classes: int = 3):
    """Return the batch for `step`: class means on fixed random directions plus unit noise."""
    centres = np.random.default_rng(seed).normal(size=(num_classes, dim)).astype(np.float32) * 2.0
    rng = np.random.default_rng((seed, step))
    labels = rng.integers(0, num_classes, size=batch_size)
    inputs = centres[labels] + rng.normal(size=(batch_size, dim)).astype(np.float32)
    return {"inputs": inputs.astype(np.float32), "labels": labels.astype(np.int32)}


def make_classifier_task(*, batch_size: int, learning_rate: float = 1e-2, seed: int = 0, dim: int = 8) -> Task:
    """Build the example Task; `seed` fixes the data, the training seed lives in the train config."""
    model = MLP()
    optimizer = optax.adam(learning_rate)

    def init_state(key: jax.Array) -> ClassifierState:
        params = model.init(key, jnp.zeros((1, dim)))["params"]
        return ClassifierState(params=params, opt_state=optimizer.init(params))

    def loss_fn(params, batch, key):
        logits = model.apply({"params": params}, batch["inputs"], dropout_key=key)
        return optax.softmax_cross_entropy_with_integer_labels(logits, batch["labels"]).mean()

    def train_step(state: ClassifierState, batch, key):
        loss, grads = jax.value_and_grad(loss_fn)(state.params, batch, key)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics = {"loss": loss, "grad_norm": optax.tree.norm(grads)}
        return ClassifierState(params=params, opt_state=opt_state), metrics

    def batch_at(step: int):
        return gaussian_mixture_batch(step, batch_size, seed=seed, dim=dim)

    def evaluate(state: ClassifierState, step: int) -> dict[str, float]:
        batch = gaussian_mixture_batch(10**6, 512, seed=seed, dim=dim)
        logits = model.apply({"params": state.params}, batch["inputs"])
        return {"eval_accuracy": float(jnp.mean(jnp.argmax(logits, -1) == batch["labels"]))}

    return Task(init_state=init_state, train_step=train_step, batch_at=batch_at, evaluate=evaluate)
