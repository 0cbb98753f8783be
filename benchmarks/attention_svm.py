"""Benchmark: 100 seeds x 2,000 normalized-GD iterations of attention training, jaxlab against plain PyTorch.

    python benchmarks/attention_svm.py [--seeds 100] [--steps 2000] [--torch-seeds 100]

Setting of the convergence experiment: n = 6, T = 8, d = 10, equal-score data, self-attention, NGD with
step 0.1, recording loss, correlation with W_mm and softmax weight on the optimal token every iteration.
jaxlab runs all seeds in one compiled call (vmap over seeds, scan over iterations). The PyTorch peer is
written the way public notebooks for this model are: one seed at a time, a Python loop over iterations
with autograd, and metrics appended with .item(). It uses jaxlab's float32-safe form of the loss, since
the direct form drifts once attention is nearly one-hot (mean final correlation about 0.67 instead of
0.98 on the first 10 seeds). Both get the same data, initial W and W_mm (solved
once, outside the timings). The ratio is PyTorch time over jaxlab time, with jaxlab's compile time
included and, separately, excluded. With --torch-seeds below --seeds, the PyTorch time is extrapolated
linearly to all seeds and the output marks it as extrapolated.
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np

from jaxlab.attention_svm import step_rules, training
from jaxlab.attention_svm.experiments import common
from jaxlab.attention_svm.experiments.defaults import base_config

LEARNING_RATE = 0.1


def torch_ngd_one_seed(torch, tokens, queries, labels, decoder, optimal, w_init, w_mm, num_steps):
    """Train one seed with NGD in PyTorch; return the per-iteration loss, correlation and optimal weight."""
    x = torch.tensor(tokens)
    z = torch.tensor(queries)
    y = torch.tensor(labels)
    v = torch.tensor(decoder)
    reference = torch.tensor(w_mm)
    rows = torch.arange(x.shape[0])
    is_optimal = torch.nn.functional.one_hot(optimal, x.shape[1]).bool()
    scores = y[:, None] * (x @ v)
    optimal_score = scores[rows, optimal]
    loss_infimum = torch.nn.functional.softplus(-optimal_score).mean()
    w = torch.tensor(w_init, requires_grad=True)

    losses, correlations, optimal_weights = [], [], []
    for _ in range(num_steps):
        attention = torch.softmax(torch.einsum("ntd,de,ne->nt", x, w, z), dim=-1)
        # This is the float32-safe loss gap of jaxlab's model.excess_loss. The direct logistic loss of
        # v^T X^T softmax(...) loses its gradient to rounding once attention is nearly one-hot.
        other_weights = attention.masked_fill(is_optimal, 0.0)
        shortfall = (other_weights * (optimal_score[:, None] - scores)).sum(dim=-1)
        loss_gap = torch.log1p(torch.sigmoid(-optimal_score) * torch.expm1(shortfall)).mean()
        w.grad = None
        loss_gap.backward()

        with torch.no_grad():
            losses.append((loss_gap + loss_infimum).item())
            correlations.append(((w * reference).sum() / (w.norm() * reference.norm())).item())
            optimal_weights.append(attention[rows, optimal].mean().item())
            # Scale by the largest entry first: the plain norm squares entries near 1e-20 and underflows to 0.
            largest = w.grad.abs().max()
            w -= LEARNING_RATE * w.grad / (largest * (w.grad / largest).norm())
    return np.array(losses), np.array(correlations), np.array(optimal_weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="number of seeds (independent data sets)")
    parser.add_argument("--steps", type=int, default=2000, help="NGD iterations per seed")
    parser.add_argument("--torch-seeds", type=int, default=None, help="seeds timed in PyTorch (default: all)")
    args = parser.parse_args()
    torch_seeds = args.seeds if args.torch_seeds is None else min(args.torch_seeds, args.seeds)

    import torch

    # The tensors are tiny (6 x 8 x 10), so extra intra-op threads only add contention.
    torch.set_num_threads(1)

    config = base_config("convergence")
    config.data.num_seeds = args.seeds
    batch = common.make_seed_data(config)
    reference = common.solve_references(batch, norm="fro")
    params = common.init_seed_params(config, args.seeds)
    rule = step_rules.make_step_rule("ngd", learning_rate=LEARNING_RATE)

    start = time.perf_counter()
    _, history = training.train_seeds(params, batch, reference, rule, args.steps)
    jax.block_until_ready(history)
    jax_first = time.perf_counter() - start

    start = time.perf_counter()
    _, history = training.train_seeds(params, batch, reference, rule, args.steps)
    jax.block_until_ready(history)
    jax_compiled = time.perf_counter() - start

    host = jax.device_get((batch, reference.w, params["w"]))
    (data_np, w_mm_np, w_init_np) = host
    torch_correlations = []
    start = time.perf_counter()
    for seed in range(torch_seeds):
        _, correlation, _ = torch_ngd_one_seed(
            torch,
            np.asarray(data_np.tokens[seed]),
            np.asarray(data_np.queries[seed]),
            np.asarray(data_np.labels[seed]),
            np.asarray(data_np.decoder[seed]),
            torch.from_numpy(np.asarray(data_np.optimal[seed], dtype=np.int64)),
            np.asarray(w_init_np[seed]),
            np.asarray(w_mm_np[seed]),
            args.steps,
        )
        torch_correlations.append(correlation[-1])
    torch_measured = time.perf_counter() - start
    torch_total = torch_measured * args.seeds / torch_seeds

    jax_final = np.asarray(history["correlation"])[:torch_seeds, -1]
    print(f"setting: {args.seeds} seeds x {args.steps} NGD iterations, n=6, T=8, d=10 (equal-score data)")
    print(f"devices: jax {jax.devices()[0].platform}, torch threads {torch.get_num_threads()}")
    print(f"mean final correlation with W_mm: jaxlab {jax_final.mean():.6f}, PyTorch {np.mean(torch_correlations):.6f}")
    print(f"jaxlab first call (compile + run): {jax_first:.2f} s")
    print(f"jaxlab compiled call:              {jax_compiled:.2f} s")
    extrapolated = ""
    if torch_seeds < args.seeds:
        extrapolated = f" (measured {torch_measured:.2f} s on {torch_seeds} seeds, extrapolated)"
    print(f"PyTorch loop, one seed at a time:  {torch_total:.2f} s{extrapolated}")
    print(f"ratio PyTorch / jaxlab, compile included: {torch_total / jax_first:.1f}x")
    print(f"ratio PyTorch / jaxlab, compiled call:    {torch_total / jax_compiled:.1f}x")


if __name__ == "__main__":
    main()
