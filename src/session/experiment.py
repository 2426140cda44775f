#!/usr/bin/env python3
"""gradscope's experiment as a PyTorch script (written by `gradscope --export-torch DIR`, with manifest.json).

Depends only on torch, numpy and the Python standard library. It reads manifest.json from its own folder.

WHAT IT COMPUTES
----------------
One forward and one backward step of the fully connected network of manifest.json — or, for an export of a
training config (gradscope --steps N), N training steps (TRAINING below) — in gradscope's notation
(gradscope README, "The model"), with layers l = 1..L and widths n^[0..L]:

    z^[l] = W^[l] a^[l-1] + b^[l]        W^[l] = torch.nn.Linear(n^[l-1], n^[l]).weight, shape (n^[l], n^[l-1])
    a^[l] = g(z^[l])  for l < L          = (fan_out, fan_in); b^[l] its bias, n^[l] entries
    ŷ = a^[L] = z^[L]                    (the output layer is identity)
    a^[0] = x                            a batch of m examples

  g: identity; relu (relu'(0) = 0, relu(NaN) = NaN); tanh, with tanh'(z) = sech²(z) computed from z (not from the
  rounded a = tanh z, which is 1 for |z| > 19 in float64 where sech² is not 0), as gradscope's backends do.
  Loss J, averaged over the batch:
    sum           J = (1/m) Σ_j Σ_i ŷ_ij                            dŷ = 1/m
    mse           J = (1/m) Σ_j ‖ŷ_j − y_j‖²  (y one-hot digit labels, zeros for other inputs)   dŷ = 2(ŷ − y)/m
    softmax-xent  J = (1/m) Σ_j (logsumexp_i ŷ_ij − ŷ_{label_j, j})   dŷ = (softmax − onehot)/m
      evaluated as gradscope does, without cancellation for any finite logits: with M = max_i ŷ_ij and
      S = Σ_{i ≠ argmax} e^(ŷ_ij − M), J_j = (M − ŷ_label) + log1p(S), and the label's gradient is
      −Σ_{i ≠ label} p_i / m rather than (p_label − 1)/m (an example with a non-finite logit gets NaN).
  Backward (autograd, the activations and the loss as torch.autograd.Function with the derivatives above):
    dA^[l] = ∂J/∂a^[l] (dA^[L] = ∂J/∂ŷ), dZ^[l] = ∂J/∂z^[l] = dA^[l] ⊙ g'(z^[l]), dW^[l] = ∂J/∂W^[l] = dZ^[l] a^[l-1]ᵀ
    (shape (n^[l], n^[l-1]), as W^[l]), recorded by tensor hooks as they are produced.

  Layout: torch holds a batch as (m, n^[l]) (one example per row); gradscope stores z^[l], a^[l], dA, dZ as
  (n^[l], m). No statistic depends on the layout; W and dW have the same orientation in both.

TRAINING (manifest "training", present when gradscope exported with --steps N > 0; src/session/train.ts Trainer)
    The digits are split into a train part (1437 examples) and a test part (360): split-train.bin, split-test.bin,
    gradscope's own stratified, seeded split. Step t = 1..N:
      the minibatch: the m examples of row t − 1 of minibatches.bin (gradscope's own draw: each epoch a seeded
        permutation of the train part cut into batches of m, the tail dropped, as DataLoader(shuffle=True,
        drop_last=True)); x (m, 64), one-hot targets, labels;
      forward, loss J = (1/m) Σ_j loss_j (the loss above, the same per-example definition), backward as above;
      the record of the step: J (before the update), rms(a^[l]) and rms(dW^[l]) of every layer (rms as in
        STATISTICS); a record is kept every recordEvery = max(1, ⌈L·N / maxRecorded⌉) steps and at step N;
      divergence: the first tensor (W, z, a, dA, dZ, dW, in the computation order of firstNonFinite below) that
        holds a NaN or ±∞, or when every tensor is finite but J is not, a^[L]; then the step's update is still
        made, the parts are evaluated once more, and training stops (state "diverged", {step, tensor, layer});
      the update: torch.optim with the parameters W^[1], b^[1], …, W^[L], b^[L] (weight decay on W and b), built
        from the manifest's torchOptimizer: SGD(lr=η, momentum=0, dampening=0, weight_decay=λ) for sgd,
        SGD(lr=η, momentum=μ, dampening=0, weight_decay=λ) for momentum, Adam(lr=η, betas=(β₁, β₂), eps=ε,
        weight_decay=λ) for adam — the formulas of gradscope's src/model/optimizers.ts:
          g ← dW + λ·W;  sgd: W ← W − η·g;  momentum: v ← μ·v + g (v₁ = g₁), W ← W − η·v;
          adam: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², W ← W − (η/(1 − β₁ᵗ))·m / (√v/√(1 − β₂ᵗ) + ε).
    Evaluations at step 0, every evalEvery steps, at step N (and after a divergence): the loss and accuracy of the
    whole train and test parts by forward passes alone: ŷ in float64, loss = (Σ_j loss_j)/count, accuracy = the
    fraction of examples whose predicted class — the first maximum of ŷ_j over its non-NaN entries (0 when ŷ_0j is
    NaN), as gradscope scans — equals the label.
    "last": every statistic of every tensor of the last step made (step N, or the step that diverged), with the
    W it used (before its update).

STATISTICS (per layer l and tensor z, a, dA, dZ, W, dW; the definitions of gradscope's src/stats/stats.ts)
    count; nanCount, infCount (elements that are NaN, ±∞); zeroFraction (elements equal to ±0, over count);
    min, max over the non-NaN elements (±∞ included, −0 < +0; NaN when every element is NaN);
    mean, std (population: divisor count), rms = √(Σx²/count), l2 = √(Σx²), in float64, two passes with every
      value scaled by a power of two S ≈ max|x| (exact): mean = S·(Σ x/S)/n (clamped to [min, max]),
      std = S·√(Σ (x/S − mean/S)²/n), rms = S·√(Σ (x/S)²/n), l2 = S·√(Σ (x/S)²);
    special values: with a NaN present, mean, std, rms, l2 are NaN; with ±∞ present, mean is ±∞ (NaN if both
      signs occur), std NaN, rms and l2 ∞;
    log10 {rms, l2, maxAbs}: log10 of rms, l2 and max(|min|, |max|) (−∞ for 0, NaN for NaN).

MODES
    python3 experiment.py --same-numbers [--dtype float64|float32] --json result.json
        W^[l], b^[l], x, y, labels from the exported .bin files (gradscope's own weights and batch, float32). In
        float64 the statistics equal gradscope's CPU reference (`--backend cpu`, float64 on the same float32
        numbers) to ~1e-12 relative; in float32, gradscope's WebGPU engine to ~1e-5. With a training export it
        trains on the exported split and minibatches (split-train.bin, split-test.bin, minibatches.bin): in
        float64 its evaluations, records and final weights equal gradscope's CPU reference to ~1e-12 relative.
        --steps K replays the first K ≤ N exported steps (K = 0: the single step of x.bin, as gradscope --steps 0).
    python3 experiment.py [--device cuda] [--dtype …] [--width n] [--depth L] [--batch m] [--seed k] --json r.json
        fresh weights from torch.nn.init under the same initialiser and parameters (xavier_normal_, kaiming_normal_
        (mode, nonlinearity), orthogonal_, eye_·gain for identity, normal_, uniform_, constant_, zeros_; LeCun as
        normal_/uniform_ with std gain/√fan_in, bound gain·√(3/fan_in); kaiming_* with an explicit gain as
        normal_/uniform_ with std gain/√fan, bound gain·√(3/fan)); biases constant_(bias), or normal_(bias, biasStd)
        with --bias-std. torch.manual_seed(seed)
        before each draw, on the device (a CUDA draw differs from a CPU draw of the same seed). The batch from a
        CPU torch.Generator seeded with the seed: m distinct digits (randperm, from digits.bin) or N(0, 1) features
        (randn) or ones, labels uniform in 0..n^[L]-1 (randint) for gaussian and ones. Same distributions as
        gradscope, not the same numbers. With a training export it trains from those weights on the exported split,
        with minibatches drawn as DataLoader(shuffle=True, drop_last=True) does from the train part (each epoch
        torch.randperm with a CPU torch.Generator seeded with the seed); --steps K trains K steps (0: one step).
    --save-weights DIR (either mode, not with --seeds)
        after the run, writes W<l>.bin (n^[l], n^[l-1]) and b<l>.bin (n^[l]) of every layer into DIR, float64
        little-endian, row-major: after training, the final weights.
    torchrun --nproc_per_node N experiment.py [--device cuda] --seeds 0-1023 --json seeds.json
        the seeds spread over the N processes (torch.distributed: gloo on the CPU, nccl on CUDA, process r runs the
        seeds at positions r, r + N, …), each a fresh draw as above; the per-layer statistics are gathered on every
        process and process 0 writes their median and 10% / 90% quantiles over the seeds. Without torchrun the one
        process runs every seed. --seeds takes ranges and lists ("0-1023", "1,5,9-12") or a count K (K seeds from
        --seed, or the manifest's seed, on). (torch ≥ 2 also spells the flag --nproc-per-node. Debian's torch 1.13
        on Python 3.11 fails to parse torchrun's default --redirects 0 / --tee 0: give it --redirects 1 --tee 1.)
        With a training export, --seeds needs --steps 0 (it measures one step per seed).

JSON (--json FILE, "-" for stdout; the format of gradscope's CLI --json, README "JSON output")
    { "config": {...} (the manifest's, with the overrides applied), "backend": "pytorch",
      "adapter": "torch <version> <device> <dtype>, <exported weights | torch.nn.init weights>",
      "loss": J, "firstNonFinite": {"tensor", "layer"} | null, "firstAllZero": {"tensor", "layer"} | null,
      "stepMs": milliseconds of the step (forward, loss, backward, statistics),
      "layers": [ { "layer": l, "fanIn": n^[l-1], "fanOut": n^[l], "z": Stats, "a": Stats, "dA": Stats,
                    "dZ": Stats, "W": Stats, "dW": Stats } ] }
    Stats = { "count", "mean", "std", "rms", "l2", "min", "max", "zeroFraction", "nanCount", "infCount",
              "log10": { "rms", "l2", "maxAbs" } }
    firstNonFinite / firstAllZero: the first tensor with a NaN or ±∞ / the first tensor other than W whose every
    element is ±0, in computation order: forward l = 1..L (W, z, a), then backward l = L..1 (dA, dZ, dW).
    Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".
  With --seeds:
    { "config", "backend": "pytorch", "adapter": "… ×N processes (gloo|nccl)",
      "seeds": { "count": K, "layers": [ { "layer": l, "<tensor>": { "<stat>": { "median", "p10", "p90" }, …,
                                                                     "log10": { "rms": {…}, "l2": {…}, "maxAbs": {…} } } } ] } }
    Quantiles interpolate linearly between order statistics (numpy's default, Hyndman & Fan 1996 type 7) over the
    seeds where the statistic is not NaN (NaN when it is NaN for every seed); between −∞ and a finite value the
    interpolation is −∞, between a finite value and +∞ it is +∞.
  With training (the format of gradscope's training --json, src/session/training-json.ts trainingJson):
    { "config", "backend": "pytorch", "adapter": "torch … <dtype>, exported weights and minibatches | torch.nn.init
      weights, shuffled minibatches", "state": "done" | "diverged", "steps": updates made,
      "msPerStep": mean milliseconds of a step (forward, backward, record, update; evaluations excluded),
      "divergence": {"step", "tensor", "layer"} | null,
      "evaluations": [ { "step", "train": {"loss", "accuracy"}, "test": {"loss", "accuracy"}, "elapsedMs" } ],
      "recordEvery": k, "records": [ { "step", "loss", "rmsA": [l = 1..L], "rmsDW": [l = 1..L] } ],
      "last": [ { "layer", "fanIn", "fanOut", "z", "a", "dA", "dZ", "W", "dW" } ] (Stats as above) }

FILES (little-endian, row-major, shapes and dtypes in manifest.json)
    W<l>.bin (n^[l], n^[l-1]) float32, b<l>.bin (n^[l]) float32, x.bin (n^[0], m) float32 (gradscope's a^[0]:
    unit i, example j at i·m + j), y.bin (n^[L], m) float32, labels.bin (m) uint32; for digits digits.bin
    (1797, 64) float32 (standardised features) and digits-labels.bin (1797) uint32; for training
    split-train.bin (1437) and split-test.bin (360) uint32 (rows of digits.bin) and minibatches.bin (N, m) uint32
    (the examples of step t in row t − 1).
"""
import argparse
import json
import math
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn

HERE = Path(__file__).resolve().parent
TENSORS = ('z', 'a', 'dA', 'dZ', 'W', 'dW')
STATS = ('count', 'mean', 'std', 'rms', 'l2', 'min', 'max', 'zeroFraction', 'nanCount', 'infCount')
LOG10 = ('rms', 'l2', 'maxAbs')
WIDTH = len(STATS) + len(LOG10)  # numbers per tensor: the scalar statistics, then log10 rms, l2, maxAbs
INTEGERS = {'count', 'nanCount', 'infCount'}
DIGITS_EXAMPLES = 1797
NONLINEARITY = {'identity': 'linear', 'relu': 'relu', 'tanh': 'tanh'}  # torch.nn.init.calculate_gain's names
LN2 = math.log(2.0)  # the double of JavaScript's Math.LN2
FORMATS = ('gradscope-torch-export/1', 'gradscope-torch-export/2')  # manifest formats this script reads


# ---------------------------------------------------------------------------------------------------------------
# Activations and loss: forward as torch, derivatives as gradscope's backends (src/backends/cpu/ops.ts)
# ---------------------------------------------------------------------------------------------------------------

class ReLU(torch.autograd.Function):
    """a = max(z, 0) (NaN stays NaN); dZ = dA where z > 0, else 0 (relu'(0) = 0; a select, so 0·∞ never occurs)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return torch.relu(z)

    @staticmethod
    def backward(ctx, dA):
        (z,) = ctx.saved_tensors
        return torch.where(z > 0, dA, torch.zeros_like(dA))


def tanh_backward(z, dA):
    """dZ = dA·sech²(z), in float64 (rounded to dA's dtype), as gradscope's sech2Scaled / tanhBackward.

    sech²(z) = 1 − tanh²|z| for |z| < 0.55; else 4t/(1 + t)² with t = e^(−2|z|), written as s·2^−k with
    k = ⌊2|z|/ln 2⌋, r = e^(−2|z| + k ln 2) and s = 4r/(1 + t)², so that a huge dA times a tiny sech² is not lost
    to the underflow of sech² alone. dA = ±∞ gives ±∞ for finite z, NaN for z = ±∞ (∞·0) or NaN.
    """
    z64, d = z.double(), dA.double()
    az = z64.abs()
    finite = torch.isfinite(z64) & torch.isfinite(d)
    small = az < 0.55
    k = torch.floor((2 * az) / LN2)
    k = torch.where(small | ~finite, torch.zeros_like(k), k)
    r = torch.exp(-2 * az + k * LN2)
    t = r * torch.pow(2.0, -torch.clamp(k, max=1074.0))
    s = torch.where(small, 1 - torch.tanh(az) ** 2, (4 * r) / (1 + t) ** 2)
    direct = d * (s * torch.pow(2.0, -k))
    shifted = (d * 2.0 ** -600) * (s * torch.pow(2.0, 600 - k))
    out = torch.where(-k >= -1022, direct, shifted)
    factor = torch.where(torch.isnan(z64), torch.full_like(z64, math.nan),
                         torch.where(torch.isfinite(z64), torch.ones_like(z64), torch.zeros_like(z64)))
    out = torch.where(finite, out, d * factor)
    return out.to(dA.dtype)


class Tanh(torch.autograd.Function):
    """a = tanh z; dZ = dA·sech²(z) from z (see tanh_backward)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return torch.tanh(z)

    @staticmethod
    def backward(ctx, dA):
        (z,) = ctx.saved_tensors
        return tanh_backward(z, dA)


ACTIVATIONS = {'identity': lambda z: z, 'relu': ReLU.apply, 'tanh': Tanh.apply}


def softmax_xent_terms(yhat):
    """The pieces of softmax-xent for ŷ (m, n^[L]), one example per row: M = max_i ŷ_ij, its index i* (the first
    maximum), e = exp(ŷ − M), S = Σ_{i ≠ i*} e_i and whether the row is finite."""
    n = yhat.shape[1]
    finite = torch.isfinite(yhat).all(dim=1)
    big, imax = yhat.max(dim=1)
    e = torch.exp(yhat - big[:, None])
    cols = torch.arange(n, device=yhat.device)
    not_max = torch.where(cols[None, :] == imax[:, None], torch.zeros_like(e), e).sum(dim=1)
    return big, e, not_max, finite


def softmax_xent_per_example(yhat, labels):
    """loss_j = (M_j − ŷ_{label_j, j}) + log1p(S_j), NaN for an example with a non-finite logit; (m,)."""
    big, _, not_max, finite = softmax_xent_terms(yhat)
    per_example = (big - yhat.gather(1, labels[:, None])[:, 0]) + torch.log1p(not_max)
    return torch.where(finite, per_example, torch.full_like(per_example, math.nan))


class SoftmaxXent(torch.autograd.Function):
    """J = (1/m) Σ_j ((M_j − ŷ_{label_j, j}) + log1p(S_j)) and its gradient without cancellation (see the top).

    ŷ: (m, n^[L]), one example per row; labels: (m,) int64. Returns the scalar J.
    """

    @staticmethod
    def forward(ctx, yhat, labels):
        m, n = yhat.shape
        _, e, not_max, finite = softmax_xent_terms(yhat)
        cols = torch.arange(n, device=yhat.device)
        at_label = cols[None, :] == labels[:, None]
        not_label = torch.where(at_label, torch.zeros_like(e), e).sum(dim=1)
        denom = ((1 + not_max) * m)[:, None]
        grad = torch.where(at_label, -not_label[:, None] / denom, e / denom)
        grad = torch.where(finite[:, None], grad, torch.full_like(grad, math.nan))
        ctx.save_for_backward(grad)
        return softmax_xent_per_example(yhat, labels).mean()

    @staticmethod
    def backward(ctx, g):
        (grad,) = ctx.saved_tensors
        return grad * g, None


def per_example_loss(name, yhat, y, labels):
    """loss_j of every example (m,): sum Σ_i ŷ_ij; mse Σ_i (ŷ_ij − y_ij)²; softmax-xent as above. ŷ, y (m, n^[L])."""
    if name == 'sum':
        return yhat.sum(dim=1)
    if name == 'mse':
        return ((yhat - y) ** 2).sum(dim=1)
    if name == 'softmax-xent':
        return softmax_xent_per_example(yhat, labels)
    raise ValueError(f'unknown loss {name!r}')


def loss_of(name, yhat, y, labels):
    """J = (1/m) Σ_j loss_j of the loss `name` (sum, mse, softmax-xent), differentiable; ŷ and y (m, n^[L]),
    labels (m,) int64."""
    if name == 'softmax-xent':
        return SoftmaxXent.apply(yhat, labels)
    return per_example_loss(name, yhat, y, labels).mean()


# ---------------------------------------------------------------------------------------------------------------
# Statistics (src/stats/stats.ts computeStats), on the device, as a vector of WIDTH float64 numbers per tensor
# ---------------------------------------------------------------------------------------------------------------

def tensor_stats(x):
    """The statistics of a tensor (any shape and layout): a float64 tensor of WIDTH numbers on x's device, in the
    order STATS then log10 rms, l2, maxAbs. Never synchronises with the device (no value leaves it here)."""
    x = x.detach().reshape(-1).to(torch.float64)
    n = x.numel()
    nan_t = torch.tensor(math.nan, dtype=torch.float64, device=x.device)
    inf_t = torch.tensor(math.inf, dtype=torch.float64, device=x.device)
    zero_t = torch.zeros((), dtype=torch.float64, device=x.device)
    one_t = torch.ones((), dtype=torch.float64, device=x.device)
    isnan, isinf = torch.isnan(x), torch.isinf(x)
    finite = ~(isnan | isinf)
    is_zero = x == 0
    nans, infs, zeros = isnan.sum().double(), isinf.sum().double(), is_zero.sum().double()
    # min and max over the non-NaN values, with −0 < +0 (IEEE 754 totalOrder, as gradscope's GPU keys).
    lo = torch.where(isnan, inf_t, x).min()
    hi = torch.where(isnan, -inf_t, x).max()
    negative_zero = (is_zero & torch.signbit(x)).any()
    positive_zero = (is_zero & ~torch.signbit(x)).any()
    lo = torch.where(lo == 0, torch.where(negative_zero, -zero_t, zero_t), lo)
    hi = torch.where(hi == 0, torch.where(positive_zero, zero_t, -zero_t), hi)
    all_nan = nans == n
    lo = torch.where(all_nan, nan_t, lo)
    hi = torch.where(all_nan, nan_t, hi)
    # S = 2^e ≈ max|x| over the finite values: x/S is exact and |x/S| < 4, so no sum overflows.
    max_abs = torch.where(finite, x.abs(), zero_t).max()
    e = torch.clamp(torch.floor(torch.log2(max_abs)), -1074.0, 1023.0)
    scale = torch.where(max_abs > 0, torch.pow(2.0, e), one_t)
    s = torch.where(finite, x / scale, zero_t)
    mean_scaled = s.sum() / n
    dev = ((s - mean_scaled) ** 2).sum()
    ssq = (s * s).sum()
    mean = torch.minimum(hi, torch.maximum(lo, scale * mean_scaled))
    std = scale * torch.sqrt(dev / n)
    rms = scale * torch.sqrt(ssq / n)
    l2 = scale * torch.sqrt(ssq)
    # Special values: NaN decides everything; else ±∞ makes mean ±∞ (NaN if both), std NaN, rms and l2 ∞.
    has_nan, has_inf = nans > 0, infs > 0
    inf_mean = torch.where((lo == -math.inf) & (hi == math.inf), nan_t, torch.where(hi == math.inf, inf_t, -inf_t))
    mean = torch.where(has_nan, nan_t, torch.where(has_inf, inf_mean, mean))
    std = torch.where(has_nan | has_inf, nan_t, std)
    rms = torch.where(has_nan, nan_t, torch.where(has_inf, inf_t, rms))
    l2 = torch.where(has_nan, nan_t, torch.where(has_inf, inf_t, l2))
    abs_max = torch.where(torch.isnan(lo), nan_t, torch.maximum(lo.abs(), hi.abs()))
    count = torch.full((), float(n), dtype=torch.float64, device=x.device)
    return torch.stack([count, mean, std, rms, l2, lo, hi, zeros / n, nans, infs,
                        torch.log10(rms), torch.log10(l2), torch.log10(abs_max)])


# ---------------------------------------------------------------------------------------------------------------
# The network, its weights and its batch
# ---------------------------------------------------------------------------------------------------------------

def make_layers(widths, dtype, device):
    """torch.nn.Linear(n^[l-1], n^[l]) for l = 1..L, uninitialised (skip_init: no default draw)."""
    return [nn.utils.skip_init(nn.Linear, widths[l - 1], widths[l], dtype=dtype, device=device)
            for l in range(1, len(widths))]


def load_bin(entry, dtype='<f4'):
    """A little-endian array of the export (manifest entry {file, shape, dtype}) as numpy, in its shape."""
    return np.fromfile(HERE / entry['file'], dtype=dtype).reshape(entry['shape'])


def load_weights(layers, manifest):
    """W^[l] and b^[l] from W<l>.bin and b<l>.bin (float32), converted to the layers' dtype."""
    with torch.no_grad():
        for layer, entry in zip(layers, manifest['weights']):
            layer.weight.copy_(torch.from_numpy(load_bin(entry['W'])))
            layer.bias.copy_(torch.from_numpy(load_bin(entry['b'])))


def effective_gain(cfg):
    """The gain of gradscope's effectiveGain: config gain, else calculate_gain(activation) for kaiming_*, else 1."""
    if cfg['gain'] is not None:
        return float(cfg['gain'])
    if cfg['init'].startswith('kaiming'):
        return nn.init.calculate_gain(NONLINEARITY[cfg['activation']])
    return 1.0


def init_layer(layer, cfg):
    """Fresh W^[l] by torch.nn.init under the config's initialiser and parameters; b^[l] = bias, or with biasStd
    s > 0 (gradscope --bias-std) b^[l]_i ~ N(bias, s²) by nn.init.normal_ (same distribution, not the same numbers)."""
    W, name, gain = layer.weight, cfg['init'], effective_gain(cfg)
    fan_out, fan_in = W.shape
    with torch.no_grad():
        if name == 'zeros':
            nn.init.zeros_(W)
        elif name == 'constant':
            nn.init.constant_(W, cfg['value'])
        elif name == 'identity':
            nn.init.eye_(W)
            W.mul_(gain)
        elif name == 'normal':
            nn.init.normal_(W, cfg['mean'], cfg['std'])
        elif name == 'uniform':
            nn.init.uniform_(W, cfg['low'], cfg['high'])
        elif name == 'xavier_normal':
            nn.init.xavier_normal_(W, gain=gain)
        elif name == 'xavier_uniform':
            nn.init.xavier_uniform_(W, gain=gain)
        elif name in ('kaiming_normal', 'kaiming_uniform') and cfg['gain'] is None:
            init = nn.init.kaiming_normal_ if name == 'kaiming_normal' else nn.init.kaiming_uniform_
            init(W, mode=cfg['mode'], nonlinearity=NONLINEARITY[cfg['activation']])
        elif name in ('kaiming_normal', 'kaiming_uniform', 'lecun_normal', 'lecun_uniform'):
            # Var = gain²/fan (kaiming with an explicit gain, which kaiming_*_ cannot take) or gain²/fan_in (LeCun).
            fan = fan_out if name.startswith('kaiming') and cfg['mode'] == 'fan_out' else fan_in
            std = gain / math.sqrt(fan)
            if name.endswith('_normal'):
                nn.init.normal_(W, 0.0, std)
            else:
                nn.init.uniform_(W, -math.sqrt(3.0) * std, math.sqrt(3.0) * std)
        elif name == 'orthogonal':
            nn.init.orthogonal_(W, gain=gain)
        else:
            raise ValueError(f'unknown initialiser {name!r}')
        if cfg.get('biasStd', 0) > 0:
            nn.init.normal_(layer.bias, cfg['bias'], cfg['biasStd'])
        else:
            nn.init.constant_(layer.bias, cfg['bias'])


class Batch:
    """x (m, n^[0]), y (m, n^[L]) one-hot targets (zeros for non-digit inputs), labels (m,) int64."""

    def __init__(self, x, y, labels):
        self.x, self.y, self.labels = x, y, labels


def exported_batch(manifest, dtype, device):
    """The exported batch: x.bin (n^[0], m), y.bin (n^[L], m) transposed to torch's (m, n); labels.bin."""
    x = torch.from_numpy(load_bin(manifest['x']).T.copy())
    y = torch.from_numpy(load_bin(manifest['y']).T.copy())
    labels = torch.from_numpy(load_bin(manifest['labels'], '<u4').astype(np.int64))
    return Batch(x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype), labels.to(device))


def fresh_batch(cfg, widths, m, seed, dtype, device, digits):
    """A batch drawn by a CPU torch.Generator seeded with `seed` (gradscope's distributions, not its numbers)."""
    g = torch.Generator().manual_seed(seed)
    n0, n_out = widths[0], widths[-1]
    y = torch.zeros(m, n_out)
    if cfg['input'] == 'digits':
        features, digit_labels = digits
        idx = torch.randperm(features.shape[0], generator=g)[:m]
        x, labels = features[idx], digit_labels[idx]
        rows = torch.nonzero(labels < n_out)[:, 0]
        y[rows, labels[rows]] = 1
    else:
        x = torch.randn(m, n0, generator=g) if cfg['input'] == 'gaussian' else torch.ones(m, n0)
        labels = torch.randint(n_out, (m,), generator=g)
    return Batch(x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype), labels.to(device))


def load_digits(manifest):
    """The digits data set of the export (digits.bin, digits-labels.bin), or None when the input is not digits."""
    if manifest.get('digits') is None:
        return None
    features = torch.from_numpy(load_bin(manifest['digits']['features']).copy())
    labels = torch.from_numpy(load_bin(manifest['digits']['labels'], '<u4').astype(np.int64))
    return features, labels


# ---------------------------------------------------------------------------------------------------------------
# One step
# ---------------------------------------------------------------------------------------------------------------

def forward_backward(layers, batch, activation, loss_name, visit):
    """Forward, loss and backward of one batch, calling visit(l, name, tensor) for every tensor as it is produced:
    W^[l] (the parameter itself, before any update) for l = 1..L, then z^[l], a^[l] during the forward pass, dA^[l]
    and dZ^[l] (tensor hooks) during the backward pass, and dW^[l] (the weight's .grad) at its end. Leaves the
    gradients of W and b in .grad (for an optimiser) and returns J, a 0-d tensor (not synchronised)."""
    L = len(layers)
    g = ACTIVATIONS[activation]

    def record(l, *names):
        def hook(grad):
            for name in names:
                visit(l, name, grad)
        return hook

    for l, layer in enumerate(layers, start=1):
        layer.weight.grad = None
        layer.bias.grad = None
        visit(l, 'W', layer.weight)
    a = batch.x
    for l, layer in enumerate(layers, start=1):
        z = layer(a)
        a = z if l == L else g(z)
        visit(l, 'z', z)
        visit(l, 'a', a)
        if a is z:
            z.register_hook(record(l, 'dA', 'dZ'))
        else:
            z.register_hook(record(l, 'dZ'))
            a.register_hook(record(l, 'dA'))
    J = loss_of(loss_name, a, batch.y, batch.labels)
    J.backward()
    for l, layer in enumerate(layers, start=1):
        visit(l, 'dW', layer.weight.grad)
    return J.detach()


def stats_of(found, L):
    """The statistics of the tensors in `found` ({(l, name): tensor_stats}) as a float64 numpy array (L, 6, WIDTH)
    in TENSORS order: the step's one synchronisation with the device."""
    return torch.stack([torch.stack([found[(l, t)] for t in TENSORS]) for l in range(1, L + 1)]).cpu().numpy()


def step(layers, batch, activation, loss_name):
    """Forward, loss, backward; returns (J, stats) with stats a float64 numpy array (L, 6, WIDTH) in TENSORS order."""
    found = {}

    def visit(l, name, x):
        found[(l, name)] = tensor_stats(x)

    J = forward_backward(layers, batch, activation, loss_name, visit)
    return float(J.double().cpu()), stats_of(found, len(layers))


# ---------------------------------------------------------------------------------------------------------------
# Training (src/session/train.ts Trainer)
# ---------------------------------------------------------------------------------------------------------------

def rms_of(x):
    """rms = √(Σx²/count) in float64 as tensor_stats computes it (scaled by S = 2^⌊log2 max|x|⌋, so no square
    overflows), NaN with a NaN present, ∞ with ±∞ present; a 0-d tensor (not synchronised)."""
    x = x.detach().reshape(-1).to(torch.float64)
    max_abs = x.abs().max()
    ok = torch.isfinite(max_abs) & (max_abs > 0)
    scale = torch.where(ok, torch.pow(2.0, torch.clamp(torch.floor(torch.log2(torch.where(ok, max_abs, torch.ones_like(max_abs)))),
                                                          -1074.0, 1023.0)), torch.ones_like(max_abs))
    return scale * torch.sqrt(((x / scale) ** 2).mean())


def first_argmax(yhat):
    """The predicted class of every row of ŷ (m, n^[L]) as gradscope's Trainer picks it: the first index i with
    ŷ_i > ŷ_best scanning from best = 0, i.e. the first maximum over the non-NaN entries, or 0 when ŷ_0 is NaN."""
    n = yhat.shape[1]
    filled = torch.where(torch.isnan(yhat), torch.full_like(yhat, -math.inf), yhat)
    top = filled.max(dim=1, keepdim=True).values
    cols = torch.arange(n, device=yhat.device).expand_as(yhat)
    first = torch.where(filled == top, cols, torch.full_like(cols, n)).min(dim=1).values
    return torch.where(torch.isnan(yhat[:, 0]), torch.zeros_like(first), first)


class Digits:
    """The digits of the export on the device: features (1797, 64) in the network's dtype, labels (1797,) int64,
    one-hot targets (1797, n^[L]) (a label ≥ n^[L] gets no 1, as gradscope's digitsBatch)."""

    def __init__(self, digits, n_out, dtype, device):
        features, labels = digits
        self.x = features.to(device=device, dtype=dtype)
        self.labels = labels.to(device)
        y = torch.zeros(labels.shape[0], n_out)
        rows = torch.nonzero(labels < n_out)[:, 0]
        y[rows, labels[rows]] = 1
        self.y = y.to(device=device, dtype=dtype)

    def batch(self, idx):
        """The examples idx (a tensor of row indices on the device) as a Batch."""
        return Batch(self.x[idx], self.y[idx], self.labels[idx])


def evaluate_set(layers, activation, loss_name, data, examples):
    """Loss and accuracy of a set of examples (indices, int64 tensor on the device), as Trainer.measure: forward
    passes alone, ŷ in float64, loss = (Σ_j loss_j) / count with the loss's per-example formula, accuracy = the
    fraction of examples whose first_argmax(ŷ) equals the label."""
    L = len(layers)
    g = ACTIVATIONS[activation]
    batch = data.batch(examples)
    with torch.no_grad():
        a = batch.x
        for l, layer in enumerate(layers, start=1):
            z = layer(a)
            a = z if l == L else g(z)
        yhat = a.double()
        per = per_example_loss(loss_name, yhat, batch.y.double(), batch.labels)
        correct = (first_argmax(yhat) == batch.labels).sum()
    count = examples.shape[0]
    return {'loss': json_number(float(per.sum().cpu()) / count), 'accuracy': float(correct.cpu()) / count}


def make_optimizer(layers, training):
    """torch.optim's optimiser of the manifest (training.torchOptimizer: class and keyword arguments) over
    W^[1], b^[1], …, W^[L], b^[L]: SGD(lr, momentum, dampening=0, weight_decay) or Adam(lr, betas, eps,
    weight_decay); gradscope's formulas are the same (src/model/optimizers.ts)."""
    spec = training['torchOptimizer']
    kwargs = dict(spec['kwargs'])
    if 'betas' in kwargs:
        kwargs['betas'] = tuple(kwargs['betas'])
    params = [p for layer in layers for p in (layer.weight, layer.bias)]
    return getattr(torch.optim, spec['class'])(params, **kwargs)


def fresh_minibatches(train, steps, m, seed):
    """Minibatches as torch.utils.data.DataLoader(shuffle=True, drop_last=True) draws them from the train part:
    each epoch a permutation (torch.randperm with a CPU torch.Generator seeded with `seed`) cut into batches of m,
    the incomplete tail dropped. Returns (steps, m) int64 example indices."""
    g = torch.Generator().manual_seed(seed)
    train = torch.as_tensor(train, dtype=torch.int64)
    rows = torch.empty((steps, m), dtype=torch.int64)
    order, pos = train, len(train)
    for t in range(steps):
        if pos + m > len(train):
            order, pos = train[torch.randperm(len(train), generator=g)], 0
        rows[t] = order[pos:pos + m]
        pos += m
    return rows


def train(layers, cfg, widths, training, data, split, minibatches, device):
    """Train as gradscope's Trainer does and return the document's parts (see the top, TRAINING).

    minibatches: (N, m) int64 example indices, row t − 1 for step t; split: (train, test) int64 index tensors.
    """
    L = len(layers)
    steps = minibatches.shape[0]
    activation, loss_name, eval_every = cfg['activation'], cfg['loss'], cfg['evalEvery']
    record_every = max(1, -(-(L * steps) // training['maxRecorded']))
    optimizer = make_optimizer(layers, training)
    train_part, test_part = (part.to(device) for part in split)
    minibatches = minibatches.to(device)
    t0 = time.perf_counter()
    evaluations, records = [], []

    def evaluate(t):
        evaluations.append({'step': t, 'train': evaluate_set(layers, activation, loss_name, data, train_part),
                            'test': evaluate_set(layers, activation, loss_name, data, test_part),
                            'elapsedMs': (time.perf_counter() - t0) * 1000})

    evaluate(0)
    state, divergence, last, step_s, done = 'done', None, None, 0.0, 0
    for t in range(1, steps + 1):
        t_step = time.perf_counter()
        kept = {}
        J = forward_backward(layers, data.batch(minibatches[t - 1]), activation, loss_name,
                             lambda l, name, x: kept.__setitem__((l, name), x))
        # One readback: J, rms(a^[l]) and rms(dW^[l]), and whether each tensor holds a NaN or ±∞.
        light = torch.cat([J.double().reshape(1),
                           torch.stack([rms_of(kept[(l, 'a')]) for l in range(1, L + 1)]),
                           torch.stack([rms_of(kept[(l, 'dW')]) for l in range(1, L + 1)]),
                           torch.stack([(~torch.isfinite(kept[(l, name)])).any().double()
                                        for l in range(1, L + 1) for name in TENSORS])]).cpu().numpy()
        loss, rms_a, rms_dw = light[0], light[1:L + 1], light[L + 1:2 * L + 1]
        bad = light[2 * L + 1:].reshape(L, len(TENSORS)) > 0
        site = next(({'tensor': name, 'layer': l} for name, l in computation_order(L) if bad[l - 1, TENSORS.index(name)]), None)
        if site is None and not math.isfinite(loss):
            site = {'tensor': 'a', 'layer': L}  # as Trainer: a non-finite J with finite tensors is charged to ŷ
        if site is not None or t == steps:
            # The full statistics of the last step, of the W it used (before the update).
            last = stats_of({key: tensor_stats(x) for key, x in kept.items()}, L)
        del kept
        optimizer.step()
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        step_s += time.perf_counter() - t_step
        done = t
        if t % record_every == 0 or t == steps:
            records.append({'step': t, 'loss': json_number(loss), 'rmsA': [json_number(v) for v in rms_a],
                            'rmsDW': [json_number(v) for v in rms_dw]})
        if site is not None:
            divergence = {'step': t, **site}
            evaluate(t)
            state = 'diverged'
            break
        if t % eval_every == 0 or t == steps:
            evaluate(t)
    return {
        'state': state, 'steps': done, 'msPerStep': step_s * 1000 / done if done else None,
        'divergence': divergence, 'evaluations': evaluations, 'recordEvery': record_every, 'records': records,
        'last': layers_json(last, widths) if last is not None else None,
    }


# ---------------------------------------------------------------------------------------------------------------
# The JSON document
# ---------------------------------------------------------------------------------------------------------------

def json_number(v, integer=False):
    """A number as gradscope's JSON writes it: non-finite numbers as "NaN", "Infinity", "-Infinity"."""
    v = float(v)
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    return int(v) if integer and v.is_integer() else v


def stats_json(row):
    """One tensor's WIDTH numbers as gradscope's Stats object."""
    out = {name: json_number(row[i], name in INTEGERS) for i, name in enumerate(STATS)}
    out['log10'] = {name: json_number(row[len(STATS) + i]) for i, name in enumerate(LOG10)}
    return out


def computation_order(L):
    """(tensor, layer) in the order a step computes them: forward l = 1..L (W, z, a), backward l = L..1 (dA, dZ, dW)."""
    for l in range(1, L + 1):
        for t in ('W', 'z', 'a'):
            yield t, l
    for l in range(L, 0, -1):
        for t in ('dA', 'dZ', 'dW'):
            yield t, l


def first_site(stats, test):
    """The first (tensor, layer) in computation order whose statistics pass `test`, as {tensor, layer}, or None."""
    for t, l in computation_order(stats.shape[0]):
        if test(t, stats[l - 1, TENSORS.index(t)]):
            return {'tensor': t, 'layer': l}
    return None


def layers_json(stats, widths):
    """Per layer {layer, fanIn, fanOut, z, a, dA, dZ, W, dW} from stats (L, 6, WIDTH)."""
    return [dict({'layer': l, 'fanIn': widths[l - 1], 'fanOut': widths[l]},
                 **{t: stats_json(stats[l - 1, k]) for k, t in enumerate(TENSORS)})
            for l in range(1, len(widths))]


def result_json(cfg, adapter, J, stats, widths, step_ms):
    """The document of one run, in the key order of gradscope's toJson."""
    nan_i, inf_i, zero_i = STATS.index('nanCount'), STATS.index('infCount'), STATS.index('zeroFraction')
    return {
        'config': cfg,
        'backend': 'pytorch',
        'adapter': adapter,
        'loss': json_number(J),
        'firstNonFinite': first_site(stats, lambda t, s: s[nan_i] > 0 or s[inf_i] > 0),
        'firstAllZero': first_site(stats, lambda t, s: t != 'W' and s[zero_i] == 1),
        'stepMs': step_ms,
        'layers': layers_json(stats, widths),
    }


def training_json(cfg, adapter, parts):
    """The document of a training run, in the key order of gradscope's trainingJson (src/session/training-json.ts)."""
    return {'config': cfg, 'backend': 'pytorch', 'adapter': adapter, 'state': parts['state'], 'steps': parts['steps'],
            'msPerStep': parts['msPerStep'], 'divergence': parts['divergence'], 'evaluations': parts['evaluations'],
            'recordEvery': parts['recordEvery'], 'records': parts['records'], 'last': parts['last']}


def quantiles(values, p):
    """Quantile p of each column of `values` (K, C) over its non-NaN entries: linear interpolation between order
    statistics (numpy's default, type 7); −∞ or +∞ where an end of the interpolation is; NaN for an all-NaN column."""
    v = np.sort(values, axis=0)  # NaN sorts last
    c = (~np.isnan(values)).sum(axis=0)
    h = np.maximum(c - 1, 0) * p
    lo_i = np.floor(h).astype(np.int64)
    hi_i = np.minimum(lo_i + 1, np.maximum(c - 1, 0))
    frac = h - lo_i
    lo = np.take_along_axis(v, lo_i[None, :], axis=0)[0]
    hi = np.take_along_axis(v, hi_i[None, :], axis=0)[0]
    with np.errstate(invalid='ignore', over='ignore'):
        mid = np.clip(lo + frac * (hi - lo), np.minimum(lo, hi), np.maximum(lo, hi))
    out = np.where((frac == 0) | (lo == hi), lo, mid)
    out = np.where(np.isinf(lo) & ~np.isinf(hi), lo, out)
    out = np.where(np.isinf(hi) & ~np.isinf(lo) & (frac > 0), hi, out)
    out = np.where(np.isinf(lo) & np.isinf(hi) & (lo != hi) & (frac > 0), np.nan, out)
    return np.where(c == 0, np.nan, out)


def seeds_json(cfg, adapter, all_stats):
    """The document of a seeds run: median, p10 and p90 over the seeds of every (layer, tensor, statistic).
    all_stats: (K, L, 6, WIDTH)."""
    K, L = all_stats.shape[0], all_stats.shape[1]
    flat = all_stats.reshape(K, -1)
    q = {name: quantiles(flat, p).reshape(L, len(TENSORS), WIDTH) for name, p in (('median', 0.5), ('p10', 0.1), ('p90', 0.9))}

    def triple(l, k, i):
        return {name: json_number(q[name][l, k, i]) for name in ('median', 'p10', 'p90')}

    layers = []
    for l in range(L):
        entry = {'layer': l + 1}
        for k, t in enumerate(TENSORS):
            tensor = {name: triple(l, k, i) for i, name in enumerate(STATS)}
            tensor['log10'] = {name: triple(l, k, len(STATS) + i) for i, name in enumerate(LOG10)}
            entry[t] = tensor
        layers.append(entry)
    return {'config': cfg, 'backend': 'pytorch', 'adapter': adapter, 'seeds': {'count': K, 'layers': layers}}


def write_json(doc, path):
    text = json.dumps(doc, indent=1, allow_nan=False, ensure_ascii=False)
    if path == '-':
        sys.stdout.write(text + '\n')
    else:
        Path(path).write_text(text, encoding='utf-8')


# ---------------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------------

def parse_seeds(spec, first):
    """Seeds from "a-b" ranges and comma lists ("0-1023", "1,5,9-12"), or a count K (first, …, first + K − 1)."""
    if re.fullmatch(r'\d+', spec.strip()):
        return list(range(first, first + int(spec)))
    seeds = []
    for part in spec.split(','):
        m = re.fullmatch(r'\s*(\d+)\s*(?:-\s*(\d+)\s*)?', part)
        if not m or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise SystemExit(f'experiment.py: --seeds: expected ranges a-b (a ≤ b) and lists, got {spec!r}')
        a = int(m.group(1))
        seeds.extend(range(a, (int(m.group(2)) if m.group(2) is not None else a) + 1))
    if any(s >= 2 ** 32 for s in seeds):
        raise SystemExit('experiment.py: --seeds: seeds are integers in 0..4294967295')
    return seeds


def resolve(manifest, args):
    """The config and widths of this run: the manifest's, with --depth, --width, --batch, --seed applied."""
    cfg = dict(manifest['config'])
    widths = list(manifest['widths'])
    if args.depth is not None or args.width is not None:
        L = args.depth if args.depth is not None else len(widths) - 1
        hidden = args.width if args.width is not None else (widths[1] if len(widths) > 2 else cfg['width'])
        if args.width is None and args.depth is not None and len(set(widths[1:-1])) > 1:
            raise SystemExit('experiment.py: --depth on a network with per-layer widths needs --width too')
        widths = [widths[0]] + [hidden] * (L - 1) + [widths[-1]]
        cfg.update(depth=L, width=hidden, widths=None)
    if args.batch is not None:
        if cfg['input'] == 'digits' and args.batch > DIGITS_EXAMPLES:
            raise SystemExit(f'experiment.py: --batch: at most {DIGITS_EXAMPLES} for input digits')
        cfg['batch'] = args.batch
    if args.seed is not None:
        cfg['seed'] = args.seed
    training = manifest.get('training')
    if args.steps is not None:
        if args.steps > 0 and training is None:
            raise SystemExit('experiment.py: --steps: this export has no training (no split, no optimiser): export it '
                             'with gradscope --steps N --export-torch DIR')
        if args.steps > 0 and args.same_numbers and args.steps > training['steps']:
            raise SystemExit(f'experiment.py: --steps: --same-numbers replays the exported minibatches, '
                             f'{training["steps"]} steps at most')
        cfg['steps'] = args.steps
    if args.seeds is not None and cfg.get('steps', 0) > 0 and training is not None:
        raise SystemExit('experiment.py: --seeds measures one step per seed: add --steps 0 (no training)')
    return cfg, widths


def save_weights(layers, folder):
    """Write W<l>.bin (n^[l], n^[l-1]) and b<l>.bin (n^[l]) of every layer into `folder` (created), float64
    little-endian, row-major: the weights as they are now (after training, the final ones)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for l, layer in enumerate(layers, start=1):
        layer.weight.detach().to('cpu', torch.float64).numpy().astype('<f8').tofile(folder / f'W{l}.bin')
        layer.bias.detach().to('cpu', torch.float64).numpy().astype('<f8').tofile(folder / f'b{l}.bin')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     epilog='What it computes, the modes, the statistics and the JSON format: the '
                                            'comment at the top of this file.')
    parser.add_argument('--same-numbers', action='store_true',
                        help="gradscope's exported weights and batch (W<l>.bin, b<l>.bin, x.bin, y.bin, labels.bin)")
    parser.add_argument('--dtype', choices=('float32', 'float64'), default='float32',
                        help='precision of the network (the statistics are always reduced in float64)')
    parser.add_argument('--device', default='cpu', help='cpu, cuda or cuda:K (under torchrun, cuda is cuda:LOCAL_RANK)')
    parser.add_argument('--json', default='-', metavar='FILE', help='output file ("-": stdout, the default)')
    parser.add_argument('--seed', type=int, help='seed of a fresh draw (default: the manifest\'s)')
    parser.add_argument('--seeds', help='many fresh draws: "0-1023", "1,5,9-12", or a count K (from --seed on)')
    parser.add_argument('--depth', type=int, help='L (hidden widths --width, or the manifest\'s)')
    parser.add_argument('--width', type=int, help='n^[l] of every hidden layer l = 1..L-1')
    parser.add_argument('--batch', type=int, help='m, examples per batch')
    parser.add_argument('--steps', type=int,
                        help='training steps (default: the manifest\'s; 0: one step, no training; with --same-numbers '
                             'at most the exported steps)')
    parser.add_argument('--save-weights', metavar='DIR',
                        help='write the final W<l>.bin and b<l>.bin (float64, little-endian) into DIR')
    args = parser.parse_args()
    if args.same_numbers and any(v is not None for v in (args.seed, args.seeds, args.depth, args.width, args.batch)):
        parser.error('--same-numbers runs the exported network and batch: --seed, --seeds, --depth, --width and '
                     '--batch apply to fresh draws only')
    for name in ('depth', 'width', 'batch'):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f'--{name} must be a positive integer')
    if args.steps is not None and args.steps < 0:
        parser.error('--steps must be a non-negative integer')
    if args.save_weights is not None and args.seeds is not None:
        parser.error('--save-weights writes the weights of one run: not with --seeds')

    manifest = json.loads((HERE / 'manifest.json').read_text(encoding='utf-8'))
    if manifest.get('format') not in FORMATS:
        raise SystemExit(f'experiment.py: manifest.json has format {manifest.get("format")!r}; this script reads '
                         f'{", ".join(FORMATS)}')
    cfg, widths = resolve(manifest, args)
    dtype = {'float32': torch.float32, 'float64': torch.float64}[args.dtype]
    # Full float32 products on GPUs (no TF32), so float32 means float32.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False

    # Under torchrun (RANK, WORLD_SIZE, LOCAL_RANK set): --seeds spreads over the processes; a single run is made by
    # process 0 alone.
    rank = int(os.environ.get('RANK', '0'))
    distributed = args.seeds is not None and 'WORLD_SIZE' in os.environ
    world = int(os.environ['WORLD_SIZE']) if distributed else 1
    device = torch.device(args.device)
    if device.type == 'cuda' and device.index is None:
        device = torch.device('cuda', int(os.environ.get('LOCAL_RANK', '0')))
    if device.type == 'cuda':
        torch.cuda.set_device(device)
    comm = 'nccl' if device.type == 'cuda' else 'gloo'
    if distributed:
        dist.init_process_group(comm)
    where = f'{device}' + (f' ({torch.cuda.get_device_name(device)})' if device.type == 'cuda' else '')
    # A manifest without a training part (format /1, or --steps 0 at export) runs one step.
    training = cfg.get('steps', 0) > 0 and manifest.get('training') is not None
    adapter = f'torch {torch.__version__} {where} {args.dtype}, ' \
              + ('exported weights' if args.same_numbers else 'torch.nn.init weights') \
              + ((' and minibatches' if args.same_numbers else ', shuffled minibatches') if training else '')
    layers = make_layers(widths, dtype, device)
    m = cfg['batch']

    if args.seeds is None:
        if rank != 0:
            return
        if args.same_numbers:
            load_weights(layers, manifest)
        else:
            torch.manual_seed(cfg['seed'])
            for layer in layers:
                init_layer(layer, cfg)
        if training:
            spec = manifest['training']
            split = tuple(torch.from_numpy(load_bin(spec['split'][part], '<u4').astype(np.int64)) for part in ('train', 'test'))
            if args.same_numbers:
                minibatches = torch.from_numpy(load_bin(spec['minibatches'], '<u4')[:cfg['steps']].astype(np.int64))
            else:
                minibatches = fresh_minibatches(split[0], cfg['steps'], m, cfg['seed'])
            data = Digits(load_digits(manifest), widths[-1], dtype, device)
            parts = train(layers, cfg, widths, spec, data, split, minibatches, device)
            write_json(training_json(cfg, adapter, parts), args.json)
        else:
            if args.same_numbers:
                batch = exported_batch(manifest, dtype, device)
            else:
                batch = fresh_batch(cfg, widths, m, cfg['seed'], dtype, device, load_digits(manifest))
            t0 = time.perf_counter()
            J, stats = step(layers, batch, cfg['activation'], cfg['loss'])
            step_ms = (time.perf_counter() - t0) * 1000
            write_json(result_json(cfg, adapter, J, stats, widths, step_ms), args.json)
        if args.save_weights is not None:
            save_weights(layers, args.save_weights)
        return

    seeds = parse_seeds(args.seeds, cfg['seed'])
    digits = load_digits(manifest)
    mine = list(range(rank, len(seeds), world))  # positions in `seeds` this process runs
    per = -(-len(seeds) // world)
    rows = np.full((per, 1 + len(layers) * len(TENSORS) * WIDTH), np.nan)
    rows[:, 0] = -1
    for i, pos in enumerate(mine):
        seed = seeds[pos]
        torch.manual_seed(seed)
        for layer in layers:
            init_layer(layer, cfg)
        _, stats = step(layers, fresh_batch(cfg, widths, m, seed, dtype, device, digits), cfg['activation'], cfg['loss'])
        rows[i, 0] = pos
        rows[i, 1:] = stats.reshape(-1)
    if distributed:
        local = torch.from_numpy(rows).to(device)
        gathered = [torch.empty_like(local) for _ in range(world)]
        dist.all_gather(gathered, local)
        rows = torch.cat(gathered).cpu().numpy()
        adapter += f' ×{world} processes ({comm})'
    if rank == 0:
        rows = rows[rows[:, 0] >= 0]
        rows = rows[np.argsort(rows[:, 0], kind='stable')]
        all_stats = rows[:, 1:].reshape(len(seeds), len(layers), len(TENSORS), WIDTH)
        cfg['seed'] = seeds[0]
        write_json(seeds_json(cfg, adapter, all_stats), args.json)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
