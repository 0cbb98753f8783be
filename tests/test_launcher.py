"""The launcher: config variants, default run folder, and one-line errors on bad input."""

import os
import pathlib
import subprocess
import sys

import pytest

from jaxlab.config import ConfigError
from jaxlab.launch import load_config, run_config

REPO = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "experiments" / "engine" / "example.py"


def _launch(*args: str, cwd: pathlib.Path, devices: int = 1) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    if devices > 1:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    return subprocess.run(
        [sys.executable, "-m", "jaxlab.run", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _snapshot(folder: pathlib.Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> pathlib.Path:
    cwd = tmp_path_factory.mktemp("launch")
    result = _launch(f"--config={EXAMPLE}:quick", "--config.train.num_steps=20", cwd=cwd)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "summary:" in result.stdout
    return cwd / "runs" / "engine_example-quick"


def test_default_workdir_holds_run_files(finished_run):
    assert (finished_run / "config.json").is_file()
    assert (finished_run / "summary.json").is_file()
    assert (finished_run / "metrics.jsonl").is_file()
    assert (finished_run / "figures" / "loss.png").is_file()
    assert (finished_run / "checkpoints" / "20").is_dir()
    assert list(finished_run.glob("events.out.tfevents.*"))


BAD_INPUTS = [
    (("--config.train.no_such_key=1",), 1, "config.train.no_such_key"),
    (("--config.train.num_steps=many",), 1, "config.train.num_steps"),
    (("--config.train.learning_rate=-0.1",), 1, "config.train.learning_rate"),
    (("--config.train.batch_size=66",), 4, "config.train.batch_size"),
    (("--config.train.num_steps=30",), 1, "config.train.num_steps is 20 there, 30 now"),
]


@pytest.mark.parametrize("args, devices, named_key", BAD_INPUTS)
def test_bad_input_stops_with_one_line(finished_run, args, devices, named_key):
    before = _snapshot(finished_run)
    result = _launch(f"--config={EXAMPLE}:quick", f"--workdir={finished_run}", *args, cwd=finished_run.parent, devices=devices)

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1
    assert named_key in errors[0]
    assert "compiling" not in result.stderr
    assert _snapshot(finished_run) == before


def test_missing_config_file_is_one_line(tmp_path):
    result = _launch("--config=experiments/none/missing.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "missing.py" in result.stderr


def test_rerun_of_finished_run_does_not_train(finished_run):
    result = _launch(f"--config={EXAMPLE}:quick", "--config.train.num_steps=20", cwd=finished_run.parent.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "already finished at step 20" in result.stderr
    assert "compiling" not in result.stderr


def test_load_config_variant_and_unknown_variant():
    quick = load_config(f"{EXAMPLE}:quick")
    full = load_config(EXAMPLE)
    assert quick.train.num_steps < full.train.num_steps
    with pytest.raises(ValueError, match="unknown config variant"):
        load_config(EXAMPLE, "fast")


def test_run_config_validates_first(tmp_path):
    config = load_config(EXAMPLE, "quick")
    config.train.learning_rate = 0.0
    with pytest.raises(ConfigError, match="config.train.learning_rate must be > 0"):
        run_config(config, tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_near_miss_key_suggests_real_one(tmp_path):
    result = _launch(f"--config={EXAMPLE}:quick", "--config.train.num_stepz=5", cwd=tmp_path)
    assert result.returncode == 2
    assert "config.train.num_stepz is not a key of this config" in result.stderr
    assert "did you mean config.train.num_steps?" in result.stderr


def test_help_lists_flags(tmp_path):
    result = _launch("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--config:" in result.stdout
    assert "--workdir:" in result.stdout
