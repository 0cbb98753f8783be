"""The shared engine: exact resume, compile-once, multi-device and multi-process equivalence, loud stops."""

import json
import os
import pathlib
import socket
import subprocess
import sys

import jax
import ml_collections
import numpy as np
import pytest

from jaxlab import engine
from jaxlab.engine.example_task import make_classifier_task

REPO = pathlib.Path(__file__).resolve().parents[1]
WORKER = REPO / "tests" / "helpers" / "engine_worker.py"
BATCH = 16


def _train_config(num_steps: int, checkpoint_every: int = 4) -> ml_collections.ConfigDict:
    return engine.default_train_config(
        num_steps=num_steps, batch_size=BATCH, log_every=1, checkpoint_every=checkpoint_every, keep_checkpoints=3
    )


def _open(path) -> engine.RunFolder:
    return engine.RunFolder.open(path, ml_collections.ConfigDict({"purpose": "engine test"}))


def _leaves(state) -> list[np.ndarray]:
    return [np.asarray(leaf) for leaf in jax.tree.leaves(state)]


@pytest.fixture(scope="module")
def task() -> engine.Task:
    return make_classifier_task(batch_size=BATCH)


@pytest.fixture(scope="module")
def uninterrupted(task, tmp_path_factory):
    run = _open(tmp_path_factory.mktemp("uninterrupted"))
    return engine.train(task, _train_config(12), run)


def test_step_compiles_once(uninterrupted):
    assert uninterrupted.step == 12
    assert uninterrupted.num_compiles == 1


def test_resume_after_stop_is_bit_identical(task, uninterrupted, tmp_path):
    run = _open(tmp_path)
    first = engine.train(task, _train_config(6, checkpoint_every=3), run)
    assert first.step == 6

    resumed = engine.train(task, _train_config(12, checkpoint_every=3), run)
    assert resumed.step == 12
    for got, want in zip(_leaves(resumed.state), _leaves(uninterrupted.state), strict=True):
        np.testing.assert_array_equal(got, want)


def test_resume_after_crash_is_bit_identical(task, uninterrupted, tmp_path):
    def failing_batch_at(step: int):
        if step == 9:
            raise KeyboardInterrupt("simulated interruption")
        return task.batch_at(step)

    run = _open(tmp_path)
    crashing = engine.Task(task.init_state, task.train_step, failing_batch_at, task.evaluate)
    with pytest.raises(KeyboardInterrupt):
        engine.train(crashing, _train_config(12), run)
    assert max(row["step"] for row in run.read_metrics()) == 9

    resumed = engine.train(task, _train_config(12), run)
    for got, want in zip(_leaves(resumed.state), _leaves(uninterrupted.state), strict=True):
        np.testing.assert_array_equal(got, want)

    logged_steps = [row["step"] for row in run.read_metrics() if "loss" in row]
    assert logged_steps == list(range(1, 13))


def test_finished_run_is_not_retrained(task, uninterrupted, tmp_path):
    run = _open(tmp_path)
    engine.train(task, _train_config(4), run)
    again = engine.train(task, _train_config(4), run)
    assert again.step == 4
    assert again.num_compiles == 0
    assert [row["step"] for row in again.history if "loss" in row] == [1, 2, 3, 4]


def test_named_models_share_a_folder(task, tmp_path):
    run = _open(tmp_path)
    engine.train(task, _train_config(3), run, name="first")
    second = engine.train(task, _train_config(2), run, name="second")
    assert (run.checkpoints_dir / "first").is_dir()
    assert (run.checkpoints_dir / "second").is_dir()
    assert [row["step"] for row in second.history if "loss" in row] == [1, 2]
    assert all(key.startswith(("first/", "second/", "step")) for row in run.read_metrics() for key in row)


def test_metrics_files_written(uninterrupted, tmp_path):
    run = _open(tmp_path)
    engine.train(make_classifier_task(batch_size=BATCH), _train_config(2), run)
    rows = run.read_metrics()
    assert rows[0]["step"] == 1
    assert {"loss", "grad_norm"} <= rows[0].keys()
    assert any(row.get("eval_accuracy") is not None for row in rows)
    assert list(tmp_path.glob("events.out.tfevents.*"))


def test_nonfinite_loss_stops_with_step(task, tmp_path):
    def poisoned_batch_at(step: int):
        batch = task.batch_at(step)
        if step == 4:
            batch["inputs"][0, 0] = np.nan
        return batch

    run = _open(tmp_path)
    poisoned = engine.Task(task.init_state, task.train_step, poisoned_batch_at)
    with pytest.raises(engine.NonFiniteError, match=r"loss is nan at step 5"):
        engine.train(poisoned, _train_config(8), run)
    assert max((int(p.name) for p in run.checkpoints_dir.iterdir() if p.name.isdigit()), default=0) <= 4


def _run_worker(workdir, num_steps, env_extra=None, extra_args=()):
    env = dict(os.environ, **(env_extra or {}))
    env["PYTHONPATH"] = str(REPO)
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(workdir), str(num_steps), *extra_args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _losses(process) -> dict:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_four_devices_match_one(uninterrupted, tmp_path):
    four = _losses(
        _run_worker(tmp_path / "four", 12, {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"})
    )
    one = [row["loss"] for row in uninterrupted.history if "loss" in row]
    assert four["devices"] == 4
    np.testing.assert_allclose(four["losses"], one, atol=1e-5, rtol=0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_processes_match_one(uninterrupted, tmp_path):
    coordinator = f"127.0.0.1:{_free_port()}"
    workers = [
        _run_worker(tmp_path / "shared", 12, extra_args=(coordinator, "2", str(index)))
        for index in range(2)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        if worker.returncode != 0 and "collective" in err.lower() and "not" in err.lower():
            pytest.skip(f"this jaxlib cannot run CPU collectives across processes: {err.splitlines()[-1]}")
        assert worker.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))

    one = [row["loss"] for row in uninterrupted.history if "loss" in row]
    assert results[0]["processes"] == 2
    assert results[0]["devices"] == 2
    np.testing.assert_allclose(results[0]["losses"], one, atol=1e-5, rtol=0)
