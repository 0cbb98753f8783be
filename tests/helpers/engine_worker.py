"""Train the engine's example task and print its per-step losses as JSON on the last line.

Run in a subprocess by the engine tests, so that the device count (XLA_FLAGS) and the
multi-process setup (jax.distributed) can differ from the test process:

    python tests/helpers/engine_worker.py WORKDIR NUM_STEPS [COORDINATOR NUM_PROCESSES PROCESS_ID]
"""

import json
import sys


def main(argv: list[str]) -> None:
    workdir, num_steps = argv[1], int(argv[2])

    import jax

    if len(argv) > 3:
        coordinator, num_processes, process_id = argv[3], int(argv[4]), int(argv[5])
        jax.distributed.initialize(coordinator, num_processes, process_id)

    import ml_collections

    from jaxlab import engine
    from jaxlab.engine.example_task import make_classifier_task

    config = ml_collections.ConfigDict(
        {"train": engine.default_train_config(num_steps=num_steps, batch_size=16, log_every=1, checkpoint_every=num_steps)}
    )
    run = engine.RunFolder.open(workdir, config)
    result = engine.train(make_classifier_task(batch_size=16), config.train, run)
    losses = [row["loss"] for row in result.history if "loss" in row]
    print(json.dumps({"devices": jax.device_count(), "processes": jax.process_count(), "losses": losses}))


if __name__ == "__main__":
    main(sys.argv)
