"""The four sequence classifiers: shapes on token and patch inputs, the embed/classify split, argument checks."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlab.nn.classifiers import ARCHITECTURES, make_classifier

TOKENS = jnp.asarray(np.random.default_rng(0).integers(0, 5, size=(3, 6)), dtype=jnp.int32)
PATCHES = jnp.asarray(np.random.default_rng(1).normal(size=(3, 6, 4)), dtype=jnp.float32)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("inputs, vocab_size", [(TOKENS, 5), (PATCHES, None)], ids=["tokens", "patches"])
def test_classifier_shapes_and_split(architecture, inputs, vocab_size):
    model = make_classifier(architecture, num_classes=3, width=8, depth=1, vocab_size=vocab_size, num_heads=2)
    variables = model.init(jax.random.key(0), inputs)
    logits = model.apply(variables, inputs)
    assert logits.shape == (3, 3)
    assert bool(jnp.all(jnp.isfinite(logits)))

    embedded = model.apply(variables, inputs, method="embed")
    expected_channels = 8 if vocab_size else 4
    assert embedded.shape == (3, 6, expected_channels)
    np.testing.assert_allclose(model.apply(variables, embedded, method="classify"), logits, rtol=1e-5, atol=1e-6)


def test_patch_embedding_is_identity():
    model = make_classifier("transformer", num_classes=2, width=8, depth=1, num_heads=2)
    variables = model.init(jax.random.key(0), PATCHES)
    np.testing.assert_array_equal(model.apply(variables, PATCHES, method="embed"), PATCHES)


def test_lstm_last_output_ignores_nothing_before_it():
    # The LSTM reads the last step, but a change at the first position must still reach it.
    model = make_classifier("lstm", num_classes=2, width=8, depth=1)
    variables = model.init(jax.random.key(0), PATCHES)
    changed = PATCHES.at[:, 0].add(3.0)
    assert not np.allclose(model.apply(variables, PATCHES), model.apply(variables, changed))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(architecture="rnn"),
        dict(num_classes=1),
        dict(width=0),
        dict(vocab_size=1),
        dict(width=6, num_heads=4),
    ],
)
def test_invalid_arguments_raise(kwargs):
    arguments = dict(architecture="transformer", num_classes=2, width=8, depth=1, num_heads=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError):
        make_classifier(**arguments)


def test_token_model_rejects_float_inputs():
    model = make_classifier("mlp", num_classes=2, width=8, depth=1, vocab_size=5)
    with pytest.raises(ValueError, match="token inputs"):
        model.init(jax.random.key(0), PATCHES)
