"""Undersampling masks: their patterns and zero-filled quality on held-out real slices at each rate.

Command:   python -m jaxlab.run --config=experiments/csmri/masks.py:quick
CPU time:  quick ~15 s on 2 cores; full (256x256) ~1 min.
Expected:  summary.json "max_fraction_error" below 1/image_size (each mask samples its requested
           fraction up to rounding to whole rows, columns or points), and zero-filled PSNR rising with the rate.
"""

import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.name = "csmri_masks"
    config.experiment = "jaxlab.csmri.experiments.masks"
    config.seed = 0
    config.image_size = 256
    config.center_fraction = 0.08
    config.masks = (
        "gaussian1d:0.1,gaussian1d:0.2,gaussian1d:0.3,gaussian2d:0.3,radial:0.3,spiral:0.3,"
        "random_columns:0.25,equispaced_columns:0.25"
    )
    config.data = ml_collections.ConfigDict(dict(seed=0))
    if arg == "quick":
        config.image_size = 64
    elif arg not in (None, ""):
        raise ValueError(f"unknown config variant {arg!r}; expected 'quick' or nothing")
    return config
