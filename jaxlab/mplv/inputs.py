"""Turn recordings into checked (trials, channels, times) arrays, and check phase arrays.

Every public function of `jaxlab.mplv` runs its input through these checks before anything is
compiled, so bad input stops with a `ValueError` that names the argument and the allowed range
instead of a shape error deep inside XLA.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def _is_mne_epochs(data: Any) -> bool:
    """Return True for an `mne.Epochs` (or any other mne epochs class) without importing mne."""
    if not type(data).__module__.startswith("mne"):
        return False
    try:
        import mne
    except ImportError:
        return False
    return isinstance(data, mne.BaseEpochs)


def require_finite(name: str, values: np.ndarray | jax.Array) -> None:
    """Raise ValueError naming the first NaN or inf entry of `values`."""
    finite = np.isfinite(np.asarray(values))
    if finite.all():
        return
    first = tuple(int(i) for i in np.argwhere(~finite)[0])
    raise ValueError(
        f"{name} contains NaN or inf (first at index {first}). Remove or interpolate those samples first"
    )


def require_sfreq(sfreq: Any) -> float:
    """Return `sfreq` as a float, or raise ValueError unless it is a finite number > 0 (in Hz)."""
    if sfreq is None:
        raise ValueError("sfreq is missing; pass the sampling rate in Hz with array input")
    if isinstance(sfreq, bool) or not isinstance(sfreq, (int, float, np.number)):
        raise ValueError(f"sfreq must be a number in Hz, got {sfreq!r}")
    if not np.isfinite(sfreq) or sfreq <= 0:
        raise ValueError(f"sfreq must be a finite number > 0 Hz, got {sfreq!r}")
    return float(sfreq)


def as_signals(
    data: np.ndarray | jax.Array | Any, sfreq: float | None = None
) -> tuple[jax.Array, float, list[str] | None]:
    """Convert recordings into a float32 (trials, channels, times) array with its sampling rate.

    `data` is a NumPy or JAX array of shape (trials, channels, times), or (channels, times) for one
    trial, with `sfreq` in Hz. It may also be an `mne.Epochs`, which brings its own sampling rate; a
    given `sfreq` must then match it. Returns the signals, the sampling rate and the channel names
    (None for arrays). Raises ValueError on NaN or inf samples, on a wrong number of dimensions and
    on a missing or non-positive `sfreq`.
    """
    channel_names = None
    if _is_mne_epochs(data):
        epochs_sfreq = float(data.info["sfreq"])
        if sfreq is not None and not np.isclose(require_sfreq(sfreq), epochs_sfreq):
            raise ValueError(f"sfreq={sfreq} Hz differs from the epochs' own sampling rate {epochs_sfreq} Hz")
        sfreq = epochs_sfreq
        channel_names = list(data.ch_names)
        data = data.get_data()
    sfreq = require_sfreq(sfreq)

    array = data if isinstance(data, jax.Array) else np.asarray(data)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(
            f"signals must have shape (trials, channels, times) or (channels, times), got shape {array.shape}"
        )
    if array.shape[-1] < 2:
        raise ValueError(f"signals must have at least 2 time samples, got {array.shape[-1]}")
    if not np.issubdtype(array.dtype, np.floating) and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"signals must be real-valued, got dtype {array.dtype}")
    require_finite("signals", array)
    return jnp.asarray(array, jnp.float32), sfreq, channel_names


def resolve_channels(
    channels: Sequence[int | str] | None, n_components: int, n_channels: int, channel_names: list[str] | None
) -> list[int]:
    """Return one channel index per component.

    Without `channels`, a single-channel recording feeds every component and a recording with one
    channel per component feeds them in order. Names are accepted when the recording has channel
    names (mne input).
    """
    if channels is None:
        if n_channels == 1:
            return [0] * n_components
        if n_channels == n_components:
            return list(range(n_components))
        raise ValueError(
            f"channels is missing, and the signals have {n_channels} channels for {n_components} bands. "
            "Pass one channel index (or name) per band"
        )

    if len(channels) != n_components:
        raise ValueError(f"channels has {len(channels)} entries but bands has {n_components}. Pass one per band")
    indices = []
    for position, channel in enumerate(channels):
        if isinstance(channel, str):
            if channel_names is None or channel not in channel_names:
                raise ValueError(f"channels[{position}]={channel!r} is not a channel name of these signals")
            indices.append(channel_names.index(channel))
            continue
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) or not 0 <= channel < n_channels:
            raise ValueError(f"channels[{position}] must be an index in [0, {n_channels - 1}], got {channel!r}")
        indices.append(int(channel))
    return indices


def check_phases(phases: np.ndarray | jax.Array, *, min_trials: int = 2) -> jax.Array:
    """Return `phases` as a float32 (trials, components, times) array after checking it.

    `min_trials` is 2 for the across-trial M-PLV (one trial always gives ψ = 1) and 1 for the
    sliding-window form.
    """
    array = phases if isinstance(phases, jax.Array) else np.asarray(phases)
    if array.ndim != 3:
        raise ValueError(f"phases must have shape (trials, components, times), got shape {array.shape}")
    if array.shape[0] < min_trials:
        hint = "; for one long trial use mplv_sliding" if min_trials >= 2 else ""
        raise ValueError(f"phases must have at least {min_trials} trials, got {array.shape[0]}{hint}")
    if array.shape[1] < 1 or array.shape[2] < 1:
        raise ValueError(f"phases must have at least one component and one time sample, got shape {array.shape}")
    require_finite("phases", array)
    return jnp.asarray(array, jnp.float32)


def check_output_index(output_index: int, n_components: int) -> int:
    """Return `output_index` as a non-negative index, or raise ValueError when it is out of range."""
    if isinstance(output_index, bool) or not isinstance(output_index, (int, np.integer)):
        raise ValueError(f"output_index must be an integer, got {output_index!r}")
    if not -n_components <= output_index < n_components:
        raise ValueError(
            f"output_index must be in [{-n_components}, {n_components - 1}] for {n_components} components, "
            f"got {output_index}"
        )
    if n_components < 2:
        raise ValueError("a lagged or surrogate test needs at least 2 components (inputs and an output), got 1")
    return int(output_index) % n_components
