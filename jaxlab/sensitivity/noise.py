"""Sensitivity of a classifier on real-valued inputs: how often Gaussian noise on its input changes the predicted label.

The classifier is any Flax module with the two methods of `jaxlab.nn.classifiers`:
`embed(inputs) -> (batch, length, channels)` and `classify(embedded) -> logits`. Noise is added to
the output of `embed`. For patch or float inputs that is the raw input. For token inputs it is the
token embedding, because an integer id cannot be perturbed continuously.

Choices, fixed here and used by every experiment:
  - noise is i.i.d. N(0, sigma^2) on every channel of the perturbed positions, with the same sigma
    for every position and every architecture;
  - a label "flips" when argmax of the noisy logits differs from argmax of the clean logits (the
    model's own prediction, not the true label, so sensitivity is defined on any input);
  - per-position sensitivity of position p is the flip rate when only position p is perturbed,
    averaged over the inputs and `num_draws` independent noise draws;
  - all-positions sensitivity is the flip rate when every position is perturbed at once;
  - the normalized summary is the mean of the per-position curve, in [0, 1]; the sum over positions
    (the analogue of the unnormalized Boolean average sensitivity) is `length` times that.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax


class NoiseSensitivity(NamedTuple):
    """Label-flip rates under Gaussian noise: per position, shape (length,), and with every position perturbed."""

    per_position: jax.Array
    all_positions: jax.Array

    @property
    def mean_per_position(self) -> jax.Array:
        """The mean of the per-position curve: the fraction of (input, position) pairs whose perturbation flips the label."""
        return self.per_position.mean()


def _predicted_labels(model: nn.Module, variables, embedded: jax.Array) -> jax.Array:
    return jnp.argmax(model.apply(variables, embedded, method="classify"), axis=-1)


@functools.partial(jax.jit, static_argnames=("model", "num_draws", "position_batch_size"))
def noise_sensitivity(
    model: nn.Module,
    variables,
    inputs: jax.Array,
    key: jax.Array,
    *,
    sigma: float,
    num_draws: int,
    position_batch_size: int = 1,
) -> NoiseSensitivity:
    """Measure the label-flip rate under N(0, sigma^2) noise on one position at a time and on all positions.

    `inputs` is one batch, (batch, length) token ids or (batch, length, features) floats. The draws
    are vmapped. The positions run `position_batch_size` at a time through `jax.lax.map`, so at
    most batch * num_draws * position_batch_size sequences go through the model at once.
    """
    if num_draws < 1:
        raise ValueError(f"num_draws must be >= 1, got {num_draws}")
    if position_batch_size < 1:
        raise ValueError(f"position_batch_size must be >= 1, got {position_batch_size}")

    embedded = model.apply(variables, inputs, method="embed")
    batch, length, channels = embedded.shape
    clean_labels = _predicted_labels(model, variables, embedded)

    def flip_rate(noise: jax.Array) -> jax.Array:
        return jnp.mean(_predicted_labels(model, variables, embedded + noise) != clean_labels)

    def one_position(position_and_key) -> jax.Array:
        position, position_key = position_and_key
        mask = jax.nn.one_hot(position, length, dtype=embedded.dtype)[None, :, None]

        def one_draw(draw_key: jax.Array) -> jax.Array:
            noise = sigma * jax.random.normal(draw_key, (batch, 1, channels), embedded.dtype)
            return flip_rate(noise * mask)

        return jax.vmap(one_draw)(jax.random.split(position_key, num_draws)).mean()

    curve_key, all_key = jax.random.split(key)
    position_keys = jax.random.split(curve_key, length)
    per_position = jax.lax.map(
        one_position, (jnp.arange(length), position_keys), batch_size=min(position_batch_size, length)
    )

    def all_draw(draw_key: jax.Array) -> jax.Array:
        return flip_rate(sigma * jax.random.normal(draw_key, embedded.shape, embedded.dtype))

    all_positions = jax.vmap(all_draw)(jax.random.split(all_key, num_draws)).mean()
    return NoiseSensitivity(per_position=per_position, all_positions=all_positions)


def noise_sensitivity_batched(
    model: nn.Module,
    variables,
    inputs,
    key: jax.Array,
    *,
    sigma: float,
    num_draws: int,
    batch_size: int = 256,
    position_batch_size: int = 1,
) -> NoiseSensitivity:
    """Run `noise_sensitivity` over a data set in batches and average; the last partial batch is dropped.

    Dropping it keeps one compiled shape. Each batch gets its own key from `fold_in(key, index)`.
    """
    count = len(inputs)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    batch_size = min(batch_size, count)
    results = []
    for index in range(count // batch_size):
        chunk = inputs[index * batch_size : (index + 1) * batch_size]
        results.append(
            noise_sensitivity(
                model,
                variables,
                jnp.asarray(chunk),
                jax.random.fold_in(key, index),
                sigma=sigma,
                num_draws=num_draws,
                position_batch_size=position_batch_size,
            )
        )
    return jax.tree.map(lambda *parts: jnp.stack(parts).mean(axis=0), *results)


def sensitivity_regularized_loss(
    model: nn.Module,
    variables,
    inputs: jax.Array,
    labels: jax.Array,
    key: jax.Array,
    *,
    sigma: float,
    weight: float,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Return cross-entropy on clean inputs + weight * mean ||logits(x) - logits(x + noise on one position)||^2.

    Each example gets its own random position (uniform over the sequence) and its own N(0, sigma^2)
    noise on that position's embedded channels. Gradients flow through both logits. With
    `weight=0` this is plain cross-entropy, but the noisy forward pass still runs. The second
    output contains "cross_entropy", "sensitivity_penalty" and "accuracy" on the clean batch.
    """
    embedded = model.apply(variables, inputs, method="embed")
    batch, length, channels = embedded.shape
    logits = model.apply(variables, embedded, method="classify")
    cross_entropy = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    position_key, noise_key = jax.random.split(key)
    positions = jax.random.randint(position_key, (batch,), 0, length)
    noise = sigma * jax.random.normal(noise_key, (batch, 1, channels), embedded.dtype)
    mask = jax.nn.one_hot(positions, length, dtype=embedded.dtype)[:, :, None]
    noisy_logits = model.apply(variables, embedded + noise * mask, method="classify")
    penalty = jnp.mean(jnp.sum((logits - noisy_logits) ** 2, axis=-1))

    metrics = {
        "cross_entropy": cross_entropy,
        "sensitivity_penalty": penalty,
        "accuracy": jnp.mean(jnp.argmax(logits, axis=-1) == labels),
    }
    return cross_entropy + weight * penalty, metrics
