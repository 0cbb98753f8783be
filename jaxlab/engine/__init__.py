"""The shared engine: training loop, data-parallel sharding, checkpoints and run folders."""

from jaxlab.engine.run_folder import RunFolder
from jaxlab.engine.sharding import (
    batch_sharding,
    make_mesh,
    replicate,
    replicated_sharding,
    shard_batch,
)
from jaxlab.engine.trainer import (
    NonFiniteError,
    Task,
    TrainResult,
    default_train_config,
    train,
    validate_train_config,
)

__all__ = [
    "NonFiniteError",
    "RunFolder",
    "Task",
    "TrainResult",
    "batch_sharding",
    "default_train_config",
    "make_mesh",
    "replicate",
    "replicated_sharding",
    "shard_batch",
    "train",
    "validate_train_config",
]
