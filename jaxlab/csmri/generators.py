"""Generators of the two CS-MRI GANs: Co-VeGAN's complex U-Net and the structure-preserving GAN's real U-Net.

Both map a zero-filled image (the inverse FFT of the undersampled k-space) to a reconstruction, and
both put residual-in-residual dense blocks (RRDBs, as in ESRGAN) at the U-Net bottleneck.

- `CoVeGANGenerator` (Vasudeva, Deora et al., 2020) is complex-valued throughout: stride-2 complex
  convolutions with complex batch norm and the learnable phase activation, dense multi-scale skips
  (every encoder level receives average-pooled copies of the input and all earlier levels; every decoder
  level receives bilinearly upsampled copies of all deeper decoder levels and the encoder level of its
  size), and nearest-neighbour upsampling followed by a complex convolution.
- `StructurePreservingGenerator` (Deora, Vasudeva et al., 2020) is real-valued: the complex image
  enters as 2 channels (real, imaginary), stride-2 convolutions with batch norm and leaky ReLU,
  transposed convolutions with batch norm and ReLU, and plain U-Net skips.

Both take and return complex (B, H, W, 1) images in NHWC layout. With `global_residual=True` (the
default here) the output is the zero-filled input plus a learned correction whose last layer starts
at zero, so an untrained generator returns the zero-filled image. The papers' generators have no
such skip and end in tanh, which `global_residual=False` restores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxlab.nn.complex import ComplexBatchNorm, ComplexConv, PhaseActivation, complex_he_init, complex_zeros_init

LEAKY_SLOPE = 0.2


# ----------------------------------------------------------------------------------------------
# Resampling helpers (linear, so they act on complex arrays directly)
# ----------------------------------------------------------------------------------------------


def average_pool(x: jax.Array, factor: int) -> jax.Array:
    """Average non-overlapping factor x factor blocks of NHWC `x` (real or complex)."""
    if factor == 1:
        return x
    batch, height, width, channels = x.shape
    blocks = x.reshape(batch, height // factor, factor, width // factor, factor, channels)
    return blocks.mean(axis=(2, 4))


def upsample_nearest(x: jax.Array, factor: int) -> jax.Array:
    """Repeat each pixel of NHWC `x` factor x factor times."""
    return jnp.repeat(jnp.repeat(x, factor, axis=1), factor, axis=2)


def upsample_bilinear(x: jax.Array, factor: int) -> jax.Array:
    """Bilinear upsampling of NHWC `x`; complex input is resized part by part."""
    if factor == 1:
        return x
    batch, height, width, channels = x.shape
    shape = (batch, height * factor, width * factor, channels)
    if jnp.iscomplexobj(x):
        real = jax.image.resize(x.real, shape, "bilinear")
        imag = jax.image.resize(x.imag, shape, "bilinear")
        return jax.lax.complex(real, imag)
    return jax.image.resize(x, shape, "bilinear")


def check_image_size(height: int, width: int, num_levels: int) -> None:
    """Raise ValueError unless both sides are divisible by 2**num_levels (one halving per level)."""
    factor = 2**num_levels
    if height % factor or width % factor:
        raise ValueError(
            f"image size {height}x{width} must be divisible by 2**num_levels = {factor}; "
            "resize the image or use fewer levels"
        )


# ----------------------------------------------------------------------------------------------
# Co-VeGAN: complex U-Net
# ----------------------------------------------------------------------------------------------


class ComplexDenseBlock(nn.Module):
    """Residual dense block: `growth`-channel conv/BN/phase-activation layers fed every earlier output.

    The last 3x3 conv maps back to the input width; its output is scaled by `residual_scale`
    and added to the input.
    """

    growth: int
    num_layers: int = 4
    residual_scale: float = 0.2
    num_cosines: int = 4

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        features = [x]
        for _ in range(self.num_layers):
            y = ComplexConv(self.growth, 3)(jnp.concatenate(features, axis=-1))
            y = ComplexBatchNorm(use_running_average=not train)(y)
            features.append(PhaseActivation(self.num_cosines)(y))
        y = ComplexConv(x.shape[-1], 3)(jnp.concatenate(features, axis=-1))
        return x + self.residual_scale * y


class ComplexRRDB(nn.Module):
    """Residual-in-residual dense block: three dense blocks, then a scaled skip over all three."""

    growth: int
    residual_scale: float = 0.2
    num_cosines: int = 4

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        y = x
        for _ in range(3):
            y = ComplexDenseBlock(self.growth, residual_scale=self.residual_scale, num_cosines=self.num_cosines)(
                y, train
            )
        return x + self.residual_scale * y


class CoVeGANGenerator(nn.Module):
    """Co-VeGAN's complex U-Net generator on complex (B, H, W, 1) zero-filled images.

    Attributes:
      features: complex channels of every encoder, bottleneck and decoder layer (32 in Co-VeGAN).
      num_levels: stride-2 encoder levels; H and W must be divisible by 2**num_levels (5 in Co-VeGAN).
      growth: channels added by each layer of a dense block (8 in Co-VeGAN).
      num_rrdb: RRDBs at the bottleneck (4 in Co-VeGAN).
      kernel_size: size of the encoder and decoder kernels (4 in Co-VeGAN).
      residual_scale: scale of the dense-block and RRDB residual branches (0.2).
      num_cosines: harmonics of each phase activation's learned gain.
      global_residual: add the input image to the output (see the module docstring).
    """

    features: int = 32
    num_levels: int = 5
    growth: int = 8
    num_rrdb: int = 4
    kernel_size: int = 4
    residual_scale: float = 0.2
    num_cosines: int = 4
    global_residual: bool = True

    def _activate(self, y: jax.Array, train: bool, normalize: bool = True) -> jax.Array:
        if normalize:
            y = ComplexBatchNorm(use_running_average=not train)(y)
        return PhaseActivation(self.num_cosines)(y)

    @nn.compact
    def __call__(self, zero_filled: jax.Array, train: bool = False) -> jax.Array:
        _, height, width, _ = zero_filled.shape
        check_image_size(height, width, self.num_levels)
        x = zero_filled.astype(jnp.complex64)

        # Encoder. Level l (1-based) halves the size. Its input is the input image and every earlier
        # level, each average-pooled to the size of level l - 1. The first level has no batch norm.
        encoder = [x]
        for level in range(1, self.num_levels + 1):
            size_factor = 2 ** (level - 1)
            inputs = [average_pool(e, size_factor // 2**i) for i, e in enumerate(encoder)]
            y = ComplexConv(self.features, self.kernel_size, strides=2)(jnp.concatenate(inputs, axis=-1))
            encoder.append(self._activate(y, train, normalize=level > 1))

        # Bottleneck: every encoder level pooled to the deepest size, RRDBs, and a long skip.
        deepest = 2**self.num_levels
        pooled = [average_pool(e, deepest // 2**i) for i, e in enumerate(encoder) if i > 0]
        head = ComplexConv(self.features, 3)(jnp.concatenate(pooled, axis=-1))
        y = head
        for _ in range(self.num_rrdb):
            y = ComplexRRDB(self.growth, self.residual_scale, self.num_cosines)(y, train)
        bottleneck = head + ComplexConv(self.features, 3)(y)

        # Decoder. Step j doubles the size. Its input is the previous output, every deeper output
        # bilinearly upsampled to that size, and the encoder level of that size.
        decoded = [bottleneck]
        for step in range(1, self.num_levels + 1):
            current_level = self.num_levels - step + 1
            inputs = [upsample_bilinear(d, 2 ** (len(decoded) - 1 - i)) for i, d in enumerate(decoded)]
            if step > 1:
                inputs.append(encoder[current_level])
            y = upsample_nearest(jnp.concatenate(inputs, axis=-1), 2)
            y = ComplexConv(self.features, self.kernel_size)(y)
            decoded.append(self._activate(y, train))

        # With the global residual the output conv starts at zero, so training starts from the
        # zero-filled image instead of first undoing a random correction.
        output_init = complex_zeros_init if self.global_residual else complex_he_init
        correction = ComplexConv(1, 1, kernel_init=output_init)(decoded[-1])
        if self.global_residual:
            return x + correction
        return split_tanh(correction)


def split_tanh(z: jax.Array) -> jax.Array:
    """Apply tanh to the real and imaginary parts separately (the papers' output activation)."""
    return jax.lax.complex(jnp.tanh(z.real), jnp.tanh(z.imag))


# ----------------------------------------------------------------------------------------------
# Structure-preserving GAN: real U-Net
# ----------------------------------------------------------------------------------------------


class DenseBlock(nn.Module):
    """Real residual dense block: conv/BN/leaky-ReLU layers fed every earlier output, scaled skip."""

    growth: int
    num_layers: int = 4
    residual_scale: float = 0.2

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        features = [x]
        for _ in range(self.num_layers):
            y = nn.Conv(self.growth, (3, 3))(jnp.concatenate(features, axis=-1))
            y = nn.BatchNorm(use_running_average=not train, momentum=0.9)(y)
            features.append(nn.leaky_relu(y, LEAKY_SLOPE))
        y = nn.Conv(x.shape[-1], (3, 3))(jnp.concatenate(features, axis=-1))
        return x + self.residual_scale * y


class RRDB(nn.Module):
    """Real residual-in-residual dense block: three dense blocks and a scaled skip."""

    growth: int
    residual_scale: float = 0.2

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        y = x
        for _ in range(3):
            y = DenseBlock(self.growth, residual_scale=self.residual_scale)(y, train)
        return x + self.residual_scale * y


class StructurePreservingGenerator(nn.Module):
    """The structure-preserving GAN's real U-Net on complex (B, H, W, 1) zero-filled images.

    The image enters as 2 real channels and the last 1x1 conv emits 2 channels, read back as a
    complex image. The published network emits one magnitude channel through tanh; two channels keep
    the phase, which data consistency needs.

    Attributes:
      encoder_features: channels of the stride-2 encoder levels ((64, 128, 256, 512, 512) in the structure-preserving GAN).
      bottleneck_features: channels of the RRDBs (512).
      growth: channels added by each dense-block layer (32).
      num_rrdb: RRDBs at the bottleneck (12).
      decoder_features: channels of the transposed convolutions, deepest first ((1024, 256, 128, 64, 64));
        same length as `encoder_features`.
      kernel_size: encoder and decoder kernel size (4).
      residual_scale: scale of the dense-block and RRDB residual branches (0.2).
      global_residual: add the input image to the output.
    """

    encoder_features: Sequence[int] = (64, 128, 256, 512, 512)
    bottleneck_features: int = 512
    growth: int = 32
    num_rrdb: int = 12
    decoder_features: Sequence[int] = (1024, 256, 128, 64, 64)
    kernel_size: int = 4
    residual_scale: float = 0.2
    global_residual: bool = True

    @nn.compact
    def __call__(self, zero_filled: jax.Array, train: bool = False) -> jax.Array:
        num_levels = len(self.encoder_features)
        if len(self.decoder_features) != num_levels:
            raise ValueError(
                f"decoder_features needs one entry per encoder level ({num_levels}), "
                f"got {len(self.decoder_features)}"
            )
        _, height, width, _ = zero_filled.shape
        check_image_size(height, width, num_levels)
        kernel = (self.kernel_size, self.kernel_size)
        x = zero_filled.astype(jnp.complex64)
        y = jnp.concatenate([x.real, x.imag], axis=-1)

        # Encoder: stride-2 conv, batch norm (not on the first level), leaky ReLU.
        skips = []
        for level, features in enumerate(self.encoder_features):
            y = nn.Conv(features, kernel, strides=(2, 2))(y)
            if level > 0:
                y = nn.BatchNorm(use_running_average=not train, momentum=0.9)(y)
            y = nn.leaky_relu(y, LEAKY_SLOPE)
            skips.append(y)

        # Bottleneck: RRDBs between two 3x3 convs with a long skip.
        head = nn.Conv(self.bottleneck_features, (3, 3))(y)
        y = head
        for _ in range(self.num_rrdb):
            y = RRDB(self.growth, self.residual_scale)(y, train)
        y = head + nn.Conv(self.bottleneck_features, (3, 3))(y)

        # Decoder: stride-2 transposed conv, batch norm, ReLU, then the encoder level of that size.
        for step, features in enumerate(self.decoder_features):
            y = nn.ConvTranspose(features, kernel, strides=(2, 2))(y)
            y = nn.BatchNorm(use_running_average=not train, momentum=0.9)(y)
            y = nn.relu(y)
            skip_level = num_levels - 2 - step
            if skip_level >= 0:
                y = jnp.concatenate([y, skips[skip_level]], axis=-1)

        output_init = nn.initializers.zeros if self.global_residual else nn.initializers.lecun_normal()
        channels = nn.Conv(2, (1, 1), kernel_init=output_init)(y)
        correction = jax.lax.complex(channels[..., :1], channels[..., 1:])
        if self.global_residual:
            return x + correction
        return split_tanh(correction)


# ----------------------------------------------------------------------------------------------
# Configs and parameter counts
# ----------------------------------------------------------------------------------------------


def covegan_config(size: str = "paper") -> ml_collections.ConfigDict:
    """Return `CoVeGANGenerator` arguments: "paper" (about 1.8M real parameters), "cpu" or "test"."""
    configs = {
        "paper": dict(features=32, num_levels=5, growth=8, num_rrdb=4, kernel_size=4),
        "cpu": dict(features=16, num_levels=3, growth=8, num_rrdb=1, kernel_size=4),
        "test": dict(features=8, num_levels=2, growth=4, num_rrdb=1, kernel_size=3),
    }
    return _pick(configs, size, dict(residual_scale=0.2, num_cosines=4, global_residual=True))


def spgan_config(size: str = "paper") -> ml_collections.ConfigDict:
    """Return `StructurePreservingGenerator` arguments: "paper" (about 157M parameters), "cpu" or "test"."""
    configs = {
        "paper": dict(
            encoder_features=(64, 128, 256, 512, 512),
            bottleneck_features=512,
            growth=32,
            num_rrdb=12,
            decoder_features=(1024, 256, 128, 64, 64),
            kernel_size=4,
        ),
        "cpu": dict(
            encoder_features=(32, 64, 64),
            bottleneck_features=64,
            growth=16,
            num_rrdb=1,
            decoder_features=(64, 64, 32),
            kernel_size=4,
        ),
        "test": dict(
            encoder_features=(16, 32),
            bottleneck_features=32,
            growth=8,
            num_rrdb=1,
            decoder_features=(32, 16),
            kernel_size=3,
        ),
    }
    return _pick(configs, size, dict(residual_scale=0.2, global_residual=True))


def _pick(configs: dict[str, dict], size: str, shared: dict) -> ml_collections.ConfigDict:
    if size not in configs:
        raise ValueError(f"size must be one of {sorted(configs)}, got {size!r}")
    return ml_collections.ConfigDict({**configs[size], **shared})


def build_generator(kind: str, model_config: ml_collections.ConfigDict) -> nn.Module:
    """Build the generator of `kind` ("covegan" or "spgan") from a config made by the functions above."""
    arguments = {key: model_config[key] for key in model_config}
    if kind == "covegan":
        return CoVeGANGenerator(**arguments)
    if kind == "spgan":
        arguments["encoder_features"] = tuple(arguments["encoder_features"])
        arguments["decoder_features"] = tuple(arguments["decoder_features"])
        return StructurePreservingGenerator(**arguments)
    raise ValueError(f"generator kind must be 'covegan' or 'spgan', got {kind!r}")


@dataclasses.dataclass(frozen=True)
class ParameterCount:
    """Trainable parameters of a model, counting a complex entry as two real parameters."""

    real: int
    complex_entries: int

    @property
    def total(self) -> int:
        return self.real + 2 * self.complex_entries


def count_parameters(module: nn.Module, image_size: int) -> ParameterCount:
    """Count `module`'s parameters with `jax.eval_shape`, so even the 157M model allocates nothing."""
    dummy = jax.ShapeDtypeStruct((1, image_size, image_size, 1), jnp.complex64)
    shapes = jax.eval_shape(lambda x: module.init(jax.random.key(0), x), dummy)["params"]
    real = complex_entries = 0
    for leaf in jax.tree.leaves(shapes):
        size = int(leaf.size)
        if jnp.issubdtype(leaf.dtype, jnp.complexfloating):
            complex_entries += size
        else:
            real += size
    return ParameterCount(real=real, complex_entries=complex_entries)
