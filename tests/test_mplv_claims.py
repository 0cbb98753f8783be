"""M-PLV claims on simulated coupled Gaussian signals: lag, window, controls and the analytic null threshold.

The sizes match the synthetic experiment's quick config (100 trials of 4 s at 256 Hz, coupling from
1.5 s to 3 s, lags within ±0.25 s, 1000 surrogates), so its test reuses these compiled functions.
"""

import numpy as np
import pytest

from jaxlab import mplv
from jaxlab.mplv.experiments.common import derange_output_trials

SFREQ = 256.0
N_TIMES = 1024
WINDOW = (384, 768)
MAX_LAG = 64
CASES = {
    "four_frequency": dict(frequencies=[6.0, 11.0, 17.0], weights=["1", "1", "1"], bandwidth=3.0, lag=0),
    "non_integer": dict(frequencies=[12.0, 21.0], weights=["2/3", "1/3"], bandwidth=3.0, lag=0),
    "delayed": dict(frequencies=[8.0, 13.0], weights=["1", "1"], bandwidth=4.0, lag=38),
}


def simulate(case: str, snr_db: float, seed: int = 0) -> mplv.SimulatedCoupling:
    return mplv.simulate_coupled_gaussian(
        seed, n_trials=100, n_times=N_TIMES, sfreq=SFREQ, window=WINDOW, snr_db=snr_db, **CASES[case]
    )


def analyze(simulation: mplv.SimulatedCoupling):
    phases = np.asarray(mplv.extract_phases(simulation.signals, simulation.bands, SFREQ))
    scan = mplv.lag_scan(phases, simulation.weights, lags=np.arange(-MAX_LAG, MAX_LAG + 1))
    return phases, scan


def run_surrogates(phases, weights, lag):
    return mplv.surrogate_test(phases, weights, lag=lag, n_surrogates=1000, seed=0)


@pytest.fixture(scope="module")
def analyzed():
    """Each case at 0 dB: (simulation, phases, lag scan)."""
    results = {}
    for case in CASES:
        simulation = simulate(case, snr_db=0.0)
        results[case] = (simulation, *analyze(simulation))
    return results


@pytest.mark.parametrize("case", list(CASES))
def test_lag_within_one_sample_at_0_db(analyzed, case):
    simulation, _, scan = analyzed[case]
    assert abs(scan.best_lag - simulation.lag) <= 1


def test_lag_within_one_sample_at_10_db():
    simulation = simulate("delayed", snr_db=10.0, seed=1)
    _, scan = analyze(simulation)
    assert abs(scan.best_lag - simulation.lag) <= 1


@pytest.mark.parametrize("case", list(CASES))
def test_window_overlap_at_least_90_percent(analyzed, case):
    simulation, phases, scan = analyzed[case]
    test = run_surrogates(phases, simulation.weights, scan.best_lag)
    summary = mplv.summarize_psi(
        test.observed_psi, test.per_sample_threshold, sfreq=SFREQ, first_sample=test.first_sample,
        max_gap=13, min_length=26,
    )
    assert test.significant
    assert test.p_value < 0.01
    assert mplv.window_overlap(summary.window, simulation.window) >= 0.9


SEARCHES = {
    "four_frequency": dict(coefficients=[-2, -1, 1, 2], tolerance=4.5),
    "delayed": dict(coefficients=[-3, -2, -1, 1, 2, 3], tolerance=4.0),
}


@pytest.mark.parametrize("case", list(SEARCHES))
def test_wrong_combinations_not_significant(analyzed, case):
    simulation, phases, scan = analyzed[case]
    ranking = mplv.search_combinations(
        phases, list(simulation.frequencies), lag=scan.best_lag, n_surrogates=500, **SEARCHES[case]
    )
    assert ranking[0].weights == simulation.weights
    assert ranking[0].significant
    assert len(ranking) > 1
    for wrong in ranking[1:]:
        assert not wrong.significant, wrong.relation


def test_missing_term_not_significant(analyzed):
    _, phases, _ = analyzed["four_frequency"]
    assert not run_surrogates(phases, [0, 1, 1, -1], 0).significant
    assert not run_surrogates(phases, [1, 1, 0, -1], 0).significant


def test_non_integer_relation_significant(analyzed):
    simulation, phases, _ = analyzed["non_integer"]
    assert run_surrogates(phases, ["2/3", "1/3", -1], 0).p_value < 0.01
    ranking = mplv.search_combinations(
        phases, list(simulation.frequencies), coefficients=["-1/3", "1/3", "2/3", "1"], tolerance=1.5, n_surrogates=500
    )
    assert ranking[0].weights == simulation.weights
    assert ranking[0].significant


@pytest.mark.parametrize("case", ["four_frequency", "delayed"])
def test_shuffled_control_not_significant(analyzed, case):
    simulation, phases, scan = analyzed[case]
    shuffled = derange_output_trials(phases, seed=5)
    test = run_surrogates(shuffled, simulation.weights, scan.best_lag)
    assert not test.significant
    assert test.p_value > 0.05


def test_reversed_direction_not_significant(analyzed):
    simulation, phases, scan = analyzed["delayed"]
    assert scan.best_lag > 0
    reversed_direction = run_surrogates(phases, simulation.weights, -scan.best_lag)
    assert not reversed_direction.significant
    negative_lags = scan.lags < 0
    assert scan.mean_psi[negative_lags].max() < 0.5 * scan.mean_psi[scan.best_index]


@pytest.mark.parametrize("n_trials", [100, 250])
def test_null_95th_percentile_matches_sqrt_3_over_k(n_trials):
    rng = np.random.default_rng(n_trials)
    phases = rng.uniform(-np.pi, np.pi, (n_trials, 2, 4000)).astype(np.float32)
    psi = np.asarray(mplv.mplv(phases, [1, -1]))
    assert np.percentile(psi, 95) == pytest.approx(np.sqrt(3 / n_trials), rel=0.1)


def test_surrogate_threshold_matches_sqrt_3_over_k(analyzed):
    simulation, phases, _ = analyzed["delayed"]
    uncoupled = phases[:, :, : WINDOW[0]]  # before the coupling window the output is independent
    test = run_surrogates(uncoupled, simulation.weights, 0)
    assert test.per_sample_threshold == pytest.approx(np.sqrt(3 / 100), rel=0.1)
    assert test.analytic_threshold == pytest.approx(np.sqrt(3 / 100), rel=0.01)
    assert not test.significant


def test_analyze_coupling_on_mne_epochs(analyzed):
    mne = pytest.importorskip("mne")
    simulation, _, scan = analyzed["delayed"]
    info = mne.create_info(["f1", "f2", "out"], SFREQ, ch_types="eeg")
    epochs = mne.EpochsArray(simulation.signals.astype(np.float64), info, verbose=False)

    result = mplv.analyze_coupling(
        epochs, simulation.bands, [1, 1, -1], channels=["f1", "f2", "out"],
        lags_seconds=np.arange(-MAX_LAG, MAX_LAG + 1) / SFREQ, n_surrogates=1000,
    )
    assert result.lag == scan.best_lag
    assert result.test.p_value < 0.01
    assert mplv.window_overlap(result.summary.window, simulation.window) >= 0.9
    assert result.summary.window_seconds[0] == pytest.approx(WINDOW[0] / SFREQ, abs=0.1)
