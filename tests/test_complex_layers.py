"""Tests for jaxlab.nn.complex: layer conventions against scipy/flax, initialization statistics,
complex batch normalization, activation values and the complex optimizer wrapper."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.signal
import scipy.stats

from jaxlab.nn import complex as cnn


def random_complex(rng: np.random.Generator, shape) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


def reference_correlation(x: np.ndarray, kernel: np.ndarray, mode: str) -> np.ndarray:
    """Multi-channel NHWC correlation from scipy; correlate2d conjugates its second argument."""
    batch, _, _, in_features = x.shape
    out_features = kernel.shape[-1]
    outputs = []
    for n in range(batch):
        channels = []
        for f in range(out_features):
            total = sum(
                scipy.signal.correlate2d(x[n, :, :, c], np.conj(kernel[:, :, c, f]), mode=mode)
                for c in range(in_features)
            )
            channels.append(total)
        outputs.append(np.stack(channels, axis=-1))
    return np.stack(outputs)


# ----------------------------------------------------------------------------------------------
# Convolution, transposed convolution, dense
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("implementation", cnn.CONV_IMPLEMENTATIONS)
def test_conv_same_matches_scipy_correlate2d(implementation):
    rng = np.random.default_rng(0)
    x = random_complex(rng, (2, 9, 8, 3))
    layer = cnn.ComplexConv(features=2, kernel_size=3, use_bias=False, implementation=implementation)
    params = layer.init(jax.random.key(0), x)
    kernel = np.asarray(params["params"]["kernel"])

    output = np.asarray(layer.apply(params, x))
    expected = reference_correlation(x, kernel, mode="same")

    assert output.dtype == np.complex64
    np.testing.assert_allclose(output, expected, atol=1e-4)


def test_conv_valid_strided_matches_scipy_subsampled():
    rng = np.random.default_rng(1)
    x = random_complex(rng, (1, 11, 10, 2))
    layer = cnn.ComplexConv(features=2, kernel_size=(3, 2), strides=2, padding="VALID", use_bias=False)
    params = layer.init(jax.random.key(1), x)
    kernel = np.asarray(params["params"]["kernel"])

    output = np.asarray(layer.apply(params, x))
    expected = reference_correlation(x, kernel, mode="valid")[:, ::2, ::2, :]

    np.testing.assert_allclose(output, expected, atol=1e-4)


def test_conv_bias_is_complex_and_added():
    x = jnp.zeros((1, 4, 4, 1), jnp.complex64)
    layer = cnn.ComplexConv(features=2, kernel_size=3)
    params = layer.init(jax.random.key(0), x)
    bias = jnp.array([1 + 2j, -3j], jnp.complex64)
    params = {"params": {**params["params"], "bias": bias}}

    output = layer.apply(params, x)

    assert params["params"]["bias"].dtype == jnp.complex64
    np.testing.assert_allclose(output[0, 2, 2], bias)


@pytest.mark.parametrize("implementation", cnn.CONV_IMPLEMENTATIONS)
def test_conv_transpose_matches_flax_on_parts(implementation):
    rng = np.random.default_rng(2)
    x = random_complex(rng, (2, 5, 4, 3))
    layer = cnn.ComplexConvTranspose(
        features=2, kernel_size=4, strides=2, use_bias=False, implementation=implementation
    )
    params = layer.init(jax.random.key(2), x)
    kernel = params["params"]["kernel"]

    real_layer = nn.ConvTranspose(features=2, kernel_size=(4, 4), strides=(2, 2), padding="SAME", use_bias=False)

    def real_transpose(inputs, weights):
        return real_layer.apply({"params": {"kernel": weights}}, inputs)

    a, b, c, d = x.real, x.imag, kernel.real, kernel.imag
    expected_real = real_transpose(a, c) - real_transpose(b, d)
    expected_imag = real_transpose(a, d) + real_transpose(b, c)
    output = layer.apply(params, x)

    assert output.shape == (2, 10, 8, 2)
    np.testing.assert_allclose(output.real, expected_real, atol=1e-4)
    np.testing.assert_allclose(output.imag, expected_imag, atol=1e-4)


def test_dense_matches_matmul():
    rng = np.random.default_rng(3)
    x = random_complex(rng, (4, 5))
    layer = cnn.ComplexDense(features=3)
    params = layer.init(jax.random.key(3), x)
    kernel = np.asarray(params["params"]["kernel"])
    bias = np.asarray(params["params"]["bias"])

    np.testing.assert_allclose(layer.apply(params, x), x @ kernel + bias, atol=1e-5)


def test_split_gradients_match_native():
    rng = np.random.default_rng(4)
    x = random_complex(rng, (1, 6, 6, 2))
    kernel = random_complex(rng, (3, 3, 2, 2))

    def loss(kernel, implementation):
        layer = cnn.ComplexConv(features=2, kernel_size=3, use_bias=False, implementation=implementation)
        y = layer.apply({"params": {"kernel": kernel}}, x)
        return jnp.sum(jnp.abs(y) ** 2 * jnp.cos(jnp.angle(y)))

    native = jax.grad(loss)(kernel, "native")
    for implementation in ("split4", "gauss3"):
        np.testing.assert_allclose(jax.grad(loss)(kernel, implementation), native, rtol=1e-4, atol=1e-3)


def test_conv_rejects_unknown_implementation():
    layer = cnn.ComplexConv(features=1, kernel_size=3, implementation="fft")
    with pytest.raises(ValueError, match="implementation"):
        layer.init(jax.random.key(0), jnp.zeros((1, 4, 4, 1), jnp.complex64))


def test_conv_rejects_non_nhwc_input():
    layer = cnn.ComplexConv(features=1, kernel_size=3)
    with pytest.raises(ValueError, match="NHWC"):
        layer.init(jax.random.key(0), jnp.zeros((4, 4, 1), jnp.complex64))


# ----------------------------------------------------------------------------------------------
# Initialization
# ----------------------------------------------------------------------------------------------


def test_he_init_variance_modulus_and_phase():
    shape = (3, 3, 64, 32)
    fan_in = 3 * 3 * 64
    weights = np.asarray(cnn.complex_he_init(jax.random.key(0), shape))
    modulus = np.abs(weights).ravel()
    phase = np.angle(weights).ravel()

    assert weights.dtype == np.complex64
    assert np.mean(modulus**2) == pytest.approx(2.0 / fan_in, rel=0.03)
    rayleigh = scipy.stats.kstest(modulus, "rayleigh", args=(0.0, 1.0 / np.sqrt(fan_in)))
    assert rayleigh.pvalue > 1e-3
    uniform = scipy.stats.kstest(phase, "uniform", args=(-np.pi, 2 * np.pi))
    assert uniform.pvalue > 1e-3


# ----------------------------------------------------------------------------------------------
# Batch normalization
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def correlated_batch():
    """Complex NHWC data whose (real, imag) parts are correlated, scaled and offset per channel."""
    rng = np.random.default_rng(5)
    real = rng.standard_normal((64, 4, 4, 3))
    imag = 0.8 * real + 0.3 * rng.standard_normal((64, 4, 4, 3))
    z = (real * np.array([1.0, 2.0, 0.5]) + 1j * imag + np.array([2.0, -1 + 1j, 3j])).astype(np.complex64)
    return jnp.asarray(z)


def test_whitening_gives_identity_covariance(correlated_batch):
    axes = (0, 1, 2)
    mean = jnp.mean(correlated_batch, axis=axes)
    covariance = cnn.covariance_2x2(correlated_batch - mean, axes)

    whitened = cnn.whiten_complex(correlated_batch, mean, covariance, epsilon=0.0)

    np.testing.assert_allclose(jnp.mean(whitened, axis=axes), 0.0, atol=1e-5)
    eye = np.broadcast_to(np.eye(2), (3, 2, 2))
    np.testing.assert_allclose(cnn.covariance_2x2(whitened, axes), eye, atol=1e-4)


def test_batchnorm_output_covariance_follows_scale(correlated_batch):
    # A tiny epsilon keeps the whitening exact for the channel with a nearly singular covariance.
    layer = cnn.ComplexBatchNorm(epsilon=1e-9)
    variables = layer.init(jax.random.key(0), correlated_batch, use_running_average=False)
    output, _ = layer.apply(variables, correlated_batch, use_running_average=False, mutable=["batch_stats"])
    axes = (0, 1, 2)

    # The scale starts at I/sqrt(2), so the output covariance is I/2 and E|z|^2 = 1.
    np.testing.assert_allclose(jnp.mean(output, axis=axes), 0.0, atol=1e-5)
    np.testing.assert_allclose(cnn.covariance_2x2(output, axes), np.broadcast_to(0.5 * np.eye(2), (3, 2, 2)), atol=1e-4)


def test_batchnorm_running_stats_update_and_eval(correlated_batch):
    layer = cnn.ComplexBatchNorm(momentum=0.9)
    variables = layer.init(jax.random.key(0), correlated_batch, use_running_average=False)
    axes = (0, 1, 2)
    batch_mean = jnp.mean(correlated_batch, axis=axes)

    _, updates = layer.apply(variables, correlated_batch, use_running_average=False, mutable=["batch_stats"])
    np.testing.assert_allclose(updates["batch_stats"]["mean"], 0.1 * batch_mean, atol=1e-5)

    # After many steps on one batch the running statistics converge to the batch's, and evaluation
    # reproduces the training-mode output.
    stats = variables["batch_stats"]
    for _ in range(200):
        _, updates = layer.apply(
            {"params": variables["params"], "batch_stats": stats},
            correlated_batch,
            use_running_average=False,
            mutable=["batch_stats"],
        )
        stats = updates["batch_stats"]
    trained = {"params": variables["params"], "batch_stats": stats}
    train_output, _ = layer.apply(trained, correlated_batch, use_running_average=False, mutable=["batch_stats"])
    eval_output = layer.apply(trained, correlated_batch, use_running_average=True)

    assert stats["mean"].dtype == jnp.complex64
    np.testing.assert_allclose(eval_output, train_output, atol=1e-3)


# ----------------------------------------------------------------------------------------------
# Activations
# ----------------------------------------------------------------------------------------------

ACTIVATION_CASES = [
    ("crelu", cnn.crelu, 1 - 2j, 1 + 0j),
    ("crelu", cnn.crelu, -1 + 2j, 2j),
    ("crelu", cnn.crelu, -1 - 2j, 0j),
    ("zrelu", cnn.zrelu, 1 + 1j, 1 + 1j),
    ("zrelu", cnn.zrelu, 2 + 0j, 2 + 0j),
    ("zrelu", cnn.zrelu, -1 + 1j, 0j),
    ("zrelu", cnn.zrelu, 1 - 1j, 0j),
    ("cardioid", cnn.cardioid, 2 + 0j, 2 + 0j),
    ("cardioid", cnn.cardioid, -2 + 0j, 0j),
    ("cardioid", cnn.cardioid, 2j, 1j),
    ("cardioid", cnn.cardioid, 1 + 1j, 0.5 * (1 + 1 / np.sqrt(2)) * (1 + 1j)),
    ("cardioid", cnn.cardioid, 0j, 0j),
]


@pytest.mark.parametrize("name, activation, z, expected", ACTIVATION_CASES)
def test_activation_values(name, activation, z, expected):
    output = activation(jnp.asarray(z, jnp.complex64))
    np.testing.assert_allclose(output, expected, atol=1e-6, err_msg=f"{name}({z})")


@pytest.mark.parametrize(
    "z, bias, expected",
    [(3 + 4j, -1.0, 0.8 * (3 + 4j)), (0.3 + 0.4j, -1.0, 0j), (3 + 4j, 1.0, 1.2 * (3 + 4j)), (0j, 1.0, 0j)],
)
def test_modrelu_values(z, bias, expected):
    output = cnn.modrelu(jnp.asarray(z, jnp.complex64), bias)
    np.testing.assert_allclose(output, expected, atol=1e-6)


def test_activation_gradients_finite_at_zero():
    z = jnp.array([0j, 1 - 2j, -0.5 + 0.1j], jnp.complex64)
    activation = cnn.PhaseActivation(num_cosines=3)
    params = activation.init(jax.random.key(0), z[None, :, None])

    losses = {
        "modrelu": lambda z: jnp.sum(jnp.abs(cnn.modrelu(z, 0.5)) ** 2),
        "cardioid": lambda z: jnp.sum(jnp.abs(cnn.cardioid(z)) ** 2),
        "phase_activation": lambda z: jnp.sum(jnp.abs(activation.apply(params, z[None, :, None])) ** 2),
    }
    for name, loss in losses.items():
        gradient = jax.grad(loss)(z)
        assert np.all(np.isfinite(gradient)), name


def test_phase_activation_starts_as_cardioid():
    rng = np.random.default_rng(6)
    z = jnp.asarray(random_complex(rng, (2, 4, 4, 3)))
    activation = cnn.PhaseActivation(num_cosines=4)
    params = activation.init(jax.random.key(0), z)

    assert params["params"]["amplitudes"].shape == (3, 5)
    np.testing.assert_allclose(activation.apply(params, z), cnn.cardioid(z), atol=1e-5)


def test_phase_activation_gain_and_shift_per_channel():
    activation = cnn.PhaseActivation(num_cosines=2)
    z = jnp.array([[2.0 + 0j, 2.0 + 0j], [np.exp(1j * np.pi / 4), np.exp(1j * np.pi / 4)]], jnp.complex64)
    params = activation.init(jax.random.key(0), z)

    # Channel 0: gain cos(2 theta), no shift. Channel 1: gain 1, phase shift pi/2, so f(z) = i z.
    amplitudes = jnp.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    offsets = jnp.zeros((2, 3))
    phase_shift = jnp.array([0.0, np.pi / 2])
    params = {"params": {"amplitudes": amplitudes, "offsets": offsets, "phase_shift": phase_shift}}
    output = activation.apply(params, z)

    np.testing.assert_allclose(output[0, 0], 2.0, atol=1e-6)
    np.testing.assert_allclose(output[1, 0], 0.0, atol=1e-6)
    np.testing.assert_allclose(output[:, 1], 1j * z[:, 1], atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Optimization
# ----------------------------------------------------------------------------------------------


def quadratic_loss_numpy(z: np.ndarray, scale: float, a: np.ndarray, target: np.ndarray) -> float:
    """A real, non-holomorphic loss of complex z and a real scale, in float64."""
    residual = a @ z - target
    return float(np.sum(np.abs(residual) ** 2) + np.sum(np.real(z) * np.imag(z)) + (scale - 2.0) ** 2)


@pytest.fixture(scope="module")
def quadratic_problem():
    rng = np.random.default_rng(7)
    a = random_complex(rng, (4, 3)).astype(np.complex128)
    target = random_complex(rng, (4,)).astype(np.complex128)
    params = {"z": jnp.asarray(random_complex(rng, (3,))), "scale": jnp.asarray(0.5, jnp.float32)}

    def loss(params):
        residual = jnp.asarray(a, jnp.complex64) @ params["z"] - jnp.asarray(target, jnp.complex64)
        z = params["z"]
        return jnp.sum(jnp.abs(residual) ** 2) + jnp.sum(z.real * z.imag) + (params["scale"] - 2.0) ** 2

    return params, loss, a, target


def finite_difference_gradient(params, a, target, step=1e-6):
    """Central differences of the float64 loss over the real and imaginary parts of z."""
    z = np.asarray(params["z"], np.complex128)
    scale = float(params["scale"])
    gradient = np.zeros_like(z)
    for i in range(len(z)):
        for direction in (1.0, 1j):
            shift = np.zeros_like(z)
            shift[i] = step * direction
            slope = (quadratic_loss_numpy(z + shift, scale, a, target) - quadratic_loss_numpy(z - shift, scale, a, target)) / (2 * step)
            gradient[i] += slope * direction
    scale_slope = (quadratic_loss_numpy(z, scale + step, a, target) - quadratic_loss_numpy(z, scale - step, a, target)) / (2 * step)
    return gradient, scale_slope


def test_complex_sgd_step_matches_finite_differences(quadratic_problem):
    params, loss, a, target = quadratic_problem
    learning_rate = 1e-3
    optimizer = cnn.complex_optimizer(optax.sgd(learning_rate))
    state = optimizer.init(params)

    gradient = jax.grad(loss)(params)
    updates, _ = optimizer.update(gradient, state, params)
    expected_z, expected_scale = finite_difference_gradient(params, a, target)

    # The update is -lr times the steepest-ascent direction dL/dx + i dL/dy.
    np.testing.assert_allclose(updates["z"], -learning_rate * expected_z, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(updates["scale"], -learning_rate * expected_scale, rtol=1e-3)

    new_params = optax.apply_updates(params, updates)
    assert float(loss(new_params)) < float(loss(params))


def test_plain_sgd_on_jax_grad_is_wrong_direction(quadratic_problem):
    params, loss, a, target = quadratic_problem
    gradient = jax.grad(loss)(params)
    expected_z, _ = finite_difference_gradient(params, a, target)

    # jax.grad returns the conjugate, so plain optax would move the imaginary parts uphill.
    np.testing.assert_allclose(gradient["z"], np.conj(expected_z), rtol=1e-3, atol=1e-5)
    assert not np.allclose(gradient["z"], expected_z, rtol=1e-3, atol=1e-5)


def test_complex_adam_treats_parts_as_real_pairs(quadratic_problem):
    params, loss, a, target = quadratic_problem
    learning_rate = 0.01
    optimizer = cnn.complex_optimizer(optax.adam(learning_rate))
    state = optimizer.init(params)

    gradient = jax.grad(loss)(params)
    updates, _ = optimizer.update(gradient, state, params)
    expected_z, _ = finite_difference_gradient(params, a, target)

    # Adam's first step is -lr * sign(g) per real coordinate, for the real and imaginary part alike.
    np.testing.assert_allclose(updates["z"].real, -learning_rate * np.sign(expected_z.real), rtol=1e-4)
    np.testing.assert_allclose(updates["z"].imag, -learning_rate * np.sign(expected_z.imag), rtol=1e-4)


def test_complex_optimizer_trains_a_layer():
    rng = np.random.default_rng(8)
    x = jnp.asarray(random_complex(rng, (4, 6, 6, 2)))
    target_layer = cnn.ComplexConv(features=2, kernel_size=3)
    target = target_layer.apply(target_layer.init(jax.random.key(1), x), x)

    layer = cnn.ComplexConv(features=2, kernel_size=3)
    params = layer.init(jax.random.key(2), x)
    optimizer = cnn.complex_optimizer(optax.adam(0.05))
    state = optimizer.init(params)

    def loss(params):
        return jnp.mean(jnp.abs(layer.apply(params, x) - target) ** 2)

    @jax.jit
    def step(params, state):
        value, gradient = jax.value_and_grad(loss)(params)
        updates, state = optimizer.update(gradient, state, params)
        return optax.apply_updates(params, updates), state, value

    initial = float(loss(params))
    for _ in range(100):
        params, state, _ = step(params, state)

    assert float(loss(params)) < 0.01 * initial
