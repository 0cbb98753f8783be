"""Time complex 2-D convolution, forward plus backward, in its JAX forms and in PyTorch.

Compared on one NHWC layer shape (default: batch 8, 64x64, 32 -> 32 channels, 3x3 kernel, the size
of a CPU Co-VeGAN encoder layer):
  jax native    complex64 straight to XLA (`ComplexConv(implementation="native")`)
  jax split4    four real float32 convolutions
  jax gauss3    Gauss's three real float32 convolutions
  torch native  `torch.nn.functional.conv2d` on complex64 (NCHW), CPU

Each step computes a real loss `sum |conv(x, w)|^2` and its gradients with respect to x and w.
The forms take turns within each repeat, and the script prints the median milliseconds per step
with each form's ratio to jax native and to torch.

Run from the repository root (or with jaxlab installed, `pip install -e .`):
  PYTHONPATH=. python benchmarks/complex_conv.py [--batch 8 --size 64 --channels 32]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxlab.nn.complex import CONV_IMPLEMENTATIONS, ComplexConv


def time_round_robin(steps: dict[str, Callable[[], object]], repeats: int, warmup: int = 2) -> dict[str, float]:
    """Return the median wall time of each step in milliseconds; each step must block until done.

    The steps take turns within each repeat, so a change in the load from other processes during
    the run affects every form alike instead of whichever form was running at the time.
    """
    for step in steps.values():
        for _ in range(warmup):
            step()
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            samples[name].append(1e3 * (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in samples.items()}


def jax_step(implementation: str, x: np.ndarray, kernel: np.ndarray) -> Callable[[], object]:
    layer = ComplexConv(features=kernel.shape[-1], kernel_size=kernel.shape[:2], use_bias=False, implementation=implementation)

    def loss(kernel, x):
        y = layer.apply({"params": {"kernel": kernel}}, x)
        return jnp.sum(jnp.real(y) ** 2 + jnp.imag(y) ** 2)

    gradients = jax.jit(jax.grad(loss, argnums=(0, 1)))
    x_device, kernel_device = jnp.asarray(x), jnp.asarray(kernel)
    return lambda: jax.block_until_ready(gradients(kernel_device, x_device))


def torch_step(x: np.ndarray, kernel: np.ndarray) -> Callable[[], object] | None:
    try:
        import torch
    except ImportError:
        return None

    torch.set_num_threads(os.cpu_count() or 1)
    # NCHW input and OIHW weight; conv2d is cross-correlation without conjugating the weight,
    # the same convention as ComplexConv.
    x_torch = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).requires_grad_(True)
    w_torch = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))).requires_grad_(True)
    padding = kernel.shape[0] // 2

    def step():
        x_torch.grad = None
        w_torch.grad = None
        y = torch.nn.functional.conv2d(x_torch, w_torch, padding=padding)
        loss = (y.real**2 + y.imag**2).sum()
        loss.backward()
        return w_torch.grad

    return step


def max_difference_to_torch(x: np.ndarray, kernel: np.ndarray) -> dict[str, float]:
    """Return, per JAX form, the max difference of its output from torch's, relative to torch's max."""
    try:
        import torch
    except ImportError:
        return {}
    x_torch = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    w_torch = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
    theirs = torch.nn.functional.conv2d(x_torch, w_torch, padding=kernel.shape[0] // 2).numpy().transpose(0, 2, 3, 1)

    differences = {}
    for name in CONV_IMPLEMENTATIONS:
        layer = ComplexConv(features=kernel.shape[-1], kernel_size=kernel.shape[:2], use_bias=False, implementation=name)
        ours = np.asarray(layer.apply({"params": {"kernel": jnp.asarray(kernel)}}, jnp.asarray(x)))
        differences[name] = float(np.abs(ours - theirs).max() / np.abs(theirs).max())
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="images per step")
    parser.add_argument("--size", type=int, default=64, help="image height and width in pixels")
    parser.add_argument("--channels", type=int, default=32, help="complex input and output channels")
    parser.add_argument("--kernel", type=int, default=3, help="kernel height and width (odd)")
    parser.add_argument("--repeats", type=int, default=20, help="timed steps per form")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    shape = (args.batch, args.size, args.size, args.channels)
    x = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    kernel_shape = (args.kernel, args.kernel, args.channels, args.channels)
    kernel = ((rng.standard_normal(kernel_shape) + 1j * rng.standard_normal(kernel_shape)) / 20).astype(np.complex64)

    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, {os.cpu_count()} CPU cores")
    print(f"layer: x {shape} complex64, kernel {kernel_shape}, forward + backward (grad of x and w)")
    for name, difference in max_difference_to_torch(x, kernel).items():
        print(f"jax {name} output vs torch: max relative difference {difference:.1e}")

    steps = {f"jax {name}": jax_step(name, x, kernel) for name in CONV_IMPLEMENTATIONS}
    torch_call = torch_step(x, kernel)
    if torch_call is None:
        print("torch is not installed; skipping the PyTorch comparison")
    else:
        import torch

        steps[f"torch {torch.__version__} native"] = torch_call
    timings = time_round_robin(steps, args.repeats)

    native = timings["jax native"]
    torch_time = next((value for key, value in timings.items() if key.startswith("torch")), None)
    print(f"\n{'form':<28}{'ms/step':>10}{'/ jax native':>14}{'/ torch':>10}")
    for name, milliseconds in timings.items():
        torch_ratio = f"{milliseconds / torch_time:10.2f}" if torch_time else f"{'-':>10}"
        print(f"{name:<28}{milliseconds:10.1f}{milliseconds / native:14.2f}{torch_ratio}")
    fastest = min((name for name in timings if name.startswith("jax")), key=timings.get)
    print(f"\nfastest JAX form: {fastest}")


if __name__ == "__main__":
    main()
