"""Training of the attention model with one step rule, for many seeds in one compiled call.

`train_seeds` runs `jax.vmap` over seeds around a `lax.scan` over iterations, so 100 seeds x 2,000
iterations is a single XLA program. Each iteration records the metrics of the current parameters:
loss, correlation with W_mm, softmax weight on the optimal token, ||W|| and, for joint training,
the decoder's correlation with its max-margin direction.
"""

from __future__ import annotations

import functools

import flax.struct
import jax
import jax.numpy as jnp
import optax

from jaxlab.attention_svm import model, step_rules
from jaxlab.attention_svm.data import AttentionData


@flax.struct.dataclass
class Reference:
    """Max-margin directions that one seed's iterates are compared with."""

    w: jax.Array  # (d, d) W_mm of the norm that the parametrization converges to
    decoder: jax.Array | None = None  # (d,) the decoder's max-margin direction, for joint training
    w_alternative: jax.Array | None = None  # (d, d) another W_mm to compare with, e.g. the Frobenius one for K Q^T


def correlation(a: jax.Array, b: jax.Array) -> jax.Array:
    """Return <a, b> / (||a|| ||b||) for two arrays of the same shape."""
    return jnp.vdot(a, b) / (jnp.linalg.norm(a) * jnp.linalg.norm(b))


def correlation_gap(a: jax.Array, b: jax.Array) -> jax.Array:
    """Return 1 - correlation(a, b) as half the squared distance of the unit vectors, accurate near 0."""
    unit_a = a / jnp.linalg.norm(a)
    unit_b = b / jnp.linalg.norm(b)
    return 0.5 * jnp.sum(jnp.square(unit_a - unit_b))


def init_params(
    key: jax.Array,
    dim: int,
    parametrization: str = "w",
    rank: int | None = None,
    init_scale: float = 0.01,
    train_decoder: bool = False,
) -> model.Params:
    """Draw initial parameters: W (or K and Q) with Frobenius norm `init_scale`, and a decoder if trained.

    For "kq", K and Q are (d, rank) with norm sqrt(init_scale) each; rank defaults to d. A trained
    decoder starts as a random vector of norm `init_scale`.
    """
    if parametrization not in model.PARAMETRIZATIONS:
        raise ValueError(f"parametrization must be one of {model.PARAMETRIZATIONS}, got {parametrization!r}")
    if not init_scale > 0:
        raise ValueError(f"init_scale must be > 0, got {init_scale!r}")
    rank = dim if rank is None else rank
    if not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank must be an integer >= 1, got {rank!r}")
    w_key, k_key, q_key, decoder_key = jax.random.split(key, 4)

    def random_with_norm(one_key, shape, norm):
        sample = jax.random.normal(one_key, shape)
        return norm * sample / jnp.linalg.norm(sample)

    if parametrization == "w":
        params = {"w": random_with_norm(w_key, (dim, dim), init_scale)}
    else:
        factor_norm = jnp.sqrt(init_scale)
        params = {
            "key": random_with_norm(k_key, (dim, rank), factor_norm),
            "query": random_with_norm(q_key, (dim, rank), factor_norm),
        }
    if train_decoder:
        params["decoder"] = random_with_norm(decoder_key, (dim,), init_scale)
    return params


def iteration_metrics(
    params: model.Params, data: AttentionData, reference: Reference, loss: jax.Array, loss_gap: jax.Array
) -> dict:
    """Return the scalar metrics of one iterate, given its logistic loss and optimality gap L - L*."""
    w = model.key_query_matrix(params)
    other_mass = model.non_optimal_attention(params, data)
    metrics = {
        "loss": loss,
        "loss_gap": loss_gap,
        "correlation": correlation(w, reference.w),
        "correlation_gap": correlation_gap(w, reference.w),
        "optimal_attention": jnp.mean(1.0 - other_mass),
        "non_optimal_attention": jnp.mean(other_mass),
        "w_norm": jnp.linalg.norm(w),
    }
    if reference.w_alternative is not None:
        metrics["alternative_correlation"] = correlation(w, reference.w_alternative)
    if "decoder" in params:
        if reference.decoder is None:
            raise ValueError("joint training needs reference.decoder, the decoder's max-margin direction")
        metrics["decoder_correlation"] = correlation(params["decoder"], reference.decoder)
        metrics["decoder_norm"] = jnp.linalg.norm(params["decoder"])
    return metrics


def _objective(params: model.Params, data: AttentionData) -> tuple[jax.Array, jax.Array]:
    """Return (L - L*, L): the optimality gap that the Polyak step needs, and the loss itself.

    With a fixed decoder L* > 0 and the gap is computed directly (see `model.excess_loss`); with a
    trained decoder the data are separable by (W, v), L* = 0 and the gap is the loss.
    """
    if "decoder" in params:
        loss = model.logistic_loss(params, data)
        return loss, loss
    gap = model.excess_loss(params, data)
    return gap, gap + model.loss_infimum(data)


def train(
    params: model.Params,
    data: AttentionData,
    reference: Reference,
    step_rule: optax.GradientTransformationExtraArgs,
    num_steps: int,
) -> tuple[model.Params, dict[str, jax.Array]]:
    """Run `num_steps` updates for one seed; return the final parameters and per-iteration metrics.

    Entry k of each metric describes the parameters after k updates, k = 0 .. num_steps - 1.
    """
    gap_and_gradient = jax.value_and_grad(_objective, has_aux=True)

    def step(carry, _):
        params, state = carry
        (gap, loss), gradient = gap_and_gradient(params, data)
        metrics = iteration_metrics(params, data, reference, loss, gap)
        # Limitation: in float32 the gradient underflows to exactly zero once the softmax mass off the
        # optimal tokens drops below about 1e-38, and every step rule then stops moving W. This metric
        # shows when that happens, so fits and plots can end there.
        metrics["gradient_norm"] = step_rules.gradient_norm(gradient)
        updates, state = step_rule.update(gradient, state, params, value=gap)
        return (optax.apply_updates(params, updates), state), metrics

    (params, _), history = jax.lax.scan(step, (params, step_rule.init(params)), length=num_steps)
    return params, history


@functools.partial(jax.jit, static_argnames=("step_rule", "num_steps"))
def train_seeds(
    params: model.Params,
    data: AttentionData,
    reference: Reference,
    step_rule: optax.GradientTransformationExtraArgs,
    num_steps: int,
) -> tuple[model.Params, dict[str, jax.Array]]:
    """Run `train` for every seed at once; every input and output has a leading seed axis.

    `step_rule` is a static argument, so build it once and reuse the same object to avoid recompiling.
    """
    run_one = functools.partial(train, step_rule=step_rule, num_steps=num_steps)
    return jax.vmap(run_one)(params, data, reference)
