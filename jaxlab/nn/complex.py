"""Complex-valued flax linen layers, activations and the optimizer wrapper they need.

Parameters and activations are native `complex64` arrays, inputs are NHWC (or (..., features) for
`ComplexDense`). The conventions, each checked by tests/test_complex_layers.py:

- Convolution is cross-correlation without conjugating the kernel, as in `flax.linen.Conv`:
  `y[n, i, j, f] = sum_{u, v, c} x[n, i + u, j + v, c] * w[u, v, c, f]` (plus padding offsets).
  `scipy.signal.correlate2d(x, w)` conjugates its second argument, so the same result is
  `correlate2d(x, conj(w))`.
- `jax.grad` of a real loss `L` with respect to a complex parameter `z = x + iy` returns
  `dL/dx - i dL/dy`, the conjugate of the steepest-ascent direction. Wrap every optimizer that
  updates complex parameters in `complex_optimizer`, which is the only place that corrects this.
- Internally the convolutions default to Gauss's three real convolutions (the fastest form measured,
  see CONV_IMPLEMENTATIONS). Inputs, parameters and outputs stay complex64 whichever form runs.

Co-VeGAN (Vasudeva et al., 2020) is built from these layers, but nothing here is specific to MRI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.contrib
from jax import lax

Array = jax.Array
PaddingLike = str | int | Sequence[tuple[int, int]]

# "native" passes complex64 straight to XLA. The others run real float32 convolutions on the real
# and imaginary parts, which every backend supports (cuDNN has no complex convolution). In
# benchmarks/complex_conv.py on a shared 2-core CPU (jax 0.10.2, three layer shapes, forms timed in
# turn), "gauss3" was the fastest for forward+backward, 9-22% ahead of "native", so it is the default.
CONV_IMPLEMENTATIONS = ("native", "split4", "gauss3")
DEFAULT_CONV_IMPLEMENTATION = "gauss3"

_CONV_DIMENSIONS = ("NHWC", "HWIO", "NHWC")


# ----------------------------------------------------------------------------------------------
# Initialization
# ----------------------------------------------------------------------------------------------


def complex_he_init(key: Array, shape: Sequence[int], dtype: Any = jnp.complex64) -> Array:
    """Draw complex weights with Rayleigh modulus, uniform phase and He variance `E|w|^2 = 2/fan_in`.

    Use it directly as a flax initializer (`kernel_init=complex_he_init`). The fan-in is the product
    of all but the last dimension, which fits dense (in, out) and convolution (h, w, in, out)
    kernels. A Rayleigh modulus with scale `sigma = 1/sqrt(fan_in)` has `E|w|^2 = 2 sigma^2`,
    the complex He criterion of Trabelsi et al. (2018).
    """
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"complex_he_init needs a kernel shape with >= 2 dimensions, got {shape}")
    fan_in = int(np.prod(shape[:-1]))
    sigma = 1.0 / np.sqrt(fan_in)

    modulus_key, phase_key = jax.random.split(key)
    modulus = jax.random.rayleigh(modulus_key, scale=sigma, shape=shape, dtype=jnp.float32)
    phase = jax.random.uniform(phase_key, shape, jnp.float32, minval=-jnp.pi, maxval=jnp.pi)
    return (modulus * jnp.exp(1j * phase)).astype(dtype)


def complex_zeros_init(key: Array, shape: Sequence[int], dtype: Any = jnp.complex64) -> Array:
    """Return complex zeros; the default bias initializer of the complex layers."""
    del key
    return jnp.zeros(shape, dtype)


# ----------------------------------------------------------------------------------------------
# Complex products built from real ones
# ----------------------------------------------------------------------------------------------


def complex_bilinear(
    real_op: Callable[[Array, Array], Array],
    x: Array,
    w: Array,
    implementation: str = DEFAULT_CONV_IMPLEMENTATION,
) -> Array:
    """Apply a bilinear operation (convolution, matmul) to complex `x` and `w`.

    `real_op(x, w)` must be bilinear. "native" calls it on the complex arrays. "split4" uses the four
    real products of `(a + ib)(c + id)`, and "gauss3" uses Gauss's three real products, which trade
    one product for three extra additions.
    """
    if implementation == "native":
        return real_op(x, w)

    a, b = jnp.real(x), jnp.imag(x)
    c, d = jnp.real(w), jnp.imag(w)

    if implementation == "split4":
        real = real_op(a, c) - real_op(b, d)
        imag = real_op(a, d) + real_op(b, c)
        return lax.complex(real, imag)

    if implementation == "gauss3":
        # (a + ib)(c + id): k1 = (a + b)c, k2 = a(d - c), k3 = b(c + d); real = k1 - k3, imag = k1 + k2.
        k1 = real_op(a + b, c)
        k2 = real_op(a, d - c)
        k3 = real_op(b, c + d)
        return lax.complex(k1 - k3, k1 + k2)

    raise ValueError(f"implementation must be one of {CONV_IMPLEMENTATIONS}, got {implementation!r}")


def _pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    """Expand an int or a 2-sequence to a pair of positive ints."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v > 0 for v in pair):
        raise ValueError(f"{name} must be a positive int or a pair of positive ints, got {value!r}")
    return pair  # type: ignore[return-value]


def _padding(padding: PaddingLike) -> str | list[tuple[int, int]]:
    """Convert flax-style padding ("SAME", "VALID", an int, or (low, high) pairs) for lax."""
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "VALID"):
            raise ValueError(f"padding must be 'SAME', 'VALID', an int or (low, high) pairs, got {padding!r}")
        return padding.upper()
    if isinstance(padding, int):
        return [(padding, padding), (padding, padding)]
    return [tuple(p) for p in padding]  # type: ignore[misc]


def _check_nhwc(x: Array, layer: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{layer} expects NHWC input with 4 dimensions, got shape {x.shape}")


# ----------------------------------------------------------------------------------------------
# Layers
# ----------------------------------------------------------------------------------------------


class ComplexConv(nn.Module):
    """2-D complex convolution (cross-correlation, kernel not conjugated) on NHWC complex input.

    Attributes:
      features: number of output channels.
      kernel_size: (height, width) of the kernel, or one int for both.
      strides: stride per spatial axis.
      padding: "SAME", "VALID", an int, or ((top, bottom), (left, right)).
      use_bias: add a learned complex bias per output channel.
      implementation: one of CONV_IMPLEMENTATIONS; all give the same result up to rounding.
    """

    features: int
    kernel_size: int | Sequence[int]
    strides: int | Sequence[int] = 1
    padding: PaddingLike = "SAME"
    use_bias: bool = True
    implementation: str = DEFAULT_CONV_IMPLEMENTATION
    kernel_init: Callable[..., Array] = complex_he_init
    bias_init: Callable[..., Array] = complex_zeros_init
    precision: lax.Precision | None = None

    @nn.compact
    def __call__(self, x: Array) -> Array:
        _check_nhwc(x, "ComplexConv")
        kernel_size = _pair(self.kernel_size, "kernel_size")
        strides = _pair(self.strides, "strides")
        padding = _padding(self.padding)

        in_features = x.shape[-1]
        kernel = self.param("kernel", self.kernel_init, (*kernel_size, in_features, self.features))
        x = x.astype(jnp.complex64)

        def convolve(lhs: Array, rhs: Array) -> Array:
            return lax.conv_general_dilated(
                lhs, rhs, strides, padding, dimension_numbers=_CONV_DIMENSIONS, precision=self.precision
            )

        y = complex_bilinear(convolve, x, kernel, self.implementation)
        if self.use_bias:
            y = y + self.param("bias", self.bias_init, (self.features,))
        return y


class ComplexConvTranspose(nn.Module):
    """2-D complex transposed convolution on NHWC complex input, for upsampling.

    With padding "SAME" the output is `strides` times the input size, as in `flax.linen.ConvTranspose`
    (which this matches for real input: kernel layout (h, w, in, out), `transpose_kernel=False`).
    """

    features: int
    kernel_size: int | Sequence[int]
    strides: int | Sequence[int]
    padding: PaddingLike = "SAME"
    use_bias: bool = True
    implementation: str = DEFAULT_CONV_IMPLEMENTATION
    kernel_init: Callable[..., Array] = complex_he_init
    bias_init: Callable[..., Array] = complex_zeros_init
    precision: lax.Precision | None = None

    @nn.compact
    def __call__(self, x: Array) -> Array:
        _check_nhwc(x, "ComplexConvTranspose")
        kernel_size = _pair(self.kernel_size, "kernel_size")
        strides = _pair(self.strides, "strides")
        padding = _padding(self.padding)

        in_features = x.shape[-1]
        kernel = self.param("kernel", self.kernel_init, (*kernel_size, in_features, self.features))
        x = x.astype(jnp.complex64)

        def convolve_transpose(lhs: Array, rhs: Array) -> Array:
            return lax.conv_transpose(
                lhs, rhs, strides, padding, dimension_numbers=_CONV_DIMENSIONS, precision=self.precision
            )

        y = complex_bilinear(convolve_transpose, x, kernel, self.implementation)
        if self.use_bias:
            y = y + self.param("bias", self.bias_init, (self.features,))
        return y


class ComplexDense(nn.Module):
    """Complex fully connected layer `y = x @ W + b` over the last axis."""

    features: int
    use_bias: bool = True
    kernel_init: Callable[..., Array] = complex_he_init
    bias_init: Callable[..., Array] = complex_zeros_init
    precision: lax.Precision | None = None

    @nn.compact
    def __call__(self, x: Array) -> Array:
        kernel = self.param("kernel", self.kernel_init, (x.shape[-1], self.features))
        y = jnp.matmul(x.astype(jnp.complex64), kernel, precision=self.precision)
        if self.use_bias:
            y = y + self.param("bias", self.bias_init, (self.features,))
        return y


# ----------------------------------------------------------------------------------------------
# Batch normalization
# ----------------------------------------------------------------------------------------------


def covariance_2x2(z: Array, axes: tuple[int, ...]) -> Array:
    """Return the (..., 2, 2) covariance of (real, imag) of centred `z`, reduced over `axes`."""
    re, im = jnp.real(z), jnp.imag(z)
    v_rr = jnp.mean(re * re, axis=axes)
    v_ii = jnp.mean(im * im, axis=axes)
    v_ri = jnp.mean(re * im, axis=axes)
    row_r = jnp.stack([v_rr, v_ri], axis=-1)
    row_i = jnp.stack([v_ri, v_ii], axis=-1)
    return jnp.stack([row_r, row_i], axis=-2)


def inverse_sqrt_2x2(covariance: Array) -> Array:
    """Return the inverse principal square root of symmetric positive definite (..., 2, 2) matrices.

    Closed form: for M = [[p, q], [q, r]] with s = sqrt(det M) and t = sqrt(p + r + 2s),
    sqrt(M) = (M + sI) / t, so M^(-1/2) = [[r + s, -q], [-q, p + s]] / (s t).
    """
    p = covariance[..., 0, 0]
    q = covariance[..., 0, 1]
    r = covariance[..., 1, 1]
    s = jnp.sqrt(p * r - q * q)
    t = jnp.sqrt(p + r + 2.0 * s)
    inv_st = 1.0 / (s * t)
    row_r = jnp.stack([(r + s) * inv_st, -q * inv_st], axis=-1)
    row_i = jnp.stack([-q * inv_st, (p + s) * inv_st], axis=-1)
    return jnp.stack([row_r, row_i], axis=-2)


def apply_2x2(matrix: Array, z: Array) -> Array:
    """Multiply (real, imag) of `z` (..., C) by per-channel real (C, 2, 2) matrices."""
    re, im = jnp.real(z), jnp.imag(z)
    out_re = matrix[:, 0, 0] * re + matrix[:, 0, 1] * im
    out_im = matrix[:, 1, 0] * re + matrix[:, 1, 1] * im
    return lax.complex(out_re, out_im)


def whiten_complex(z: Array, mean: Array, covariance: Array, epsilon: float) -> Array:
    """Centre `z` and whiten each channel so (real, imag) has identity 2x2 covariance."""
    eye = jnp.eye(2, dtype=covariance.dtype)
    whitening = inverse_sqrt_2x2(covariance + epsilon * eye)
    return apply_2x2(whitening, z - mean)


class ComplexBatchNorm(nn.Module):
    """Complex batch normalization (Trabelsi et al., 2018) over all axes but the last (channels).

    Each channel is centred and whitened with the inverse square root of the 2x2 covariance of
    (real, imag), then multiplied by a learned symmetric 2x2 scale and shifted by a learned complex
    bias. The scale starts at I/sqrt(2), so the output modulus starts with `E|z|^2 = 1`. Running mean
    and covariance live in the "batch_stats" collection; pass `mutable=["batch_stats"]` when training.

    Attributes:
      use_running_average: normalize with the running statistics (evaluation) instead of the batch's;
        may also be passed to `__call__`.
      momentum: decay of the running statistics, `running = momentum * running + (1 - momentum) * batch`.
      epsilon: added to the diagonal of the covariance before the inverse square root.
    """

    use_running_average: bool | None = None
    momentum: float = 0.9
    epsilon: float = 1e-5

    @nn.compact
    def __call__(self, x: Array, use_running_average: bool | None = None) -> Array:
        use_running_average = nn.merge_param(
            "use_running_average", self.use_running_average, use_running_average
        )
        features = x.shape[-1]
        reduce_axes = tuple(range(x.ndim - 1))
        x = x.astype(jnp.complex64)

        running_mean = self.variable(
            "batch_stats", "mean", lambda: jnp.zeros((features,), jnp.complex64)
        )
        # A circular complex variable with E|z|^2 = 1 has covariance I/2.
        running_covariance = self.variable(
            "batch_stats", "covariance", lambda: jnp.tile(0.5 * jnp.eye(2), (features, 1, 1))
        )

        if use_running_average:
            mean, covariance = running_mean.value, running_covariance.value
        else:
            mean = jnp.mean(x, axis=reduce_axes)
            covariance = covariance_2x2(x - mean, reduce_axes)
            if not self.is_initializing():
                decay = self.momentum
                running_mean.value = decay * running_mean.value + (1.0 - decay) * mean
                running_covariance.value = decay * running_covariance.value + (1.0 - decay) * covariance

        whitened = whiten_complex(x, mean, covariance, self.epsilon)

        inv_sqrt2 = 1.0 / np.sqrt(2.0)
        scale_rr = self.param("scale_rr", nn.initializers.constant(inv_sqrt2), (features,))
        scale_ii = self.param("scale_ii", nn.initializers.constant(inv_sqrt2), (features,))
        scale_ri = self.param("scale_ri", nn.initializers.zeros, (features,))
        scale = jnp.stack(
            [jnp.stack([scale_rr, scale_ri], -1), jnp.stack([scale_ri, scale_ii], -1)], -2
        )
        bias = self.param("bias", complex_zeros_init, (features,))
        return apply_2x2(scale, whitened) + bias


# ----------------------------------------------------------------------------------------------
# Activations
# ----------------------------------------------------------------------------------------------


def _safe_modulus_and_phasor(z: Array) -> tuple[Array, Array, Array]:
    """Return |z|, z/|z| and a mask of non-zero entries; finite gradients at z = 0.

    The phasor is 1 where z = 0, a choice that only matters for activations whose output there
    is multiplied by |z| or z and so is 0 anyway.
    """
    nonzero = jnp.abs(z) > 0
    safe_z = jnp.where(nonzero, z, jnp.ones_like(z))
    modulus = jnp.where(nonzero, jnp.abs(safe_z), 0.0)
    phasor = safe_z / jnp.abs(safe_z)
    return modulus, phasor, nonzero


def crelu(z: Array) -> Array:
    """CReLU: ReLU on the real and imaginary parts separately."""
    return lax.complex(jax.nn.relu(jnp.real(z)), jax.nn.relu(jnp.imag(z)))


def zrelu(z: Array) -> Array:
    """zReLU (Guberman, 2016): keep z where its phase lies in [0, pi/2], i.e. both parts >= 0."""
    in_first_quadrant = (jnp.real(z) >= 0) & (jnp.imag(z) >= 0)
    return jnp.where(in_first_quadrant, z, jnp.zeros_like(z))


def modrelu(z: Array, bias: Array) -> Array:
    """modReLU (Arjovsky et al., 2016): `relu(|z| + bias) * z/|z|`, 0 at z = 0.

    `bias` is real and broadcasts against `z` (typically one learned value per channel, <= 0).
    """
    modulus, phasor, nonzero = _safe_modulus_and_phasor(z)
    out = jax.nn.relu(modulus + bias) * phasor
    return jnp.where(nonzero, out, jnp.zeros_like(z))


def cardioid(z: Array) -> Array:
    """Cardioid (Virtue et al., 2017): `0.5 * (1 + cos(arg z)) * z`, ReLU on the real line."""
    _, phasor, _ = _safe_modulus_and_phasor(z)
    cos_phase = jnp.real(phasor)
    return 0.5 * (1.0 + cos_phase) * z


def phase_gain(phasor: Array, amplitudes: Array, offsets: Array) -> Array:
    """Return `a_0 + sum_k a_k cos(k theta + b_k)` for a unit phasor `exp(i theta)`.

    `amplitudes` and `offsets` have shape (C, K+1) for C channels; column k contains harmonic k and the
    offset of column 0 is ignored. The powers of the phasor give cos(k theta) without `angle`, whose
    gradient is undefined at 0.
    """
    num_terms = amplitudes.shape[-1]
    gain = amplitudes[:, 0] * jnp.ones_like(jnp.real(phasor))
    power = jnp.ones_like(phasor)
    for k in range(1, num_terms):
        power = power * phasor
        gain = gain + amplitudes[:, k] * jnp.real(power * jnp.exp(1j * offsets[:, k]))
    return gain


class PhaseActivation(nn.Module):
    """Learnable phase-dependent activation used by Co-VeGAN, per channel (last axis).

    `f(z) = g(theta) * exp(i phi) * z` with `theta = arg z`, gain
    `g(theta) = a_0 + sum_{k=1}^{K} a_k cos(k theta + b_k)` and a learned phase shift `phi`.
    The output modulus is |z| scaled by a gain that depends only on the phase, so the activation
    keeps the input's magnitude structure (it is positively homogeneous in |z|) and gates by
    direction. It starts as the cardioid (a_0 = a_1 = 1/2, all else 0).

    Attributes:
      num_cosines: K, the number of cosine harmonics in the gain (>= 1).
    """

    # NOTE: this follows the published description of the Co-VeGAN activation (a learned sum of
    # cosines of the phase times the input, plus a learned phase shift). The harmonics and initial
    # values of the authors' implementation were not available, and the cardioid start is a choice.
    num_cosines: int = 4

    @nn.compact
    def __call__(self, z: Array) -> Array:
        if self.num_cosines < 1:
            raise ValueError(f"num_cosines must be >= 1, got {self.num_cosines}")
        channels = z.shape[-1]
        num_terms = self.num_cosines + 1

        def cardioid_init(key: Array, shape: Sequence[int], dtype: Any = jnp.float32) -> Array:
            del key
            return jnp.zeros(shape, dtype).at[:, 0].set(0.5).at[:, 1].set(0.5)

        amplitudes = self.param("amplitudes", cardioid_init, (channels, num_terms))
        offsets = self.param("offsets", nn.initializers.zeros, (channels, num_terms))
        phase_shift = self.param("phase_shift", nn.initializers.zeros, (channels,))

        z = z.astype(jnp.complex64)
        _, phasor, _ = _safe_modulus_and_phasor(z)
        gain = phase_gain(phasor, amplitudes, offsets)
        return gain * jnp.exp(1j * phase_shift) * z


# ----------------------------------------------------------------------------------------------
# Optimization
# ----------------------------------------------------------------------------------------------


def conjugate_complex_updates() -> optax.GradientTransformation:
    """Conjugate every complex leaf of the updates; real leaves pass through."""

    def init_fn(params: Any) -> optax.EmptyState:
        del params
        return optax.EmptyState()

    def update_fn(updates: Any, state: optax.EmptyState, params: Any = None) -> tuple[Any, Any]:
        del params
        conjugated = jax.tree.map(lambda g: jnp.conj(g) if jnp.iscomplexobj(g) else g, updates)
        return conjugated, state

    return optax.GradientTransformation(init_fn, update_fn)


def complex_optimizer(tx: optax.GradientTransformation) -> optax.GradientTransformation:
    """Wrap `tx` so it descends a real loss over complex parameters given `jax.grad`'s output.

    Two steps, in this order:
      1. Conjugate: `jax.grad` returns `dL/dx - i dL/dy` for `z = x + iy`; its conjugate
         `dL/dx + i dL/dy` is the steepest-ascent direction, which optax transformations expect.
      2. `optax.contrib.split_real_and_imaginary(tx)`: `tx` receives each complex leaf as two real leaves,
         so adaptive optimizers keep separate moments for the real and imaginary parts (Adam on the
         complex leaf would share one second moment |g|^2), weight decay and clipping act on real
         numbers, and training matches a real network holding (x, y) as separate weights.
    Real parameters in the same tree are updated by `tx` unchanged.
    """
    return optax.chain(conjugate_complex_updates(), optax.contrib.split_real_and_imaginary(tx))
