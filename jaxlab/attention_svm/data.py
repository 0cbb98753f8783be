"""Synthetic classification data for one-layer attention: token sequences, queries, labels and a decoder.

Every generator returns an `AttentionData` for one seed; `jax.vmap` over keys gives many seeds at once.
The query z_i is either a separate vector (attention="cross") or the sample's first token
(attention="self"). The optimal token of sample i is opt_i = argmax_t y_i v^T x_{i,t}, the token whose
value alone would give the largest margin.

Settings:
- `unit_gaussian_data`: i.i.d. unit-norm Gaussian tokens. Gradient descent converges to the max-margin
  direction of whichever tokens it happens to select, which depends on the initialization: with
  n = 6, T = 8, d = 10 and normalized GD, about a quarter of seeds end away from the global W_mm.
- `equal_score_data`: every non-optimal token has the same score, so each sample's loss depends on W
  only through the softmax weight on opt_i and its gradient always favors opt_i. The samples still
  share W, though. In about 1% of seeds (same sizes, normalized GD, measured on 400 seeds) one sample
  locks onto another token before its optimal token wins. The other seeds converge to the global W_mm.
- `orthogonal_data`: all n T tokens orthonormal (needs d >= n T). The gradient directions
  x_{i,t} z_i^T of different logits are then orthogonal, so each logit moves on its own. Each sample's
  softmax then shifts weight toward tokens scoring above its current average, which ends on opt_i
  from any start, and convergence to W_mm is global.
- `signal_token_data`: for joint training of W and the decoder. One token per sample carries the
  label, y_i * mu plus noise, and the others are noise; opt_i is that token.
"""

from __future__ import annotations

import flax.struct
import jax
import jax.numpy as jnp

ATTENTION_KINDS = ("cross", "self")


@flax.struct.dataclass
class AttentionData:
    """One data set: n samples of T tokens in R^d with their queries, labels, decoder and optimal tokens."""

    tokens: jax.Array  # (n, T, d)
    queries: jax.Array  # (n, d); the first token of each sample for self-attention
    labels: jax.Array  # (n,) entries +1.0 or -1.0
    decoder: jax.Array  # (d,) the fixed decoder v, or the ground-truth direction for joint training
    optimal: jax.Array  # (n,) int32 index opt_i of each sample's optimal token


def token_scores(tokens: jax.Array, labels: jax.Array, decoder: jax.Array) -> jax.Array:
    """Return the (n, T) scores gamma_{i,t} = y_i v^T x_{i,t}."""
    return labels[:, None] * (tokens @ decoder)


def optimal_tokens(tokens: jax.Array, labels: jax.Array, decoder: jax.Array) -> jax.Array:
    """Return opt_i = argmax_t y_i v^T x_{i,t} for each sample, as int32 indices."""
    return jnp.argmax(token_scores(tokens, labels, decoder), axis=-1).astype(jnp.int32)


def _unit_rows(array: jax.Array) -> jax.Array:
    return array / jnp.linalg.norm(array, axis=-1, keepdims=True)


def _queries_for(attention: str, tokens: jax.Array, key: jax.Array) -> jax.Array:
    if attention == "self":
        return tokens[:, 0, :]
    num_samples, _, dim = tokens.shape
    return _unit_rows(jax.random.normal(key, (num_samples, dim)))


def _check_sizes(num_samples: int, num_tokens: int, dim: int, attention: str) -> None:
    for name, value in (("num_samples", num_samples), ("dim", dim)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if not isinstance(num_tokens, int) or num_tokens < 2:
        raise ValueError(f"num_tokens must be an integer >= 2, got {num_tokens!r}")
    if attention not in ATTENTION_KINDS:
        raise ValueError(f"attention must be one of {ATTENTION_KINDS}, got {attention!r}")


def _random_labels(key: jax.Array, num_samples: int) -> jax.Array:
    return jnp.where(jax.random.bernoulli(key, 0.5, (num_samples,)), 1.0, -1.0)


def unit_gaussian_data(
    key: jax.Array, num_samples: int, num_tokens: int, dim: int, attention: str = "cross"
) -> AttentionData:
    """Draw unit-norm Gaussian tokens, queries and decoder, and random +-1 labels."""
    _check_sizes(num_samples, num_tokens, dim, attention)
    token_key, query_key, label_key, decoder_key = jax.random.split(key, 4)

    tokens = _unit_rows(jax.random.normal(token_key, (num_samples, num_tokens, dim)))
    queries = _queries_for(attention, tokens, query_key)
    labels = _random_labels(label_key, num_samples)
    decoder = _unit_rows(jax.random.normal(decoder_key, (dim,)))

    optimal = optimal_tokens(tokens, labels, decoder)
    return AttentionData(tokens=tokens, queries=queries, labels=labels, decoder=decoder, optimal=optimal)


def equal_score_data(
    key: jax.Array,
    num_samples: int,
    num_tokens: int,
    dim: int,
    attention: str = "cross",
    optimal_score: float = 0.5,
    other_score: float = 0.0,
) -> AttentionData:
    """Draw unit-norm tokens whose scores are `optimal_score` for one random token and `other_score` for the rest.

    Token x = y_i s v + sqrt(1 - s^2) u, with u a random unit vector orthogonal to the unit decoder v,
    has norm 1 and score y_i v^T x = s. Needs dim >= 2 and -1 < other_score < optimal_score < 1.
    """
    _check_sizes(num_samples, num_tokens, dim, attention)
    if dim < 2:
        raise ValueError(f"dim must be >= 2 so tokens can vary orthogonally to the decoder, got {dim}")
    if not -1.0 < other_score < optimal_score < 1.0:
        raise ValueError(
            f"scores must satisfy -1 < other_score < optimal_score < 1, got {other_score} and {optimal_score}"
        )
    decoder_key, direction_key, position_key, label_key, query_key = jax.random.split(key, 5)

    decoder = _unit_rows(jax.random.normal(decoder_key, (dim,)))
    directions = jax.random.normal(direction_key, (num_samples, num_tokens, dim))
    directions = _unit_rows(directions - (directions @ decoder)[..., None] * decoder)

    labels = _random_labels(label_key, num_samples)
    optimal = jax.random.randint(position_key, (num_samples,), 0, num_tokens).astype(jnp.int32)
    is_optimal = jnp.arange(num_tokens)[None, :] == optimal[:, None]
    scores = jnp.where(is_optimal, optimal_score, other_score)

    along_decoder = (labels[:, None] * scores)[..., None] * decoder
    tokens = along_decoder + jnp.sqrt(1.0 - scores**2)[..., None] * directions
    queries = _queries_for(attention, tokens, query_key)
    return AttentionData(tokens=tokens, queries=queries, labels=labels, decoder=decoder, optimal=optimal)


def orthogonal_data(
    key: jax.Array, num_samples: int, num_tokens: int, dim: int, attention: str = "cross"
) -> AttentionData:
    """Draw n T orthonormal tokens (a random rotation of basis vectors), a unit decoder and +-1 labels.

    Needs dim >= n T. Scores are the decoder's coordinates in the token basis, so opt_i is the token
    most aligned with y_i v.
    """
    _check_sizes(num_samples, num_tokens, dim, attention)
    if dim < num_samples * num_tokens:
        raise ValueError(
            f"orthogonal tokens need dim >= num_samples * num_tokens = {num_samples * num_tokens}, got dim={dim}"
        )
    rotation_key, query_key, label_key, decoder_key = jax.random.split(key, 4)

    rotation, _ = jnp.linalg.qr(jax.random.normal(rotation_key, (dim, dim)))
    tokens = rotation.T[: num_samples * num_tokens].reshape(num_samples, num_tokens, dim)
    queries = _queries_for(attention, tokens, query_key)
    labels = _random_labels(label_key, num_samples)
    decoder = _unit_rows(jax.random.normal(decoder_key, (dim,)))

    optimal = optimal_tokens(tokens, labels, decoder)
    return AttentionData(tokens=tokens, queries=queries, labels=labels, decoder=decoder, optimal=optimal)


def signal_token_data(
    key: jax.Array,
    num_samples: int,
    num_tokens: int,
    dim: int,
    attention: str = "cross",
    signal_strength: float = 1.0,
    noise_scale: float = 0.1,
) -> AttentionData:
    """Draw samples with one label-carrying token, y_i mu + noise, among pure-noise tokens.

    `decoder` is the unit mean direction mu, `optimal` the position of the signal token. Every token,
    signal or not, gets N(0, noise_scale^2 / d) noise per coordinate, so noise tokens have norm
    about `noise_scale` and the signal token about `signal_strength`.
    """
    _check_sizes(num_samples, num_tokens, dim, attention)
    if not signal_strength > 0 or not noise_scale >= 0:
        raise ValueError(f"need signal_strength > 0 and noise_scale >= 0, got {signal_strength} and {noise_scale}")
    mean_key, noise_key, position_key, label_key, query_key = jax.random.split(key, 5)

    mean_direction = _unit_rows(jax.random.normal(mean_key, (dim,)))
    labels = _random_labels(label_key, num_samples)
    optimal = jax.random.randint(position_key, (num_samples,), 0, num_tokens).astype(jnp.int32)
    is_optimal = jnp.arange(num_tokens)[None, :] == optimal[:, None]

    noise = noise_scale / jnp.sqrt(dim) * jax.random.normal(noise_key, (num_samples, num_tokens, dim))
    signal = signal_strength * labels[:, None, None] * mean_direction
    tokens = noise + jnp.where(is_optimal[..., None], signal, 0.0)
    queries = _queries_for(attention, tokens, query_key)
    return AttentionData(tokens=tokens, queries=queries, labels=labels, decoder=mean_direction, optimal=optimal)


GENERATORS = {
    "unit_gaussian": unit_gaussian_data,
    "equal_score": equal_score_data,
    "orthogonal": orthogonal_data,
    "signal_token": signal_token_data,
}


def make_data(key: jax.Array, setting: str, num_samples: int, num_tokens: int, dim: int, **options) -> AttentionData:
    """Draw one data set from the generator named `setting` (a key of GENERATORS)."""
    if setting not in GENERATORS:
        raise ValueError(f"setting must be one of {sorted(GENERATORS)}, got {setting!r}")
    return GENERATORS[setting](key, num_samples, num_tokens, dim, **options)


def make_seeds_data(
    key: jax.Array, num_seeds: int, setting: str, num_samples: int, num_tokens: int, dim: int, **options
) -> AttentionData:
    """Draw `num_seeds` independent data sets at once; every field gains a leading seed axis."""
    if not isinstance(num_seeds, int) or num_seeds < 1:
        raise ValueError(f"num_seeds must be an integer >= 1, got {num_seeds!r}")
    keys = jax.random.split(key, num_seeds)
    return jax.vmap(lambda one_key: make_data(one_key, setting, num_samples, num_tokens, dim, **options))(keys)
