"""Tests for jaxlab.metrics.image against scikit-image and fastMRI's definitions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import skimage.data
import skimage.metrics
import skimage.transform

from jaxlab.metrics.image import nmse, psnr, ssim


@pytest.fixture(scope="module")
def image_pair():
    """A natural grayscale image in [0, 1] and a copy with Gaussian noise, clipped to [0, 1]."""
    rng = np.random.default_rng(0)
    clean = skimage.transform.resize(skimage.data.camera() / 255.0, (48, 40)).astype(np.float32)
    degraded = np.clip(clean + 0.08 * rng.standard_normal(clean.shape), 0.0, 1.0).astype(np.float32)
    return clean, degraded


@pytest.fixture(scope="module")
def rgb_batch():
    rng = np.random.default_rng(1)
    clean = skimage.transform.resize(skimage.data.astronaut() / 255.0, (2, 32, 36, 3)).astype(np.float32)
    clean[1] = clean[1, ::-1]
    degraded = np.clip(clean + 0.1 * rng.standard_normal(clean.shape), 0.0, 1.0).astype(np.float32)
    return clean, degraded


def test_ssim_uniform_matches_skimage_default(image_pair):
    clean, degraded = image_pair
    expected = skimage.metrics.structural_similarity(clean, degraded, data_range=1.0)
    assert float(ssim(clean, degraded, max_val=1.0, window="uniform")) == pytest.approx(expected, abs=1e-4)


def test_ssim_gaussian_matches_skimage_gaussian(image_pair):
    clean, degraded = image_pair
    expected = skimage.metrics.structural_similarity(
        clean, degraded, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert float(ssim(clean, degraded, max_val=1.0, window="gaussian")) == pytest.approx(expected, abs=1e-4)


def test_ssim_data_range_matches_skimage(image_pair):
    clean, degraded = image_pair
    scaled_clean, scaled_degraded = 255.0 * clean, 255.0 * degraded
    expected = skimage.metrics.structural_similarity(scaled_clean, scaled_degraded, data_range=255.0)
    value = ssim(scaled_clean, scaled_degraded, max_val=255.0, window="uniform")
    assert float(value) == pytest.approx(expected, abs=1e-4)


def test_ssim_batched_rgb_matches_skimage(rgb_batch):
    clean, degraded = rgb_batch
    values = ssim(clean, degraded, max_val=1.0, window="uniform", channel_axis=-1)
    expected = [
        skimage.metrics.structural_similarity(clean[i], degraded[i], data_range=1.0, channel_axis=-1)
        for i in range(2)
    ]

    assert values.shape == (2,)
    np.testing.assert_allclose(values, expected, atol=1e-4)


def test_ssim_channel_first_equals_channel_last(rgb_batch):
    clean, degraded = rgb_batch
    last = ssim(clean, degraded, max_val=1.0, channel_axis=-1)
    first = ssim(np.moveaxis(clean, -1, 1), np.moveaxis(degraded, -1, 1), max_val=1.0, channel_axis=1)
    np.testing.assert_allclose(first, last, rtol=1e-6)


def test_ssim_identical_is_one_and_symmetric(image_pair):
    clean, degraded = image_pair
    assert float(ssim(clean, clean, max_val=1.0)) == pytest.approx(1.0, abs=1e-6)
    assert float(ssim(clean, degraded, max_val=1.0)) == pytest.approx(float(ssim(degraded, clean, max_val=1.0)), abs=1e-6)


def test_ssim_per_image_max_val(image_pair):
    clean, degraded = image_pair
    batch_clean = np.stack([clean, 2.0 * clean])
    batch_degraded = np.stack([degraded, 2.0 * degraded])

    values = ssim(batch_clean, batch_degraded, max_val=jnp.array([1.0, 2.0]))

    np.testing.assert_allclose(values[0], values[1], rtol=1e-5)


def test_one_minus_ssim_is_a_usable_loss(image_pair):
    clean, degraded = image_pair

    def loss(estimate):
        return 1.0 - ssim(estimate, clean, max_val=1.0)

    value, gradient = jax.jit(jax.value_and_grad(loss))(degraded)
    improved = degraded - 20.0 * gradient

    assert np.all(np.isfinite(gradient))
    assert float(loss(improved)) < float(value)


def test_psnr_matches_skimage_and_known_value(image_pair):
    clean, degraded = image_pair
    expected = skimage.metrics.peak_signal_noise_ratio(clean, degraded, data_range=1.0)
    assert float(psnr(clean, degraded, 1.0)) == pytest.approx(expected, abs=1e-3)

    # An error of 0.1 everywhere gives MSE 0.01, which is 20 dB at max_val 1.
    assert float(psnr(clean, clean + 0.1, 1.0)) == pytest.approx(20.0, abs=1e-3)


def test_psnr_batched_rgb(rgb_batch):
    clean, degraded = rgb_batch
    values = psnr(clean, degraded, 1.0, channel_axis=-1)
    expected = [skimage.metrics.peak_signal_noise_ratio(clean[i], degraded[i], data_range=1.0) for i in range(2)]
    np.testing.assert_allclose(values, expected, atol=1e-3)


def test_nmse_matches_fastmri_definition(image_pair):
    clean, degraded = image_pair
    expected = np.linalg.norm(clean - degraded) ** 2 / np.linalg.norm(clean) ** 2
    assert float(nmse(clean, degraded)) == pytest.approx(expected, rel=1e-5)


def test_nmse_per_volume_with_channel_axis():
    rng = np.random.default_rng(2)
    volume = rng.uniform(size=(5, 16, 16)).astype(np.float32)
    estimate = volume + 0.1 * rng.standard_normal(volume.shape).astype(np.float32)

    expected = np.linalg.norm(volume - estimate) ** 2 / np.linalg.norm(volume) ** 2
    assert float(nmse(volume, estimate, channel_axis=0)) == pytest.approx(expected, rel=1e-5)
    assert nmse(volume, estimate).shape == (5,)


def test_metrics_accept_complex_for_psnr_and_nmse():
    rng = np.random.default_rng(3)
    target = (rng.standard_normal((8, 8)) + 1j * rng.standard_normal((8, 8))).astype(np.complex64)
    estimate = target + 0.1

    assert float(psnr(target, estimate, 1.0)) == pytest.approx(20.0 - 10 * np.log10(1.0), abs=1e-3)
    expected = np.sum(np.abs(target - estimate) ** 2) / np.sum(np.abs(target) ** 2)
    assert float(nmse(target, estimate)) == pytest.approx(expected, rel=1e-5)


def test_metrics_reject_bad_input(image_pair):
    clean, degraded = image_pair
    with pytest.raises(ValueError, match="same shape"):
        psnr(clean, degraded[:-1], 1.0)
    with pytest.raises(ValueError, match="window must be"):
        ssim(clean, degraded, max_val=1.0, window="box")
    with pytest.raises(ValueError, match="smaller than"):
        ssim(clean[:5, :5], degraded[:5, :5], max_val=1.0)
    with pytest.raises(ValueError, match="real images"):
        ssim(clean + 0j, degraded + 0j, max_val=1.0)
    with pytest.raises(ValueError, match="odd"):
        ssim(clean, degraded, max_val=1.0, window_size=8)
