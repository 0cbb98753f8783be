"""One-layer softmax attention for binary classification, f(X) = v^T X^T softmax(X W z), and its logistic loss.

Parameters are a dict: {"w": (d, d)} for the key-query matrix itself, or {"key": (d, m), "query": (d, m)}
for the factorized form W = K Q^T, plus {"decoder": (d,)} when the decoder v is trained jointly. Without
a "decoder" entry the data's fixed decoder is used.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxlab.attention_svm.data import AttentionData

Params = dict[str, jax.Array]

PARAMETRIZATIONS = ("w", "kq")


def key_query_matrix(params: Params) -> jax.Array:
    """Return W, either stored directly or as the product K Q^T."""
    if "w" in params:
        return params["w"]
    return params["key"] @ params["query"].T


def decoder_of(params: Params, data: AttentionData) -> jax.Array:
    """Return the trained decoder if `params` has one, else the data's fixed decoder."""
    return params.get("decoder", data.decoder)


def attention_logits(w: jax.Array, tokens: jax.Array, queries: jax.Array) -> jax.Array:
    """Return the (n, T) attention logits x_{i,t}^T W z_i."""
    return jnp.einsum("ntd,de,ne->nt", tokens, w, queries)


def attention_weights(params: Params, data: AttentionData) -> jax.Array:
    """Return the (n, T) softmax attention of each sample's query over its tokens."""
    return jax.nn.softmax(attention_logits(key_query_matrix(params), data.tokens, data.queries), axis=-1)


def predict(params: Params, data: AttentionData) -> jax.Array:
    """Return f(X_i) = v^T X_i^T softmax(X_i W z_i) for every sample."""
    values = data.tokens @ decoder_of(params, data)
    return jnp.sum(attention_weights(params, data) * values, axis=-1)


def _optimal_gap_terms(params: Params, data: AttentionData) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Return the optimal score gamma_opt, the shortfall delta and the non-optimal attention mass.

    y_i f(X_i) = gamma_opt - delta_i with delta_i = sum_{t != opt} s_t (gamma_opt - gamma_t), because the
    softmax weights sum to one. Computing delta from the small non-optimal weights keeps it accurate in
    float32 long after s_opt has rounded to 1; the direct form sum_t s_t gamma_t would lose it.
    """
    logits = attention_logits(key_query_matrix(params), data.tokens, data.queries)
    log_weights = jax.nn.log_softmax(logits, axis=-1)
    scores = data.labels[:, None] * (data.tokens @ decoder_of(params, data))

    is_optimal = jax.nn.one_hot(data.optimal, scores.shape[-1], dtype=bool)
    optimal_score = jnp.sum(jnp.where(is_optimal, scores, 0.0), axis=-1)
    other_weights = jnp.where(is_optimal, 0.0, jnp.exp(log_weights))

    shortfall = jnp.sum(other_weights * (optimal_score[:, None] - scores), axis=-1)
    return optimal_score, shortfall, jnp.sum(other_weights, axis=-1)


def margins(params: Params, data: AttentionData) -> jax.Array:
    """Return y_i f(X_i) for every sample, computed in the float32-accurate form gamma_opt - delta_i."""
    optimal_score, shortfall, _ = _optimal_gap_terms(params, data)
    return optimal_score - shortfall


def logistic_loss(params: Params, data: AttentionData) -> jax.Array:
    """Return the mean logistic loss, mean_i log(1 + exp(-y_i f(X_i)))."""
    return jnp.mean(jax.nn.softplus(-margins(params, data)))


def loss_infimum(data: AttentionData) -> jax.Array:
    """Return L* = mean_i log(1 + exp(-gamma_{i,opt})), the infimum of the loss over W for a fixed decoder.

    y_i f(X_i) is a softmax average of the scores, so it never exceeds the optimal score. The bound is
    approached as attention concentrates on opt_i and W grows along W_mm.
    """
    optimal_score = jnp.take_along_axis(
        data.labels[:, None] * (data.tokens @ data.decoder), data.optimal[:, None], axis=-1
    )[:, 0]
    return jnp.mean(jax.nn.softplus(-optimal_score))


def excess_loss(params: Params, data: AttentionData) -> jax.Array:
    """Return L(W) - L* for a fixed decoder, without the cancellation of subtracting two float32 losses.

    Per sample, log(1 + e^{-(g - delta)}) - log(1 + e^{-g}) = log1p(sigmoid(-g) * expm1(delta)).
    Its gradient equals the gradient of `logistic_loss` in exact arithmetic and stays accurate in float32.
    """
    optimal_score, shortfall, _ = _optimal_gap_terms(params, data)
    return jnp.mean(jnp.log1p(jax.nn.sigmoid(-optimal_score) * jnp.expm1(shortfall)))


def non_optimal_attention(params: Params, data: AttentionData) -> jax.Array:
    """Return 1 - s_opt for every sample, summed from the non-optimal weights so it stays accurate near 0."""
    _, _, other_mass = _optimal_gap_terms(params, data)
    return other_mass
