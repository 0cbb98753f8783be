"""Sequence classifiers (transformer encoder, LSTM, MLP, CNN) whose input can be perturbed per position.

Every classifier maps a batch of sequences to logits of shape (batch, num_classes). The input is
either token ids of shape (batch, length) with an embedding table (`vocab_size` set), or float
features of shape (batch, length, features) such as image patches (`vocab_size=None`).

Each model splits its forward pass in two methods so that noise can be added position by position:

    embedded = model.apply(variables, inputs, method="embed")      # (batch, length, channels)
    logits = model.apply(variables, embedded, method="classify")   # (batch, num_classes)

`embed` returns the per-position representation that a perturbation acts on. For token inputs that
is the token embedding, because Gaussian noise on an integer id has no meaning. For float inputs it
is the raw features, so noise on a patch is noise on its pixels.
Positional information and the projection to the model width are added inside `classify`, after
the perturbation, so a perturbation changes only the content at that position.
"""

from __future__ import annotations

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

ARCHITECTURES = ("transformer", "lstm", "mlp", "cnn")


class _SequenceInput(nn.Module):
    """Token embedding, or identity for float features; shared by the four classifiers."""

    vocab_size: int | None
    width: int

    def setup(self):
        if self.vocab_size is not None:
            self.token_embedding = nn.Embed(self.vocab_size, self.width)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        if self.vocab_size is None:
            if inputs.ndim != 3:
                raise ValueError(
                    f"float inputs must have shape (batch, length, features), got {inputs.shape}"
                )
            return inputs.astype(jnp.float32)
        if inputs.ndim != 2:
            raise ValueError(f"token inputs must have shape (batch, length), got {inputs.shape}")
        return self.token_embedding(inputs)


class TransformerClassifier(nn.Module):
    """Pre-LayerNorm transformer encoder with learned positions, mean pooling and a linear head."""

    # Limitation: no dropout and no class token, so there is no train/eval switch; results may
    # differ from transformers that pool through a class token.

    num_classes: int
    width: int = 64
    depth: int = 2
    num_heads: int = 4
    mlp_ratio: int = 4
    max_length: int = 512
    vocab_size: int | None = None

    def setup(self):
        self.input = _SequenceInput(self.vocab_size, self.width)
        self.projection = nn.Dense(self.width)
        self.positions = self.param(
            "positions", nn.initializers.normal(0.02), (self.max_length, self.width)
        )
        self.attention_norms = [nn.LayerNorm() for _ in range(self.depth)]
        self.attentions = [
            nn.MultiHeadDotProductAttention(num_heads=self.num_heads) for _ in range(self.depth)
        ]
        self.mlp_norms = [nn.LayerNorm() for _ in range(self.depth)]
        self.mlp_hidden = [nn.Dense(self.mlp_ratio * self.width) for _ in range(self.depth)]
        self.mlp_out = [nn.Dense(self.width) for _ in range(self.depth)]
        self.final_norm = nn.LayerNorm()
        self.head = nn.Dense(self.num_classes)

    def embed(self, inputs: jax.Array) -> jax.Array:
        return self.input(inputs)

    def classify(self, embedded: jax.Array) -> jax.Array:
        length = embedded.shape[1]
        if length > self.max_length:
            raise ValueError(f"sequence length {length} exceeds max_length={self.max_length}")
        hidden = self.projection(embedded) + self.positions[:length]

        for layer in range(self.depth):
            normed = self.attention_norms[layer](hidden)
            hidden = hidden + self.attentions[layer](normed, normed)
            normed = self.mlp_norms[layer](hidden)
            hidden = hidden + self.mlp_out[layer](nn.gelu(self.mlp_hidden[layer](normed)))

        pooled = self.final_norm(hidden).mean(axis=1)
        return self.head(pooled)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        return self.classify(self.embed(inputs))


class LSTMClassifier(nn.Module):
    """Stacked unidirectional LSTM; the head reads the last time step, as in the usual LSTM classifier."""

    num_classes: int
    width: int = 64
    depth: int = 1
    vocab_size: int | None = None

    def setup(self):
        self.input = _SequenceInput(self.vocab_size, self.width)
        self.projection = nn.Dense(self.width)
        self.layers = [nn.RNN(nn.OptimizedLSTMCell(self.width)) for _ in range(self.depth)]
        self.head = nn.Dense(self.num_classes)

    def embed(self, inputs: jax.Array) -> jax.Array:
        return self.input(inputs)

    def classify(self, embedded: jax.Array) -> jax.Array:
        hidden = self.projection(embedded)
        for layer in self.layers:
            hidden = layer(hidden)
        return self.head(hidden[:, -1])

    def __call__(self, inputs: jax.Array) -> jax.Array:
        return self.classify(self.embed(inputs))


class MLPClassifier(nn.Module):
    """Per-position projection, then the flattened sequence through `depth` ReLU layers of `width` units."""

    num_classes: int
    width: int = 64
    depth: int = 2
    vocab_size: int | None = None

    def setup(self):
        self.input = _SequenceInput(self.vocab_size, self.width)
        self.projection = nn.Dense(self.width)
        self.hidden_layers = [nn.Dense(self.width) for _ in range(self.depth)]
        self.head = nn.Dense(self.num_classes)

    def embed(self, inputs: jax.Array) -> jax.Array:
        return self.input(inputs)

    def classify(self, embedded: jax.Array) -> jax.Array:
        hidden = self.projection(embedded).reshape(embedded.shape[0], -1)
        for layer in self.hidden_layers:
            hidden = nn.relu(layer(hidden))
        return self.head(hidden)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        return self.classify(self.embed(inputs))


class CNNClassifier(nn.Module):
    """1-D convolutions along the sequence ('SAME' padding, ReLU), global mean pooling, linear head."""

    # Limitation: on image patches flattened row by row, a 1-D kernel covers left and right neighbours
    # but not the patches above and below, so this CNN is weaker on 2-D images than a 2-D CNN.

    num_classes: int
    width: int = 64
    depth: int = 2
    kernel_size: int = 3
    vocab_size: int | None = None

    def setup(self):
        self.input = _SequenceInput(self.vocab_size, self.width)
        self.convolutions = [
            nn.Conv(self.width, kernel_size=(self.kernel_size,), padding="SAME")
            for _ in range(self.depth)
        ]
        self.head = nn.Dense(self.num_classes)

    def embed(self, inputs: jax.Array) -> jax.Array:
        return self.input(inputs)

    def classify(self, embedded: jax.Array) -> jax.Array:
        hidden = embedded
        for convolution in self.convolutions:
            hidden = nn.relu(convolution(hidden))
        return self.head(hidden.mean(axis=1))

    def __call__(self, inputs: jax.Array) -> jax.Array:
        return self.classify(self.embed(inputs))


_CONSTRUCTORS: dict[str, Callable[..., nn.Module]] = {
    "transformer": TransformerClassifier,
    "lstm": LSTMClassifier,
    "mlp": MLPClassifier,
    "cnn": CNNClassifier,
}


def make_classifier(
    architecture: str,
    *,
    num_classes: int,
    width: int,
    depth: int,
    vocab_size: int | None = None,
    num_heads: int = 4,
    max_length: int = 512,
) -> nn.Module:
    """Build one of ARCHITECTURES with the given width and depth.

    `num_heads` and `max_length` apply to the transformer only. `vocab_size=None` means float
    inputs of shape (batch, length, features); an int means token ids below `vocab_size`.
    """
    if architecture not in _CONSTRUCTORS:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    if width < 1 or depth < 1:
        raise ValueError(f"width and depth must be >= 1, got width={width}, depth={depth}")
    if vocab_size is not None and vocab_size < 2:
        raise ValueError(f"vocab_size must be None or >= 2, got {vocab_size}")

    common = dict(num_classes=num_classes, width=width, depth=depth, vocab_size=vocab_size)
    if architecture == "transformer":
        if width % num_heads != 0:
            raise ValueError(f"width={width} must be divisible by num_heads={num_heads}")
        return TransformerClassifier(**common, num_heads=num_heads, max_length=max_length)
    return _CONSTRUCTORS[architecture](**common)
