"""Launch any jaxlab experiment from its config file.

    python -m jaxlab.run --config=experiments/sensitivity/vision.py:quick --workdir=runs/vision-quick
    jaxlab-run --config=experiments/mplv/synthetic.py:quick --config.analysis.n_surrogates=500

The config file's `get_config(arg)` builds a locked ConfigDict (the text after ':' is `arg`);
`--config.a.b=value` overrides one entry. `config.experiment` names the module whose
`validate_config(config)` runs first, before anything compiles, and whose
`run_experiment(config, workdir)` then does the work. Flags stop here: tests, notebooks and users
call the same functions through `jaxlab.launch`.
"""

from __future__ import annotations

import logging
import pathlib
import re
import sys

from absl import app, flags
from ml_collections import config_flags

from jaxlab.config import ConfigError
from jaxlab.launch import configure_logging, experiment_module, run_config

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Experiment config file, optionally followed by ':variant' (e.g. ':quick').", lock_config=True
)
_WORKDIR = flags.DEFINE_string(
    "workdir", None, "Run folder for config, metrics, summary, figures and checkpoints. Default: runs/<name>."
)
_COORDINATOR = flags.DEFINE_string(
    "coordinator_address", None, "host:port of process 0 for a multi-process run (with config.distributed)."
)
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", None, "Number of processes in a multi-process run.")
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "Index of this process in a multi-process run.")

logger = logging.getLogger("jaxlab")
PROGRAM = "jaxlab-run"


def _fail(message: str) -> None:
    """Print a one-line error and exit with status 2 (the usual status for bad command-line input)."""
    print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    sys.exit(2)


def _one_line(error: BaseException, argv: list[str]) -> str:
    """Condense a flag-parsing error into one line that names the config key or file at fault."""
    text = str(error)
    if isinstance(error, (KeyError, AttributeError)):
        suggestion = re.search(r'Did you mean "([^"]+)" instead of "([^"]+)"', text)
        if suggestion:
            suggested, unknown = suggestion.groups()
            key = _override_key(argv, unknown) or f"config.{unknown}"
            return f"{key} is not a key of this config; did you mean {key.rsplit('.', 1)[0]}.{suggested}?"
        missing = text.strip("'\"").split("'")[-1]
        key = _override_key(argv, missing)
        if key:
            return f"{key} is not a key of this config (unknown key {missing!r})"
        return f"unknown config key {missing!r}"

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if any(line.startswith("Traceback") for line in lines):
        # The config file raised: its own last line is the useful part.
        message = lines[-1].split(": ", 1)[-1]
        return f"--config={_config_argument(argv)}: {message}"
    if isinstance(error, SyntaxError) or "line " in text and "(" in text and _config_argument(argv):
        return f"cannot load --config={_config_argument(argv)}: {' '.join(lines)}"
    return " ".join(lines)


def _override_key(argv: list[str], name: str) -> str | None:
    """Return the dotted key of the --config.* override whose path contains `name`."""
    for arg in argv:
        key = arg[2:].split("=", 1)[0]
        if arg.startswith("--config.") and name in key.split("."):
            return key
    return None


def _print_help() -> None:
    print(__doc__.strip())
    print("\nflags:")
    for name in ("config", "workdir", "coordinator_address", "num_processes", "process_id"):
        print(f"  --{name}: {flags.FLAGS[name].help}")
    print("  --config.<key>=<value>: override one config entry, e.g. --config.train.num_steps=2000")


def parse_flags(argv: list[str]) -> list[str]:
    """Parse absl flags; turn any flag or config error into a one-line message and exit status 2."""
    if any(arg in ("-h", "--help", "--helpshort") for arg in argv[1:]):
        _print_help()
        sys.exit(0)
    try:
        return flags.FLAGS(argv)
    except Exception as error:  # noqa: BLE001 - every parse failure is bad command-line input
        _fail(_one_line(error, argv))
    return []


def _config_argument(argv: list[str]) -> str | None:
    """Return the raw value of --config on the command line, e.g. 'experiments/x/y.py:quick'."""
    for index, arg in enumerate(argv):
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
        if arg == "--config" and index + 1 < len(argv):
            return argv[index + 1]
    return None


def default_workdir(config, config_flag_value: str | None) -> pathlib.Path:
    """runs/<config.name>, with '-<variant>' appended for a 'file.py:variant' config argument."""
    name = config.get("name") or pathlib.Path(str(config_flag_value).split(":")[0]).stem
    variant = str(config_flag_value).partition(":")[2] if config_flag_value else ""
    return pathlib.Path("runs") / (f"{name}-{variant}" if variant else name)


def initialize_distributed(config) -> None:
    """Join a multi-process run when the config sets `distributed=True`."""
    if not config.get("distributed", False):
        return
    import jax

    kwargs = {}
    if _COORDINATOR.value:
        kwargs = dict(
            coordinator_address=_COORDINATOR.value,
            num_processes=_NUM_PROCESSES.value,
            process_id=_PROCESS_ID.value,
        )
    jax.distributed.initialize(**kwargs)
    logger.info("process %d of %d joined", jax.process_index(), jax.process_count())


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        _fail(f"unexpected arguments {argv[1:]}; pass options as --name=value")
    config = _CONFIG.value
    if config is None:
        _fail("missing --config; example: --config=experiments/sensitivity/vision.py:quick")
    try:
        has_experiment = "experiment" in config
    except OSError:
        # ml_collections loads the file lazily and reports a missing file on first access.
        _fail(f"config file not found or unreadable: --config={_config_argument(sys.argv)}")
    if not has_experiment:
        _fail("the config has no 'experiment' entry naming the module that runs it")

    workdir = pathlib.Path(_WORKDIR.value) if _WORKDIR.value else default_workdir(config, _config_argument(sys.argv))

    configure_logging()
    try:
        experiment_module(config)
        initialize_distributed(config)
        summary = run_config(config, workdir)
    except ConfigError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        print(f"{PROGRAM}: interrupted; run the same command again to resume", file=sys.stderr)
        sys.exit(130)

    print(f"summary: {workdir / 'summary.json'}")
    print(f"figures: {workdir / 'figures'}")
    scalars = _flatten_scalars(summary or {})
    for key, value in list(scalars.items())[:MAX_PRINTED]:
        print(f"  {key}: {value:.4g}" if isinstance(value, float) else f"  {key}: {value}")
    if len(scalars) > MAX_PRINTED:
        print(f"  ... {len(scalars) - MAX_PRINTED} more in summary.json")


MAX_PRINTED = 24


def _flatten_scalars(tree: dict, prefix: str = "") -> dict:
    """Return the numbers, strings and booleans of a nested summary under dotted keys."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten_scalars(value, f"{prefix}{key}."))
        elif isinstance(value, (int, float, str, bool)) or value is None:
            flat[f"{prefix}{key}"] = value
    return flat


def console_main() -> None:
    """Entry point of the `jaxlab-run` console script."""
    app.run(main, flags_parser=parse_flags)


if __name__ == "__main__":
    console_main()
