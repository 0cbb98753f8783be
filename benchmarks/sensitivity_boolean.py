"""Benchmark: exact Boolean sensitivity of a small transformer on all 2^16 inputs x 16 bit flips, jaxlab vs PyTorch (CPU).

Both sides compute the same measure the same way. One forward pass over every point of the 16-bit
cube gives the truth table. The 16 flips of each point are read from that table by index
(point XOR 2^j), so each side runs 2^16 forward passes. PyTorch runs the same model written
plainly with torch.nn.functional in eager mode under torch.inference_mode, with the weights copied
from the Flax parameters. It runs once on the whole cube at once and once in chunks, and the
faster of the two is the peer. The script checks that both truth tables and the logits agree,
then prints the time ratio. jaxlab times exclude the one-time compilation, printed separately.

Run:  python benchmarks/sensitivity_boolean.py [--repeats 5]
Goal: jaxlab at least 3x faster than the faster PyTorch variant.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import torch
import torch.nn.functional as F

from jaxlab.nn.classifiers import make_classifier
from jaxlab.sensitivity.boolean import classifier_boolean_sensitivity, classifier_truth_table, cube_tokens

NUM_BITS = 16
WIDTH, DEPTH, NUM_HEADS = 32, 2, 4
# Chunk sizes: of 512, 4096 and the whole cube, 512 was fastest for jaxlab and 4096 for PyTorch
# on a shared 2-core CPU, so each side runs with its own best.
CHUNK_SIZE = 512
TORCH_CHUNK_SIZE = 4096
CHECKED_LOGITS = 4096
LAYER_NORM_EPSILON = 1e-6  # flax.linen.LayerNorm's default


def torch_weights(params) -> dict[str, torch.Tensor]:
    """Copy every Flax parameter into a float32 torch tensor, keyed by its '/'-joined path."""
    flat = {}
    for path, value in jax.tree_util.tree_flatten_with_path(params)[0]:
        name = "/".join(str(getattr(entry, "key", entry)) for entry in path)
        flat[name] = torch.from_numpy(np.asarray(value, dtype=np.float32).copy())
    return flat


def _layer_norm(hidden: torch.Tensor, weights: dict, name: str) -> torch.Tensor:
    return F.layer_norm(
        hidden, (hidden.shape[-1],), weights[f"{name}/scale"], weights[f"{name}/bias"], LAYER_NORM_EPSILON
    )


def _attention(hidden: torch.Tensor, weights: dict, name: str) -> torch.Tensor:
    """Multi-head self-attention with Flax's (features, heads, head_dim) kernel layout."""
    def project(part: str) -> torch.Tensor:
        return torch.einsum("bld,dhk->blhk", hidden, weights[f"{name}/{part}/kernel"]) + weights[f"{name}/{part}/bias"]

    query, key, value = project("query"), project("key"), project("value")
    query = query / math.sqrt(query.shape[-1])
    scores = torch.softmax(torch.einsum("bqhk,bshk->bhqs", query, key), dim=-1)
    mixed = torch.einsum("bhqs,bshk->bqhk", scores, value)
    return torch.einsum("bqhk,hkd->bqd", mixed, weights[f"{name}/out/kernel"]) + weights[f"{name}/out/bias"]


def torch_transformer_logits(weights: dict, tokens: torch.Tensor) -> torch.Tensor:
    """Compute the logits of jaxlab's TransformerClassifier, written plainly in PyTorch."""
    length = tokens.shape[1]
    hidden = weights["input/token_embedding/embedding"][tokens]
    hidden = hidden @ weights["projection/kernel"] + weights["projection/bias"] + weights["positions"][:length]
    for layer in range(DEPTH):
        normed = _layer_norm(hidden, weights, f"attention_norms_{layer}")
        hidden = hidden + _attention(normed, weights, f"attentions_{layer}")
        normed = _layer_norm(hidden, weights, f"mlp_norms_{layer}")
        inner = F.gelu(normed @ weights[f"mlp_hidden_{layer}/kernel"] + weights[f"mlp_hidden_{layer}/bias"], approximate="tanh")
        hidden = hidden + inner @ weights[f"mlp_out_{layer}/kernel"] + weights[f"mlp_out_{layer}/bias"]
    pooled = _layer_norm(hidden, weights, "final_norm").mean(dim=1)
    return pooled @ weights["head/kernel"] + weights["head/bias"]


def torch_sensitivity(weights: dict, tokens: torch.Tensor, chunk_size: int | None) -> tuple[float, torch.Tensor]:
    """Return (average sensitivity, ±1 truth table) by evaluating every cube point and flipping by index."""
    with torch.inference_mode():
        if chunk_size is None:
            labels = torch_transformer_logits(weights, tokens).argmax(dim=-1)
        else:
            labels = torch.cat([
                torch_transformer_logits(weights, tokens[start : start + chunk_size]).argmax(dim=-1)
                for start in range(0, tokens.shape[0], chunk_size)
            ])
        table = 1 - 2 * labels
        indices = torch.arange(table.shape[0])
        flips = [(table != table[indices ^ (1 << bit)]).float().mean() for bit in range(NUM_BITS)]
        return float(torch.stack(flips).sum()), table


def time_call(function, repeats: int) -> float:
    """Return the median wall time in seconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per variant; the median is reported")
    args = parser.parse_args()

    model = make_classifier(
        "transformer", num_classes=2, width=WIDTH, depth=DEPTH, vocab_size=2, num_heads=NUM_HEADS, max_length=NUM_BITS
    )
    variables = model.init(jax.random.key(0), jnp.zeros((1, NUM_BITS), jnp.int32))
    tokens = torch.from_numpy(np.asarray(cube_tokens(NUM_BITS), dtype=np.int64))
    weights = torch_weights(variables["params"])

    jax_measure = jax.jit(lambda v: classifier_boolean_sensitivity(model, v, NUM_BITS, chunk_size=CHUNK_SIZE))
    start = time.perf_counter()
    jax_value = float(jax_measure(variables))
    compile_seconds = time.perf_counter() - start

    jax_table = np.asarray(jax.jit(lambda v: classifier_truth_table(model, v, NUM_BITS, CHUNK_SIZE))(variables))
    torch_value, torch_table = torch_sensitivity(weights, tokens, None)
    disagreements = int(np.sum(jax_table != torch_table.numpy()))

    # A random transformer is often nearly constant on the cube, so agreeing truth tables alone
    # prove little; the logits themselves must agree too.
    with torch.inference_mode():
        torch_logits = torch_transformer_logits(weights, tokens[:CHECKED_LOGITS]).numpy()
    jax_logits = np.asarray(model.apply(variables, cube_tokens(NUM_BITS)[:CHECKED_LOGITS]))
    logit_error = float(np.max(np.abs(torch_logits - jax_logits)))
    print(f"model: transformer width={WIDTH} depth={DEPTH} heads={NUM_HEADS}; {2**NUM_BITS} inputs x {NUM_BITS} flips")
    print(f"average sensitivity: jaxlab {jax_value:.6f}, torch {torch_value:.6f}; "
          f"truth tables differ on {disagreements} of {2**NUM_BITS} inputs; "
          f"max logit difference on {CHECKED_LOGITS} inputs {logit_error:.2e}")
    if abs(jax_value - torch_value) > 1e-3 or disagreements > 2**NUM_BITS // 1000 or logit_error > 1e-4:
        raise SystemExit("jaxlab and PyTorch disagree beyond float32 rounding near the decision boundary")

    jax_seconds = time_call(lambda: jax_measure(variables).block_until_ready(), args.repeats)
    torch_full = time_call(lambda: torch_sensitivity(weights, tokens, None), args.repeats)
    torch_chunked = time_call(lambda: torch_sensitivity(weights, tokens, TORCH_CHUNK_SIZE), args.repeats)
    torch_best = min(torch_full, torch_chunked)

    print(f"jaxlab (jit, chunks of {CHUNK_SIZE}): {jax_seconds * 1e3:8.1f} ms   (first call incl. compile {compile_seconds:.1f} s)")
    print(f"torch eager, whole cube:        {torch_full * 1e3:8.1f} ms")
    print(f"torch eager, chunks of {TORCH_CHUNK_SIZE}:    {torch_chunked * 1e3:8.1f} ms")
    print(f"torch threads: {torch.get_num_threads()}; jax devices: {jax.devices()}")
    print(f"ratio (faster torch / jaxlab): {torch_best / jax_seconds:.2f}x  (goal >= 3x)")


if __name__ == "__main__":
    main()
