"""Data-parallel placement: one `Mesh` with a 'data' axis over every device of every process.

The batch is split along its leading axis over that axis and the training state is replicated, so a
`jax.jit`-compiled step receives global arrays and XLA inserts the gradient all-reduce itself. In a
multi-process run each process places only its own contiguous share of the global batch.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"


def make_mesh(devices: list[jax.Device] | None = None) -> Mesh:
    """Return a one-axis mesh named 'data' over `devices` (default: all devices of all processes)."""
    devices = jax.devices() if devices is None else devices
    return Mesh(np.asarray(devices), (DATA_AXIS,))


def batch_sharding(mesh: Mesh) -> NamedSharding:
    """Sharding that splits the leading (batch) axis over the data axis."""
    return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def replicated_sharding(mesh: Mesh) -> NamedSharding:
    """Sharding that keeps a full copy on every device."""
    return NamedSharding(mesh, PartitionSpec())


def process_batch_slice(global_batch_size: int) -> slice:
    """Rows of the global batch that this process feeds in a multi-process run."""
    count = jax.process_count()
    if global_batch_size % count:
        raise ValueError(
            f"global batch size {global_batch_size} is not divisible by the process count {count}"
        )
    share = global_batch_size // count
    start = jax.process_index() * share
    return slice(start, start + share)


def shard_batch(batch: Any, mesh: Mesh) -> Any:
    """Place a global batch (pytree of host arrays) on `mesh`, split along the leading axis.

    Every process passes the same global batch; each one transfers only its own share.
    """
    sharding = batch_sharding(mesh)

    # Limitation: every process builds the whole global batch and keeps only its rows. That is cheap
    # for generated and package-shipped data but wasteful for large file-backed data sets, where a
    # loader that reads only the process_batch_slice() rows would remove the cost.
    def place(array: Any) -> jax.Array:
        array = np.asarray(array)
        if jax.process_count() == 1:
            return jax.device_put(array, sharding)
        local = array[process_batch_slice(array.shape[0])]
        return jax.make_array_from_process_local_data(sharding, local, array.shape)

    return jax.tree.map(place, batch)


def replicate(tree: Any, mesh: Mesh) -> Any:
    """Place every leaf of `tree` on all devices of `mesh`."""
    return jax.device_put(tree, replicated_sharding(mesh))
