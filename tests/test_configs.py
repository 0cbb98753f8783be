"""Every experiment config: loads in both variants, passes its experiment's checks, documents itself."""

import pathlib

import pytest

from jaxlab.launch import experiment_module, load_config

CONFIG_FILES = sorted((pathlib.Path(__file__).resolve().parents[1] / "experiments").glob("*/*.py"))


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_config_loads_and_validates(path):
    for variant in (None, "quick"):
        config = load_config(path, variant)
        module = experiment_module(config)
        assert callable(module.run_experiment)
        validate = getattr(module, "validate_config", None)
        if validate is not None:
            validate(config)


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_config_docstring_has_command_time_expected(path):
    text = path.read_text()
    assert f"--config=experiments/{path.parent.name}/{path.name}:quick" in text
    assert "CPU time:" in text
    assert "Expected:" in text


# Experiments that train through engine.train and so can run across processes.
ENGINE_EXPERIMENTS = ["engine/example.py", "csmri/covegan.py", "csmri/spgan.py"] + [
    f"sensitivity/{name}.py" for name in ("vision", "boolean", "language", "robustness", "grokking")
]


@pytest.mark.parametrize("name", ENGINE_EXPERIMENTS)
def test_engine_configs_offer_distributed(name):
    config = load_config(CONFIG_FILES[0].parents[1] / name, "quick")
    assert config.distributed is False
