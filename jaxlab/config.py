"""Checks on experiment configs that run before anything is compiled.

Every experiment module may define `validate_config(config)`; the launcher calls it right after the
command line is parsed, so a bad value stops the run with one line that names the key. The helpers
here keep those checks short and their messages uniform.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ml_collections


class ConfigError(ValueError):
    """An invalid config value; the message names the key and the allowed range."""


def get_value(config: ml_collections.ConfigDict, key: str) -> Any:
    """Return `config.<key>` for a dotted key, or raise ConfigError if it is missing."""
    node: Any = config
    for part in key.split("."):
        try:
            node = node[part]
        except (KeyError, AttributeError, TypeError):
            raise ConfigError(f"config.{key} is missing") from None
    return node


def require_positive(config: ml_collections.ConfigDict, *keys: str) -> None:
    """Raise ConfigError unless each dotted key is a number > 0."""
    for key in keys:
        value = get_value(config, key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
            raise ConfigError(f"config.{key} must be > 0, got {value!r}")


def require_non_negative(config: ml_collections.ConfigDict, *keys: str) -> None:
    """Raise ConfigError unless each dotted key is a number >= 0."""
    for key in keys:
        value = get_value(config, key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
            raise ConfigError(f"config.{key} must be >= 0, got {value!r}")


def require_in_range(config: ml_collections.ConfigDict, key: str, low: float, high: float) -> None:
    """Raise ConfigError unless `low <= config.<key> <= high`."""
    value = get_value(config, key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"config.{key} must be in [{low}, {high}], got {value!r}")


def require_choice(config: ml_collections.ConfigDict, key: str, choices: Iterable[Any]) -> None:
    """Raise ConfigError unless `config.<key>` is one of `choices`."""
    value = get_value(config, key)
    allowed = list(choices)
    if value not in allowed:
        raise ConfigError(f"config.{key} must be one of {allowed}, got {value!r}")


def require_divisible(config: ml_collections.ConfigDict, key: str, divisor: int, reason: str) -> None:
    """Raise ConfigError unless `config.<key>` is a multiple of `divisor`; `reason` names the divisor."""
    value = get_value(config, key)
    if not isinstance(value, int) or value % divisor != 0:
        raise ConfigError(f"config.{key}={value!r} must be divisible by {reason} ({divisor})")
