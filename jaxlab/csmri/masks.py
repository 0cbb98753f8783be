"""Undersampling masks on centred k-space with an exact sampling fraction.

A mask is a float32 (H, W) numpy array of 0s and 1s laid out like the k-space of
`jaxlab.csmri.kspace.fft2c`: the zero frequency sits at (H // 2, W // 2). Each kind samples whole
units (rows, columns or single k-space points), and exactly `round(sampling_fraction * units)` of
them are sampled, so the mask's mean equals that count over the number of units:

  gaussian1d           rows (phase-encode lines) drawn with a Gaussian density across rows
  gaussian2d           points drawn with a 2-D Gaussian density
  radial               points on spokes through the centre, spokes at golden-angle steps
  spiral               points on an Archimedean spiral from the centre outwards
  random_columns       columns drawn uniformly at random (fastMRI's RandomMaskFunc layout)
  equispaced_columns   columns at equal spacing with a random offset (fastMRI's EquispacedMaskFunc)

Every kind always samples a fully sampled centre of `center_fraction`: that fraction of the rows
(gaussian1d) or columns (column kinds), or a centred disc whose diameter is that fraction of the
shorter side (2-D kinds). The same `seed` gives the same mask.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MASK_KINDS = ("gaussian1d", "gaussian2d", "radial", "spiral", "random_columns", "equispaced_columns")

# Standard deviation of the Gaussian sampling densities, as a fraction of the axis length. With
# 1/6, the density at the k-space edge (half an axis from the centre) is exp(-4.5) ~ 1% of the peak.
GAUSSIAN_STD_FRACTION = 1.0 / 6.0

GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))


def make_mask(
    kind: str,
    shape: tuple[int, int],
    sampling_fraction: float,
    *,
    seed: int = 0,
    center_fraction: float = 0.08,
) -> np.ndarray:
    """Build a 0/1 float32 mask of `shape` on centred k-space sampling `sampling_fraction` exactly.

    Raises ValueError on an unknown kind, a shape that is not two positive ints, a fraction outside
    (0, 1], a centre fraction outside [0, 1), or a fully sampled centre larger than the sampling
    budget.
    """
    height, width = _check_shape(shape)
    if kind not in MASK_KINDS:
        raise ValueError(f"kind must be one of {MASK_KINDS}, got {kind!r}")
    if not 0.0 < sampling_fraction <= 1.0:
        raise ValueError(f"sampling_fraction must be in (0, 1], got {sampling_fraction!r}")
    if not 0.0 <= center_fraction < 1.0:
        raise ValueError(f"center_fraction must be in [0, 1), got {center_fraction!r}")

    rng = np.random.default_rng(seed)
    builders: dict[str, Callable[..., np.ndarray]] = {
        "gaussian1d": _gaussian1d,
        "gaussian2d": _gaussian2d,
        "radial": _radial,
        "spiral": _spiral,
        "random_columns": _random_columns,
        "equispaced_columns": _equispaced_columns,
    }
    mask = builders[kind](height, width, sampling_fraction, center_fraction, rng)
    return mask.astype(np.float32)


def sampled_count(num_units: int, sampling_fraction: float) -> int:
    """Return how many of `num_units` rows, columns or points a mask samples: round(fraction * units)."""
    return max(1, int(round(sampling_fraction * num_units)))


# ----------------------------------------------------------------------------------------------
# Line masks
# ----------------------------------------------------------------------------------------------


def _centre_lines(num_lines: int, center_fraction: float) -> np.ndarray:
    """Indices of the `round(center_fraction * num_lines)` lines around the centre index."""
    count = int(round(center_fraction * num_lines))
    start = num_lines // 2 - count // 2
    return np.arange(start, start + count)


def _check_budget(kind_unit: str, centre_count: int, target: int) -> None:
    if centre_count > target:
        raise ValueError(
            f"the fully sampled centre has {centre_count} {kind_unit} but sampling_fraction allows only "
            f"{target}; lower center_fraction or raise sampling_fraction"
        )


def _draw_lines(
    num_lines: int, target: int, centre: np.ndarray, weights: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Return a 0/1 vector with the centre lines and `target - len(centre)` more drawn by `weights`."""
    _check_budget("lines", len(centre), target)
    chosen = np.zeros(num_lines, dtype=bool)
    chosen[centre] = True

    candidates = np.flatnonzero(~chosen)
    probabilities = weights[candidates] / weights[candidates].sum()
    extra = rng.choice(candidates, size=target - len(centre), replace=False, p=probabilities)
    chosen[extra] = True
    return chosen


def _gaussian_weights(num: int) -> np.ndarray:
    offsets = np.arange(num) - num // 2
    return np.exp(-0.5 * (offsets / (GAUSSIAN_STD_FRACTION * num)) ** 2)


def _gaussian1d(height, width, fraction, center_fraction, rng) -> np.ndarray:
    target = sampled_count(height, fraction)
    rows = _draw_lines(height, target, _centre_lines(height, center_fraction), _gaussian_weights(height), rng)
    return np.repeat(rows[:, None], width, axis=1)


def _random_columns(height, width, fraction, center_fraction, rng) -> np.ndarray:
    target = sampled_count(width, fraction)
    columns = _draw_lines(width, target, _centre_lines(width, center_fraction), np.ones(width), rng)
    return np.repeat(columns[None, :], height, axis=0)


def _equispaced_columns(height, width, fraction, center_fraction, rng) -> np.ndarray:
    target = sampled_count(width, fraction)
    centre = _centre_lines(width, center_fraction)
    _check_budget("lines", len(centre), target)

    columns = np.zeros(width, dtype=bool)
    columns[centre] = True
    outer = np.flatnonzero(~columns)
    num_extra = target - len(centre)
    if num_extra > 0:
        # Equal steps through the columns outside the centre; the random offset shifts the comb.
        step = len(outer) / num_extra
        positions = np.floor(rng.uniform(0.0, step) + step * np.arange(num_extra)).astype(int)
        columns[outer[positions]] = True
    return np.repeat(columns[None, :], height, axis=0)


# ----------------------------------------------------------------------------------------------
# Point masks
# ----------------------------------------------------------------------------------------------


def _centre_disc(height: int, width: int, center_fraction: float) -> np.ndarray:
    """Boolean (H, W) disc around the centre with diameter `center_fraction * min(H, W)`."""
    rows = np.arange(height)[:, None] - height // 2
    cols = np.arange(width)[None, :] - width // 2
    radius = 0.5 * center_fraction * min(height, width)
    return rows**2 + cols**2 <= radius**2


def _gaussian2d(height, width, fraction, center_fraction, rng) -> np.ndarray:
    target = sampled_count(height * width, fraction)
    centre = _centre_disc(height, width, center_fraction)
    _check_budget("points", int(centre.sum()), target)

    weights = np.outer(_gaussian_weights(height), _gaussian_weights(width)).ravel()
    candidates = np.flatnonzero(~centre.ravel())
    probabilities = weights[candidates] / weights[candidates].sum()
    extra = rng.choice(candidates, size=target - int(centre.sum()), replace=False, p=probabilities)

    mask = centre.ravel().copy()
    mask[extra] = True
    return mask.reshape(height, width)


def _take_first_points(
    height: int, width: int, target: int, centre: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """Sample the centre, then trajectory points in order until exactly `target` points are sampled.

    `rows` and `cols` are float trajectory coordinates relative to the centre. They are rounded to the
    grid, points outside it are dropped, and repeats count once.
    """
    _check_budget("points", int(centre.sum()), target)
    row_index = np.rint(rows).astype(int) + height // 2
    col_index = np.rint(cols).astype(int) + width // 2
    inside = (row_index >= 0) & (row_index < height) & (col_index >= 0) & (col_index < width)
    flat = row_index[inside] * width + col_index[inside]

    # Keep the first visit of each grid point, in trajectory order, skipping the centre.
    _, first = np.unique(flat, return_index=True)
    ordered = flat[np.sort(first)]
    ordered = ordered[~centre.ravel()[ordered]]
    needed = target - int(centre.sum())
    if len(ordered) < needed:
        raise RuntimeError(f"trajectory visits only {len(ordered)} new points, {needed} needed")

    mask = centre.ravel().copy()
    mask[ordered[:needed]] = True
    return mask.reshape(height, width)


def _radial(height, width, fraction, center_fraction, rng) -> np.ndarray:
    target = sampled_count(height * width, fraction)
    centre = _centre_disc(height, width, center_fraction)

    # Spokes cross the whole grid (out to the corners) and are sampled every half pixel. Golden-angle
    # steps make any number of leading spokes cover the angles nearly uniformly. Enough spokes to fill
    # the grid are generated, so the budget is always reached before the last spoke.
    half_diagonal = 0.5 * np.hypot(height, width)
    radii = np.arange(-half_diagonal, half_diagonal, 0.5)
    num_spokes = int(np.ceil(4 * np.pi * half_diagonal)) + 1
    angles = rng.uniform(0.0, np.pi) + GOLDEN_ANGLE * np.arange(num_spokes)

    # Order points within a spoke from the centre outwards so a partial last spoke stays central.
    radii = radii[np.argsort(np.abs(radii), kind="stable")]
    rows = (np.sin(angles)[:, None] * radii[None, :]).ravel()
    cols = (np.cos(angles)[:, None] * radii[None, :]).ravel()
    return _take_first_points(height, width, target, centre, rows, cols)


def _spiral_points(turns: float, max_radius: float, start_angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ~0.5 pixel of arc along r = max_radius * t, angle = 2 pi turns t, t in [0, 1]."""
    arc_length = np.pi * turns * max_radius + max_radius
    t = np.linspace(0.0, 1.0, int(2 * arc_length) + 2)
    radius = max_radius * t
    angle = start_angle + 2.0 * np.pi * turns * t
    return radius * np.sin(angle), radius * np.cos(angle)


def _count_new_points(height: int, width: int, centre: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> int:
    row_index = np.rint(rows).astype(int) + height // 2
    col_index = np.rint(cols).astype(int) + width // 2
    inside = (row_index >= 0) & (row_index < height) & (col_index >= 0) & (col_index < width)
    flat = np.unique(row_index[inside] * width + col_index[inside])
    return int((~centre.ravel()[flat]).sum())


# Limitation: one uniform-density Archimedean spiral. Variable-density and multi-arm spirals are not
# offered, so comparisons with papers that use them differ in how the samples spread over k-space.
def _spiral(height, width, fraction, center_fraction, rng) -> np.ndarray:
    target = sampled_count(height * width, fraction)
    centre = _centre_disc(height, width, center_fraction)
    _check_budget("points", int(centre.sum()), target)
    needed = target - int(centre.sum())

    # The spiral reaches the corners; more turns put the arms closer together and visit more points.
    # Bisect for the fewest turns that visit enough points, then cut the spiral's outer end so the
    # count is exact.
    max_radius = 0.5 * np.hypot(height, width)
    start_angle = rng.uniform(0.0, 2.0 * np.pi)
    low, high = 0.0, 2.0 * max_radius
    for _ in range(30):
        middle = 0.5 * (low + high)
        rows, cols = _spiral_points(middle, max_radius, start_angle)
        if _count_new_points(height, width, centre, rows, cols) >= needed:
            high = middle
        else:
            low = middle

    rows, cols = _spiral_points(high, max_radius, start_angle)
    return _take_first_points(height, width, target, centre, rows, cols)


def _check_shape(shape: tuple[int, int]) -> tuple[int, int]:
    dims = tuple(shape)
    if len(dims) != 2 or not all(isinstance(d, (int, np.integer)) and d > 0 for d in dims):
        raise ValueError(f"shape must be two positive ints (H, W), got {shape!r}")
    return int(dims[0]), int(dims[1])
