"""Image quality metrics as the field defines them: PSNR, SSIM and fastMRI's NMSE.

All three are pure jax.numpy, so they run under `jit`, batch over leading axes and are
differentiable (`1 - ssim` is a training loss). Images are (..., H, W) by default. With
`channel_axis` set, that axis contains channels (RGB, or a volume's slices) and is reduced together with
H and W, so the result keeps only the leading batch axes. Pass magnitudes (`jnp.abs`) of complex MR
images. PSNR and NMSE also accept complex input and then use |x - y|^2.

SSIM follows Wang et al. (2004) with K1 = 0.01, K2 = 0.03 and the mean of the SSIM map over the
positions where the window fits inside the image:
  window="gaussian"  11x11 Gaussian, sigma 1.5, population (co)variances, as in Wang et al.
  window="uniform"   7x7 box with sample (co)variances, the default of
                     `skimage.metrics.structural_similarity` (scikit-image 0.26); tests check the two
                     agree to 1e-4.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

Array = jax.Array
SSIM_WINDOWS = ("gaussian", "uniform")


def psnr(x: Array, y: Array, max_val: float | Array, *, channel_axis: int | None = None) -> Array:
    """Return the peak signal-to-noise ratio in dB per image: `10 log10(max_val^2 / MSE)`.

    `max_val` is the largest possible value (the data range), a float or an array broadcasting to
    the batch shape. fastMRI uses the maximum of each target volume.
    """
    x, y = _image_last(x, y, channel_axis)
    squared_error = jnp.abs(x - y) ** 2
    mse = jnp.mean(squared_error, axis=(-3, -2, -1))
    return 10.0 * jnp.log10(jnp.asarray(max_val, mse.dtype) ** 2 / mse)


def nmse(x: Array, y: Array, *, channel_axis: int | None = None) -> Array:
    """Return fastMRI's normalized MSE `||x - y||^2 / ||x||^2` per image, with `x` the ground truth.

    fastMRI reports it per volume: pass a (slices, H, W) volume with `channel_axis=0` to reduce
    over all of it.
    """
    x, y = _image_last(x, y, channel_axis)
    error = jnp.sum(jnp.abs(x - y) ** 2, axis=(-3, -2, -1))
    energy = jnp.sum(jnp.abs(x) ** 2, axis=(-3, -2, -1))
    return error / energy


def ssim(
    x: Array,
    y: Array,
    *,
    max_val: float | Array,
    window: str = "gaussian",
    window_size: int | None = None,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    use_sample_covariance: bool | None = None,
    channel_axis: int | None = None,
) -> Array:
    """Return the mean structural similarity per image (one value per leading batch entry).

    `window_size` defaults to 11 for "gaussian" and 7 for "uniform"; `use_sample_covariance`
    defaults to False for "gaussian" and True for "uniform" (see the module docstring). Channels
    are compared separately and their SSIM values averaged, as scikit-image does.
    """
    if window not in SSIM_WINDOWS:
        raise ValueError(f"window must be one of {SSIM_WINDOWS}, got {window!r}")
    if window_size is None:
        window_size = 11 if window == "gaussian" else 7
    if window_size < 3 or window_size % 2 == 0:
        raise ValueError(f"window_size must be odd and >= 3, got {window_size}")
    if use_sample_covariance is None:
        use_sample_covariance = window == "uniform"
    if jnp.iscomplexobj(x) or jnp.iscomplexobj(y):
        raise ValueError("ssim needs real images; pass magnitudes, e.g. jnp.abs(image)")

    x, y = _image_last(x, y, channel_axis)
    height, width = x.shape[-3], x.shape[-2]
    if min(height, width) < window_size:
        raise ValueError(f"images of size {height}x{width} are smaller than the {window_size}x{window_size} window")

    taps = _window_taps(window, window_size, sigma)
    mu_x = _filter(x, taps)
    mu_y = _filter(y, taps)
    mean_xx = _filter(x * x, taps)
    mean_yy = _filter(y * y, taps)
    mean_xy = _filter(x * y, taps)

    # scikit-image rescales the windowed variances by N/(N-1) for sample (co)variances.
    num_taps = window_size**2
    covariance_scale = num_taps / (num_taps - 1.0) if use_sample_covariance else 1.0
    var_x = covariance_scale * (mean_xx - mu_x * mu_x)
    var_y = covariance_scale * (mean_yy - mu_y * mu_y)
    cov_xy = covariance_scale * (mean_xy - mu_x * mu_y)

    max_val = _broadcast_to_batch(jnp.asarray(max_val, x.dtype))
    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    numerator = (2.0 * mu_x * mu_y + c1) * (2.0 * cov_xy + c2)
    denominator = (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    return jnp.mean(numerator / denominator, axis=(-3, -2, -1))


def _window_taps(window: str, window_size: int, sigma: float) -> np.ndarray:
    """1-D normalized taps; the 2-D window is their outer product (both windows are separable)."""
    if window == "uniform":
        return np.full(window_size, 1.0 / window_size, dtype=np.float32)
    offsets = np.arange(window_size) - window_size // 2
    taps = np.exp(-0.5 * (offsets / sigma) ** 2)
    return (taps / taps.sum()).astype(np.float32)


def _filter(images: Array, taps: np.ndarray) -> Array:
    """Average (..., H, W, C) images over the separable window at each position where it fits."""
    batch_shape = images.shape[:-3]
    height, width, channels = images.shape[-3:]

    # One channel per conv input: fold batch and channels together into N.
    flat = jnp.moveaxis(images.reshape((-1, height, width, channels)), -1, 1)
    flat = flat.reshape((-1, height, width, 1))
    size = len(taps)
    column_kernel = jnp.asarray(taps, images.dtype).reshape(size, 1, 1, 1)
    row_kernel = jnp.asarray(taps, images.dtype).reshape(1, size, 1, 1)
    dimensions = ("NHWC", "HWIO", "NHWC")
    precision = jax.lax.Precision.HIGHEST
    out = jax.lax.conv_general_dilated(flat, column_kernel, (1, 1), "VALID", dimension_numbers=dimensions, precision=precision)
    out = jax.lax.conv_general_dilated(out, row_kernel, (1, 1), "VALID", dimension_numbers=dimensions, precision=precision)

    out_height, out_width = out.shape[1], out.shape[2]
    out = out.reshape((-1, channels, out_height, out_width))
    out = jnp.moveaxis(out, 1, -1)
    return out.reshape((*batch_shape, out_height, out_width, channels))


def _image_last(x: Array, y: Array, channel_axis: int | None) -> tuple[Array, Array]:
    """Return x and y as (..., H, W, C), moving `channel_axis` last or adding a size-1 channel axis."""
    x = jnp.asarray(x)
    y = jnp.asarray(y)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    min_ndim = 2 if channel_axis is None else 3
    if x.ndim < min_ndim:
        raise ValueError(f"images must have >= {min_ndim} dimensions with channel_axis={channel_axis}, got {x.shape}")

    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.float32)
    if not jnp.issubdtype(y.dtype, jnp.inexact):
        y = y.astype(jnp.float32)

    if channel_axis is None:
        return x[..., None], y[..., None]
    return jnp.moveaxis(x, channel_axis, -1), jnp.moveaxis(y, channel_axis, -1)


def _broadcast_to_batch(value: Array) -> Array:
    """Append three unit axes to a per-image value so it broadcasts against (..., H', W', C) maps."""
    return value.reshape(value.shape + (1,) * 3) if value.ndim > 0 else value
