"""Noise sensitivity of classifiers and the sensitivity regularizer, on hand-built models with known results."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.stats

from jaxlab.nn.classifiers import make_classifier
from jaxlab.sensitivity.corruptions import gaussian_noise, occlude_patches
from jaxlab.sensitivity.noise import noise_sensitivity, noise_sensitivity_batched, sensitivity_regularized_loss

LENGTH, FEATURES = 5, 3


class LinearProbe(nn.Module):
    """Two-class linear classifier that reads position `position` only; embed is the identity."""

    position: int

    def setup(self):
        self.head = nn.Dense(2)

    def embed(self, inputs):
        return inputs

    def classify(self, embedded):
        return self.head(embedded[:, self.position])

    def __call__(self, inputs):
        return self.classify(self.embed(inputs))


@pytest.fixture(scope="module")
def probe():
    model = LinearProbe(position=2)
    inputs = jnp.asarray(np.random.default_rng(0).normal(size=(200, LENGTH, FEATURES)), jnp.float32)
    variables = model.init(jax.random.key(0), inputs)
    return model, variables, inputs


def test_zero_noise_flips_nothing(probe):
    model, variables, inputs = probe
    result = noise_sensitivity(model, variables, inputs, jax.random.key(1), sigma=0.0, num_draws=2)
    np.testing.assert_array_equal(result.per_position, np.zeros(LENGTH))
    assert float(result.all_positions) == 0.0


def test_only_the_read_position_is_sensitive(probe):
    model, variables, inputs = probe
    result = noise_sensitivity(model, variables, inputs, jax.random.key(2), sigma=1.0, num_draws=8)
    curve = np.asarray(result.per_position)
    assert curve.shape == (LENGTH,)
    assert curve[2] > 0.05
    np.testing.assert_array_equal(np.delete(curve, 2), 0.0)
    assert float(result.all_positions) == pytest.approx(curve[2], abs=0.05)
    assert float(result.mean_per_position) == pytest.approx(curve.mean())


def test_flip_rate_matches_gaussian_formula(probe):
    # The logit gap is linear: g(x) = w.x_2 + b, so noise flips the label with probability
    # Phi(-|g(x)| / (sigma |w|)), averaged over the inputs.
    model, variables, inputs = probe
    kernel = np.asarray(variables["params"]["head"]["kernel"])
    bias = np.asarray(variables["params"]["head"]["bias"])
    w, b = kernel[:, 1] - kernel[:, 0], bias[1] - bias[0]
    sigma = 0.7
    gaps = np.asarray(inputs[:, 2]) @ w + b
    expected = np.mean(scipy.stats.norm.cdf(-np.abs(gaps) / (sigma * np.linalg.norm(w))))

    result = noise_sensitivity(model, variables, inputs, jax.random.key(3), sigma=sigma, num_draws=64)
    assert float(result.per_position[2]) == pytest.approx(expected, abs=0.02)


def test_position_batches_give_the_same_curve(probe):
    model, variables, inputs = probe
    one = noise_sensitivity(model, variables, inputs, jax.random.key(4), sigma=1.0, num_draws=2)
    several = noise_sensitivity(model, variables, inputs, jax.random.key(4), sigma=1.0, num_draws=2, position_batch_size=2)
    np.testing.assert_allclose(one.per_position, several.per_position, atol=1e-6)


def test_batched_average_over_data_set(probe):
    model, variables, inputs = probe
    result = noise_sensitivity_batched(model, variables, np.asarray(inputs), jax.random.key(5), sigma=1.0, num_draws=2, batch_size=50)
    assert result.per_position.shape == (LENGTH,)
    assert 0.0 < float(result.per_position[2]) < 1.0


def test_token_model_noise_goes_on_embeddings():
    model = make_classifier("transformer", num_classes=3, width=8, depth=1, vocab_size=7, num_heads=2)
    tokens = jnp.asarray(np.random.default_rng(1).integers(0, 7, size=(32, 4)), jnp.int32)
    variables = model.init(jax.random.key(0), tokens)
    result = noise_sensitivity(model, variables, tokens, jax.random.key(1), sigma=3.0, num_draws=2)
    assert result.per_position.shape == (4,)
    assert float(result.all_positions) > 0.0


@pytest.fixture(scope="module")
def regularizer_setup():
    model = make_classifier("mlp", num_classes=3, width=8, depth=1)
    inputs = jnp.asarray(np.random.default_rng(2).normal(size=(16, LENGTH, FEATURES)), jnp.float32)
    labels = jnp.asarray(np.random.default_rng(3).integers(0, 3, size=16), jnp.int32)
    variables = model.init(jax.random.key(0), inputs)
    return model, variables, inputs, labels


def test_regularizer_with_zero_weight_is_cross_entropy(regularizer_setup):
    model, variables, inputs, labels = regularizer_setup
    loss, metrics = sensitivity_regularized_loss(model, variables, inputs, labels, jax.random.key(0), sigma=1.0, weight=0.0)
    expected = optax.softmax_cross_entropy_with_integer_labels(model.apply(variables, inputs), labels).mean()
    assert float(loss) == pytest.approx(float(expected), rel=1e-6)
    assert float(metrics["sensitivity_penalty"]) > 0.0


def test_regularizer_penalty_vanishes_without_noise(regularizer_setup):
    model, variables, inputs, labels = regularizer_setup
    loss, metrics = sensitivity_regularized_loss(model, variables, inputs, labels, jax.random.key(0), sigma=0.0, weight=5.0)
    assert float(metrics["sensitivity_penalty"]) == 0.0
    assert float(loss) == pytest.approx(float(metrics["cross_entropy"]))


def test_regularizer_penalty_matches_one_position_noise(regularizer_setup):
    # Recompute the penalty by hand with the same random positions and noise.
    model, variables, inputs, labels = regularizer_setup
    key = jax.random.key(9)
    loss, metrics = sensitivity_regularized_loss(model, variables, inputs, labels, key, sigma=0.5, weight=2.0)

    position_key, noise_key = jax.random.split(key)
    positions = jax.random.randint(position_key, (16,), 0, LENGTH)
    noise = 0.5 * jax.random.normal(noise_key, (16, 1, FEATURES))
    noisy = np.array(inputs)
    noisy[np.arange(16), np.asarray(positions)] += np.asarray(noise[:, 0])
    difference = model.apply(variables, inputs) - model.apply(variables, jnp.asarray(noisy))
    expected_penalty = float(jnp.mean(jnp.sum(difference**2, axis=-1)))

    assert float(metrics["sensitivity_penalty"]) == pytest.approx(expected_penalty, rel=1e-4)
    assert float(loss) == pytest.approx(float(metrics["cross_entropy"]) + 2.0 * expected_penalty, rel=1e-4)


def test_regularizer_gradient_is_finite(regularizer_setup):
    model, variables, inputs, labels = regularizer_setup

    def loss_fn(variables):
        return sensitivity_regularized_loss(model, variables, inputs, labels, jax.random.key(1), sigma=1.0, weight=1.0)[0]

    gradients = jax.grad(loss_fn)(variables)
    assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree.leaves(gradients))
    assert sum(float(jnp.sum(leaf**2)) for leaf in jax.tree.leaves(gradients)) > 0


def test_occlusion_blanks_the_requested_patches():
    inputs = np.ones((50, 8, 4), np.float32)
    corrupted = occlude_patches(inputs, 0.25, seed=0)
    blanked = np.all(corrupted == 0.0, axis=2).sum(axis=1)
    np.testing.assert_array_equal(blanked, 2)
    occluded_positions = {tuple(np.flatnonzero(row.sum(axis=1) == 0)) for row in corrupted}
    assert len(occluded_positions) > 1  # each example gets its own random positions
    np.testing.assert_array_equal(inputs, 1.0)  # the input is not modified in place


def test_gaussian_noise_scale_and_seed():
    inputs = np.zeros((200, 8, 4), np.float32)
    noisy = gaussian_noise(inputs, 0.3, seed=1)
    assert float(noisy.std()) == pytest.approx(0.3, rel=0.05)
    np.testing.assert_array_equal(noisy, gaussian_noise(inputs, 0.3, seed=1))
    np.testing.assert_array_equal(gaussian_noise(inputs, 0.0, seed=1), inputs)
    with pytest.raises(ValueError, match="fraction"):
        occlude_patches(inputs, 1.5, seed=0)
