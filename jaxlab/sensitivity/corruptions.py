"""Input corruptions for robustness tests on patch sequences: additive Gaussian noise and occlusion of whole patches.

Both are deterministic functions of their seed, so every model is tested on the same corrupted
inputs. They act on float inputs of shape (N, length, features).
"""

from __future__ import annotations

import numpy as np


def _check_patches(inputs: np.ndarray) -> np.ndarray:
    inputs = np.asarray(inputs)
    if inputs.ndim != 3 or not np.issubdtype(inputs.dtype, np.floating):
        raise ValueError(f"inputs must be float patches of shape (N, length, features), got {inputs.dtype} {inputs.shape}")
    return inputs


def gaussian_noise(inputs: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """Add i.i.d. N(0, sigma^2) noise to every feature of every patch."""
    inputs = _check_patches(inputs)
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    noise = np.random.default_rng(seed).normal(0.0, sigma, size=inputs.shape)
    return (inputs + noise).astype(inputs.dtype)


def occlude_patches(inputs: np.ndarray, fraction: float, seed: int, fill_value: float = 0.0) -> np.ndarray:
    """Set round(fraction * length) randomly chosen patches of each example to `fill_value`."""
    inputs = _check_patches(inputs)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    count, length, _ = inputs.shape
    num_occluded = int(round(fraction * length))
    rng = np.random.default_rng(seed)

    # One independent random subset of positions per example: argsort of uniform keys.
    occluded = np.argsort(rng.random((count, length)), axis=1)[:, :num_occluded]
    corrupted = inputs.copy()
    corrupted[np.arange(count)[:, None], occluded] = fill_value
    return corrupted
