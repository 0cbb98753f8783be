"""M-PLV library: phase extraction against scipy, exact special cases, lags, surrogates, summaries, bad input."""

from fractions import Fraction

import jax
import numpy as np
import pytest
import scipy.signal

from jaxlab import mplv
from jaxlab.mplv.filters import default_transition_width
from jaxlab.mplv.significance import _derangement_sources, histogram_percentile
from jaxlab.mplv.summaries import detect_window, window_overlap
from jaxlab.mplv.trig import phase_angle, unit_phasor

SFREQ = 128.0


@pytest.fixture(scope="module")
def random_phases():
    """Independent uniform phases: 40 trials, 3 components, 300 samples."""
    rng = np.random.default_rng(0)
    return rng.uniform(-np.pi, np.pi, (40, 3, 300)).astype(np.float32)


@pytest.fixture(scope="module")
def noise_signals():
    rng = np.random.default_rng(1)
    return rng.standard_normal((4, 2, 600)).astype(np.float32)


def textbook_mplv(phases, weights):
    """|mean_k exp(i Σ_l w_l φ_kl(t))| in float64 NumPy."""
    combined = np.einsum("klt,l->kt", phases.astype(np.float64), np.asarray(weights, dtype=np.float64))
    return np.abs(np.mean(np.exp(1j * combined), axis=0))


# Phase extraction against scipy.


@pytest.mark.parametrize("band", [(4.0, 8.0), (20.0, 30.0), (50.0, 60.0)])
def test_design_bandpass_matches_firwin(band):
    taps = mplv.design_bandpass(band, SFREQ)
    width = default_transition_width(band, SFREQ)
    expected = scipy.signal.firwin(
        taps.size, [band[0] - width / 2, band[1] + width / 2], pass_zero=False, window="hamming", scale=False, fs=SFREQ
    )
    assert taps.size % 2 == 1
    np.testing.assert_allclose(taps, expected, atol=1e-12)


def test_design_bandpass_passband_gain():
    taps = mplv.design_bandpass((8.0, 12.0), SFREQ)
    frequencies, response = scipy.signal.freqz(taps, worN=4096, fs=SFREQ)
    gain = np.abs(response)
    passband = (frequencies >= 8.0) & (frequencies <= 12.0)
    stopband = (frequencies <= 5.0) | (frequencies >= 15.0)
    assert np.all(np.abs(gain[passband] - 1) < 0.01)
    assert gain[stopband].max() < 10 ** (-50 / 20)


@pytest.mark.parametrize("padlen_choice", ["default", "scipy"])
def test_filtfilt_matches_scipy(noise_signals, padlen_choice):
    taps = mplv.design_bandpass((6.0, 10.0), SFREQ)
    padlen = taps.size - 1 if padlen_choice == "default" else 3 * taps.size
    signal = noise_signals[:, 0, :]
    if padlen >= signal.shape[-1]:
        signal = np.tile(signal, (1, 2))
    ours = np.asarray(mplv.filtfilt_fir(signal, taps.astype(np.float32), padlen=padlen))
    expected = scipy.signal.filtfilt(taps, [1.0], signal.astype(np.float64), padlen=padlen)
    np.testing.assert_allclose(ours, expected, atol=2e-6 * np.abs(expected).max())


@pytest.mark.parametrize("n_times", [600, 601])
def test_analytic_signal_matches_hilbert(noise_signals, n_times):
    signal = np.tile(noise_signals[:, 0, :], (1, 2))[:, :n_times]
    ours = np.asarray(mplv.analytic_signal(signal))
    expected = scipy.signal.hilbert(signal.astype(np.float64))
    np.testing.assert_allclose(ours, expected, atol=1e-5 * np.abs(expected).max())


def test_extract_phases_matches_scipy_pipeline(noise_signals):
    bands = [(6.0, 10.0), (20.0, 26.0)]
    phases = np.asarray(mplv.extract_phases(noise_signals, bands, SFREQ))
    assert phases.shape == (4, 2, 600)
    for component, band in enumerate(bands):
        taps = mplv.design_bandpass(band, SFREQ)
        filtered = scipy.signal.filtfilt(taps, [1.0], noise_signals[:, component, :].astype(np.float64), padlen=taps.size - 1)
        expected = np.angle(scipy.signal.hilbert(filtered))
        # Compare on the circle, since angles near ±π may land on either side.
        difference = np.abs(np.angle(np.exp(1j * (phases[:, component] - expected))))
        assert np.median(difference) < 1e-4
        assert np.quantile(difference, 0.99) < 1e-2


def test_phase_angle_matches_numpy():
    rng = np.random.default_rng(4)
    z = (rng.standard_normal(100_000) + 1j * rng.standard_normal(100_000)).astype(np.complex64)
    z[:6] = [0, 1, -1, 1j, -1j, -1 - 1e-30j]
    ours = np.asarray(phase_angle(z))
    assert np.all(np.abs(ours) <= np.float32(np.pi))
    difference = np.angle(np.exp(1j * (ours - np.angle(z.astype(np.complex128)))))
    assert np.abs(difference).max() < 5e-7
    assert ours[0] == 0.0


def test_unit_phasor_matches_exp():
    theta = np.concatenate([np.linspace(-8, 8, 20_001), np.random.default_rng(5).uniform(-300, 300, 20_000)])
    theta = theta.astype(np.float32)
    ours = np.asarray(unit_phasor(theta))
    error = np.abs(ours - np.exp(1j * theta.astype(np.float64)))
    assert np.all(error < 3e-7 + 1e-7 * np.abs(theta))


# The M-PLV and its special cases.


def test_plv_equals_textbook_formula(random_phases):
    phase_x, phase_y = random_phases[:, 0], random_phases[:, 1]
    expected = np.abs(np.mean(np.exp(1j * (phase_x.astype(np.float64) - phase_y)), axis=0))
    np.testing.assert_allclose(np.asarray(mplv.plv(phase_x, phase_y)), expected, atol=1e-6)
    np.testing.assert_allclose(np.asarray(mplv.mplv(random_phases[:, :2], [1, -1])), expected, atol=1e-6)


def test_nm_plv_puts_n_on_x(random_phases):
    phase_x, phase_y = random_phases[:, 0], random_phases[:, 1]
    expected = np.abs(np.mean(np.exp(1j * (2 * phase_x.astype(np.float64) - 3 * phase_y)), axis=0))
    np.testing.assert_allclose(np.asarray(mplv.nm_plv(phase_x, phase_y, 2, 3)), expected, atol=1e-6)


def test_bplv_equals_textbook_formula(random_phases):
    first, second, total = (random_phases[:, index] for index in range(3))
    expected = np.abs(np.mean(np.exp(1j * (first.astype(np.float64) + second - total)), axis=0))
    np.testing.assert_allclose(np.asarray(mplv.bplv(first, second, total)), expected, atol=1e-6)


def test_mplv_is_one_for_locked_phases(random_phases):
    locked = np.array(random_phases, copy=True)
    # φ3 = φ1 + 2 φ2 + constant, wrapped into (-π, π]: exactly locked in every trial.
    locked[:, 2] = np.angle(np.exp(1j * (locked[:, 0] + 2 * locked[:, 1] + 0.7)))
    psi = np.asarray(mplv.mplv(locked, [1, 2, -1]))
    np.testing.assert_allclose(psi, 1.0, atol=1e-5)


def test_rational_weights_clear_denominators(random_phases):
    integers, denominator = mplv.clear_denominators([Fraction(2, 3), 1 / 3, -1])
    assert integers.tolist() == [2, 1, -3]
    assert denominator == 3
    from_fractions = np.asarray(mplv.mplv(random_phases, ["2/3", 1 / 3, -1]))
    np.testing.assert_allclose(from_fractions, textbook_mplv(random_phases, [2, 1, -3]), atol=1e-6)


def test_irrational_weights_rejected_or_unwrapped(random_phases):
    with pytest.raises(ValueError, match=r"weights\[0\].*unwrap=True"):
        mplv.mplv(random_phases, [np.sqrt(2), 1, -1])
    psi = np.asarray(mplv.mplv(random_phases, [np.sqrt(2), 1, -1], unwrap=True))
    assert psi.shape == (300,)
    assert np.all((psi >= 0) & (psi <= 1 + 1e-6))


def test_unwrap_leaves_integer_weights_unchanged(random_phases):
    wrapped = np.asarray(mplv.mplv(random_phases, [1, 2, -1]))
    unwrapped = np.asarray(mplv.mplv(random_phases, [1, 2, -1], unwrap=True))
    np.testing.assert_allclose(unwrapped, wrapped, atol=1e-4)


def test_sliding_mplv_matches_window_average(random_phases):
    result = mplv.mplv_sliding(random_phases[:2], [1, 1, -1], window=50, step=20, lag=7)
    assert result.psi.shape == (2, (300 - 7 - 50) // 20 + 1)
    assert result.window_starts[0] == 7
    combined = random_phases[1, 0, :-7] + random_phases[1, 1, :-7] - random_phases[1, 2, 7:]
    expected = np.abs(np.mean(np.exp(1j * combined[40:90].astype(np.float64))))
    np.testing.assert_allclose(float(result.psi[1, 2]), expected, atol=1e-6)


def test_sliding_mplv_accepts_one_trial(random_phases):
    result = mplv.mplv_sliding(random_phases[0], [1, 1, -1], window=300, step=1)
    expected = np.abs(np.mean(np.exp(1j * (random_phases[0, 0] + random_phases[0, 1] - random_phases[0, 2]))))
    np.testing.assert_allclose(float(result.psi[0, 0]), expected, atol=1e-6)


# Lag scan.


def test_lag_scan_matches_direct_shift(random_phases):
    lags = np.array([-40, -3, 0, 5, 61])
    scan = mplv.lag_scan(random_phases, [1, 1, -1], lags=lags)
    n_times = random_phases.shape[-1]
    for row, lag in enumerate(lags):
        start, stop = max(0, lag), n_times + min(0, lag)
        inputs = random_phases[:, :2, start - lag : stop - lag].sum(axis=1)
        expected = np.abs(np.mean(np.exp(1j * (inputs - random_phases[:, 2, start:stop]).astype(np.float64)), axis=0))
        np.testing.assert_allclose(scan.psi[row, start:stop], expected, atol=1e-5)
        # Never wrapped: samples without a lagged input are NaN, all others are defined.
        assert np.isnan(scan.psi[row, :start]).all()
        assert np.isnan(scan.psi[row, stop:]).all()
        assert not np.isnan(scan.psi[row, start:stop]).any()
        shared = expected[61 - start : n_times - 40 - start]
        assert scan.mean_psi[row] == pytest.approx(shared.mean(), abs=1e-5)
        assert scan.mean_psi_squared[row] == pytest.approx(np.mean(shared**2), abs=1e-5)
    assert (scan.shared_start, scan.shared_stop) == (61, n_times - 40)


def test_lag_scan_finds_planted_lag(random_phases):
    planted = np.array(random_phases, copy=True)
    lag = 9
    planted[:, 2, lag:] = planted[:, 0, :-lag] - planted[:, 1, :-lag]
    scan = mplv.lag_scan(planted, [1, -1, -1], lags=np.arange(-20, 21))
    assert scan.best_lag == lag
    assert scan.mean_psi[scan.best_index] > 0.99


def test_lag_grid_in_seconds():
    grid = mplv.make_lag_grid(lags_seconds=[-0.1, 0.0, 0.049, 0.05], sfreq=100.0)
    assert grid.tolist() == [-10, 0, 5]


# Surrogates and thresholds.


@pytest.mark.parametrize("method", ["time_shift", "trial_shuffle"])
def test_surrogates_do_not_depend_on_chunk_size(random_phases, method):
    first = mplv.surrogate_test(random_phases, [1, 1, -1], method=method, n_surrogates=60, chunk_size=16, seed=3)
    second = mplv.surrogate_test(random_phases, [1, 1, -1], method=method, n_surrogates=60, chunk_size=60, seed=3)
    np.testing.assert_allclose(first.surrogate_means, second.surrogate_means, rtol=1e-6)
    np.testing.assert_array_equal(first.sample_counts, second.sample_counts)
    assert first.sample_counts.sum() == 60 * random_phases.shape[-1]


def test_surrogate_test_thresholds_are_separate(random_phases):
    test = mplv.surrogate_test(random_phases, [1, 1, -1], n_surrogates=200, seed=0)
    # Averaging over time shrinks the spread, so the time-averaged threshold sits well below the per-sample one.
    assert test.time_averaged_threshold < 0.8 * test.per_sample_threshold
    assert test.per_sample_threshold == pytest.approx(test.analytic_threshold, rel=0.1)
    # The phases are independent, so the coupling must not come out significant.
    assert test.p_value > 0.01
    assert not test.significant


def test_derangement_has_no_fixed_point():
    for index in range(50):
        sources = np.asarray(_derangement_sources(jax.random.key(index), 7))
        assert sorted(sources.tolist()) == list(range(7))
        assert np.all(sources != np.arange(7))


def test_histogram_percentile_matches_numpy():
    values = np.random.default_rng(2).beta(2, 8, size=200_000)
    counts, _ = np.histogram(values, bins=4096, range=(0, 1))
    assert abs(histogram_percentile(counts, 95.0) - np.percentile(values, 95.0)) < 1 / 4096


def test_analytic_threshold_is_sqrt_3_over_k():
    assert mplv.analytic_threshold(100, 95.0) == pytest.approx(np.sqrt(3 / 100), rel=0.01)


# Summaries.


def test_detect_window_merges_short_gaps():
    above = np.zeros(100, dtype=bool)
    above[10:12] = True  # a chance excursion
    above[30:50] = True
    above[53:70] = True  # a 3-sample dip inside the coupled stretch
    assert detect_window(above, max_gap=3, min_length=5) == (30, 70)
    assert detect_window(above, max_gap=0, min_length=5) == (30, 50)
    assert detect_window(np.zeros(10, dtype=bool)) is None


def test_summarize_psi_fields():
    psi = np.full(200, 0.1)
    psi[50:150] = 0.6
    summary = mplv.summarize_psi(psi, 0.3, sfreq=100.0, first_sample=10)
    assert summary.window == (60, 160)
    assert summary.window_seconds == (0.6, 1.6)
    assert summary.fraction_above == pytest.approx(0.5)
    assert summary.area_above == pytest.approx(100 * 0.3 / 100.0)
    assert summary.time_averaged_psi == pytest.approx(0.35)


def test_window_overlap_is_intersection_over_union():
    assert window_overlap((0, 100), (0, 100)) == 1.0
    assert window_overlap((0, 100), (50, 150)) == pytest.approx(50 / 150)
    assert window_overlap(None, (0, 10)) == 0.0


# Combination search.


def test_candidate_combinations_match_output_frequency():
    candidates = mplv.candidate_combinations([6.0, 11.0, 17.0, 34.0], coefficients=[-1, 1], tolerance=0.5)
    assert (1, 1, 1, -1) in candidates
    for weights in candidates:
        predicted = sum(float(w) * f for w, f in zip(weights[:3], [6.0, 11.0, 17.0]))
        assert abs(predicted - 34.0) <= 0.5


def test_candidate_combinations_with_thirds():
    candidates = mplv.candidate_combinations([12.0, 21.0, 15.0], coefficients=["1/3", "2/3"], tolerance=0.1)
    assert candidates == [(Fraction(2, 3), Fraction(1, 3), Fraction(-1))]


def test_format_relation():
    assert mplv.format_relation([1, 1, 1, -1]) == "φ1 + φ2 + φ3 - φ4"
    assert mplv.format_relation([Fraction(2, 3), Fraction(1, 3), -1]) == "2/3·φ1 + 1/3·φ2 - φ3"
    assert mplv.format_relation([-2, 0, 1]) == "-2·φ1 + φ3"


# Bad input.

BAD_SIGNALS = np.random.default_rng(3).standard_normal((3, 2, 256)).astype(np.float32)
NAN_SIGNALS = BAD_SIGNALS.copy()
NAN_SIGNALS[1, 0, 17] = np.nan
INF_SIGNALS = BAD_SIGNALS.copy()
INF_SIGNALS[2, 1, 5] = np.inf


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mplv.extract_phases(NAN_SIGNALS, [(8, 12), (8, 12)], SFREQ), r"signals contains NaN or inf.*\(1, 0, 17\)"),
        (lambda: mplv.extract_phases(INF_SIGNALS, [(8, 12), (8, 12)], SFREQ), r"signals contains NaN or inf"),
        (lambda: mplv.extract_phases(BAD_SIGNALS, [(8, 64), (8, 12)], SFREQ), r"bands\[0\].*Nyquist \(64 Hz\)"),
        (lambda: mplv.extract_phases(BAD_SIGNALS, [(8, 12), (0, 12)], SFREQ), r"bands\[1\].*0 < low"),
        (lambda: mplv.extract_phases(BAD_SIGNALS, [(8, 12), (-4, 12)], SFREQ), r"bands\[1\].*0 < low"),
        (lambda: mplv.extract_phases(BAD_SIGNALS, [(1, 3), (8, 12)], SFREQ), r"bands\[0\].*too narrow for the signal length"),
        (lambda: mplv.extract_phases(BAD_SIGNALS, [(8, 12)] * 3, SFREQ), r"channels is missing"),
        (lambda: mplv.extract_phases(BAD_SIGNALS, [(8, 12)], sfreq=-1.0), r"sfreq must be a finite number > 0"),
        (lambda: mplv.extract_phases(BAD_SIGNALS[0, 0], [(8, 12)], SFREQ), r"signals must have shape"),
        (lambda: mplv.mplv(np.zeros((1, 2, 50)), [1, -1]), r"at least 2 trials.*mplv_sliding"),
        (lambda: mplv.mplv(np.zeros((5, 2, 50)), [1, 1, -1]), r"weights has 3 entries but phases has 2"),
        (lambda: mplv.mplv(np.full((5, 2, 50), np.nan), [1, -1]), r"phases contains NaN"),
        (lambda: mplv.mplv(np.zeros((5, 2, 50)), [0, 0]), r"at least one nonzero"),
        (lambda: mplv.lag_scan(np.zeros((5, 2, 50)), [1, -1], lags=np.arange(-30, 31)), r"lag grid.*too long"),
        (lambda: mplv.lag_scan(np.zeros((5, 2, 50)), [1, -1], lags=[60]), r"lag grid.*too long"),
        (lambda: mplv.lag_scan(np.zeros((5, 2, 50)), [1, -1], lags=[1], lags_seconds=[0.1]), r"exactly one of lags"),
        (lambda: mplv.surrogate_test(np.zeros((5, 2, 50)), [1, -1], lag=49), r"lag=49 samples is too long"),
        (lambda: mplv.surrogate_test(np.zeros((5, 2, 50)), [1, -1], n_surrogates=0), r"n_surrogates must be in"),
        (lambda: mplv.surrogate_test(np.zeros((5, 2, 50)), [1, -1], method="phase"), r"method must be one of"),
        (lambda: mplv.surrogate_test(np.zeros((5, 2, 50)), [1, -1], output_index=2), r"output_index must be in"),
        (lambda: mplv.plv(np.zeros((5, 50)), np.zeros((5, 49))), r"same shape"),
        (lambda: mplv.mplv_sliding(np.zeros((2, 50)), [1, -1], window=60, step=1), r"window must be in \[1, 50\]"),
    ],
)
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_search_rejects_too_few_surrogates(random_phases):
    with pytest.raises(ValueError, match="n_surrogates=50 is too small"):
        mplv.search_combinations(
            random_phases, [6.0, 11.0, 17.0], candidates=[(1, 1, -1), (2, 0, -1), (0, 2, -1)], n_surrogates=50, alpha=0.05
        )


# Recordings from mne.


def test_mne_epochs_give_same_phases_as_arrays(noise_signals):
    mne = pytest.importorskip("mne")
    info = mne.create_info(["Fz", "Cz"], SFREQ, ch_types="eeg")
    epochs = mne.EpochsArray(noise_signals.astype(np.float64), info, verbose=False)
    bands = [(6.0, 10.0), (20.0, 26.0)]
    from_epochs = np.asarray(mplv.extract_phases(epochs, bands, channels=["Fz", "Cz"]))
    from_array = np.asarray(mplv.extract_phases(noise_signals, bands, SFREQ))
    np.testing.assert_allclose(from_epochs, from_array, atol=1e-5)
    with pytest.raises(ValueError, match="differs from the epochs"):
        mplv.extract_phases(epochs, bands, sfreq=2 * SFREQ)
