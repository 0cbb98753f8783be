"""Tests of the CS-MRI GAN losses: adversarial kinds, L1, SSIM, and the Haar wavelet-packet loss."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import pywt
import scipy.stats

from jaxlab.csmri import losses


def random_complex(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(np.complex64)


def test_wavelet_packet_matches_pywavelets():
    image = np.random.default_rng(0).normal(size=(16, 16)).astype(np.float32)
    packet = pywt.WaveletPacket2D(image.astype(np.float64), "haar", mode="periodization", maxlevel=3)
    expected = np.stack([node.data for node in packet.get_level(3, "natural")])

    bands = np.asarray(losses.wavelet_packet(jnp.asarray(image)))

    assert bands.shape == (64, 2, 2)
    np.testing.assert_allclose(bands, expected, atol=1e-5)


def test_wavelet_packet_keeps_energy_of_batches():
    images = np.random.default_rng(1).normal(size=(3, 16, 24)).astype(np.float32)
    bands = losses.wavelet_packet(jnp.asarray(images))
    assert bands.shape == (3, 64, 2, 3)
    np.testing.assert_allclose(jnp.sum(bands**2, axis=(1, 2, 3)), np.sum(images**2, axis=(1, 2)), rtol=1e-5)


def test_wavelet_packet_rejects_indivisible_size():
    with pytest.raises(ValueError, match="divisible"):
        losses.wavelet_packet(jnp.zeros((12, 16)))


def test_wavelet_weights_are_normal_density():
    weights = losses.wavelet_subband_weights(64)
    expected = scipy.stats.norm.pdf(np.arange(64), loc=32.5, scale=12.5)
    np.testing.assert_allclose(weights, expected, rtol=1e-5)
    assert set(np.argsort(weights)[-2:]) == {32, 33}


def test_wavelet_loss_is_weighted_subband_mse():
    target = random_complex((2, 16, 16), seed=2)
    prediction = target + 0.1 * random_complex((2, 16, 16), seed=3)

    expected = 0.0
    weights = scipy.stats.norm.pdf(np.arange(64), loc=32.5, scale=12.5)
    for index in range(2):
        bands = []
        for image in (prediction[index], target[index]):
            packet = pywt.WaveletPacket2D(np.abs(image).astype(np.float64), "haar", mode="periodization", maxlevel=3)
            bands.append(np.stack([node.data for node in packet.get_level(3, "natural")]))
        expected += np.sum(weights * np.mean((bands[0] - bands[1]) ** 2, axis=(1, 2))) / 2

    value = float(losses.wavelet_loss(jnp.asarray(prediction), jnp.asarray(target)))
    assert value == pytest.approx(expected, rel=1e-3)
    assert float(losses.wavelet_loss(jnp.asarray(target), jnp.asarray(target))) == pytest.approx(0.0, abs=1e-6)


def test_l1_loss_complex_sums_part_errors():
    prediction = jnp.asarray([[1 + 2j, 0 - 1j]], jnp.complex64)
    target = jnp.asarray([[0 + 0j, 0 + 1j]], jnp.complex64)
    # Real-part errors 1, 0 -> mean 0.5; imaginary-part errors 2, 2 -> mean 2.
    assert float(losses.l1_loss(prediction, target)) == pytest.approx(2.5)
    assert float(losses.l1_loss(jnp.asarray([1.0, -3.0]), jnp.zeros(2))) == pytest.approx(2.0)


def test_ssim_loss_zero_for_identical():
    target = jnp.asarray(np.abs(random_complex((2, 32, 32), seed=4)) / 4.0 + 0j, jnp.complex64)
    assert float(losses.ssim_loss(target, target)) == pytest.approx(0.0, abs=1e-5)
    noisy = target + 0.2 * jnp.asarray(random_complex((2, 32, 32), seed=5))
    assert 0.0 < float(losses.ssim_loss(noisy, target)) <= 2.0


def test_ssim_loss_gradient_finite_at_zero():
    zeros = jnp.zeros((1, 32, 32), jnp.complex64)
    target = jnp.asarray(random_complex((1, 32, 32), seed=6))
    gradient = jax.grad(lambda x: losses.ssim_loss(x, target) + losses.wavelet_loss(x, target))(zeros)
    assert bool(jnp.all(jnp.isfinite(gradient.real)))
    assert bool(jnp.all(jnp.isfinite(gradient.imag)))


@pytest.mark.parametrize(
    "kind, critic_expected, generator_expected",
    [
        # real scores [1, 3] (mean 2), fake scores [-1, 0] (mean -0.5)
        ("wgan", -0.5 - 2.0, 0.5),
        ("hinge", (0.0 + 0.0) / 2 + (0.0 + 1.0) / 2, 0.5),
        ("least_squares", 0.5 * ((0.0 + 4.0) / 2 + (1.0 + 0.0) / 2), 0.5 * (4.0 + 1.0) / 2),
    ],
)
def test_adversarial_losses_at_chosen_scores(kind, critic_expected, generator_expected):
    real = jnp.asarray([1.0, 3.0])
    fake = jnp.asarray([-1.0, 0.0])
    assert float(losses.critic_loss(kind, real, fake)) == pytest.approx(critic_expected)
    assert float(losses.generator_adversarial_loss(kind, fake)) == pytest.approx(generator_expected)


def test_adversarial_loss_rejects_unknown_kind():
    with pytest.raises(ValueError, match="wgan"):
        losses.critic_loss("vanilla", jnp.zeros(1), jnp.zeros(1))


def test_clip_weights_bounds_every_leaf():
    params = {"a": jnp.asarray([-1.0, 0.01, 2.0]), "b": {"c": jnp.asarray([[0.3]])}}
    clipped = losses.clip_weights(params, 0.05)
    np.testing.assert_allclose(clipped["a"], [-0.05, 0.01, 0.05])
    np.testing.assert_allclose(clipped["b"]["c"], [[0.05]])


def test_generator_loss_terms_weighted_sum():
    target = jnp.asarray(np.abs(random_complex((2, 16, 16), seed=7)) / 4.0 + 0j, jnp.complex64)
    prediction = target + 0.05 * jnp.asarray(random_complex((2, 16, 16), seed=8))
    scores = jnp.asarray([[0.2, -0.1]])
    weights = losses.LossWeights()

    terms = losses.generator_loss_terms(prediction, target, scores, kind="wgan", weights=weights)
    expected = 0.01 * terms["adversarial"] + 20.0 * terms["l1"] + 1.0 * terms["ssim"] + 10.0 * terms["wavelet"]
    assert float(terms["loss"]) == pytest.approx(float(expected), rel=1e-6)

    without_wavelet = losses.LossWeights(wavelet=0.0)
    terms = losses.generator_loss_terms(prediction, target, scores, kind="wgan", weights=without_wavelet)
    assert "wavelet" not in terms
