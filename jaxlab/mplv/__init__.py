"""Multi-phase locking value (M-PLV): phase coupling across several frequencies, with time lag.

ψ(t) = |(1/K) Σ_k exp(i Σ_l w_l φ_{k,l}(t))| measures how consistently across K trials the weighted
phase sum of several components stays fixed, e.g. f1 + f2 + f3 - f4 or 2/3·f1 + 1/3·f2 - f3.

Typical use on a recording of shape (trials, channels, times):

    from jaxlab import mplv
    result = mplv.analyze_coupling(signals, bands=[(4, 8), (9, 13), (14, 22)], weights=[1, 1, -1],
                                   sfreq=250.0, lags_seconds=np.arange(-0.2, 0.2, 1 / 250))
    result.scan.best_lag, result.test.p_value, result.summary.window_seconds

Modules: `filters` (band-pass and analytic phase), `core` (ψ, PLV, n:m PLV, bi-phase locking value,
sliding-window form), `lags` (lag scan), `significance` (surrogates and thresholds), `summaries`,
`search` (ranking frequency combinations), `simulation` and `rossler` (coupled test signals).
"""

from jaxlab.mplv.analysis import CouplingAnalysis, analyze_coupling
from jaxlab.mplv.core import SlidingMPLV, bplv, mplv, mplv_sliding, nm_plv, plv
from jaxlab.mplv.filters import analytic_signal, design_bandpass, extract_phases, filtfilt_fir
from jaxlab.mplv.inputs import as_signals
from jaxlab.mplv.lags import LagScan, lag_scan, make_lag_grid
from jaxlab.mplv.rossler import simulate_rossler
from jaxlab.mplv.search import RankedCombination, candidate_combinations, search_combinations
from jaxlab.mplv.significance import SurrogateTest, analytic_threshold, surrogate_test
from jaxlab.mplv.simulation import SimulatedCoupling, simulate_coupled_gaussian
from jaxlab.mplv.summaries import CouplingSummary, detect_window, summarize_psi, window_overlap
from jaxlab.mplv.weights import clear_denominators, format_relation

__all__ = [
    "CouplingAnalysis",
    "CouplingSummary",
    "LagScan",
    "RankedCombination",
    "SimulatedCoupling",
    "SlidingMPLV",
    "SurrogateTest",
    "analytic_signal",
    "analytic_threshold",
    "analyze_coupling",
    "as_signals",
    "bplv",
    "candidate_combinations",
    "clear_denominators",
    "design_bandpass",
    "detect_window",
    "extract_phases",
    "filtfilt_fir",
    "format_relation",
    "lag_scan",
    "make_lag_grid",
    "mplv",
    "mplv_sliding",
    "nm_plv",
    "plv",
    "search_combinations",
    "simulate_coupled_gaussian",
    "simulate_rossler",
    "summarize_psi",
    "surrogate_test",
    "window_overlap",
]
