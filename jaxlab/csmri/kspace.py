"""Centred orthonormal 2-D Fourier transforms between MR images and k-space, undersampling and
data consistency.

Images and k-space are (..., H, W) arrays over the last two axes, so a batch (N, H, W) or a single
slice (H, W) works unchanged. Layers that want NHWC add the channel axis themselves. "Centred" means
the zero frequency sits at index (H // 2, W // 2) of the k-space array and the image origin at the
same index of the image array, as in fastMRI; masks from `jaxlab.csmri.masks` use the same layout.
"Orthonormal" (numpy's norm="ortho") keeps the energy of image and k-space equal, so noise levels and
errors compare directly across the two domains. Every function returns complex64.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array
_AXES = (-2, -1)


def fft2c(image: Array) -> Array:
    """Transform (..., H, W) images to centred k-space with the orthonormal 2-D FFT."""
    image = jnp.asarray(image)
    _check_two_dims(image, "image")
    shifted = jnp.fft.ifftshift(image, axes=_AXES)
    kspace = jnp.fft.fft2(shifted, axes=_AXES, norm="ortho")
    return jnp.fft.fftshift(kspace, axes=_AXES).astype(jnp.complex64)


def ifft2c(kspace: Array) -> Array:
    """Transform centred (..., H, W) k-space to images with the orthonormal inverse 2-D FFT."""
    kspace = jnp.asarray(kspace)
    _check_two_dims(kspace, "kspace")
    shifted = jnp.fft.ifftshift(kspace, axes=_AXES)
    image = jnp.fft.ifft2(shifted, axes=_AXES, norm="ortho")
    return jnp.fft.fftshift(image, axes=_AXES).astype(jnp.complex64)


def undersample(image: Array, mask: Array) -> Array:
    """Return the measured k-space of `image`: its centred k-space with unsampled entries set to 0.

    `mask` is a 0/1 (H, W) array on centred k-space (or anything broadcasting to the k-space).
    """
    kspace = fft2c(image)
    _check_mask(mask, kspace)
    return kspace * jnp.asarray(mask, kspace.real.dtype)


def zero_filled(image: Array, mask: Array) -> Array:
    """Return the zero-filled reconstruction: the inverse FFT of the undersampled k-space of `image`."""
    return ifft2c(undersample(image, mask))


def data_consistency(reconstruction: Array, measured_kspace: Array, mask: Array) -> Array:
    """Replace the sampled k-space entries of `reconstruction` by the measured ones.

    The network output keeps only the k-space it filled in where `mask` is 0; where `mask` is 1
    the measurement wins (noise-free data consistency). `reconstruction` may be real (a magnitude
    or real-part estimate) or complex; the result is a complex (..., H, W) image. Differentiable, so
    it can sit inside a generator.
    """
    kspace = fft2c(jnp.asarray(reconstruction).astype(jnp.complex64))
    _check_mask(mask, kspace)
    measured_kspace = jnp.asarray(measured_kspace)
    if jnp.broadcast_shapes(measured_kspace.shape, kspace.shape) != kspace.shape:
        raise ValueError(
            f"measured_kspace shape {measured_kspace.shape} does not broadcast to the reconstruction's "
            f"k-space shape {kspace.shape}"
        )
    mask = jnp.asarray(mask, kspace.real.dtype)
    merged = mask * measured_kspace + (1.0 - mask) * kspace
    return ifft2c(merged)


def complex_to_channels(image: Array) -> Array:
    """Stack (real, imag) of complex (..., H, W) images as a trailing channel axis: (..., H, W, 2)."""
    image = jnp.asarray(image)
    return jnp.stack([jnp.real(image), jnp.imag(image)], axis=-1)


def channels_to_complex(channels: Array) -> Array:
    """Invert `complex_to_channels`: (..., H, W, 2) real to (..., H, W) complex64."""
    channels = jnp.asarray(channels)
    if channels.shape[-1] != 2:
        raise ValueError(f"channels must have a last axis of size 2 (real, imag), got shape {channels.shape}")
    return jax.lax.complex(channels[..., 0], channels[..., 1]).astype(jnp.complex64)


def _check_two_dims(array: Array, name: str) -> None:
    if array.ndim < 2:
        raise ValueError(f"{name} must have at least 2 dimensions (..., H, W), got shape {array.shape}")


def _check_mask(mask: Array, kspace: Array) -> None:
    mask_shape = jnp.shape(mask)
    try:
        broadcast = jnp.broadcast_shapes(mask_shape, kspace.shape)
    except ValueError:
        broadcast = None
    if broadcast != kspace.shape:
        raise ValueError(f"mask shape {mask_shape} does not broadcast to the k-space shape {kspace.shape}")
