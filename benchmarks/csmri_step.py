"""Co-VeGAN generator training step: jaxlab (JAX, native complex64) against PyTorch on the CPU.

Both sides run the same CPU-size Co-VeGAN generator (`covegan_config("cpu")`: 16 complex channels,
3 levels, 1 RRDB, 4x4 kernels) with complex64 parameters and activations, complex batch norm and the
phase activation, on batches of 64x64 zero-filled images. One step is a forward pass, the L1 loss on
real and imaginary parts, the backward pass and an Adam update. The script prints images per second
for each, their ratio (goal: jaxlab not slower), and the model FLOPs per step against the machine's
nominal 190 GFLOP/s.

    python benchmarks/csmri_step.py [--batch 8] [--size 64] [--steps 10]

Timings on a shared machine vary with the load of other processes; run it on an idle machine for
numbers you report.
"""

from __future__ import annotations

import argparse
import math
import time

import jax
import jax.extend.core
import jax.numpy as jnp
import numpy as np
import optax
import torch
import torch.nn.functional as F
from torch import nn

from jaxlab.csmri.generators import build_generator, count_parameters, covegan_config
from jaxlab.csmri.losses import l1_loss
from jaxlab.nn.complex import complex_optimizer

NOMINAL_GFLOPS = 190.0

# A complex multiply-add is 4 real multiplies and 4 real additions.
REAL_FLOPS_PER_COMPLEX_MAC = 8


# ----------------------------------------------------------------------------------------------
# JAX side
# ----------------------------------------------------------------------------------------------


def jax_step_fn(generator, optimizer):
    """Return a jitted (params, batch_stats, opt_state, inputs, targets) -> (params, batch_stats, opt_state, loss)."""

    def loss_fn(params, batch_stats, inputs, targets):
        output, updates = generator.apply(
            {"params": params, "batch_stats": batch_stats}, inputs, train=True, mutable=["batch_stats"]
        )
        return l1_loss(output, targets), updates["batch_stats"]

    @jax.jit
    def step(params, batch_stats, opt_state, inputs, targets):
        (loss, batch_stats), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, batch_stats, inputs, targets)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), batch_stats, opt_state, loss

    return step


def conv_flops_per_forward(generator, variables, inputs) -> int:
    """Count the real FLOPs of every convolution in one forward pass from the jaxpr."""
    jaxpr = jax.make_jaxpr(lambda v, x: generator.apply(v, x, train=True, mutable=["batch_stats"]))(variables, inputs)
    total = 0

    def visit(jaxpr_):
        nonlocal total
        for equation in jaxpr_.eqns:
            if equation.primitive.name == "conv_general_dilated":
                output = equation.outvars[0].aval
                kernel = equation.invars[1].aval
                macs = math.prod(output.shape) * math.prod(kernel.shape[:-1])
                is_complex = jnp.issubdtype(output.dtype, jnp.complexfloating)
                total += macs * (REAL_FLOPS_PER_COMPLEX_MAC if is_complex else 2)
        for sub in jax.extend.core.subjaxprs(jaxpr_):
            visit(sub)

    visit(jaxpr.jaxpr)
    return total


def time_jax(batch: int, size: int, steps: int) -> tuple[float, int, int]:
    """Return (images per second, conv FLOPs per training step, complex parameter entries)."""
    generator = build_generator("covegan", covegan_config("cpu"))
    rng = np.random.default_rng(0)
    shape = (batch, size, size, 1)
    inputs = jnp.asarray((rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(np.complex64))
    targets = inputs * 1.1

    variables = generator.init(jax.random.key(0), inputs)
    optimizer = complex_optimizer(optax.adam(1e-3))
    params, batch_stats = variables["params"], variables["batch_stats"]
    opt_state = optimizer.init(params)
    step = jax_step_fn(generator, optimizer)

    params, batch_stats, opt_state, loss = step(params, batch_stats, opt_state, inputs, targets)
    jax.block_until_ready(loss)
    start = time.perf_counter()
    for _ in range(steps):
        params, batch_stats, opt_state, loss = step(params, batch_stats, opt_state, inputs, targets)
    jax.block_until_ready(loss)
    elapsed = time.perf_counter() - start

    # Backward costs about two forward passes (input and weight gradients).
    flops = 3 * conv_flops_per_forward(generator, variables, inputs)
    count = count_parameters(generator, size)
    return batch * steps / elapsed, flops, count.complex_entries


# ----------------------------------------------------------------------------------------------
# PyTorch side: the same architecture with torch.complex64
# ----------------------------------------------------------------------------------------------


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """XLA's "SAME" padding (low, high) for one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class TorchComplexConv(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int = 1, zero: bool = False):
        super().__init__()
        scale = 1.0 / math.sqrt(in_channels * kernel * kernel)
        shape = (out_channels, in_channels, kernel, kernel)
        weight = torch.complex(torch.randn(shape), torch.randn(shape)) * scale
        self.weight = nn.Parameter(torch.zeros_like(weight) if zero else weight)
        self.bias = nn.Parameter(torch.zeros(out_channels, dtype=torch.complex64))
        self.kernel, self.stride = kernel, stride

    def forward(self, x):
        top, bottom = same_padding(x.shape[2], self.kernel, self.stride)
        left, right = same_padding(x.shape[3], self.kernel, self.stride)
        x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, self.weight, self.bias, stride=self.stride)


class TorchComplexBatchNorm(nn.Module):
    """Whitening complex batch norm in training mode (batch statistics, running averages updated)."""

    def __init__(self, channels: int, momentum: float = 0.9, epsilon: float = 1e-5):
        super().__init__()
        self.scale_rr = nn.Parameter(torch.full((channels,), 1 / math.sqrt(2)))
        self.scale_ii = nn.Parameter(torch.full((channels,), 1 / math.sqrt(2)))
        self.scale_ri = nn.Parameter(torch.zeros(channels))
        self.bias = nn.Parameter(torch.zeros(channels, dtype=torch.complex64))
        self.register_buffer("running_mean", torch.zeros(channels, dtype=torch.complex64))
        self.register_buffer("running_covariance", 0.5 * torch.eye(2).repeat(channels, 1, 1))
        self.momentum, self.epsilon = momentum, epsilon

    def forward(self, x):
        mean = x.mean(dim=(0, 2, 3))
        centred = x - mean[None, :, None, None]
        re, im = centred.real, centred.imag
        p = (re * re).mean(dim=(0, 2, 3)) + self.epsilon
        r = (im * im).mean(dim=(0, 2, 3)) + self.epsilon
        q = (re * im).mean(dim=(0, 2, 3))
        with torch.no_grad():
            covariance = torch.stack([torch.stack([p, q], -1), torch.stack([q, r], -1)], -2)
            self.running_mean.mul_(self.momentum).add_((1 - self.momentum) * mean)
            self.running_covariance.mul_(self.momentum).add_((1 - self.momentum) * covariance)

        s = torch.sqrt(p * r - q * q)
        t = torch.sqrt(p + r + 2 * s)
        w_rr, w_ri, w_ii = (r + s) / (s * t), -q / (s * t), (p + s) / (s * t)
        view = lambda v: v[None, :, None, None]  # noqa: E731
        white_re = view(w_rr) * re + view(w_ri) * im
        white_im = view(w_ri) * re + view(w_ii) * im
        out_re = view(self.scale_rr) * white_re + view(self.scale_ri) * white_im
        out_im = view(self.scale_ri) * white_re + view(self.scale_ii) * white_im
        return torch.complex(out_re, out_im) + view(self.bias)


class TorchPhaseActivation(nn.Module):
    def __init__(self, channels: int, num_cosines: int = 4):
        super().__init__()
        amplitudes = torch.zeros(channels, num_cosines + 1)
        amplitudes[:, :2] = 0.5
        self.amplitudes = nn.Parameter(amplitudes)
        self.offsets = nn.Parameter(torch.zeros(channels, num_cosines + 1))
        self.phase_shift = nn.Parameter(torch.zeros(channels))

    def forward(self, z):
        modulus = z.abs()
        nonzero = modulus > 0
        phasor = torch.where(nonzero, z, torch.ones_like(z)) / torch.where(nonzero, modulus, torch.ones_like(modulus))
        view = lambda v: v[None, :, None, None]  # noqa: E731
        gain = view(self.amplitudes[:, 0]) * torch.ones_like(modulus)
        power = torch.ones_like(phasor)
        for k in range(1, self.amplitudes.shape[1]):
            power = power * phasor
            rotated = power * torch.polar(torch.ones_like(self.offsets[:, k]), self.offsets[:, k])[None, :, None, None]
            gain = gain + view(self.amplitudes[:, k]) * rotated.real
        shift = torch.polar(torch.ones_like(self.phase_shift), self.phase_shift)
        return gain * view(shift) * z


def torch_pool(x, factor: int):
    if factor == 1:
        return x
    n, c, h, w = x.shape
    return x.reshape(n, c, h // factor, factor, w // factor, factor).mean(dim=(3, 5))


def torch_bilinear(x, factor: int):
    if factor == 1:
        return x
    resize = lambda part: F.interpolate(part, scale_factor=factor, mode="bilinear", align_corners=False)  # noqa: E731
    return torch.complex(resize(x.real), resize(x.imag))


class TorchDenseBlock(nn.Module):
    def __init__(self, channels: int, growth: int, num_layers: int = 4, residual_scale: float = 0.2):
        super().__init__()
        self.convs = nn.ModuleList(TorchComplexConv(channels + i * growth, growth, 3) for i in range(num_layers))
        self.norms = nn.ModuleList(TorchComplexBatchNorm(growth) for _ in range(num_layers))
        self.acts = nn.ModuleList(TorchPhaseActivation(growth) for _ in range(num_layers))
        self.last = TorchComplexConv(channels + num_layers * growth, channels, 3)
        self.residual_scale = residual_scale

    def forward(self, x):
        features = [x]
        for conv, norm, act in zip(self.convs, self.norms, self.acts):
            features.append(act(norm(conv(torch.cat(features, dim=1)))))
        return x + self.residual_scale * self.last(torch.cat(features, dim=1))


class TorchRRDB(nn.Module):
    def __init__(self, channels: int, growth: int, residual_scale: float = 0.2):
        super().__init__()
        self.blocks = nn.Sequential(*(TorchDenseBlock(channels, growth) for _ in range(3)))
        self.residual_scale = residual_scale

    def forward(self, x):
        return x + self.residual_scale * self.blocks(x)


class TorchCoVeGAN(nn.Module):
    """The CoVeGANGenerator architecture (global residual form) in PyTorch, NCHW complex64."""

    def __init__(self, features: int, num_levels: int, growth: int, num_rrdb: int, kernel_size: int, **unused):
        super().__init__()
        self.num_levels = num_levels
        self.encoder = nn.ModuleList(
            TorchComplexConv(1 + (level - 1) * features, features, kernel_size, stride=2) for level in range(1, num_levels + 1)
        )
        self.encoder_norms = nn.ModuleList(TorchComplexBatchNorm(features) for _ in range(num_levels - 1))
        self.encoder_acts = nn.ModuleList(TorchPhaseActivation(features) for _ in range(num_levels))
        self.head = TorchComplexConv(num_levels * features, features, 3)
        self.rrdbs = nn.Sequential(*(TorchRRDB(features, growth) for _ in range(num_rrdb)))
        self.tail = TorchComplexConv(features, features, 3)
        decoder_inputs = [step * features + (features if step > 1 else 0) for step in range(1, num_levels + 1)]
        self.decoder = nn.ModuleList(TorchComplexConv(width, features, kernel_size) for width in decoder_inputs)
        self.decoder_norms = nn.ModuleList(TorchComplexBatchNorm(features) for _ in range(num_levels))
        self.decoder_acts = nn.ModuleList(TorchPhaseActivation(features) for _ in range(num_levels))
        self.output = TorchComplexConv(features, 1, 1, zero=True)

    def forward(self, x):
        encoder = [x]
        for level in range(1, self.num_levels + 1):
            size_factor = 2 ** (level - 1)
            inputs = [torch_pool(e, size_factor // 2**i) for i, e in enumerate(encoder)]
            y = self.encoder[level - 1](torch.cat(inputs, dim=1))
            if level > 1:
                y = self.encoder_norms[level - 2](y)
            encoder.append(self.encoder_acts[level - 1](y))

        deepest = 2**self.num_levels
        pooled = [torch_pool(e, deepest // 2**i) for i, e in enumerate(encoder) if i > 0]
        head = self.head(torch.cat(pooled, dim=1))
        decoded = [head + self.tail(self.rrdbs(head))]
        for step in range(1, self.num_levels + 1):
            inputs = [torch_bilinear(d, 2 ** (len(decoded) - 1 - i)) for i, d in enumerate(decoded)]
            if step > 1:
                inputs.append(encoder[self.num_levels - step + 1])
            y = torch.cat(inputs, dim=1).repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
            y = self.decoder[step - 1](y)
            decoded.append(self.decoder_acts[step - 1](self.decoder_norms[step - 1](y)))
        return x + self.output(decoded[-1])


def time_torch(batch: int, size: int, steps: int) -> tuple[float, int]:
    """Return (images per second, complex parameter entries) of the PyTorch step."""
    torch.manual_seed(0)
    model = TorchCoVeGAN(**covegan_config("cpu").to_dict())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs = torch.randn(batch, 1, size, size, dtype=torch.complex64)
    targets = inputs * 1.1

    def step():
        optimizer.zero_grad(set_to_none=True)
        error = model(inputs) - targets
        loss = error.real.abs().mean() + error.imag.abs().mean()
        loss.backward()
        optimizer.step()
        return loss

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    complex_entries = sum(p.numel() for p in model.parameters() if p.is_complex())
    return batch * steps / elapsed, complex_entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=8, help="images per step")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels (divisible by 8)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps after one warm-up step")
    args = parser.parse_args()

    jax_rate, flops, jax_complex = time_jax(args.batch, args.size, args.steps)
    torch_rate, torch_complex = time_torch(args.batch, args.size, args.steps)
    achieved = flops * jax_rate / args.batch / 1e9

    print(f"Co-VeGAN CPU-size generator training step, batch {args.batch}, {args.size}x{args.size}, complex64")
    print(f"  complex parameters: jaxlab {jax_complex}, PyTorch {torch_complex}")
    print(f"  jaxlab (JAX {jax.__version__}):       {jax_rate:8.1f} images/s")
    print(f"  PyTorch ({torch.__version__}, {torch.get_num_threads()} threads): {torch_rate:8.1f} images/s")
    print(f"  ratio jaxlab / PyTorch:      {jax_rate / torch_rate:8.2f}  (goal >= 1)")
    print(f"  model FLOPs per step (convolutions, forward + backward): {flops / 1e9:.2f} GFLOP")
    print(f"  jaxlab achieved {achieved:.1f} GFLOP/s = {achieved / NOMINAL_GFLOPS:.1%} of the nominal {NOMINAL_GFLOPS:.0f} GFLOP/s")


if __name__ == "__main__":
    main()
