"""Patch discriminators (critics) of the two CS-MRI GANs.

Both papers score the magnitude image with a real-valued patch critic: stride-2 4x4 convolutions
with leaky ReLU, then 1x1 and 3x3 convolutions with a residual connection, and a last 3x3 conv that
gives one score per patch. The critic returns that (B, h, w) score map, and the losses average it.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxlab.csmri.losses import magnitude

LEAKY_SLOPE = 0.2


class PatchDiscriminator(nn.Module):
    """Real-valued patch critic on the magnitude of complex (B, H, W, 1) images.

    Attributes:
      features: channels of the stride-2 levels; each halves the size, so a score covers a
        receptive field of roughly 4 * 2**len(features) pixels.
      head_features: channels of the residual head of 1x1 and 3x3 convolutions (0 drops the head).
    """

    # Limitation: the papers' critics have batch norm after every conv but the first; this one
    # has none, so a critic score depends on its own image only and the state contains no critic
    # batch statistics. Weight clipping alone bounds the WGAN critic.

    features: Sequence[int] = (64, 128, 256, 256, 512, 512)
    head_features: int = 128

    @nn.compact
    def __call__(self, images: jax.Array) -> jax.Array:
        y = magnitude(images) if jnp.iscomplexobj(images) else images
        for width in self.features:
            y = nn.leaky_relu(nn.Conv(width, (4, 4), strides=(2, 2))(y), LEAKY_SLOPE)

        if self.head_features:
            trunk = nn.leaky_relu(nn.Conv(self.head_features, (1, 1))(y), LEAKY_SLOPE)
            branch = nn.leaky_relu(nn.Conv(self.head_features, (3, 3))(trunk), LEAKY_SLOPE)
            y = nn.leaky_relu(trunk + branch, LEAKY_SLOPE)

        return nn.Conv(1, (3, 3))(y)[..., 0]


def discriminator_config(kind: str, size: str = "paper") -> ml_collections.ConfigDict:
    """Return `PatchDiscriminator` arguments for `kind` ("covegan" or "spgan") and size.

    Sizes: "paper" follows each paper's channel widths; "cpu" and "test" are small critics for
    CPU runs.
    """
    paper = {
        "covegan": dict(features=(64, 128, 256, 256, 512, 512), head_features=128),
        "spgan": dict(features=(64, 128, 256, 512, 1024, 2048), head_features=128),
    }
    small = {
        "cpu": dict(features=(16, 32, 64), head_features=32),
        "test": dict(features=(8, 16), head_features=8),
    }
    if kind not in paper:
        raise ValueError(f"discriminator kind must be 'covegan' or 'spgan', got {kind!r}")
    if size == "paper":
        return ml_collections.ConfigDict(paper[kind])
    if size not in small:
        raise ValueError(f"size must be one of ['cpu', 'paper', 'test'], got {size!r}")
    return ml_collections.ConfigDict(small[size])


def build_discriminator(critic_config: ml_collections.ConfigDict) -> PatchDiscriminator:
    """Build a `PatchDiscriminator` from a config made by `discriminator_config`."""
    return PatchDiscriminator(features=tuple(critic_config.features), head_features=critic_config.head_features)
