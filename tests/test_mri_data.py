"""Tests for jaxlab.data.mri: package-shipped brain slices, phantoms, and the fastMRI and NIfTI
loaders on small files written here, including truncated and malformed ones."""

from pathlib import Path

import h5py
import nibabel as nib
import numpy as np
import pytest
import skimage.data

from jaxlab.data import mri

SIZE = 32


@pytest.fixture(scope="module")
def real_slices():
    return mri.load_real_slices(SIZE, seed=0)


# ----------------------------------------------------------------------------------------------
# Real slices
# ----------------------------------------------------------------------------------------------


def test_real_files_are_inside_installed_packages():
    import dipy
    import nibabel

    package_dirs = (Path(dipy.__file__).parent, Path(nibabel.__file__).parent)
    for name, path in mri.package_file_paths().items():
        assert path.is_file(), name
        assert any(directory in path.parents for directory in package_dirs), path


def test_real_slices_shapes_and_range(real_slices):
    for split in ("train", "test"):
        images = real_slices[split]
        magnitude = np.abs(images)

        assert images.dtype == np.complex64
        assert images.shape[1:] == (SIZE, SIZE)
        assert magnitude.min() >= 0.0
        np.testing.assert_allclose(magnitude.max(axis=(1, 2)), 1.0, atol=1e-5)

    assert len(real_slices["train"]) >= 40
    assert len(real_slices["test"]) >= 5


def test_test_split_is_fixed_and_disjoint(real_slices):
    other_seed = mri.load_real_slices(SIZE, seed=1)
    test_magnitude = np.abs(real_slices["test"])
    train_magnitude = np.abs(real_slices["train"])

    np.testing.assert_allclose(np.abs(other_seed["test"]), test_magnitude, atol=1e-6)
    assert not np.allclose(np.angle(other_seed["test"]), np.angle(real_slices["test"]))
    for image in test_magnitude:
        distances = np.abs(train_magnitude - image).mean(axis=(1, 2))
        assert distances.min() > 1e-3


def test_test_split_holds_whole_volumes():
    sources = mri.real_brain_slices()
    test_count = sum(len(sources[name]) for name in mri.TEST_SOURCES)

    assert set(mri.TEST_SOURCES).isdisjoint(mri.TRAIN_SOURCES)
    assert set(mri.TEST_SOURCES) | set(mri.TRAIN_SOURCES) == set(sources)
    assert len(mri.load_real_slices(SIZE)["test"]) == test_count


def test_phase_is_smooth(real_slices):
    images = real_slices["train"]
    phasor = np.exp(1j * np.angle(images))
    foreground = np.abs(images) > 0.2
    neighbour_change = np.abs(phasor[:, 1:, :] - phasor[:, :-1, :])
    both = foreground[:, 1:, :] & foreground[:, :-1, :]

    # A phase step of 0.5 rad between neighbouring pixels would already be a sharp edge.
    assert np.median(neighbour_change[both]) < 0.5


def test_resample_pads_to_aspect_ratio():
    image = np.ones((20, 10), np.float32)
    resampled = mri.resample_slice(image, (16, 16))

    assert resampled.shape == (16, 16)
    assert resampled[:, 0].max() < 0.5
    assert resampled[8, 8] == pytest.approx(1.0, abs=1e-5)


# ----------------------------------------------------------------------------------------------
# Phantoms
# ----------------------------------------------------------------------------------------------


def test_shepp_logan_matches_skimage_phantom():
    ours = mri.shepp_logan(400)
    reference = skimage.data.shepp_logan_phantom()

    assert ours.dtype == np.float32
    assert ours.min() >= 0.0
    assert ours.max() == pytest.approx(1.0)
    # The two renderings differ only in which edge pixels they count inside an ellipse.
    assert np.mean(np.abs(ours - reference) > 0.05) < 0.02


def test_shepp_logan_known_intensities():
    phantom = mri.shepp_logan(200)
    centre = 100
    assert phantom[centre, centre] == pytest.approx(0.2, abs=1e-6)
    assert phantom[centre - 35, centre] == pytest.approx(0.3, abs=1e-6)
    assert phantom[2, 2] == 0.0


def test_random_ellipse_phantoms():
    phantoms = mri.random_ellipse_phantoms(6, (24, 20), seed=3)
    again = mri.random_ellipse_phantoms(6, (24, 20), seed=3)
    magnitudes = mri.random_ellipse_phantoms(6, (24, 20), seed=3, with_phase=False)

    assert phantoms.shape == (6, 24, 20)
    assert phantoms.dtype == np.complex64
    assert magnitudes.dtype == np.float32
    np.testing.assert_array_equal(phantoms, again)
    np.testing.assert_allclose(np.abs(phantoms), magnitudes, atol=1e-6)
    np.testing.assert_allclose(magnitudes.max(axis=(1, 2)), 1.0, atol=1e-6)
    assert not np.allclose(magnitudes[0], magnitudes[1])


def test_phantom_arguments_rejected():
    with pytest.raises(ValueError, match="n must be"):
        mri.random_ellipse_phantoms(0, 16)
    with pytest.raises(ValueError, match="size must be"):
        mri.shepp_logan(4)


# ----------------------------------------------------------------------------------------------
# fastMRI single-coil loader
# ----------------------------------------------------------------------------------------------


def write_fastmri_file(path: Path, *, with_reconstruction=True, with_kspace=True, with_max=True) -> dict:
    rng = np.random.default_rng(4)
    kspace = (rng.standard_normal((3, 20, 12)) + 1j * rng.standard_normal((3, 20, 12))).astype(np.complex64)
    reconstruction = rng.uniform(size=(3, 8, 8)).astype(np.float32)
    with h5py.File(path, "w") as file:
        if with_kspace:
            file.create_dataset("kspace", data=kspace)
        if with_reconstruction:
            file.create_dataset("reconstruction_esc", data=reconstruction)
        file.attrs["acquisition"] = "CORPD_FBK"
        file.attrs["norm"] = 0.5
        file.attrs["patient_id"] = "abc"
        if with_max:
            file.attrs["max"] = float(reconstruction.max())
    return {"kspace": kspace, "reconstruction_esc": reconstruction}


def test_fastmri_loader_reads_fields(tmp_path):
    path = tmp_path / "file1000001.h5"
    written = write_fastmri_file(path)

    loaded = mri.load_fastmri_singlecoil(path)

    np.testing.assert_array_equal(loaded["kspace"], written["kspace"])
    np.testing.assert_array_equal(loaded["reconstruction_esc"], written["reconstruction_esc"])
    assert loaded["attrs"]["acquisition"] == "CORPD_FBK"
    assert loaded["attrs"]["max"] == pytest.approx(float(written["reconstruction_esc"].max()))


def test_fastmri_loader_test_split_without_reconstruction(tmp_path):
    path = tmp_path / "test_file.h5"
    write_fastmri_file(path, with_reconstruction=False)

    loaded = mri.load_fastmri_singlecoil(path, require_reconstruction=False)
    assert "reconstruction_esc" not in loaded

    with pytest.raises(mri.MRIDataError, match="test_file.h5.*'reconstruction_esc'"):
        mri.load_fastmri_singlecoil(path)


@pytest.mark.parametrize(
    "options, field",
    [({"with_kspace": False}, "'kspace'"), ({"with_max": False}, "'max'")],
)
def test_fastmri_loader_names_missing_field(tmp_path, options, field):
    path = tmp_path / "broken.h5"
    write_fastmri_file(path, **options)
    with pytest.raises(mri.MRIDataError, match=f"broken.h5.*{field}"):
        mri.load_fastmri_singlecoil(path)


def test_fastmri_loader_rejects_truncated_file(tmp_path):
    path = tmp_path / "truncated.h5"
    write_fastmri_file(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(mri.MRIDataError, match="truncated.h5"):
        mri.load_fastmri_singlecoil(path)


def test_fastmri_loader_rejects_real_kspace(tmp_path):
    path = tmp_path / "real.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset("kspace", data=np.ones((2, 4, 4), np.float32))
    with pytest.raises(mri.MRIDataError, match="real.h5.*'kspace' must be complex"):
        mri.load_fastmri_singlecoil(path, require_reconstruction=False)


def test_fastmri_loader_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        mri.load_fastmri_singlecoil(tmp_path / "absent.h5")


# ----------------------------------------------------------------------------------------------
# NIfTI folder loader
# ----------------------------------------------------------------------------------------------


def write_volume(path: Path, shape=(16, 16, 5), filled_slices=(1, 2, 3)) -> np.ndarray:
    """Write a volume whose listed slices are half non-zero and the others almost empty."""
    volume = np.zeros(shape, np.float32)
    for z in filled_slices:
        volume[:, : shape[1] // 2, z] = z + 1.0
    volume[0, 0, 0] = 5.0
    nib.save(nib.Nifti1Image(volume, np.eye(4)), path)
    return volume


def test_nifti_folder_keeps_nonzero_slices(tmp_path):
    first = write_volume(tmp_path / "a.nii.gz", filled_slices=(1, 2))
    second = write_volume(tmp_path / "b.nii", filled_slices=(0, 3, 4))
    (tmp_path / "notes.txt").write_text("not an image")

    slices = mri.load_nifti_folder(tmp_path)

    assert slices.shape == (5, 16, 16)
    assert slices.dtype == np.float32
    np.testing.assert_array_equal(slices[0], first[:, :, 1])
    np.testing.assert_array_equal(slices[2], second[:, :, 0])


def test_nifti_folder_threshold_and_resampling(tmp_path):
    write_volume(tmp_path / "a.nii.gz", shape=(16, 16, 4))
    write_volume(tmp_path / "b.nii.gz", shape=(12, 20, 4))

    with pytest.raises(ValueError, match="different shapes"):
        mri.load_nifti_folder(tmp_path)
    resampled = mri.load_nifti_folder(tmp_path, size=16)
    everything = mri.load_nifti_folder(tmp_path, min_nonzero_fraction=0.0, size=16)

    assert resampled.shape == (6, 16, 16)
    assert everything.shape == (8, 16, 16)


def test_nifti_folder_rejects_truncated_file(tmp_path):
    write_volume(tmp_path / "good.nii.gz")
    bad = tmp_path / "cut.nii.gz"
    write_volume(bad)
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])

    with pytest.raises(mri.MRIDataError, match="cut.nii.gz"):
        mri.load_nifti_folder(tmp_path)


def test_nifti_folder_rejects_2d_image(tmp_path):
    nib.save(nib.Nifti1Image(np.ones((8, 8), np.float32), np.eye(4)), tmp_path / "flat.nii")
    with pytest.raises(mri.MRIDataError, match="flat.nii.*'dim'"):
        mri.load_nifti_folder(tmp_path)


def test_nifti_folder_empty(tmp_path):
    with pytest.raises(FileNotFoundError, match="no .nii"):
        mri.load_nifti_folder(tmp_path)
