/**
 * Every explanation the page shows (behind its "?" buttons, in tooltips and in the glossary), in the lecture's
 * notation: one or two sentences each, with the formula where there is one. Text only; help.ts puts it on the page.
 */
import type { TensorName } from '../model/network';
import type { StatName } from '../stats/stats';

/** What each per-layer tensor is. */
export const TENSOR_TEXT: Readonly<Record<TensorName, string>> = {
  z: 'z^[l] = W^[l] a^[l-1] + b^[l]: the pre-activation of layer l, an (n^[l], m) matrix with one column per example.',
  a: 'a^[l] = g(z^[l]): the activation, the output of layer l (a^[0] = x is the input; the output layer is identity, a^[L] = ŷ = z^[L]).',
  dA: 'dA^[l] = ∂J/∂a^[l]: the gradient of the loss J with respect to a^[l]. It starts at dA^[L] = dŷ and travels backward: dA^[l-1] = W^[l]ᵀ dZ^[l].',
  dZ: 'dZ^[l] = dA^[l] ⊙ g\'(z^[l]): the gradient with respect to z^[l], the element-wise product with the slope of the activation (ReLU: 0 or 1; tanh: ≤ 1).',
  W: 'W^[l]: the weights of layer l, an (n^[l], n^[l-1]) = (fan_out, fan_in) matrix drawn by the initialiser (e.g. He: Var(W) = 2/fan_in).',
  dW: 'dW^[l] = dZ^[l] a^[l-1]ᵀ = ∂J/∂W^[l]: the gradient a descent step subtracts from W^[l]. Where it vanishes, layer l does not learn; where it explodes, a step wrecks it.',
};

/** What each statistic is, over the N entries x of one tensor (N = n^[l]·m for z, a, dA, dZ; n^[l]·n^[l-1] for W, dW). */
export const STAT_TEXT: Readonly<Record<StatName | 'maxAbs', string>> = {
  count: 'count: N, the number of entries (n^[l]·m for z, a, dA, dZ; n^[l]·n^[l-1] for W, dW).',
  mean: 'mean = (1/N) Σ x, the average entry.',
  std: 'std = √((1/N) Σ (x − mean)²), the population standard deviation.',
  rms: 'rms = √((1/N) Σ x²), the typical size of an entry (rms² = mean² + std²). The charts plot it: a straight line on the log axis is a constant factor per layer.',
  l2: 'l2 = √(Σ x²) = rms·√N, the Frobenius norm of the whole tensor.',
  min: 'min: the smallest entry (NaN entries skipped).',
  max: 'max: the largest entry (NaN entries skipped).',
  maxAbs: 'maxAbs = max(|min|, |max|), the largest magnitude.',
  zeroFraction: 'zeroFraction: the fraction of entries exactly 0 (dead ReLU units in a and dZ; 1 when a vanishing signal underflowed).',
  nanCount: 'nanCount: the number of NaN entries (e.g. ∞ − ∞ or 0·∞ after an overflow).',
  infCount: 'infCount: the number of ±∞ entries (overflow: beyond 3.4e38 in float32, 1.8e308 in float64).',
};

/** The two places of a run that the summary line names. */
export const SITE_TEXT = {
  firstNonFinite: 'first non-finite: the first tensor, in the order the step computes them (forward l = 1..L: W, z, a; then backward l = L..1: dA, dZ, dW), holding a NaN or ±∞: where the signal overflowed (float32: beyond 3.4e38).',
  firstAllZero: 'first all-zero: the first tensor (W excluded), in the same order, whose every entry is 0: where a vanishing signal underflowed (float32: below 1.2e-38, or 1.4e-45 with subnormals) — every layer before the input then gets exactly zero gradient.',
} as const;

/** What each chart and panel of the page shows and what to look for. */
export const CHART_TEXT = {
  forward: 'Forward pass: rms of z^[l] (dashed) and a^[l] (solid) for l = 1..L, on a log axis. A straight rising line is an exploding signal (a constant factor > 1 per layer), a falling one a vanishing signal; a good initialisation keeps it flat.',
  backward: 'Backward pass: rms of dZ^[l] (dashed) and dW^[l] (solid). Read it from right to left: the gradient starts at l = L and is multiplied by about W^[l]ᵀ·g\' per layer on its way to l = 1. dW^[1] far below dW^[L] means the first layers barely learn (vanishing gradients).',
  explore: 'Explore: any statistic of any tensor per layer — e.g. zeroFraction of a (dead ReLUs), std of W (the initialiser\'s σ), maxAbs of dA.',
  growth: 'Growth per layer: exp of the slope of the least-squares line through ln rms(t^[l]) against l, over the layers where rms is finite and > 0 — the factor by which rms changes per layer (1 = stable, < 1 shrinking, > 1 growing; over L layers about factor^L). The gradient dA travels from l = L to 1, so a dA factor > 1 means it shrinks on its way to the input (vanishing). "predicted" is the same fit through the theory\'s predicted rms, drawn as a dashed line with a shaded band.',
  compare: 'Compare: Pin keeps the current result (up to 4). Pinned runs are drawn on every chart in their own colour on one shared y-range, with a legend naming what differs between them. Compare initialisations runs this architecture with He, Glorot, LeCun and N(0, 1) (on a linear network: He, Glorot, 1.5·I and 0.5·I) and pins each.',
  table: 'Every statistic of every layer for one tensor (or all six). Hover a column name for its definition.',
  linear: 'The value axis is logarithmic by default, so a constant factor per layer is a straight line; tick the box for a linear axis (in the extended range the axis is log10 of the values, already linear).',
} as const;

/** What to look for in each preset. */
export const PRESET_TEXT: Readonly<Record<string, string>> = {
  'relu-he': 'He (kaiming_normal, Var(W) = 2/fan_in) with ReLU: ReLU removes half the energy of z and the factor 2 puts it back, so rms(a^[l]) stays of order 1 — growth ≈ 1 (at width 128 it drifts by a factor of 3–4 over 50 layers).',
  'relu-xavier': 'Glorot (xavier_normal, Var(W) = 2/(fan_in + fan_out) = 1/n) with ReLU: half the energy is lost in every layer, so rms(a^[l]) shrinks by about 1/√2 ≈ 0.71 per layer, and so do the gradients toward the input.',
  'tanh-xavier': 'Glorot with tanh: tanh\'(0) = 1, so near 0 tanh is the identity and Var(W) = 1/n keeps the variance; rms(a^[l]) shrinks only slowly (not by a constant factor) and the gradients stay of the same order in every layer.',
  'tanh-large': 'N(0, 1) weights with tanh: z is huge, tanh saturates at ±1 (rms(a) ≈ 1) and tanh\'(z) is mostly ≈ 0; yet the gradient explodes toward the input, its variance growing by n·σ²·E[tanh\'(z)²] ≈ 128·1·0.05 ≈ 6 per layer.',
  hourglass: 'Widths 64, 256, 256, 16, 16, 256, 256, 10 with ReLU and Glorot: fan_in ≠ fan_out, and per layer the forward variance changes by fan_in/(fan_in + fan_out) and the backward one by fan_out/(fan_in + fan_out) — the signal drops where the net widens (16 → 256) and the gradient drops where it narrows (256 → 16).',
  'train-compare': 'The lecture\'s training experiment on the digits: L = 20, n = 64, ReLU, plain SGD with η = 0.01, 500 steps of m = 64. He (Var(W) = 2/fan_in) keeps the signal and reaches about 89% test accuracy; Glorot loses a factor √2 per layer, so its gradients are too small to move the first layers and it stalls below 30%; N(0, 1) explodes and its loss is non-finite within a few steps (the step and layer are reported).',
  'seed-explode': 'The lecture\'s linear example: W^[l] = 1.5·I, b = 0, x = 1, g = identity, so a^[l] = 1.5^l (3.7e26 at l = 150) and every entry of dW^[l] = 1.5^(L−1): forward signal and gradient explode by ×1.5 per layer.',
  'seed-vanish': 'The same with W^[l] = 0.5·I: a^[l] = 0.5^l and every entry of dW^[l] = 0.5^(L−1) = 2^-149 ≈ 1.4e-45 at L = 150, float32\'s smallest number: a little deeper the GPU\'s gradient is exactly 0 (see "first all-zero").',
  custom: 'A network of your own: compare it with a preset by pinning both.',
};
