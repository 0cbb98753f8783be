"""Step rules for attention training, as optax transformations: GD, normalized GD and the Polyak step.

All three accept the loss as the `value` keyword of `update` (optax's extra-args interface), which
only the Polyak step reads. On separable attention data the gradient shrinks exponentially as W grows,
to 1e-20 and below within a few thousand normalized steps. optax's own `normalize_by_update_norm` and
`polyak_sgd` square the gradient and guard with fixed epsilons (1e-6 on the norm, 2.2e-16 on the
squared norm in optax 0.2.8). In float32 that stalls both rules long before convergence, so the
transformations here rescale the norm and only skip an exactly zero gradient.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import optax

STEP_RULES = ("gd", "ngd", "polyak")


def gradient_norm(updates: Any) -> jax.Array:
    """Return the global L2 norm of a pytree without underflow, by dividing by the largest entry first."""
    leaves = jax.tree.leaves(updates)
    largest = jnp.max(jnp.stack([jnp.max(jnp.abs(leaf)) for leaf in leaves]))
    safe_largest = jnp.where(largest > 0, largest, 1.0)
    squares = sum(jnp.sum(jnp.square(leaf / safe_largest)) for leaf in leaves)
    return largest * jnp.sqrt(squares)


def scale_by_inverse_norm() -> optax.GradientTransformation:
    """Divide the update by its global norm; a zero update stays zero."""

    def update_fn(updates, state, params=None):
        del params
        norm = gradient_norm(updates)
        scale = jnp.where(norm > 0, 1.0 / jnp.where(norm > 0, norm, 1.0), 0.0)
        return jax.tree.map(lambda leaf: leaf * scale, updates), state

    return optax.GradientTransformation(optax.init_empty_state, update_fn)


def scale_by_polyak_step(max_learning_rate: float) -> optax.GradientTransformationExtraArgs:
    """Multiply the update by min((L - L*) / ||g||^2, max_learning_rate), where `value` is L - L*.

    The caller passes the optimality gap itself as `value` (the excess loss for a fixed decoder, the
    loss for joint training where L* = 0), so no subtraction of nearly equal losses happens here.
    """

    def update_fn(updates, state, params=None, *, value, **extra_args):
        del params, extra_args
        norm = gradient_norm(updates)
        safe_norm = jnp.where(norm > 0, norm, 1.0)
        # Dividing by the norm twice avoids forming ||g||^2, which underflows in float32 for ||g|| < 1e-19.
        polyak = jnp.maximum(value, 0.0) / safe_norm / safe_norm
        step = jnp.where(norm > 0, jnp.minimum(polyak, max_learning_rate), 0.0)
        return jax.tree.map(lambda leaf: leaf * step, updates), state

    return optax.GradientTransformationExtraArgs(optax.init_empty_state, update_fn)


def gradient_descent(learning_rate: float) -> optax.GradientTransformationExtraArgs:
    """Plain gradient descent, W <- W - learning_rate * g."""
    return optax.with_extra_args_support(optax.sgd(learning_rate))


def normalized_gradient_descent(learning_rate: float) -> optax.GradientTransformationExtraArgs:
    """Normalized gradient descent, W <- W - learning_rate * g / ||g||_F (global norm over all parameters)."""
    return optax.chain(scale_by_inverse_norm(), optax.scale_by_learning_rate(learning_rate))


def polyak_step(max_learning_rate: float) -> optax.GradientTransformationExtraArgs:
    """Polyak step, W <- W - min((L - L*) / ||g||^2, max_learning_rate) * g; needs `value=L - L*` in update."""
    return optax.chain(scale_by_polyak_step(max_learning_rate), optax.scale(-1.0))


@functools.lru_cache(maxsize=64)
def make_step_rule(
    name: str, learning_rate: float | None = None, max_learning_rate: float | None = None
) -> optax.GradientTransformationExtraArgs:
    """Build the step rule `name` ("gd", "ngd" or "polyak").

    "gd" and "ngd" need `learning_rate`; "polyak" needs `max_learning_rate`, the cap on its step size.
    Equal arguments return the same object, so `training.train_seeds`, which takes the rule as a
    static argument, compiles once per rule and shape.
    """
    if name not in STEP_RULES:
        raise ValueError(f"step rule must be one of {STEP_RULES}, got {name!r}")
    if name == "polyak":
        if max_learning_rate is None or not max_learning_rate > 0:
            raise ValueError(f"the polyak step rule needs max_learning_rate > 0, got {max_learning_rate!r}")
        return polyak_step(max_learning_rate)

    if learning_rate is None or not learning_rate > 0:
        raise ValueError(f"the {name} step rule needs learning_rate > 0, got {learning_rate!r}")
    if name == "gd":
        return gradient_descent(learning_rate)
    return normalized_gradient_descent(learning_rate)
