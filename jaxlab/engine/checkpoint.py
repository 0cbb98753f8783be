"""Orbax checkpoints of a training state pytree, with a keep limit and restore onto a mesh."""

from __future__ import annotations

import pathlib
from typing import Any

import jax
import orbax.checkpoint as ocp
from jax.sharding import NamedSharding


# Limitation: in a multi-process run every process must see the same checkpoint directory (a shared
# file system or a gs:// path), as orbax writes one checkpoint cooperatively from all processes.
class Checkpoints:
    """The checkpoints of one model in one run folder; steps are the number of finished train steps."""

    def __init__(self, directory: pathlib.Path, keep: int):
        self.directory = pathlib.Path(directory)
        self._manager = ocp.CheckpointManager(
            self.directory.resolve(),
            options=ocp.CheckpointManagerOptions(max_to_keep=keep, create=True),
        )

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def all_steps(self) -> list[int]:
        return list(self._manager.all_steps())

    def save(self, step: int, state: Any) -> None:
        """Save `state` at `step`; the write finishes in the background (see `wait`)."""
        self._manager.save(step, args=ocp.args.StandardSave(state))

    def restore(self, step: int, abstract_state: Any, sharding: NamedSharding) -> Any:
        """Restore the state saved at `step` with the structure of `abstract_state`, placed by `sharding`."""
        target = jax.tree.map(
            lambda leaf: jax.ShapeDtypeStruct(leaf.shape, leaf.dtype, sharding=sharding), abstract_state
        )
        return self._manager.restore(step, args=ocp.args.StandardRestore(target))

    def wait(self) -> None:
        self._manager.wait_until_finished()

    def close(self) -> None:
        self._manager.wait_until_finished()
        self._manager.close()
