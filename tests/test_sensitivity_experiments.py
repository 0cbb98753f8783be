"""Each sensitivity experiment end to end from its config file, shrunk below its quick variant."""

import importlib
import importlib.util
import json
import pathlib

import pytest

from jaxlab.config import ConfigError

REPO = pathlib.Path(__file__).resolve().parents[1]


def load_config(name: str, variant: str = "quick"):
    spec = importlib.util.spec_from_file_location(f"sensitivity_{name}_config", REPO / "experiments" / "sensitivity" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(variant)


def shrink(config, **overrides):
    """Cut training and measurement to test size; `overrides` maps dotted keys to values."""
    config.train.num_steps = 30
    config.train.log_every = 10
    config.train.checkpoint_every = 30
    if "sensitivity" in config and "num_examples" in config.sensitivity:
        config.sensitivity.num_draws = 2
        config.sensitivity.num_examples = 64
        config.sensitivity.batch_size = 64
    for key, value in overrides.items():
        node = config
        *parents, leaf = key.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value
    return config


def run(config, workdir):
    experiment = importlib.import_module(config.experiment)
    summary = experiment.run_experiment(config, str(workdir))
    assert json.loads((workdir / "summary.json").read_text()) == summary
    return summary


def figures(workdir) -> set[str]:
    return {path.name for path in (workdir / "figures").glob("*.png")}


@pytest.mark.parametrize("name", ["vision", "boolean", "language", "robustness", "grokking"])
def test_config_variants_validate(name):
    config = load_config(name)
    importlib.import_module(config.experiment).validate_config(config)
    importlib.import_module(config.experiment).validate_config(load_config(name, ""))
    with pytest.raises(ValueError, match="unknown config variant"):
        load_config(name, "huge")


def test_vision_end_to_end(tmp_path):
    # One architecture keeps the test short; the others run in the language and boolean tests.
    config = shrink(load_config("vision"), architectures=("mlp",), **{"mnist1d.num_samples": 200})
    summary = run(config, tmp_path)
    assert figures(tmp_path) == {"mnist1d_positions.png", "mnist1d_bars.png", "digits_positions.png", "digits_bars.png"}
    for dataset, length in (("mnist1d", 40), ("digits", 16)):
        measured = summary[dataset]["per_architecture"]["mlp"]
        assert 0.0 <= measured["sensitivity"] <= 1.0
        assert 0.0 <= measured["test_accuracy"] <= 1.0
        assert len(summary[dataset]["per_position"]["mlp"]) == length
    # Digits is easy: even 30 steps beat chance (0.1) clearly.
    assert summary["digits"]["per_architecture"]["mlp"]["test_accuracy"] > 0.3


def test_rerun_restores_without_training(tmp_path):
    config = shrink(load_config("language"), architectures=("cnn",), **{"data.num_samples": 300, "data.length": 8})
    first = run(config, tmp_path)
    metrics_lines = (tmp_path / "metrics.jsonl").read_text().count("\n")
    second = run(config, tmp_path)
    assert second["per_architecture"] == first["per_architecture"]
    assert (tmp_path / "metrics.jsonl").read_text().count("\n") == metrics_lines + 1  # only the measurement row


def test_boolean_end_to_end(tmp_path):
    config = shrink(
        load_config("boolean"),
        architectures=("transformer",),
        num_bits=6,
        **{"init.num_seeds": 8, "targets.num_train": 200, "model.width": 16},
    )
    summary = run(config, tmp_path)
    assert figures(tmp_path) == {"sensitivity_at_init.png", "sensitivity_after_training.png"}
    assert summary["targets"]["sparse_parity"]["sensitivity"] == pytest.approx(2.0, abs=1e-5)
    assert 0.0 <= summary["at_init"]["transformer"]["mean"] <= 6.0
    for target in ("sparse_parity", "low_degree"):
        assert 0.0 <= summary["trained"][target]["transformer"]["sensitivity"] <= 6.0
        assert 0.0 <= summary["trained"][target]["transformer"]["cube_accuracy"] <= 1.0


def test_language_end_to_end(tmp_path):
    config = shrink(load_config("language"), architectures=("lstm",), **{"data.num_samples": 400})
    summary = run(config, tmp_path)
    assert figures(tmp_path) == {"keywords_positions.png", "keywords_bars.png"}
    assert set(summary["recency_ratio"]) == {"lstm"}
    assert len(summary["per_position"]["lstm"]) == config.data.length


def test_robustness_regularizer_lowers_sensitivity(tmp_path):
    """The claim test for the regularizer: plain and regularized runs share data, seed and steps."""
    config = shrink(
        load_config("robustness"),
        **{"model.width": 16, "model.depth": 1, "model.num_heads": 2, "train.num_steps": 300,
           "train.checkpoint_every": 300, "train.learning_rate": 3e-3, "sensitivity.num_examples": 128,
           "sensitivity.batch_size": 128, "sensitivity.num_draws": 4},
    )
    summary = run(config, tmp_path)
    assert figures(tmp_path) == {"robustness.png", "positions.png"}
    for name in ("plain", "regularized"):
        assert summary[name]["gaussian_noise"]["0.0"] == summary[name]["test_accuracy"]
        assert summary[name]["test_accuracy"] > 0.6
    assert summary["sensitivity_reduced"]
    assert summary["regularized"]["sensitivity"] < 0.7 * summary["plain"]["sensitivity"]


def test_grokking_end_to_end(tmp_path):
    config = shrink(load_config("grokking"), prime=7, train_fraction=0.6, **{"train.batch_size": 29, "train.eval_every": 10})
    summary = run(config, tmp_path)
    assert figures(tmp_path) == {"grokking.png"}
    assert 0.0 <= summary["final_test_accuracy"] <= 1.0
    assert summary["peak_sensitivity"] >= summary["final_sensitivity"]


def test_invalid_value_names_the_key(tmp_path):
    config = load_config("vision")
    config.digits.patch_size = 3
    with pytest.raises(ConfigError, match="config.digits.patch_size"):
        run(config, tmp_path)
    assert not (tmp_path / "config.json").exists()
