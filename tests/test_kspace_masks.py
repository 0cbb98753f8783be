"""Tests for jaxlab.csmri.kspace (centred orthonormal FFTs, zero filling, data consistency) and
jaxlab.csmri.masks (exact sampling fractions and the layout of each mask kind)."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxlab.csmri import kspace
from jaxlab.csmri.masks import MASK_KINDS, make_mask


def random_images(shape, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


# ----------------------------------------------------------------------------------------------
# k-space transforms
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 8, 6), (7, 9)])
def test_fft2c_matches_numpy_centred_ortho(shape):
    images = random_images(shape)
    axes = (-2, -1)
    expected = np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(images, axes=axes), norm="ortho"), axes=axes)

    np.testing.assert_allclose(kspace.fft2c(images), expected, atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 8, 6), (7, 9)])
def test_ifft2c_inverts_fft2c(shape):
    images = random_images(shape, seed=1)
    np.testing.assert_allclose(kspace.ifft2c(kspace.fft2c(images)), images, atol=1e-5)


def test_fft2c_preserves_energy():
    images = random_images((3, 16, 12), seed=2)
    image_energy = np.sum(np.abs(images) ** 2, axis=(-2, -1))
    kspace_energy = np.sum(np.abs(kspace.fft2c(images)) ** 2, axis=(-2, -1))
    np.testing.assert_allclose(kspace_energy, image_energy, rtol=1e-5)


def test_fft2c_constant_image_peaks_at_centre():
    height, width = 8, 10
    transformed = np.array(kspace.fft2c(jnp.full((height, width), 2.0 + 1.0j)))

    peak = np.unravel_index(np.argmax(np.abs(transformed)), transformed.shape)
    assert peak == (height // 2, width // 2)
    np.testing.assert_allclose(transformed[peak], (2.0 + 1.0j) * np.sqrt(height * width), rtol=1e-5)
    transformed[peak] = 0
    np.testing.assert_allclose(transformed, 0.0, atol=1e-5)


def test_zero_filled_full_mask_is_identity():
    images = random_images((2, 8, 8), seed=3)
    np.testing.assert_allclose(kspace.zero_filled(images, np.ones((8, 8))), images, atol=1e-5)


def test_zero_filled_keeps_only_sampled_kspace():
    images = random_images((2, 16, 16), seed=4)
    mask = make_mask("gaussian1d", (16, 16), 0.3)

    reconstruction = kspace.zero_filled(images, mask)
    reconstruction_kspace = np.asarray(kspace.fft2c(reconstruction))
    full_kspace = np.asarray(kspace.fft2c(images))

    np.testing.assert_allclose(reconstruction_kspace[:, mask == 0], 0.0, atol=1e-5)
    np.testing.assert_allclose(reconstruction_kspace[:, mask == 1], full_kspace[:, mask == 1], atol=1e-5)


def test_data_consistency_replaces_sampled_entries():
    target = random_images((2, 16, 16), seed=5)
    estimate = random_images((2, 16, 16), seed=6)
    mask = make_mask("gaussian2d", (16, 16), 0.3)
    measured = kspace.undersample(target, mask)

    corrected = kspace.data_consistency(estimate, measured, mask)
    corrected_kspace = np.asarray(kspace.fft2c(corrected))

    np.testing.assert_allclose(corrected_kspace[:, mask == 1], np.asarray(measured)[:, mask == 1], atol=1e-5)
    np.testing.assert_allclose(
        corrected_kspace[:, mask == 0], np.asarray(kspace.fft2c(estimate))[:, mask == 0], atol=1e-5
    )


def test_data_consistency_keeps_true_image_and_is_idempotent():
    target = random_images((16, 16), seed=7)
    mask = make_mask("radial", (16, 16), 0.3)
    measured = kspace.undersample(target, mask)

    np.testing.assert_allclose(kspace.data_consistency(target, measured, mask), target, atol=1e-5)
    once = kspace.data_consistency(np.abs(target), measured, mask)
    twice = kspace.data_consistency(once, measured, mask)
    np.testing.assert_allclose(twice, once, atol=1e-5)


def test_data_consistency_never_increases_error():
    target = random_images((16, 16), seed=8)
    estimate = target + 0.5 * random_images((16, 16), seed=9)
    mask = make_mask("random_columns", (16, 16), 0.5)
    measured = kspace.undersample(target, mask)

    corrected = kspace.data_consistency(estimate, measured, mask)

    assert np.linalg.norm(corrected - target) < np.linalg.norm(estimate - target)


def test_complex_channels_round_trip():
    images = random_images((2, 4, 5), seed=10)
    channels = kspace.complex_to_channels(images)

    assert channels.shape == (2, 4, 5, 2)
    np.testing.assert_allclose(kspace.channels_to_complex(channels), images)


def test_kspace_rejects_bad_shapes():
    with pytest.raises(ValueError, match="mask shape"):
        kspace.zero_filled(random_images((8, 8)), np.ones((4, 4)))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        kspace.fft2c(jnp.ones(8))
    with pytest.raises(ValueError, match="last axis of size 2"):
        kspace.channels_to_complex(jnp.ones((4, 4, 3)))


# ----------------------------------------------------------------------------------------------
# Masks
# ----------------------------------------------------------------------------------------------

MASK_CASES = [
    ("gaussian1d", (64, 48), 0.1),
    ("gaussian1d", (64, 48), 0.2),
    ("gaussian1d", (64, 48), 0.3),
    ("gaussian2d", (64, 48), 0.3),
    ("radial", (64, 48), 0.3),
    ("spiral", (64, 48), 0.3),
    ("random_columns", (40, 64), 0.25),
    ("equispaced_columns", (40, 64), 0.125),
]


def sampling_units(kind: str, shape) -> int:
    if kind == "gaussian1d":
        return shape[0]
    if kind.endswith("columns"):
        return shape[1]
    return shape[0] * shape[1]


@pytest.mark.parametrize("kind, shape, fraction", MASK_CASES)
def test_mask_hits_fraction_exactly(kind, shape, fraction):
    mask = make_mask(kind, shape, fraction, seed=3)
    units = sampling_units(kind, shape)

    assert mask.shape == shape
    assert mask.dtype == np.float32
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert mask.mean() == pytest.approx(round(fraction * units) / units, abs=1e-9)


@pytest.mark.parametrize("kind", MASK_KINDS)
def test_mask_samples_centre_fully(kind):
    shape = (64, 64)
    mask = make_mask(kind, shape, 0.3, center_fraction=0.125)
    centre = slice(32 - 3, 32 + 3)

    if kind == "gaussian1d":
        assert mask[centre, :].min() == 1.0
    elif kind.endswith("columns"):
        assert mask[:, centre].min() == 1.0
    else:
        assert mask[centre, centre].min() == 1.0


@pytest.mark.parametrize("kind", MASK_KINDS)
def test_mask_seed_is_reproducible(kind):
    first = make_mask(kind, (32, 32), 0.3, seed=5)
    again = make_mask(kind, (32, 32), 0.3, seed=5)
    other = make_mask(kind, (32, 32), 0.3, seed=6)

    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_line_masks_sample_whole_lines():
    rows = make_mask("gaussian1d", (32, 24), 0.3)
    assert np.all((rows.min(axis=1) == rows.max(axis=1)))

    for kind in ("random_columns", "equispaced_columns"):
        columns = make_mask(kind, (24, 32), 0.3)
        assert np.all((columns.min(axis=0) == columns.max(axis=0))), kind


def test_equispaced_columns_have_equal_gaps():
    mask = make_mask("equispaced_columns", (8, 128), 0.25, center_fraction=0.0)
    sampled = np.flatnonzero(mask[0])
    gaps = np.diff(sampled)

    assert gaps.max() - gaps.min() <= 1


@pytest.mark.parametrize("kind", ["gaussian1d", "gaussian2d", "radial"])
def test_variable_density_masks_denser_at_centre(kind):
    shape = (96, 96)
    mask = make_mask(kind, shape, 0.3, center_fraction=0.0)
    rows = np.arange(96)[:, None] - 48
    cols = np.arange(96)[None, :] - 48
    radius = np.hypot(rows, cols) if kind != "gaussian1d" else np.abs(rows) + 0 * cols

    inner = mask[(radius >= 5) & (radius < 20)].mean()
    outer = mask[(radius >= 30) & (radius < 45)].mean()
    assert inner > 1.5 * outer


def test_spiral_density_even_across_radii():
    mask = make_mask("spiral", (96, 96), 0.3, center_fraction=0.0)
    rows = np.arange(96)[:, None] - 48
    cols = np.arange(96)[None, :] - 48
    radius = np.hypot(rows, cols)

    inner = mask[(radius >= 10) & (radius < 25)].mean()
    outer = mask[(radius >= 30) & (radius < 45)].mean()
    assert 0.5 < inner / outer < 2.0


def test_radial_mask_is_nearly_point_symmetric():
    mask = make_mask("radial", (65, 65), 0.3, center_fraction=0.0)
    mirrored = mask[::-1, ::-1]

    # Spokes pass through the centre; only the partial last spoke and rounding break the symmetry.
    assert np.mean(mask == mirrored) > 0.95


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "poisson"}, "kind"),
        ({"shape": (32,)}, "shape"),
        ({"shape": (32, 0)}, "shape"),
        ({"sampling_fraction": 0.0}, "sampling_fraction"),
        ({"sampling_fraction": 1.5}, "sampling_fraction"),
        ({"center_fraction": 1.0}, "center_fraction"),
        ({"sampling_fraction": 0.05, "center_fraction": 0.5}, "fully sampled centre"),
    ],
)
def test_make_mask_rejects_bad_arguments(kwargs, message):
    arguments = {"kind": "gaussian1d", "shape": (32, 32), "sampling_fraction": 0.3, **kwargs}
    kind = arguments.pop("kind")
    shape = arguments.pop("shape")
    fraction = arguments.pop("sampling_fraction")
    with pytest.raises(ValueError, match=message):
        make_mask(kind, shape, fraction, **arguments)
