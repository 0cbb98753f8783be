"""Generator and critic losses of the two CS-MRI GANs.

Both papers train the generator on a weighted sum

    adversarial_weight * adversarial + l1_weight * L1 + ssim_weight * (1 - SSIM) + wavelet_weight * wavelet

with weights 0.01, 20, 1 and 10 (the structure-preserving GAN has no wavelet term), and the critic
with the Wasserstein loss, weight clipping and several critic steps per generator step. Hinge and
least-squares losses are offered as alternatives that need no clipping.

Images are complex (B, H, W) arrays. L1 compares real and imaginary parts; SSIM, the wavelet loss
and the critic see the magnitude image, as in both papers.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxlab.metrics.image import ssim

ADVERSARIAL_KINDS = ("wgan", "hinge", "least_squares")

# Co-VeGAN's subband weights: a normal density over the subband index 0..63 with this centre and
# width, so that mid-frequency subbands count most.
WAVELET_WEIGHT_CENTRE = 32.5
WAVELET_WEIGHT_WIDTH = 12.5


@dataclasses.dataclass(frozen=True)
class LossWeights:
    """Weights of the generator loss terms; the defaults are Co-VeGAN's."""

    adversarial: float = 0.01
    l1: float = 20.0
    ssim: float = 1.0
    wavelet: float = 10.0


def magnitude(image: jax.Array, epsilon: float = 1e-12) -> jax.Array:
    """Return |image| with a finite gradient at zero (plain `jnp.abs` of 0+0j has a NaN gradient)."""
    if not jnp.iscomplexobj(image):
        return jnp.abs(image)
    return jnp.sqrt(image.real**2 + image.imag**2 + epsilon)


def _check_kind(kind: str) -> None:
    if kind not in ADVERSARIAL_KINDS:
        raise ValueError(f"adversarial loss kind must be one of {ADVERSARIAL_KINDS}, got {kind!r}")


def critic_loss(kind: str, real_scores: jax.Array, fake_scores: jax.Array) -> jax.Array:
    """Return the critic's loss from its patch scores on target and generated images.

    "wgan": mean(D(fake)) - mean(D(real)), the negated Wasserstein estimate (needs clipping).
    "hinge": mean(relu(1 - D(real))) + mean(relu(1 + D(fake))).
    "least_squares": (mean((D(real) - 1)^2) + mean(D(fake)^2)) / 2.
    """
    _check_kind(kind)
    if kind == "wgan":
        return jnp.mean(fake_scores) - jnp.mean(real_scores)
    if kind == "hinge":
        return jnp.mean(jax.nn.relu(1.0 - real_scores)) + jnp.mean(jax.nn.relu(1.0 + fake_scores))
    return 0.5 * (jnp.mean((real_scores - 1.0) ** 2) + jnp.mean(fake_scores**2))


def generator_adversarial_loss(kind: str, fake_scores: jax.Array) -> jax.Array:
    """Return the generator's adversarial loss from the critic's scores on generated images."""
    _check_kind(kind)
    if kind == "least_squares":
        return 0.5 * jnp.mean((fake_scores - 1.0) ** 2)
    return -jnp.mean(fake_scores)


def clip_weights(params, clip_value: float):
    """Clip every critic parameter to [-clip_value, clip_value], the WGAN Lipschitz constraint."""
    return jax.tree.map(lambda leaf: jnp.clip(leaf, -clip_value, clip_value), params)


def l1_loss(prediction: jax.Array, target: jax.Array) -> jax.Array:
    """Return mean|Re(error)| + mean|Im(error)| (the papers' two MAE terms), or mean|error| if real."""
    error = prediction - target
    if jnp.iscomplexobj(error):
        return jnp.mean(jnp.abs(error.real)) + jnp.mean(jnp.abs(error.imag))
    return jnp.mean(jnp.abs(error))


def ssim_loss(prediction: jax.Array, target: jax.Array, *, max_val: float = 1.0) -> jax.Array:
    """Return 1 - SSIM between magnitude images (B, H, W), with the Gaussian 11x11 window."""
    similarity = ssim(magnitude(prediction), magnitude(target), max_val=max_val, window="gaussian")
    return 1.0 - jnp.mean(similarity)


def _haar_split(images: jax.Array) -> jax.Array:
    """Split (..., H, W) into Haar subbands (..., 4, H/2, W/2) ordered a, h, v, d as PyWavelets does.

    h is high-pass along H and low-pass along W; v the reverse; d high-pass along both.
    """
    even_rows, odd_rows = images[..., 0::2, :], images[..., 1::2, :]
    low_rows = (even_rows + odd_rows) / math.sqrt(2.0)
    high_rows = (even_rows - odd_rows) / math.sqrt(2.0)

    def split_columns(band):
        even, odd = band[..., :, 0::2], band[..., :, 1::2]
        return (even + odd) / math.sqrt(2.0), (even - odd) / math.sqrt(2.0)

    approximation, vertical = split_columns(low_rows)
    horizontal, diagonal = split_columns(high_rows)
    return jnp.stack([approximation, horizontal, vertical, diagonal], axis=-3)


def wavelet_packet(images: jax.Array, levels: int = 3) -> jax.Array:
    """Return the full Haar wavelet-packet decomposition, shape (..., 4**levels, H/2**levels, W/2**levels).

    Every subband is split again at each level. Subband k = 16 a1 + 4 a2 + a3 (for 3 levels) where a_l
    in {a, h, v, d} = {0, 1, 2, 3} is the split chosen at level l, which is PyWavelets' "natural"
    node order with periodization.
    """
    height, width = images.shape[-2:]
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    if height % 2**levels or width % 2**levels:
        raise ValueError(f"image size {height}x{width} must be divisible by 2**levels = {2**levels}")

    bands = images[..., None, :, :]
    for _ in range(levels):
        split = _haar_split(bands)
        bands = split.reshape(*split.shape[:-4], -1, *split.shape[-2:])
    return bands


def wavelet_subband_weights(num_subbands: int = 64) -> np.ndarray:
    """Return the normal density N(32.5, 12.5^2) at subband indices 0..num_subbands-1 (sums to ~0.99)."""
    index = np.arange(num_subbands, dtype=np.float64)
    density = np.exp(-0.5 * ((index - WAVELET_WEIGHT_CENTRE) / WAVELET_WEIGHT_WIDTH) ** 2)
    return (density / (WAVELET_WEIGHT_WIDTH * math.sqrt(2.0 * math.pi))).astype(np.float32)


def wavelet_loss(prediction: jax.Array, target: jax.Array, levels: int = 3) -> jax.Array:
    """Return Co-VeGAN's wavelet loss: sum_k w_k * mean squared error of subband k of the magnitudes.

    The 3-level Haar packet gives 64 subbands; w_k are `wavelet_subband_weights`.
    """
    error = wavelet_packet(magnitude(prediction), levels) - wavelet_packet(magnitude(target), levels)
    per_subband = jnp.mean(error**2, axis=(-2, -1))
    per_subband = jnp.mean(per_subband.reshape(-1, per_subband.shape[-1]), axis=0)
    weights = jnp.asarray(wavelet_subband_weights(per_subband.shape[-1]))
    return jnp.sum(weights * per_subband)


def generator_loss_terms(
    prediction: jax.Array,
    target: jax.Array,
    fake_scores: jax.Array,
    *,
    kind: str,
    weights: LossWeights,
    max_val: float = 1.0,
) -> dict[str, jax.Array]:
    """Return every generator loss term and their weighted sum under "loss".

    The wavelet term is computed only when its weight is non-zero, because it costs a packet transform.
    """
    terms = {
        "adversarial": generator_adversarial_loss(kind, fake_scores),
        "l1": l1_loss(prediction, target),
        "ssim": ssim_loss(prediction, target, max_val=max_val),
    }
    total = weights.adversarial * terms["adversarial"] + weights.l1 * terms["l1"] + weights.ssim * terms["ssim"]
    if weights.wavelet:
        terms["wavelet"] = wavelet_loss(prediction, target)
        total = total + weights.wavelet * terms["wavelet"]
    terms["loss"] = total
    return terms
