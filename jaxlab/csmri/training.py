"""GAN training for CS-MRI on the shared engine: the state, the one pure step, the data and evaluation.

`GANState` contains both networks and both optimizer states as one pytree, so the engine jits,
shards, checkpoints and resumes a GAN like any other model. `gan_train_step` does one generator
update and then `critic_steps` critic updates inside the same compiled function:

1. undersample the target images on the fly (`zero_filled = ifft2c(mask * fft2c(target))`);
2. generator step on adversarial + L1 + (1 - SSIM) + wavelet losses, updating batch statistics;
3. `critic_steps` critic steps on target versus the (detached) reconstructions of step 2, each
   followed by weight clipping when the loss is the Wasserstein one.

Both papers run the critic steps first and draw a new batch for each. Here they follow the
generator step and reuse its batch and reconstructions, which saves a generator forward pass per step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxlab.csmri import kspace
from jaxlab.csmri.discriminators import build_discriminator
from jaxlab.csmri.generators import build_generator
from jaxlab.csmri.losses import LossWeights, clip_weights, critic_loss, generator_loss_terms, magnitude
from jaxlab.engine import Task
from jaxlab.metrics.image import psnr, ssim
from jaxlab.nn.complex import complex_optimizer

PyTree = Any


@flax.struct.dataclass
class GANState:
    """Both networks, the generator's batch statistics and both optimizer states."""

    generator_params: PyTree
    generator_batch_stats: PyTree
    generator_opt_state: optax.OptState
    critic_params: PyTree
    critic_opt_state: optax.OptState


@dataclasses.dataclass(frozen=True)
class GANSetup:
    """The static parts of a GAN: modules, optimizers and loss settings (not part of the state)."""

    generator: nn.Module
    critic: nn.Module
    generator_optimizer: optax.GradientTransformation
    critic_optimizer: optax.GradientTransformation
    adversarial: str
    critic_steps: int
    clip_value: float
    weights: LossWeights
    image_size: int


def make_gan(kind: str, config: ml_collections.ConfigDict) -> GANSetup:
    """Build the GAN of `kind` ("covegan" or "spgan") from an experiment config.

    Reads config.image_size, config.model (generator arguments), config.critic, config.loss
    (adversarial, critic_steps, clip_value and the four weights) and config.optimizer
    (generator_learning_rate, critic_learning_rate, b1, b2).
    """
    loss = config.loss
    optimizer = config.optimizer
    generator_tx = optax.adam(optimizer.generator_learning_rate, b1=optimizer.b1, b2=optimizer.b2)
    critic_tx = optax.adam(optimizer.critic_learning_rate, b1=optimizer.b1, b2=optimizer.b2)
    weights = LossWeights(
        adversarial=loss.adversarial_weight, l1=loss.l1_weight, ssim=loss.ssim_weight, wavelet=loss.wavelet_weight
    )
    return GANSetup(
        generator=build_generator(kind, config.model),
        critic=build_discriminator(config.critic),
        # complex_optimizer conjugates jax.grad's output for complex leaves; real leaves pass through.
        generator_optimizer=complex_optimizer(generator_tx),
        critic_optimizer=critic_tx,
        adversarial=loss.adversarial,
        critic_steps=loss.critic_steps,
        clip_value=loss.clip_value,
        weights=weights,
        image_size=config.image_size,
    )


def init_gan_state(setup: GANSetup, key: jax.Array) -> GANState:
    """Initialize both networks and their optimizer states."""
    generator_key, critic_key = jax.random.split(key)
    images = jnp.zeros((1, setup.image_size, setup.image_size, 1), jnp.complex64)
    generator_variables = setup.generator.init(generator_key, images, train=False)
    critic_params = setup.critic.init(critic_key, images)["params"]
    generator_params = generator_variables["params"]
    return GANState(
        generator_params=generator_params,
        generator_batch_stats=generator_variables.get("batch_stats", {}),
        generator_opt_state=setup.generator_optimizer.init(generator_params),
        critic_params=critic_params,
        critic_opt_state=setup.critic_optimizer.init(critic_params),
    )


def _generator_update(setup: GANSetup, state: GANState, zero_filled: jax.Array, target: jax.Array):
    """One generator step; return (params, batch_stats, opt_state, reconstruction, metrics)."""

    def objective(params):
        variables = {"params": params, "batch_stats": state.generator_batch_stats}
        output, updates = setup.generator.apply(variables, zero_filled[..., None], train=True, mutable=["batch_stats"])
        reconstruction = output[..., 0]
        fake_scores = setup.critic.apply({"params": state.critic_params}, reconstruction[..., None])
        terms = generator_loss_terms(
            reconstruction, target, fake_scores, kind=setup.adversarial, weights=setup.weights
        )
        return terms["loss"], (terms, reconstruction, updates.get("batch_stats", {}))

    (_, (terms, reconstruction, batch_stats)), grads = jax.value_and_grad(objective, has_aux=True)(
        state.generator_params
    )
    updates, opt_state = setup.generator_optimizer.update(grads, state.generator_opt_state, state.generator_params)
    params = optax.apply_updates(state.generator_params, updates)
    metrics = {**terms, "grad_norm": optax.tree.norm(grads)}
    return params, batch_stats, opt_state, reconstruction, metrics


def _critic_updates(setup: GANSetup, state: GANState, target: jax.Array, fake: jax.Array):
    """`setup.critic_steps` critic steps on one batch; return (params, opt_state, last loss, grad norm)."""
    # Limitation: every critic step scores the same targets and reconstructions, where the papers
    # draw a fresh batch per critic step, so the critic fits one batch more closely per step.
    # One forward pass scores target and reconstruction together.
    images = jnp.concatenate([target, fake], axis=0)[..., None]
    num_real = target.shape[0]

    def objective(params):
        scores = setup.critic.apply({"params": params}, images)
        return critic_loss(setup.adversarial, scores[:num_real], scores[num_real:])

    def one_step(_, carry):
        params, opt_state, _, _ = carry
        loss, grads = jax.value_and_grad(objective)(params)
        updates, opt_state = setup.critic_optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        if setup.adversarial == "wgan":
            params = clip_weights(params, setup.clip_value)
        return params, opt_state, loss, optax.tree.norm(grads)

    zero = jnp.zeros((), jnp.float32)
    carry = (state.critic_params, state.critic_opt_state, zero, zero)
    # Unrolled: on the CPU (jax 0.10.2) a critic step inside lax.fori_loop ran about 10x slower.
    return jax.lax.fori_loop(0, setup.critic_steps, one_step, carry, unroll=True)


def gan_train_step(setup: GANSetup, state: GANState, batch: dict[str, jax.Array], key: jax.Array):
    """One pure GAN step for the engine: a generator update, then `critic_steps` critic updates.

    `batch["target"]` contains complex (B, H, W) images and `batch["mask"]` the (B, H, W) k-space
    masks. Metrics: "loss" (the generator's total), "grad_norm" (the generator's), each loss term,
    and "critic_loss" and "critic_grad_norm" from the last critic step.
    """
    del key  # Neither network is stochastic.
    target = batch["target"].astype(jnp.complex64)
    zero_filled = kspace.zero_filled(target, batch["mask"])

    params, batch_stats, opt_state, reconstruction, metrics = _generator_update(setup, state, zero_filled, target)
    fake = jax.lax.stop_gradient(reconstruction)
    critic_params, critic_opt_state, last_critic_loss, critic_grad_norm = _critic_updates(setup, state, target, fake)

    new_state = GANState(
        generator_params=params,
        generator_batch_stats=batch_stats,
        generator_opt_state=opt_state,
        critic_params=critic_params,
        critic_opt_state=critic_opt_state,
    )
    metrics = {**metrics, "critic_loss": last_critic_loss, "critic_grad_norm": critic_grad_norm}
    return new_state, metrics


def make_reconstructor(setup: GANSetup) -> Callable[[GANState, jax.Array], jax.Array]:
    """Return a jitted (state, zero-filled (B, H, W)) -> reconstruction (B, H, W), using running statistics."""

    @jax.jit
    def reconstruct(state: GANState, zero_filled: jax.Array) -> jax.Array:
        variables = {"params": state.generator_params, "batch_stats": state.generator_batch_stats}
        return setup.generator.apply(variables, zero_filled[..., None], train=False)[..., 0]

    return reconstruct


# ----------------------------------------------------------------------------------------------
# Data: a fixed pool of complex images, undersampled inside the step
# ----------------------------------------------------------------------------------------------


def make_image_pool(train_slices: np.ndarray, phantoms: np.ndarray) -> np.ndarray:
    """Stack real training slices and phantoms into one complex64 (N, H, W) pool."""
    if train_slices.shape[1:] != phantoms.shape[1:]:
        raise ValueError(
            f"training slices {train_slices.shape[1:]} and phantoms {phantoms.shape[1:]} must have the same size"
        )
    return np.concatenate([train_slices, phantoms.astype(np.complex64)], axis=0).astype(np.complex64)


def augment(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rotate each image by a random multiple of 90 degrees and flip half of them (square images)."""
    out = np.empty_like(images)
    turns = rng.integers(0, 4, size=len(images))
    flips = rng.integers(0, 2, size=len(images))
    for index, image in enumerate(images):
        image = np.rot90(image, turns[index])
        out[index] = image[:, ::-1] if flips[index] else image
    return out


def make_batch_at(pool: np.ndarray, mask: np.ndarray, batch_size: int, seed: int) -> Callable[[int], dict]:
    """Return the engine's `batch_at`: `batch_size` augmented images drawn from `pool` by (seed, step).

    The images of a step depend on (seed, step) alone, so a resumed run draws the same data.
    """
    if batch_size > len(pool):
        raise ValueError(f"batch_size {batch_size} must be <= the number of training images {len(pool)}")
    masks = np.broadcast_to(mask.astype(np.float32), (batch_size, *mask.shape)).copy()

    def batch_at(step: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng((seed, step))
        indices = rng.choice(len(pool), size=batch_size, replace=False)
        return {"target": augment(pool[indices], rng), "mask": masks}

    return batch_at


# ----------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------


def image_quality(reconstructions: jax.Array, targets: jax.Array, max_val: float = 1.0) -> dict[str, np.ndarray]:
    """Return per-image PSNR (dB) and SSIM (Gaussian 11x11 window) of magnitude images."""
    prediction, reference = magnitude(reconstructions), jnp.abs(targets)
    return {
        "psnr": np.asarray(psnr(prediction, reference, max_val)),
        "ssim": np.asarray(ssim(prediction, reference, max_val=max_val, window="gaussian")),
    }


def reconstruct_all(
    setup: GANSetup,
    state: GANState,
    targets: np.ndarray,
    mask: np.ndarray,
    *,
    batch_size: int = 8,
    reconstruct: Callable[[GANState, jax.Array], jax.Array] | None = None,
) -> dict[str, np.ndarray]:
    """Return zero-filled, GAN and GAN-plus-data-consistency reconstructions of `targets` (N, H, W).

    The GAN runs on chunks of `batch_size` images, the last one padded, so it compiles once. Pass the
    `reconstruct` from `make_reconstructor` when calling repeatedly, to reuse its compiled function.
    """
    reconstruct = make_reconstructor(setup) if reconstruct is None else reconstruct
    targets = jnp.asarray(targets, jnp.complex64)
    masks = jnp.broadcast_to(jnp.asarray(mask, jnp.float32), targets.shape)
    zero_filled = kspace.zero_filled(targets, masks)

    num_images = len(targets)
    padding = -num_images % batch_size
    padded = jnp.concatenate([zero_filled, jnp.zeros((padding, *zero_filled.shape[1:]), zero_filled.dtype)])
    chunks = [reconstruct(state, padded[start : start + batch_size]) for start in range(0, len(padded), batch_size)]
    gan = jnp.concatenate(chunks, axis=0)[:num_images]

    measured = kspace.fft2c(targets) * masks
    consistent = kspace.data_consistency(gan, measured, masks)
    return {"zero_filled": np.asarray(zero_filled), "gan": np.asarray(gan), "gan_dc": np.asarray(consistent)}


def make_evaluate(setup: GANSetup, targets: np.ndarray, mask: np.ndarray) -> Callable[[GANState, int], dict[str, float]]:
    """Return the engine's `evaluate` hook: mean PSNR and SSIM of the GAN and zero-filled on `targets`."""

    reconstruct = make_reconstructor(setup)

    def evaluate(state: GANState, step: int) -> dict[str, float]:
        del step
        images = reconstruct_all(setup, state, targets, mask, reconstruct=reconstruct)
        gan = image_quality(images["gan"], targets)
        baseline = image_quality(images["zero_filled"], targets)
        return {
            "eval_psnr": float(gan["psnr"].mean()),
            "eval_ssim": float(gan["ssim"].mean()),
            "eval_psnr_gain": float((gan["psnr"] - baseline["psnr"]).mean()),
        }

    return evaluate


def make_task(
    setup: GANSetup,
    pool: np.ndarray,
    mask: np.ndarray,
    *,
    batch_size: int,
    seed: int,
    eval_targets: np.ndarray | None = None,
) -> Task:
    """Bundle a GAN, its training images and mask into an engine `Task`."""
    evaluate = None if eval_targets is None else make_evaluate(setup, eval_targets, mask)
    return Task(
        init_state=lambda key: init_gan_state(setup, key),
        train_step=lambda state, batch, key: gan_train_step(setup, state, batch, key),
        batch_at=make_batch_at(pool, mask, batch_size, seed),
        evaluate=evaluate,
    )
