"""The run folder: where one experiment run keeps its config, metrics, summary, figures and checkpoints.

Layout of `workdir/`:
  config.json      the resolved config, written once; a later run in the same folder must match it
  metrics.jsonl    one JSON object per logged step, each with a "step" key
  events.*         TensorBoard event files with the same scalars
  summary.json     the experiment's headline numbers, rewritten at the end of every run
  figures/*.png    the experiment's figures
  checkpoints/     orbax checkpoints, written by the engine

Only process 0 writes; on other processes of a multi-host run every write is skipped, so experiment
code can call these methods unconditionally.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
from collections.abc import Mapping
from typing import Any

import jax
import ml_collections
import numpy as np

from jaxlab.config import ConfigError


def to_json_value(value: Any) -> Any:
    """Convert numpy and JAX scalars and arrays, tuples and NaN into plain JSON values."""
    if isinstance(value, Mapping):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(item) for item in value]
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        return to_json_value(np.asarray(value).tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def config_to_dict(config: ml_collections.ConfigDict) -> dict[str, Any]:
    """Return the config as plain nested dicts that survive a JSON round trip unchanged."""
    return json.loads(json.dumps(to_json_value(config.to_dict())))


def _first_difference(old: Any, new: Any, prefix: str = "") -> str | None:
    """Return the dotted key of the first value that differs between two nested dicts.

    At the top level "experiment" and "name" come first, so a folder of another experiment is
    reported as such rather than by some inner key.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new), key=lambda key: (not prefix and key not in ("experiment", "name"), key))
        for key in keys:
            if key not in old or key not in new:
                return f"{prefix}{key}"
            found = _first_difference(old[key], new[key], f"{prefix}{key}.")
            if found:
                return found
        return None
    return None if old == new else prefix.rstrip(".") or "<root>"


def _lookup(tree: dict[str, Any], dotted_key: str) -> Any:
    node: Any = tree
    for part in dotted_key.split("."):
        if not isinstance(node, dict) or part not in node:
            return "<absent>"
        node = node[part]
    return node


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RunFolder:
    """One run's folder; create it with `RunFolder.open(workdir, config)`."""

    def __init__(self, path: pathlib.Path, config_dict: dict[str, Any]):
        self.path = path
        self.config_dict = config_dict
        self.figures_dir = path / "figures"
        self.checkpoints_dir = path / "checkpoints"
        self.metrics_path = path / "metrics.jsonl"
        self.summary_path = path / "summary.json"
        self._tensorboard = None

    @property
    def is_writer(self) -> bool:
        return jax.process_index() == 0

    @classmethod
    def open(cls, workdir: str | os.PathLike, config: ml_collections.ConfigDict) -> "RunFolder":
        """Open `workdir` for `config`, creating it or checking that it contains a run of the same config.

        Raises ConfigError, before anything is written, when the folder already contains a run whose
        config.json differs; the message names the first differing key.
        """
        path = pathlib.Path(workdir).expanduser().resolve()
        config_dict = config_to_dict(config)
        config_path = path / "config.json"

        if config_path.exists():
            old = json.loads(config_path.read_text())
            differing_key = _first_difference(old, config_dict)
            if differing_key is not None:
                before = _lookup(old, differing_key)
                after = _lookup(config_dict, differing_key)
                raise ConfigError(
                    f"{path} contains a run with a different config (config.{differing_key} is "
                    f"{_short(before)} there, {_short(after)} now); pass another --workdir or delete that folder"
                )

        folder = cls(path, config_dict)
        if folder.is_writer:
            folder.figures_dir.mkdir(parents=True, exist_ok=True)
            folder.checkpoints_dir.mkdir(parents=True, exist_ok=True)
            if not config_path.exists():
                config_path.write_text(json.dumps(config_dict, indent=2, sort_keys=True) + "\n")
        return folder

    def log_metrics(self, step: int, metrics: Mapping[str, Any]) -> None:
        """Append one row to metrics.jsonl and write the scalar entries to TensorBoard."""
        if not self.is_writer:
            return
        row = {"step": int(step), **to_json_value(dict(metrics))}
        with self.metrics_path.open("a") as stream:
            stream.write(json.dumps(row) + "\n")

        writer = self._tensorboard_writer()
        for name, value in metrics.items():
            array = np.asarray(value)
            if array.ndim == 0 and np.issubdtype(array.dtype, np.number):
                writer.add_scalar(name, float(array), int(step))
        writer.flush()

    def read_metrics(self) -> list[dict[str, Any]]:
        """Return every row of metrics.jsonl, oldest first."""
        if not self.metrics_path.exists():
            return []
        return [json.loads(line) for line in self.metrics_path.read_text().splitlines() if line]

    def truncate_metrics_after(self, step: int, prefix: str = "") -> None:
        """Drop rows logged after `step`, so a resumed run does not log those steps twice.

        With `prefix`, only rows holding a key with that prefix are dropped, which leaves the rows
        of other models in the same folder alone.
        """
        if not self.is_writer or not self.metrics_path.exists():
            return

        def is_stale(row: dict[str, Any]) -> bool:
            owned = any(key.startswith(prefix) for key in row if key != "step")
            return row.get("step", 0) > step and owned

        kept = [row for row in self.read_metrics() if not is_stale(row)]
        self.metrics_path.write_text("".join(json.dumps(row) + "\n" for row in kept))

    def write_summary(self, summary: Mapping[str, Any]) -> dict[str, Any]:
        """Write summary.json and return the JSON-ready summary."""
        plain = to_json_value(dict(summary))
        if self.is_writer:
            self.summary_path.write_text(json.dumps(plain, indent=2, sort_keys=True) + "\n")
        return plain

    def read_summary(self) -> dict[str, Any] | None:
        if not self.summary_path.exists():
            return None
        return json.loads(self.summary_path.read_text())

    def save_figure(self, figure: Any, name: str) -> pathlib.Path:
        """Save a matplotlib figure as figures/<name>.png, close it and return the path."""
        import matplotlib.pyplot as plt

        target = self.figures_dir / f"{name}.png"
        if self.is_writer:
            figure.savefig(target, dpi=120, bbox_inches="tight")
        plt.close(figure)
        return target

    def close(self) -> None:
        if self._tensorboard is not None:
            self._tensorboard.close()
            self._tensorboard = None

    def _tensorboard_writer(self):
        if self._tensorboard is None:
            from tensorboardX import SummaryWriter

            self._tensorboard = SummaryWriter(logdir=str(self.path), flush_secs=30)
        return self._tensorboard
