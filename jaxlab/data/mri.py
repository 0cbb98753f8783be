"""MR images for compressive-sensing reconstruction: real brain slices shipped in PyPI packages,
synthetic phantoms, and loaders for fastMRI single-coil HDF5 files and folders of NIfTI volumes.

The real slices need no download. They come from files inside the installed dipy and nibabel
packages (dipy 1.12, nibabel 5.4):

  t1_coronal_slice.npy   dipy    one 256x256 coronal T1 slice
  S0_10slices.nii.gz     dipy    128x128x10 axial b=0 diffusion volume
  test_piesno.nii.gz     dipy    96x96x14 axial volume
  aniso_vox.nii.gz       dipy    58x58x24 axial volume, 4x4x5 mm voxels
  example4d.nii.gz       nibabel 128x96x24x2 axial series, first volume used

Each slice is padded to the target aspect ratio, resampled, scaled so its magnitude maximum is 1 and
given a smooth random phase, which makes a complex image like those from a scanner. Whole volumes
(not single slices) form the test set, so no test slice has a neighbouring slice in training.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import h5py
import nibabel as nib
from nibabel.filebasedimages import ImageFileError
import numpy as np
import scipy.ndimage
import skimage.transform

# Real sources kept out of training: the single T1 slice and the whole S0_10slices volume.
TEST_SOURCES = ("t1_coronal_slice", "S0_10slices")
TRAIN_SOURCES = ("test_piesno", "aniso_vox", "example4d")

# A slice is kept when at least this fraction of its pixels is above 10% of its volume's 99th
# percentile, which drops the near-empty slices at the top and bottom of each volume.
MIN_FOREGROUND_FRACTION = 0.1

# Modified Shepp-Logan phantom (Toft, 1996): intensity, semi-axes (a, b), centre (x0, y0) and
# rotation in degrees, on [-1, 1]^2 with y pointing up.
_SHEPP_LOGAN_ELLIPSES = (
    (1.0, 0.69, 0.92, 0.0, 0.0, 0.0),
    (-0.8, 0.6624, 0.874, 0.0, -0.0184, 0.0),
    (-0.2, 0.11, 0.31, 0.22, 0.0, -18.0),
    (-0.2, 0.16, 0.41, -0.22, 0.0, 18.0),
    (0.1, 0.21, 0.25, 0.0, 0.35, 0.0),
    (0.1, 0.046, 0.046, 0.0, 0.1, 0.0),
    (0.1, 0.046, 0.046, 0.0, -0.1, 0.0),
    (0.1, 0.046, 0.023, -0.08, -0.605, 0.0),
    (0.1, 0.023, 0.023, 0.0, -0.606, 0.0),
    (0.1, 0.023, 0.046, 0.06, -0.605, 0.0),
)


class MRIDataError(ValueError):
    """A data file that cannot be read or lacks a required field; the message names both."""


# ----------------------------------------------------------------------------------------------
# Image preparation
# ----------------------------------------------------------------------------------------------


def _size_pair(size: int | Sequence[int]) -> tuple[int, int]:
    pair = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if len(pair) != 2 or not all(isinstance(s, (int, np.integer)) and s >= 8 for s in pair):
        raise ValueError(f"size must be an int >= 8 or a pair (H, W) of such ints, got {size!r}")
    return int(pair[0]), int(pair[1])


def resample_slice(image: np.ndarray, size: int | Sequence[int]) -> np.ndarray:
    """Zero-pad a 2-D image to the aspect ratio of `size`, then resample it to `size` (bilinear)."""
    height, width = _size_pair(size)
    rows, cols = image.shape
    padded_rows = max(rows, int(np.ceil(cols * height / width)))
    padded_cols = max(cols, int(np.ceil(rows * width / height)))
    pad_rows = padded_rows - rows
    pad_cols = padded_cols - cols
    padded = np.pad(image, ((pad_rows // 2, pad_rows - pad_rows // 2), (pad_cols // 2, pad_cols - pad_cols // 2)))
    resized = skimage.transform.resize(padded, (height, width), order=1, anti_aliasing=True, mode="constant")
    return resized.astype(np.float32)


def normalize_magnitude(image: np.ndarray) -> np.ndarray:
    """Clip negatives to 0 and scale so the maximum is 1; an all-zero image stays zero."""
    image = np.clip(np.asarray(image, np.float32), 0.0, None)
    peak = image.max()
    return image / peak if peak > 0 else image


def smooth_random_phase(shape: tuple[int, int], rng: np.random.Generator, max_phase: float = np.pi) -> np.ndarray:
    """Return a smooth random phase map in [-max_phase, max_phase] radians.

    Low-pass filtered white noise (Gaussian, sigma = 1/8 of the side) varies slowly across the image,
    like the phase from field inhomogeneity and coil sensitivity.
    """
    noise = rng.standard_normal(shape)
    sigma = (shape[0] / 8.0, shape[1] / 8.0)
    field = scipy.ndimage.gaussian_filter(noise, sigma, mode="wrap")
    field = field - field.mean()
    return (max_phase * field / np.abs(field).max()).astype(np.float32)


def add_smooth_phase(magnitudes: np.ndarray, *, seed: int = 0, max_phase: float = np.pi) -> np.ndarray:
    """Turn (..., H, W) magnitudes into complex64 images, each with its own smooth random phase."""
    magnitudes = np.asarray(magnitudes, np.float32)
    rng = np.random.default_rng(seed)
    flat = magnitudes.reshape((-1, *magnitudes.shape[-2:]))
    phases = np.stack([smooth_random_phase(flat.shape[-2:], rng, max_phase) for _ in flat])
    images = flat * np.exp(1j * phases)
    return images.reshape(magnitudes.shape).astype(np.complex64)


# ----------------------------------------------------------------------------------------------
# Real slices from installed packages
# ----------------------------------------------------------------------------------------------


def package_file_paths() -> dict[str, Path]:
    """Return the paths of the brain MRI files inside the installed dipy and nibabel packages."""
    from dipy.data import get_fnames
    from nibabel.testing import data_path

    paths = {
        "t1_coronal_slice": Path(get_fnames(name="t1_coronal_slice")),
        "S0_10slices": Path(get_fnames(name="S0_10")),
        "test_piesno": Path(get_fnames(name="test_piesno")),
        "aniso_vox": Path(get_fnames(name="aniso_vox")),
        "example4d": Path(data_path) / "example4d.nii.gz",
    }
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"MRI files missing from the installed dipy/nibabel packages: {missing}")
    return paths


def _volume_slices(volume: np.ndarray) -> list[np.ndarray]:
    """Split a (X, Y, Z[, T]) volume into slices along Z at the first time point, rotated 90 degrees.

    The rotation puts anterior up for the dipy S0 and aniso volumes and for nibabel's example. The
    test_piesno volume is stored in another order, so its slices come out turned sideways.
    """
    if volume.ndim == 4:
        volume = volume[..., 0]
    return [np.rot90(volume[:, :, z]) for z in range(volume.shape[2])]


def _keep_foreground(slices: list[np.ndarray], min_fraction: float) -> list[np.ndarray]:
    threshold = 0.1 * np.percentile(np.stack(slices), 99)
    return [image for image in slices if np.mean(image > threshold) >= min_fraction]


def real_brain_slices(min_foreground_fraction: float = MIN_FOREGROUND_FRACTION) -> dict[str, list[np.ndarray]]:
    """Return the real magnitude slices per source file, at their native sizes."""
    paths = package_file_paths()
    sources: dict[str, list[np.ndarray]] = {}
    for name, path in paths.items():
        if path.suffix == ".npy":
            slices = [np.load(path)]
        else:
            slices = _volume_slices(np.asarray(nib.load(path).get_fdata(), np.float32))
        sources[name] = _keep_foreground(slices, min_foreground_fraction)
    return sources


def load_real_slices(size: int | Sequence[int], *, seed: int = 0) -> dict[str, np.ndarray]:
    """Load the real brain slices as complex64 images of `size`, split into train and test.

    Returns dict(train=(N, H, W), test=(M, H, W)), magnitudes in [0, 1] with a smooth random phase.
    The split is fixed: the test set contains every kept slice of TEST_SOURCES for any `seed`; the seed
    only draws the phases.
    """
    height, width = _size_pair(size)
    sources = real_brain_slices()
    splits = {"train": TRAIN_SOURCES, "test": TEST_SOURCES}
    result = {}
    for split_index, (split, names) in enumerate(splits.items()):
        magnitudes = [
            normalize_magnitude(resample_slice(image, (height, width))) for name in names for image in sources[name]
        ]
        result[split] = add_smooth_phase(np.stack(magnitudes), seed=seed * 2 + split_index)
    return result


# ----------------------------------------------------------------------------------------------
# Phantoms
# ----------------------------------------------------------------------------------------------


def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates on [-1, 1]^2, x to the right and y up."""
    x = (np.arange(width) + 0.5) / width * 2.0 - 1.0
    y = 1.0 - (np.arange(height) + 0.5) / height * 2.0
    return np.meshgrid(x, y)


def _ellipse(x: np.ndarray, y: np.ndarray, a: float, b: float, x0: float, y0: float, degrees: float) -> np.ndarray:
    theta = np.deg2rad(degrees)
    dx, dy = x - x0, y - y0
    u = dx * np.cos(theta) + dy * np.sin(theta)
    v = -dx * np.sin(theta) + dy * np.cos(theta)
    return (u / a) ** 2 + (v / b) ** 2 <= 1.0


def shepp_logan(size: int | Sequence[int]) -> np.ndarray:
    """Render the modified Shepp-Logan phantom as a float32 (H, W) magnitude image in [0, 1]."""
    height, width = _size_pair(size)
    x, y = _grid(height, width)
    image = np.zeros((height, width), np.float32)
    for intensity, a, b, x0, y0, degrees in _SHEPP_LOGAN_ELLIPSES:
        image += intensity * _ellipse(x, y, a, b, x0, y0, degrees)
    return np.clip(image, 0.0, 1.0)


def _random_ellipse_magnitude(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one head-like phantom: a bright rim, a darker interior and 4-12 random inner ellipses."""
    a = rng.uniform(0.6, 0.9)
    b = rng.uniform(0.7, 0.95)
    rotation = rng.uniform(-20.0, 20.0)
    image = rng.uniform(0.8, 1.0) * _ellipse(x, y, a, b, 0.0, 0.0, rotation).astype(np.float32)
    image -= rng.uniform(0.4, 0.7) * _ellipse(x, y, 0.9 * a, 0.9 * b, 0.0, 0.0, rotation)

    for _ in range(rng.integers(4, 13)):
        axes = rng.uniform(0.03, 0.4, size=2) * np.array([a, b])
        centre = rng.uniform(-0.6, 0.6, size=2) * np.array([a, b])
        inner = _ellipse(x, y, *axes, *centre, rng.uniform(0.0, 180.0))
        image += rng.uniform(-0.3, 0.5) * inner
    return normalize_magnitude(image)


def random_ellipse_phantoms(
    n: int, size: int | Sequence[int], *, seed: int = 0, with_phase: bool = True
) -> np.ndarray:
    """Generate `n` random ellipse phantoms, (n, H, W) magnitudes in [0, 1].

    With `with_phase` (the default) each gets a smooth random phase and the result is complex64, the
    same form as `load_real_slices`; otherwise float32 magnitudes.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    height, width = _size_pair(size)
    rng = np.random.default_rng(seed)
    x, y = _grid(height, width)
    magnitudes = np.stack([_random_ellipse_magnitude(x, y, rng) for _ in range(n)])
    if not with_phase:
        return magnitudes
    return add_smooth_phase(magnitudes, seed=int(rng.integers(2**31)))


# ----------------------------------------------------------------------------------------------
# Loaders for datasets in their own formats
# ----------------------------------------------------------------------------------------------


def _read_dataset(file: h5py.File, path: Path, field: str) -> np.ndarray:
    if field not in file:
        raise MRIDataError(f"{path}: missing dataset {field!r}; fastMRI single-coil files contain it")
    try:
        return np.asarray(file[field][()])
    except (OSError, ValueError, KeyError) as err:
        raise MRIDataError(f"{path}: cannot read dataset {field!r} ({err}); the file may be truncated") from err


def _attribute_value(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


def load_fastmri_singlecoil(path: str | Path, *, require_reconstruction: bool = True) -> dict[str, object]:
    """Read a fastMRI single-coil HDF5 file.

    Returns dict(kspace=(slices, H, W) complex64, attrs=dict) plus reconstruction_esc
    ((slices, 320, 320) float32 magnitude targets) and mask (fastMRI's test files store one) when
    present. Files of fastMRI's test split lack `reconstruction_esc`; load them with
    `require_reconstruction=False`. Raises MRIDataError naming the file and the field when the file is
    not readable HDF5, a required dataset or attribute is missing, or shapes disagree.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"fastMRI file not found: {path}")
    try:
        file = h5py.File(path, "r")
    except OSError as err:
        raise MRIDataError(f"{path}: not a readable HDF5 file ({err}); the file may be truncated") from err

    with file:
        kspace = _read_dataset(file, path, "kspace")
        if kspace.ndim != 3 or not np.iscomplexobj(kspace):
            raise MRIDataError(
                f"{path}: dataset 'kspace' must be complex with shape (slices, H, W), "
                f"got {kspace.dtype} {kspace.shape}"
            )
        result: dict[str, object] = {"kspace": kspace.astype(np.complex64)}
        attrs = {key: _attribute_value(value) for key, value in file.attrs.items()}

        if require_reconstruction or "reconstruction_esc" in file:
            target = _read_dataset(file, path, "reconstruction_esc")
            if target.ndim != 3 or target.shape[0] != kspace.shape[0]:
                raise MRIDataError(
                    f"{path}: dataset 'reconstruction_esc' must be (slices, H, W) with {kspace.shape[0]} "
                    f"slices like 'kspace', got shape {target.shape}"
                )
            result["reconstruction_esc"] = target.astype(np.float32)
            # The metrics use attribute "max" (the volume's maximum) as the data range.
            if "max" not in attrs:
                raise MRIDataError(f"{path}: missing attribute 'max' that goes with 'reconstruction_esc'")

        if "mask" in file:
            result["mask"] = _read_dataset(file, path, "mask").astype(np.float32)

    result["attrs"] = attrs
    return result


def _load_nifti_volume(path: Path) -> np.ndarray:
    try:
        volume = np.asarray(nib.load(path).get_fdata(), np.float32)
    except (ImageFileError, EOFError, OSError, zlib.error, ValueError) as err:
        raise MRIDataError(f"{path}: cannot read NIfTI image data ({err}); the file may be truncated") from err
    if volume.ndim not in (3, 4):
        raise MRIDataError(f"{path}: header field 'dim' gives a {volume.ndim}-D image, expected a 3-D or 4-D volume")
    # Limitation: a 4-D file contributes only its first volume (time point or echo).
    return volume[..., 0] if volume.ndim == 4 else volume


def load_nifti_folder(
    folder: str | Path,
    *,
    min_nonzero_fraction: float = 0.1,
    size: int | Sequence[int] | None = None,
    slice_axis: int = 2,
) -> np.ndarray:
    """Load the 2-D slices of every NIfTI volume (*.nii, *.nii.gz) in `folder`, in file-name order.

    A slice is kept when at least `min_nonzero_fraction` of its pixels are non-zero (MICCAI 2013
    skull-stripped volumes have zero background). Intensities stay as stored, as float32. Volumes with
    different in-plane shapes need `size`, which resamples every slice to it. Returns (N, H, W).
    """
    folder = Path(folder)
    if not 0.0 <= min_nonzero_fraction <= 1.0:
        raise ValueError(f"min_nonzero_fraction must be in [0, 1], got {min_nonzero_fraction!r}")
    if slice_axis not in (0, 1, 2):
        raise ValueError(f"slice_axis must be 0, 1 or 2, got {slice_axis!r}")
    if not folder.is_dir():
        raise FileNotFoundError(f"NIfTI folder not found: {folder}")
    paths = sorted(p for p in folder.iterdir() if p.name.endswith((".nii", ".nii.gz")))
    if not paths:
        raise FileNotFoundError(f"no .nii or .nii.gz files in {folder}")

    slices = []
    for path in paths:
        volume = np.moveaxis(_load_nifti_volume(path), slice_axis, 0)
        slices.extend(image for image in volume if np.mean(image != 0) >= min_nonzero_fraction)
    if not slices:
        raise ValueError(f"no slice in {folder} has >= {min_nonzero_fraction} non-zero pixels")

    if size is not None:
        return np.stack([resample_slice(image, size) for image in slices])
    shapes = sorted({image.shape for image in slices})
    if len(shapes) > 1:
        raise ValueError(f"slices in {folder} have different shapes {shapes}; pass size=(H, W) to resample them")
    return np.stack(slices).astype(np.float32)
