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

/**
 * The training section: what it does, what its curves and heatmaps show, and the lesson of "Compare initialisations
 * while training" (measured with the CLI on the CPU backend, seed 1: README "Training").
 */
export const TRAINING_TEXT = {
  section: 'Training on the digits (1,437 training and 360 test examples, split by the seed): every step draws a minibatch of m examples, runs forward and backward and updates every W^[l] and b^[l] with the optimiser (SGD: W^[l] ← W^[l] − η·dW^[l]). Every evalEvery steps the loss J and the accuracy of the whole train and test parts are measured. Train uses the panel\'s steps (500 when it says 0); Pause stops between two steps and Resume continues; Cancel stops the run for good and keeps its curves. A change in the panel (or Run) stops it too, naming the field: the backend then holds another network.',
  curves: 'Loss J on a log axis and accuracy against the step, for the train part (solid) and the test part (dashed) at every evaluation, and the minibatch loss of every step (thin; for long runs the lowest and highest value per bucket of steps). A run that diverged ends at a red dashed line: the step and the first tensor and layer holding a NaN or ±∞.',
  heatmap: 'Every layer at every step: rms(dW^[l]) (how much a step can change W^[l]) and rms(a^[l]) (the signal), colour = log10 of the value from the run\'s smallest (dark blue) to its largest (yellow); exactly 0 is grey, NaN or ±∞ red. A row that stays dark in rms(dW) is a layer that barely learns. Long or deep runs are binned (each cell the geometric mean of its values); hover a cell for its layer, step and value.',
  compare: 'Compare initialisations while training: trains the panel\'s architecture four times on the same data and seed — He (kaiming_normal), Glorot (xavier_normal), N(0, 1) and 0.5·I — one after another, with the panel\'s optimiser (preset train-compare: SGD η = 0.01, 500 steps), or with Adam η = 1e-3; all on the same axes, each in its colour. Cancel stops the one in progress and drops those still waiting.',
  lesson: 'What it shows (ReLU, L = 20, n = 64, SGD η = 0.01, 500 steps): He (Var(W) = 2/n^[l-1]) keeps rms(a^[l]) of order 1 through the ReLUs, every layer gets a usable dW^[l] and the network trains (89% test accuracy). Glorot (Var(W) = 2/(n^[l-1] + n^[l]) = 1/n) loses half the signal\'s energy at every ReLU, ×1/√2 per layer in rms: the output hardly depends on x, the gradients are small and the loss stays near log 10 = 2.30 (29% after 500 steps). N(0, 1) multiplies the signal by √(n/2) ≈ 5.7 per layer: J ≈ 1e15 at step 0 and one of the first updates overflows: the run stops at the first NaN or ±∞, and the status names its step, tensor and layer (step 3 on the CPU backend of the CLI; float rounding may move it by a step). 0.5·I halves a^[l] per layer and every dW^[l] ≈ 0.5^(L−1) ≈ 2e-6: SGD cannot move it (10%).',
  adam: 'With Adam (η = 1e-3) each weight\'s step is η·m/(√v + ε), about η whatever the size of its gradient, so a small dW^[l] is no obstacle: Glorot reaches 95% test accuracy too, like He; N(0, 1) still starts from an exploded signal, and 0.5·I, whose units only see their own input, learns slowly.',
  deep: 'At L = 50 500 steps are not enough for any initialisation (ReLU, seed 1): He reaches about 34% test accuracy with SGD η = 0.01 and 64% with Adam η = 1e-3, the others less. Deeper networks need more steps (or residual connections and normalisation, which gradscope does not model); the numbers are shown as measured, not tuned.',
} as const;

/** What each chart and panel of the page shows and what to look for. */
export const CHART_TEXT = {
  forward: 'Forward pass: rms of z^[l] (dashed) and a^[l] (solid) for l = 1..L, on a log axis. A straight rising line is an exploding signal (a constant factor > 1 per layer), a falling one a vanishing signal; a good initialisation keeps it flat.',
  backward: 'Backward pass: rms of dZ^[l] (dashed) and dW^[l] (solid). Read it from right to left: the gradient starts at l = L and is multiplied by about W^[l]ᵀ·g\' per layer on its way to l = 1. dW^[1] far below dW^[L] means the first layers barely learn (vanishing gradients).',
  explore: 'Explore: any statistic of any tensor per layer — e.g. zeroFraction of a (dead ReLUs), std of W (the initialiser\'s σ), maxAbs of dA.',
  growth: 'Growth per layer: exp of the slope of the least-squares line through ln rms(t^[l]) against l, over the layers where rms is finite and > 0 — the factor by which rms changes per layer (1 = stable, < 1 shrinking, > 1 growing; over L layers about factor^L). The gradient dA travels from l = L to 1, so a dA factor > 1 means it shrinks on its way to the input (vanishing). "predicted" is the same fit through the theory\'s predicted rms, drawn as a dashed line with a shaded band.',
  compare: 'Compare: Pin keeps the current result (up to 4). Pinned runs are drawn on every chart in their own colour on one shared y-range, with a legend naming what differs between them. Compare initialisations runs this architecture with He, Glorot, LeCun and N(0, 1) (on a linear network: He, Glorot, 1.5·I and 0.5·I) and pins each.',
  table: 'Every statistic of every layer for one tensor (or all six). Hover a column name for its definition.',
  theory: 'Theory (ticked by default): the short-dashed line is the rms the theory predicts for this network — mean field (Poole et al. 2016; Schoenholz et al. 2017: q^[l] = n^[l-1]·Var(W)·E[a^[l-1]²], E[a^[l]²] = E[g(z)²] with z ~ N(b, q^[l]); backward χ = n·Var(W)·E[g\'(z)²] per layer) taken at its median over seeds at this finite width, and the band is where about 95% of seeds fall (±2σ of ln rms, σ² = Σ κ_l/(4 n^[l]), κ = E[g⁴]/E[g²]² − 1: Hanin & Rolnick 2018). A single run may wander anywhere inside the band; outside it, suspect the network or the engine. Constant and zero weights have no prediction.',
  seeds: 'Seeds: runs the current network with K seeds (seed, seed + 1, …, seed + K − 1) one after another and draws, for each rms the charts plot, the measured 10–90% range over those seeds as a grey band with a dotted median line, to hold against the theory\'s band: how far one seed\'s numbers stray is measured, not only predicted.',
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

/** The Distributions section (src/ui/distributions): how to read it, and what a saturated, a dead and a healthy layer look like. */
export const DISTRIBUTION_TEXT: Readonly<Record<string, string>> = {
  overview: 'Distributions: histograms of every tensor of every layer, counted on the device with the statistics and read back with them. Off by default, since they cost memory (about 2.3 KiB per tensor, six tensors a layer, twice with the read-back copy) and time; when on, every run asks for them and the link carries hist=1.',
  heatmap: 'Heatmap: one row per layer l = 1..L (layer 1 at the top), one column per bin; the colour is the number of entries of the tensor in that bin, on a log scale (viridis: dark purple = few, yellow = many; white = none). By power of two, the column 2^e holds |x| in [2^e, 2^(e+1)): negative values are mirrored left of 0 (no left side when no layer has one), and 0, subnormals, ±∞ and NaN have columns of their own; in the extended range a layer stored as 2^shift·x is placed by its true exponent. Linear: 64 bins of each layer\'s own [min, max], the position within the layer\'s range (not a value axis shared by the rows). With more layers than pixel rows a row sums several layers (the tooltip says which). Hover for the layer, the bin and its count.',
  multiples: 'Selected layers: the histogram of each chosen layer as bars on the heatmap\'s columns, each panel scaled to its own largest bin, like the per-layer histograms of deeplearning.ai\'s initialisation notebook. Type the layers, separated by commas (empty: 1, L/4, L/2, 3L/4, L).',
  units: 'Dead and saturated units of a^[l] for the hidden layers l < L: dead is the fraction of the n^[l] units whose a^[l] is 0 for every example of the batch (a dead ReLU: dZ is 0 there too, so its weights get no gradient from this batch); saturated (tanh) the fraction with |a^[l]| > 0.99 for every example, where tanh\'(z) = 1 − a² < 0.02.',
  saturated: 'A saturated tanh layer (preset tanh-large), heatmap of a: nearly every count in the outermost columns on both sides, [2^-1, 2^0) (0.5 ≤ |a| < 1, most of it beyond 0.99), a thin tail toward 0 and no bump in between, the same in every row. In dZ the same layers spread over many powers of two far below 1: dZ = dA ⊙ tanh\'(z) and tanh\'(z) ≈ 4e^(−2|z|) is tiny for large |z|.',
  dead: 'A dead ReLU layer, heatmap of a: a bright 0 column and nothing left of it (ReLU outputs no negative values). In a healthy ReLU layer about half the entries are 0 and the rest form a bump right of 0; a layer whose row holds only the 0 column is dead (the deadUnits column of the table gives the fraction of units that are 0 for every example): with b = 0 every later layer is 0 too, and no gradient reaches the layers before it.',
  healthy: 'A healthy layer: one compact bump a few powers of two wide, near 2^0 (entries of order 1), in the same columns from row to row, so the heatmap is a vertical band. A band that drifts left row after row is a vanishing signal, one that drifts right an exploding one (a diagonal, as in seed-explode); for the gradients dA, dZ, dW read the drift from the bottom row (l = L) up.',
  deadUnits: 'deadUnits: the fraction of units of a^[l] that are 0 for every example of the batch (dead ReLUs); – for the output layer L. With Distributions on.',
  saturatedUnits: 'saturatedUnits: the fraction of units of a^[l] with |a^[l]| > 0.99 for every example of the batch (saturated tanh, tanh\'(z) < 0.02); – for the output layer L. With Distributions on.',
};
