"""Tests of the CS-MRI generators, critics, GAN state and GAN step."""

import importlib.util
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxlab.csmri import training
from jaxlab.csmri.discriminators import build_discriminator, discriminator_config
from jaxlab.csmri.generators import (
    build_generator,
    count_parameters,
    covegan_config,
    spgan_config,
)
from jaxlab.csmri.masks import make_mask

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load_config(name: str, variant: str = "quick"):
    spec = importlib.util.spec_from_file_location(name, ROOT / "experiments" / "csmri" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(variant)


def random_images(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random(shape) * np.exp(1j * rng.uniform(-np.pi, np.pi, shape))).astype(np.complex64)


def test_covegan_paper_size_about_1_8m():
    count = count_parameters(build_generator("covegan", covegan_config("paper")), 256)
    assert count.complex_entries > 0.95 * count.total / 2
    assert 1.7e6 < count.total < 1.9e6


def test_spgan_paper_size_about_157m():
    count = count_parameters(build_generator("spgan", spgan_config("paper")), 256)
    assert count.complex_entries == 0
    assert 156e6 < count.total < 158e6


def small_config(make_config):
    """The test-size config without RRDBs, which keeps compiles short; the experiment tests run RRDBs."""
    config = make_config("test")
    config.num_rrdb = 0
    return config


@pytest.mark.parametrize("kind, make_config", [("covegan", covegan_config), ("spgan", spgan_config)])
def test_untrained_generator_returns_zero_filled(kind, make_config):
    generator = build_generator(kind, small_config(make_config))
    images = jnp.asarray(random_images((2, 16, 16, 1)))
    variables = jax.jit(generator.init)(jax.random.key(0), images)

    output = jax.jit(generator.apply)(variables, images)

    assert output.shape == images.shape
    assert output.dtype == jnp.complex64
    np.testing.assert_allclose(np.asarray(output), np.asarray(images), atol=1e-6)


def test_covegan_parameters_are_complex():
    generator = build_generator("covegan", covegan_config("test"))
    abstract_images = jax.ShapeDtypeStruct((1, 16, 16, 1), jnp.complex64)
    params = jax.eval_shape(generator.init, jax.random.key(0), abstract_images)["params"]
    kernels = [leaf for path, leaf in jax.tree_util.tree_leaves_with_path(params) if "kernel" in str(path[-1])]
    assert kernels
    assert all(kernel.dtype == jnp.complex64 for kernel in kernels)


def test_paper_form_output_is_bounded_by_tanh():
    config = small_config(spgan_config)
    config.global_residual = False
    generator = build_generator("spgan", config)
    images = jnp.asarray(10.0 * random_images((1, 16, 16, 1)))
    output = jax.jit(lambda x: generator.apply(generator.init(jax.random.key(0), x), x))(images)
    assert float(jnp.max(jnp.abs(output.real))) <= 1.0
    assert float(jnp.max(jnp.abs(output.imag))) <= 1.0


@pytest.mark.parametrize("kind, make_config", [("covegan", covegan_config), ("spgan", spgan_config)])
def test_generator_rejects_indivisible_size(kind, make_config):
    generator = build_generator(kind, make_config("test"))
    abstract_images = jax.ShapeDtypeStruct((1, 18, 18, 1), jnp.complex64)
    with pytest.raises(ValueError, match="divisible"):
        jax.eval_shape(generator.init, jax.random.key(0), abstract_images)


def test_discriminator_scores_patches_of_magnitude():
    critic = build_discriminator(discriminator_config("covegan", "test"))
    images = jnp.asarray(random_images((3, 32, 32, 1)))
    params = jax.jit(critic.init)(jax.random.key(0), images)
    apply = jax.jit(critic.apply)

    scores = apply(params, images)
    rotated_phase = apply(params, images * jnp.exp(1j * 0.7))

    assert scores.shape == (3, 8, 8)
    assert scores.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(rotated_phase), np.asarray(scores), atol=1e-5)


def test_discriminator_paper_configs_differ():
    covegan = build_discriminator(discriminator_config("covegan", "paper"))
    spgan = build_discriminator(discriminator_config("spgan", "paper"))
    assert count_parameters(spgan, 256).total > count_parameters(covegan, 256).total


@pytest.fixture(scope="module")
def spgan_setup():
    config = load_config("spgan")
    config.image_size = 16
    config.model = small_config(spgan_config)
    config.critic = discriminator_config("spgan", "test")
    config.loss.critic_steps = 2
    config.loss.clip_value = 0.01
    return training.make_gan("spgan", config)


def test_gan_step_updates_both_and_clips(spgan_setup):
    setup = spgan_setup
    pool = random_images((6, 16, 16), seed=1)
    mask = make_mask("gaussian1d", (16, 16), 0.25)
    batch_at = training.make_batch_at(pool, mask, batch_size=4, seed=0)
    state = jax.jit(lambda key: training.init_gan_state(setup, key))(jax.random.key(0))

    step = jax.jit(lambda state, batch: training.gan_train_step(setup, state, batch, jax.random.key(0)))
    new_state, metrics = step(state, batch_at(0))

    assert {"loss", "grad_norm", "critic_loss", "l1", "ssim", "adversarial"} <= set(metrics)
    assert all(bool(jnp.isfinite(value)) for value in metrics.values())
    assert float(optax.tree.norm(jax.tree.map(jnp.subtract, new_state.generator_params, state.generator_params))) > 0
    assert float(optax.tree.norm(jax.tree.map(jnp.subtract, new_state.critic_params, state.critic_params))) > 0
    largest = max(float(jnp.max(jnp.abs(leaf))) for leaf in jax.tree.leaves(new_state.critic_params))
    assert largest <= 0.01 + 1e-7
    assert jax.tree.structure(new_state) == jax.tree.structure(state)


def test_batch_at_depends_on_step_only():
    pool = random_images((10, 16, 16), seed=2)
    mask = make_mask("gaussian1d", (16, 16), 0.25)
    batch_at = training.make_batch_at(pool, mask, batch_size=4, seed=3)

    first, again, other = batch_at(5), batch_at(5), batch_at(6)

    np.testing.assert_array_equal(first["target"], again["target"])
    assert not np.array_equal(first["target"], other["target"])
    assert first["target"].dtype == np.complex64
    assert first["mask"].shape == (4, 16, 16)
    np.testing.assert_array_equal(first["mask"][2], mask)


def test_batch_at_rejects_batch_larger_than_pool():
    with pytest.raises(ValueError, match="batch_size"):
        training.make_batch_at(random_images((3, 16, 16)), np.ones((16, 16)), batch_size=4, seed=0)
