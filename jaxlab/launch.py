"""Load an experiment config file and run it, without command-line flags.

The `jaxlab-run` launcher, notebooks and tests all go through these two functions:

    config = load_config("experiments/sensitivity/vision.py", "quick")
    summary = run_config(config, "runs/vision-quick")
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pathlib
import sys
from types import ModuleType
from typing import Any

import ml_collections

from jaxlab.config import ConfigError


def load_config(path: str | pathlib.Path, variant: str | None = None) -> ml_collections.ConfigDict:
    """Return `get_config(variant)` from the config file at `path`, locked like the launcher's.

    A 'file.py:variant' path is split at the colon when `variant` is not given.
    """
    text = str(path)
    if variant is None and ":" in text:
        text, variant = text.split(":", 1)
    file = pathlib.Path(text)
    if not file.is_file():
        raise FileNotFoundError(f"config file not found: {file}")

    spec = importlib.util.spec_from_file_location(f"jaxlab_config_{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config(variant) if variant else module.get_config()
    config.lock()
    return config


def experiment_module(config: ml_collections.ConfigDict) -> ModuleType:
    """Import the module named by `config.experiment`; raise ConfigError when that fails."""
    if "experiment" not in config:
        raise ConfigError("config.experiment is missing; it names the module that runs the experiment")
    try:
        return importlib.import_module(config.experiment)
    except ImportError as error:
        raise ConfigError(f"config.experiment={config.experiment!r} cannot be imported: {error}") from None


def configure_logging() -> None:
    """Show jaxlab's progress lines on stderr; keep the checkpoint library's per-save details out of view.

    Does nothing when the "jaxlab" logger already has a handler, so a caller's own setup wins.
    """
    logger = logging.getLogger("jaxlab")
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logging.getLogger("absl").setLevel(logging.WARNING)
    logging.getLogger("jax").setLevel(logging.WARNING)


def run_config(config: ml_collections.ConfigDict, workdir: str | pathlib.Path) -> dict[str, Any]:
    """Validate `config` with its experiment's `validate_config`, then run it into `workdir`."""
    configure_logging()
    module = experiment_module(config)
    validate = getattr(module, "validate_config", None)
    if validate is not None:
        validate(config)
    return module.run_experiment(config, str(workdir))
