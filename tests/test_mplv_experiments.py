"""M-PLV experiments end to end, their config checks, and the Rössler integrator against scipy."""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
from jax import lax

from jaxlab.config import ConfigError
from jaxlab.launch import load_config, run_config
from jaxlab.mplv.rossler import rk4_step, rossler_derivative

REPO = pathlib.Path(__file__).resolve().parents[1]
SYNTHETIC = REPO / "experiments" / "mplv" / "synthetic.py"
ROSSLER = REPO / "experiments" / "mplv" / "rossler.py"
FIGURE_KINDS = ("psi", "lag", "combinations")


def test_synthetic_quick_end_to_end(tmp_path):
    config = load_config(SYNTHETIC, "quick")
    summary = run_config(config, tmp_path)

    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    for case in ("four_frequency", "non_integer", "delayed"):
        for kind in FIGURE_KINDS:
            assert (tmp_path / "figures" / f"{kind}_{case}.png").stat().st_size > 0
    assert summary["detected_lag_error_samples"] <= 1
    assert summary["min_window_overlap"] >= 0.9
    assert summary["true_combination_ranks"] == {"four_frequency": 1, "non_integer": 1, "delayed": 1}
    assert summary["all_couplings_significant"] is True
    delayed = summary["cases"]["delayed"]
    assert delayed["reversed_direction_significant"] is False
    assert delayed["shuffled_control_significant"] is False
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 3


def test_rossler_small_end_to_end(tmp_path):
    config = load_config(ROSSLER, "quick")
    with config.unlocked():
        config.n_trials = 60
        config.duration = 4.0
        config.rossler.coupling_window.start = 1.5
        config.rossler.coupling_window.stop = 3.0
        config.analysis.n_surrogates = 300
        config.analysis.search_surrogates = 300
    summary = run_config(config, tmp_path)

    for kind in FIGURE_KINDS:
        assert (tmp_path / "figures" / f"{kind}_rossler.png").stat().st_size > 0
    assert summary["coupling_significant"] is True
    assert summary["detected_lag_error_samples"] <= 2
    assert summary["true_combination_rank"] == 1
    assert summary["window_overlap"] >= 0.7
    # The output's time scale is the sum of the inputs'. Per-trial frequency spreads (12%) make the
    # per-component medians add up only approximately.
    frequencies = summary["frequencies_hz"]
    assert abs(frequencies[0] + frequencies[1] - frequencies[2]) < 0.05 * frequencies[2]


@pytest.mark.parametrize(
    "path, key, value, message",
    [
        (SYNTHETIC, "n_trials", 1, r"config.n_trials must be in \[2, 100000\]"),
        (SYNTHETIC, "analysis.method", "phase", r"config.analysis.method must be one of"),
        (SYNTHETIC, "window_seconds.stop", 9.0, r"config.window_seconds must satisfy start < stop <= duration"),
        (ROSSLER, "rossler.delay", 1.0, r"config.rossler.delay must be in \[0.0, 0.25\]"),
        (ROSSLER, "analysis.percentile", 100.0, r"config.analysis.percentile must be in"),
    ],
)
def test_bad_config_raises_config_error(path, key, value, message):
    config = load_config(path, "quick")
    with config.unlocked():
        parent, _, leaf = key.rpartition(".")
        (config[parent] if parent else config)[leaf] = value
    module = __import__(config.experiment, fromlist=["validate_config"])
    with pytest.raises(ConfigError, match=message):
        module.validate_config(config)


def test_bad_config_weights_raise_config_error():
    config = load_config(ROSSLER, "quick")
    with config.unlocked():
        config.rossler.weights = ["1/2", "1"]
    from jaxlab.mplv.experiments import rossler

    with pytest.raises(ConfigError, match=r"config.rossler.weights\[0\] must be one of nonzero integers"):
        rossler.validate_config(config)


@pytest.mark.parametrize("path", [SYNTHETIC, ROSSLER])
def test_unknown_variant_rejected(path):
    with pytest.raises(ValueError, match="unknown config variant 'tiny'"):
        load_config(path, "tiny")


def test_rk4_matches_scipy_solve_ivp():
    time_scale = 2 * np.pi * 5.0
    start = np.array([[4.0, -2.0, 0.05]])
    step, n_steps = 1 / 2048, 2048

    def advance(state, _):
        return rk4_step(lambda s, _drive: rossler_derivative(s, jnp.array([time_scale])), state, step, (0, 0, 0)), None

    final, _ = jax.jit(lambda s: lax.scan(advance, s, None, length=n_steps))(jnp.asarray(start, jnp.float32))

    def derivative(_, state):
        x, y, z = state
        return time_scale * np.array([-y - z, x + 0.15 * y, 0.2 + z * (x - 10.0)])

    reference = scipy.integrate.solve_ivp(derivative, (0, step * n_steps), start.ravel(), rtol=1e-10, atol=1e-10)
    # One second is five turns of the attractor, and chaos amplifies float32 rounding, so compare loosely.
    np.testing.assert_allclose(np.asarray(final).ravel(), reference.y[:, -1], atol=2e-2 * np.abs(reference.y[:, -1]).max())
