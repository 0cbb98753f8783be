"""End-to-end tests of the CS-MRI experiments: masks, Co-VeGAN and the structure-preserving GAN.

The GAN tests train test-sized models (32x32 images, tiny networks, 100 steps) and check the claim
at small scale: on the held-out real slices at 20% 1-D Gaussian sampling the GAN beats the
zero-filled PSNR. Runs of this size measured gains of +1.0 dB (Co-VeGAN) and +0.5 dB
(structure-preserving GAN), and the tests hold a margin of PSNR_MARGIN_DB. The quick configs
(64x64, CPU-size models, 200 steps) measured +0.69 dB and +1.14 dB, and the slow tests hold
QUICK_PSNR_MARGIN_DB there.
"""

import importlib
import importlib.util
import json
import pathlib

import pytest

from jaxlab.config import ConfigError
from jaxlab.csmri.discriminators import discriminator_config
from jaxlab.csmri.generators import covegan_config, spgan_config

ROOT = pathlib.Path(__file__).resolve().parents[1]

# PSNR gain (dB) over zero-filled that each GAN must reach at 20% 1-D Gaussian sampling.
PSNR_MARGIN_DB = 0.3
QUICK_PSNR_MARGIN_DB = 0.3


def load_config(name: str, variant: str | None = "quick"):
    spec = importlib.util.spec_from_file_location(name, ROOT / "experiments" / "csmri" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(variant)


def test_sized_config(name: str):
    """Shrink the quick config to 32x32 images, the smallest models and 100 steps at a larger step size."""
    config = load_config(name)
    config.image_size = 32
    config.data.num_phantoms = 100
    config.num_figure_slices = 2
    config.model = (covegan_config if name == "covegan" else spgan_config)("test")
    config.critic = discriminator_config(name, "test")
    config.optimizer.generator_learning_rate = 1e-3
    config.train.num_steps = 100
    config.train.eval_every = 0
    config.train.log_every = 25
    config.train.checkpoint_every = 100
    return config


test_sized_config.__test__ = False  # A helper, not a test.


def run(config, workdir):
    experiment = importlib.import_module(config.experiment)
    return experiment.run_experiment(config, str(workdir))


def check_run_folder(workdir: pathlib.Path, figures: list[str]) -> dict:
    summary = json.loads((workdir / "summary.json").read_text())
    for figure in figures:
        assert (workdir / "figures" / f"{figure}.png").stat().st_size > 0, figure
    assert (workdir / "config.json").exists()
    return summary


def test_masks_experiment_hits_fractions(tmp_path):
    config = load_config("masks")
    config.image_size = 32
    config.masks = "gaussian1d:0.1,gaussian1d:0.3,radial:0.3,equispaced_columns:0.25"

    returned = run(config, tmp_path)
    summary = check_run_folder(tmp_path, ["patterns", "zero_filled_table"])

    assert summary == returned
    assert summary["max_fraction_error"] <= 0.5 / 32 + 1e-9
    table = summary["table"]
    assert table["gaussian1d_30"]["psnr"] > table["gaussian1d_10"]["psnr"]
    for row in table.values():
        assert 0.0 < row["ssim"] <= 1.0
        assert 0.0 < row["ssim_uniform"] <= 1.0


@pytest.mark.parametrize("name", ["covegan", "spgan"])
def test_gan_beats_zero_filled(name, tmp_path):
    summary = run(test_sized_config(name), tmp_path)
    check_run_folder(tmp_path, ["reconstructions_gaussian1d_20", "quality_table"])

    row = summary["table"]["gaussian1d_20"]
    assert summary["psnr_gain_gaussian1d_20"] > PSNR_MARGIN_DB
    assert row["gan_ssim"] > row["zero_filled_ssim"]
    assert row["gan_dc_psnr"] > row["zero_filled_psnr"]
    assert summary["num_test_slices"] > 0
    assert summary["generator_parameters"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["covegan", "spgan"])
def test_quick_gan_beats_zero_filled(name, tmp_path):
    summary = run(load_config(name), tmp_path)
    assert summary["psnr_gain_gaussian1d_20"] > QUICK_PSNR_MARGIN_DB


@pytest.mark.parametrize(
    "name, key, value, message",
    [
        ("covegan", "image_size", 36, "image_size"),
        ("spgan", "masks", "gaussian1d", "kind:fraction"),
        ("covegan", "loss.adversarial", "vanilla", "loss.adversarial"),
        ("spgan", "loss.critic_steps", 0, "loss.critic_steps"),
        ("masks", "masks", "stripes:0.2", "stripes"),
    ],
)
def test_invalid_config_rejected(name, key, value, message, tmp_path):
    config = load_config(name)
    section, _, leaf = key.rpartition(".")
    (config[section] if section else config)[leaf] = value
    experiment = importlib.import_module(config.experiment)
    with pytest.raises(ConfigError, match=message):
        experiment.validate_config(config)


def test_unknown_variant_rejected():
    with pytest.raises(ValueError, match="quick"):
        load_config("covegan", "tiny")
