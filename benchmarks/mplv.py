"""Time jaxlab.mplv against a plain NumPy/SciPy implementation and against mne-connectivity's PLV.

Workload (defaults): K = 250 trials of T = 2048 samples at 256 Hz, one three-component combination
φ1 + φ2 - φ3 with the output delayed by 38 samples, a scan over 257 lags (±128 samples), then 10,000
circular time-shift surrogates at the best lag with per-sample and time-averaged thresholds.

Peers:
  numpy         the same computation written plainly: scipy.signal.filtfilt and hilbert for the phases,
                a Python loop over lags, a Python loop over surrogates (complex128, NumPy's default).
                The surrogate loop runs `--peer-surrogates` iterations and its time is scaled to the
                full count, because 10,000 iterations take minutes. The output states the scaling.
  mne           mne_connectivity.spectral_connectivity_epochs(method="plv", mode="cwt_morlet") on the
                1:1 case (two channels, one frequency, all trials, PLV at every time sample), against
                jaxlab's band-pass phases and `plv` at the same sizes.

Bandwidth: each stage's "touched" bytes are the complex64 operands that a direct evaluation reads,
i.e. 16·K·T per lag or per surrogate. This is compared with the ≈21 GB/s read bandwidth of the
2-core reference machine and with a read bandwidth measured here. Touched bytes above the memory
bandwidth mean the operands came from cache or were reused inside a matrix product.

Run from the repository root (or with jaxlab installed, `pip install -e .`):
  PYTHONPATH=. python benchmarks/mplv.py [--trials 250 --times 2048 --max-lag 128 --surrogates 10000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import scipy.signal

from jaxlab import mplv
from jaxlab.mplv.filters import design_bandpass

REFERENCE_READ_BANDWIDTH = 21e9  # bytes/s, the reference machine's read bandwidth
SFREQ = 256.0
FREQUENCIES = [8.0, 13.0]
TRUE_LAG = 38


def median_seconds(step: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Return the median wall time of `step` in seconds after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measured_read_bandwidth() -> float:
    """Return bytes/s of summing a 512 MiB float64 array, a rough single-process read bandwidth."""
    array = np.ones(64 * 2**20)
    array.sum()
    seconds = median_seconds(array.sum, repeats=5)
    return array.nbytes / seconds


# The plain NumPy/SciPy peer.


def numpy_phases(signals: np.ndarray, bands: list[tuple[float, float]]) -> np.ndarray:
    phases = []
    for component, band in enumerate(bands):
        taps = design_bandpass(band, SFREQ)
        filtered = scipy.signal.filtfilt(taps, [1.0], signals[:, component, :], padlen=taps.size - 1)
        phases.append(np.angle(scipy.signal.hilbert(filtered)))
    return np.stack(phases, axis=1)


def numpy_lag_scan(phases: np.ndarray, lags: np.ndarray) -> tuple[np.ndarray, int]:
    """Return the mean ψ² over the shared output times for every lag and the best lag (one loop iteration per lag)."""
    n_times = phases.shape[-1]
    shared_start, shared_stop = max(0, lags.max()), n_times + min(0, lags.min())
    means = np.empty(lags.size)
    for row, lag in enumerate(lags):
        lagged = slice(shared_start - lag, shared_stop - lag)
        inputs = phases[:, 0, lagged] + phases[:, 1, lagged]
        psi = np.abs(np.mean(np.exp(1j * (inputs - phases[:, 2, shared_start:shared_stop])), axis=0))
        means[row] = np.mean(psi**2)
    return means, int(lags[np.argmax(means)])


def numpy_surrogates(phases: np.ndarray, lag: int, n_surrogates: int, seed: int) -> dict[str, float]:
    """Circular time-shift surrogates at `lag`, one Python iteration per surrogate."""
    n_trials, _, n_times = phases.shape
    start, stop = max(0, lag), n_times + min(0, lag)
    inputs = phases[:, 0, start - lag : stop - lag] + phases[:, 1, start - lag : stop - lag]
    output = phases[:, 2, start:stop]
    n_shared = stop - start
    min_shift = max(1, n_shared // 10)
    rng = np.random.default_rng(seed)
    time_index = np.arange(n_shared)

    per_sample = np.empty((n_surrogates, n_shared))
    for surrogate in range(n_surrogates):
        shifts = rng.integers(min_shift, n_shared - min_shift + 1, size=n_trials)
        shifted = np.take_along_axis(output, (time_index[None, :] - shifts[:, None]) % n_shared, axis=1)
        per_sample[surrogate] = np.abs(np.mean(np.exp(1j * (inputs - shifted)), axis=0))

    observed = np.abs(np.mean(np.exp(1j * (inputs - output)), axis=0)).mean()
    means = per_sample.mean(axis=1)
    return {
        "per_sample_threshold": float(np.percentile(per_sample, 95)),
        "time_averaged_threshold": float(np.percentile(means, 95)),
        "p_value": (1 + int(np.sum(means >= observed))) / (1 + n_surrogates),
    }


# jaxlab.


def jax_pipeline(signals, bands, lags, n_surrogates):
    """Return the three jaxlab stages as blocking callables, and the dict in which each stores its result."""
    state = {}

    def phases():
        state["phases"] = jax.block_until_ready(mplv.extract_phases(signals, bands, SFREQ))

    def scan():
        state["scan"] = mplv.lag_scan(state["phases"], [1, 1, -1], lags=lags)

    def surrogates():
        state["test"] = mplv.surrogate_test(
            state["phases"], [1, 1, -1], lag=state["scan"].best_lag, n_surrogates=n_surrogates, seed=0
        )

    return {"phases": phases, "lag scan": scan, "surrogates": surrogates}, state


def mne_plv(signals_pair: np.ndarray, frequency: float):
    from mne_connectivity import spectral_connectivity_epochs

    connectivity = spectral_connectivity_epochs(
        signals_pair, method="plv", mode="cwt_morlet", sfreq=SFREQ, cwt_freqs=np.array([frequency]),
        cwt_n_cycles=frequency / 2.0, indices=(np.array([0]), np.array([1])), verbose=False,
    )
    return np.asarray(connectivity.get_data()).reshape(-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=250, help="trials K")
    parser.add_argument("--times", type=int, default=2048, help="samples per trial T")
    parser.add_argument("--max-lag", type=int, default=128, help="lags -max_lag ... max_lag samples")
    parser.add_argument("--surrogates", type=int, default=10_000, help="surrogates at the best lag")
    parser.add_argument("--peer-surrogates", type=int, default=300, help="surrogates the NumPy loop actually runs")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats of each jaxlab stage")
    parser.add_argument("--skip-mne", action="store_true", help="leave out the mne-connectivity comparison")
    args = parser.parse_args()

    platform = jax.devices()[0].platform
    print(f"jax {jax.__version__} on {platform}, {os.cpu_count()} CPU cores. Timings are wall times on a shared machine")
    simulation = mplv.simulate_coupled_gaussian(
        0, n_trials=args.trials, n_times=args.times, sfreq=SFREQ, frequencies=FREQUENCIES, weights=[1, 1],
        bandwidth=4.0, lag=TRUE_LAG, window=(args.times // 4, 3 * args.times // 4), snr_db=0.0,
    )
    signals, bands = simulation.signals, simulation.bands
    lags = np.arange(-args.max_lag, args.max_lag + 1)
    n_trials, n_times = args.trials, args.times
    print(f"workload: K={n_trials}, T={n_times}, {lags.size} lags, {args.surrogates} surrogates, bands {bands}")

    # jaxlab: the first run includes compilation; the median of the repeats excludes it.
    stages, state = jax_pipeline(signals, bands, lags, args.surrogates)
    start = time.perf_counter()
    for stage in stages.values():
        stage()
    first_run = time.perf_counter() - start
    jax_times = {name: median_seconds(stage, args.repeats, warmup=0) for name, stage in stages.items()}
    scan, test = state["scan"], state["test"]

    # NumPy/SciPy peer.
    start = time.perf_counter()
    phases_np = numpy_phases(signals.astype(np.float64), bands)
    numpy_times = {"phases": time.perf_counter() - start}
    start = time.perf_counter()
    means_np, best_lag_np = numpy_lag_scan(phases_np, lags)
    numpy_times["lag scan"] = time.perf_counter() - start
    start = time.perf_counter()
    peer_null = numpy_surrogates(phases_np, best_lag_np, args.peer_surrogates, seed=0)
    numpy_times["surrogates"] = (time.perf_counter() - start) * args.surrogates / args.peer_surrogates

    jax_total, numpy_total = sum(jax_times.values()), sum(numpy_times.values())
    print(f"\njaxlab first run (with compilation): {first_run:.2f} s")
    print(f"{'stage':<12}{'jaxlab s':>10}{'numpy s':>10}{'ratio':>8}")
    for name in stages:
        print(f"{name:<12}{jax_times[name]:>10.3f}{numpy_times[name]:>10.3f}{numpy_times[name] / jax_times[name]:>8.1f}")
    print(f"{'total':<12}{jax_total:>10.3f}{numpy_total:>10.3f}{numpy_total / jax_total:>8.1f}   (goal >= 20)")
    print(f"  numpy surrogates: {args.peer_surrogates} run, time scaled to {args.surrogates}")

    print("\nagreement:")
    print(f"  best lag: jaxlab {scan.best_lag}, numpy {best_lag_np}, true {TRUE_LAG}")
    print(f"  max |mean ψ²(lag) difference|: {np.max(np.abs(scan.mean_psi_squared - means_np)):.2e}")
    print(
        f"  per-sample threshold: jaxlab {test.per_sample_threshold:.4f}, numpy {peer_null['per_sample_threshold']:.4f}, "
        f"analytic {test.analytic_threshold:.4f}"
    )
    print(
        f"  time-averaged threshold: jaxlab {test.time_averaged_threshold:.4f}, "
        f"numpy {peer_null['time_averaged_threshold']:.4f}"
    )
    print(f"  p-value: jaxlab {test.p_value:.2g}, numpy {peer_null['p_value']:.2g}")

    measured = measured_read_bandwidth()
    n_shared = n_times - abs(scan.best_lag)
    touched = {"lag scan": 16 * n_trials * n_times * lags.size, "surrogates": 16 * n_trials * n_shared * args.surrogates}
    print(f"\nread bandwidth: reference {REFERENCE_READ_BANDWIDTH / 1e9:.0f} GB/s, measured here {measured / 1e9:.1f} GB/s")
    for name, size in touched.items():
        rate = size / jax_times[name]
        print(f"  {name}: {size / 1e9:.1f} GB touched in {jax_times[name]:.3f} s = {rate / 1e9:.1f} GB/s "
              f"({rate / REFERENCE_READ_BANDWIDTH:.2f}x the reference)")

    if args.skip_mne:
        return
    try:
        import mne_connectivity  # noqa: F401
    except ImportError:
        print("\nmne-connectivity is not installed; skipping its comparison (pip install mne-connectivity)")
        return

    pair = signals[:, [0, 0], :].copy()
    pair[:, 1, :] = np.roll(pair[:, 0, :], 3, axis=-1) + 0.5 * np.random.default_rng(1).standard_normal(pair[:, 1].shape)
    band = bands[0]
    frequency = sum(band) / 2

    def jax_plv():
        phases = mplv.extract_phases(pair, [band, band], SFREQ)
        return jax.block_until_ready(mplv.plv(phases[:, 0], phases[:, 1]))

    mne_seconds = median_seconds(lambda: mne_plv(pair, frequency), repeats=args.repeats)
    jax_seconds = median_seconds(jax_plv, repeats=args.repeats)
    correlation = np.corrcoef(np.asarray(jax_plv()), mne_plv(pair, frequency))[0, 1]
    print(f"\n1:1 PLV time course, K={n_trials}, T={n_times}, one pair, {frequency:g} Hz:")
    print(
        f"  mne-connectivity cwt_morlet {mne_seconds:.3f} s, jaxlab {jax_seconds:.3f} s, "
        f"ratio {mne_seconds / jax_seconds:.1f}   (goal >= 1)"
    )
    print(f"  correlation of the two PLV time courses: {correlation:.2f} (different filters, so not 1)")


if __name__ == "__main__":
    main()
