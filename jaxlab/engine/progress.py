"""Progress reporting for training loops: a tqdm bar in a terminal or notebook, log lines elsewhere.

Batch jobs and CI capture output to files, where a redrawn bar turns into thousands of lines, so
outside a terminal or notebook the same information (step, steps/s, ETA, latest loss) is logged once
per logging interval instead.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Mapping
from typing import TypeVar

logger = logging.getLogger("jaxlab")
T = TypeVar("T")


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _format_seconds(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


class Progress:
    """Step counter for one training run from `initial_step` to `total_steps`."""

    def __init__(self, total_steps: int, initial_step: int, description: str):
        self.total_steps = total_steps
        self.step = initial_step
        self.description = description
        # The rate and ETA start counting after the first step, whose time is mostly compilation.
        self._start_time: float | None = None
        self._start_step = initial_step
        self._bar = None

        if _in_notebook():
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total_steps, initial=initial_step, desc=description)
        elif sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total_steps, initial=initial_step, desc=description, dynamic_ncols=True)

    def advance(self, step: int, metrics: Mapping[str, float] | None = None) -> None:
        """Move to `step`; when `metrics` are given, show them (bar postfix or one log line)."""
        if self._bar is not None:
            self._bar.update(step - self.step)
        self.step = step
        if self._start_time is None:
            self._start_time = time.perf_counter()
            self._start_step = step
        if metrics is None:
            return

        scalars = {key: value for key, value in metrics.items() if isinstance(value, (int, float))}
        if self._bar is not None:
            self._bar.set_postfix({key: f"{value:.4g}" for key, value in list(scalars.items())[:4]})
            return

        elapsed = time.perf_counter() - self._start_time
        done = step - self._start_step
        rate = done / elapsed if elapsed > 0 and done > 0 else 0.0
        remaining = (self.total_steps - step) / rate if rate > 0 else float("nan")
        values = " ".join(f"{key}={value:.4g}" for key, value in scalars.items())
        eta = _format_seconds(remaining) if remaining == remaining else "?"
        logger.info(
            "%s step %d/%d (%.2f steps/s, ETA %s) %s",
            self.description, step, self.total_steps, rate, eta, values,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def progress_bar(iterable: Iterable[T], description: str, **kwargs) -> Iterable[T]:
    """Wrap `iterable` in a tqdm bar in a terminal or notebook; elsewhere return it unchanged.

    Redrawn bars written to a log file become one long line of carriage returns, so non-interactive
    runs go without them.
    """
    if _in_notebook():
        from tqdm.auto import tqdm

        return tqdm(iterable, desc=description, **kwargs)
    if sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(iterable, desc=description, dynamic_ncols=True, **kwargs)
    return iterable
