/**
 * Theory over the measurement: what the per-layer rms of z, a, dA, dZ and dW of a randomly initialised network should
 * be (mean field), and how far one seed may stray from it at finite width (a log-normal band).
 *
 * Notation as in model/network.ts: layers l = 1..L, widths n_l = n^[l], batch m; z^[l] = W^[l] a^[l-1] + b (b the
 * constant bias), a^[l] = g(z^[l]) for l < L and a^[L] = z^[L]; dA^[l] = ∂J/∂a^[l], dZ^[l] = dA^[l] ⊙ g'(z^[l]),
 * dW^[l] = dZ^[l] a^[l-1]ᵀ, dA^[l-1] = W^[l]ᵀ dZ^[l]. Every "kernel" below is per unit: K_jj' = (1/n)·⟨x_j, x_j'⟩ for
 * the columns (examples) j, j' of an (n, m) tensor, so that the mean square of the tensor is (1/m)·Σ_j K_jj.
 *
 * 1. Mean field (Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli 2016, "Exponential expressivity in deep neural networks
 *    through transient chaos", §2: the length map q^l = σ_w² ∫Dz φ(√q^{l-1} z)² + σ_b² and the correlation map
 *    q_12^l = σ_w² ∫Dz_1Dz_2 φ(u_1)φ(u_2) + σ_b²; Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, "Deep information
 *    propagation", §6: gradients propagate backward by χ_1 = σ_w² ∫Dz φ'(√q* z)², under their assumption that W in the
 *    backward pass is independent of the forward pass). With zero-mean i.i.d. weights of variance v_l (σ_w² = n_{l-1}·v_l
 *    in their notation) and the constant bias b (σ_b = 0, a constant mean instead):
 *      z_j ~ N(b, q_j),  q_j = n_{l-1}·v_l·K^a_jj[l-1],  Cov(z_j, z_j') = c_jj' = n_{l-1}·v_l·K^a_jj'[l-1]
 *      K^a_jj'[l] = E[g(z_j) g(z_j')]                                   (forward, every pair of examples)
 *      K^dZ_jj'[l] = K^dA_jj'[l]·E[g'(z_j) g'(z_j')],   K^dA_jj'[l-1] = n_l·v_l·K^dZ_jj'[l]   (backward)
 *      E‖dW^[l]‖²/(n_l n_{l-1}) = Σ_{j,j'} K^dZ_jj'[l]·K^a_jj'[l-1]  (dW_ik = Σ_j dZ_ij a_kj; dZ^[l] and a^[l-1]
 *                                                                         independent at leading order in 1/n)
 *    The expectations are one- and two-dimensional Gaussian integrals (model/quadrature.ts: Gauss–Hermite, or graded
 *    Gauss–Legendre where Gauss–Hermite cannot resolve g); for ReLU with b = 0 and for the identity they are closed forms
 *    (the arc-cosine kernels of Cho & Saul 2009, "Kernel methods for deep learning", §2.1: J_0 = π − θ,
 *    J_1 = sin θ + (π − θ) cos θ, J_2 = 3 sin θ cos θ + (π − θ)(1 + 2cos²θ), E[relu(u)^k relu(w)^k] = (q_1 q_2)^{k/2} J_k(θ)/(2π)).
 *    Per-layer gradient factor: χ_l = E[dA^[l-1]²]/E[dA^[l]²] = n_l·v_l·E[g'(z^[l])²] (Schoenholz et al.'s χ_1 as a
 *    mean-square ratio; √χ_l is the rms factor: 1.5 for W = 1.5·I, √(n v/2) for ReLU).
 *
 * 2. The loss's dA^[L] = dŷ (model/losses.ts):
 *      sum:          dŷ = 1/m exactly: K^dA_jj' = 1/m² for every pair;
 *      mse:          dŷ = 2(ŷ − y)/m with ŷ_ij ~ N(b, q_j) i.i.d. over the n_L outputs i and the batch's own targets y:
 *                    K^dA_jj' = 4/(m² n_L)·(n_L(b² + c_jj') − b(t_j + t_j') + ⟨y_j, y_j'⟩), t_j = Σ_i y_ij (exact in mean field);
 *      softmax-xent: dŷ = (p − y)/m, p = softmax(ŷ): K^dA_jj' = (E⟨p_j, p_j'⟩ − 2/n_L + [label_j = label_j'])/(m² n_L)
 *                    (E p_j[label] = 1/n_L by exchangeability of the i.i.d. logits); E⟨p_j, p_j'⟩ and the fluctuation
 *                    terms are estimated by a fixed Monte Carlo over the logits' Gaussian law (FIXED_MC_SEED; 64..4096
 *                    draws, each pair its own draws). The part of X = ‖p − y‖² (and of p) linear in the logits is exact:
 *                    by Stein's lemma and the softmax's shift invariance it is β(u_label − ū) (γ(u_i − ū)), so its pair
 *                    covariance is ββ'c([label = label'] − 1/n_L); only the small remainder is sampled, with the ρ = 0
 *                    draw as a control variate. (Where examples correlate, the batch's Σ_j X_j is a near-cancellation of
 *                    such terms, which plain sampling gets wrong by a factor of 5.)
 *    Beyond the loss, mean field assumes the backward W independent of the forward (gradient independence): exact in
 *    distribution for the sum loss, whose dŷ does not depend on ŷ; with mse, dŷ = 2(W^[L]a^[L-1] + b − y)/m makes
 *    dA^[L-1] ∝ WᵀW a^[L-1] and the backward rms below the output is underestimated by a factor growing with L·n_L/n
 *    (measured, identity network, L = 6, n_L/n = 1/2: ×1.8 at layer 1); with softmax-xent the effect is small (it
 *    saturates; default preset: within 20%).
 *
 * 3. Finite width (Hanin & Rolnick 2018, "How to start training: the effect of initialization and architecture", their
 *    failure mode FM2: the variance of the activations' length grows exponentially in Σ_l 1/n_l, with constant 5 for
 *    ReLU). Given layer l-1, the n_l rows of z^[l] are i.i.d. (for i.i.d. W), so R = ‖a^[l]‖²/E‖a^[l]‖² has mean 1 and
 *    variance κ_l/n_l with κ = E[g(z)⁴]/E[g(z)²]² − 1 (ReLU 5, identity 2, tanh by quadrature); then
 *    ln R ≈ (R − 1) − (R − 1)²/2 has mean −κ/(2n) and variance κ/n, and over layers ln rms(a^[L]) is approximately normal
 *    with mean −Σ_l κ_l/(4 n_l) and variance Σ_l κ_l/(4 n_l) relative to the mean-field value (the statement, for
 *    one example and a positively homogeneous g with b = 0). This module generalises it, to first order in 1/n:
 *    - a batch: for the batch's ‖a^[l]‖_F² the row sums Y_i = Σ_j g(z_ij)² are i.i.d. over i, so
 *      κ_batch = Σ_{j,j'} Cov(g(z_j)², g(z_j')²)/(Σ_j E g(z_j)²)²  (= κ for identical examples, κ/m for independent ones);
 *    - a non-homogeneous g or b ≠ 0: a fluctuation δ of ln ‖a^[l-1]‖² moves ln q of layer l by δ and ln E‖a^[l]‖² by
 *      s_l·δ, with the slope s = q ∂_q ln E[g²] = E[g(z)²(ξ² − 1)]/(2 E[g(z)²]) (Gaussian integration by parts, z = b + √q ξ);
 *    - orthogonal W = gain·Q (Saxe, McClelland & Ganguli 2014), Q Haar: Q preserves Gram matrices when fan_out ≥ fan_in,
 *      so the rows' sum of squares is fixed and κ loses its projection on it, κ − Cov(Y, T)²/(Var T·(E Y)²),
 *      T = Σ_j ‖z_j − b‖² (identity: 0; ReLU, one example: 3); when fan_in > fan_out, ‖Qᵀ… ‖ is a random projection:
 *      Var(tr(P B))/E² = 2(N − k)/(k(N + 2))·(N r − 1)/(N − 1) for a Haar rank-k projection P of R^N and B = A Aᵀ,
 *      r = tr B²/(tr B)² (for one example the Beta(k/2, (N − k)/2) law of ‖Px‖²/‖x‖²);
 *    - the backward pass: given dZ^[l+1], ‖dA^[l]‖² has κ = 2·Σ G²/(Σ G_jj)² (G = K^dZ[l+1]; Gaussian rows of Wᵀ) and
 *      ‖dZ^[l]‖² has κ' = Σ_{jj'}[(G_jj G_j'j' + 2G_jj'²)·E[g'_j² g'_j'²] − G_jj G_j'j' E[g'_j²] E[g'_j'²]]/(Σ_j G_jj E g'_j²)²
 *      (3E[g'⁴]/E[g'²]² − 1 for one example: ReLU 5, identity 2); the forward fluctuations reach it through the slope
 *      s'_l = q ∂_q ln E[g'(z^[l])²] (tanh) and through the loss (mse, softmax-xent: dŷ depends on ŷ).
 *    Every such source is an independent mean-one ratio whose log has mean −var/2 and variance var; they add up along the
 *    network linearly (their slopes), giving for each tensor the mean μ and variance σ² of ln ‖x‖_F² relative to the mean
 *    field: median rms = rms_MF·e^{μ/2}, and the band median·e^{±2σ_ln} with σ_ln = σ/2 (≈ 95% of seeds). The loss's
 *    slope in ln q^[L] is taken at the median output scale (a typical seed's), where the softmax is much less sensitive
 *    than at the mean field's scale in deep networks.
 *    dW: ‖dW^[l]‖² = Σ_jj'⟨dZ_j, dZ_j'⟩⟨a_j, a_j'⟩ is dominated, in a batch, by cross-example terms whose finite-width
 *    fluctuations this theory does not follow, so dW has a band only when every example is the same (input and dŷ):
 *    then ‖dW^[l]‖² = ‖dZ^[l]‖²‖a^[l-1]‖² exactly and its log-variance is Var β_l + Var X_{l-1} + 2Γ_l Var X_{l-1}.
 *    Validity (Monte Carlo over 32–64 seeds, test/theory.test.ts): first order in L/n. For L/n ≲ 0.3 the measured 10–90%
 *    spread of ln rms is 0.7–1.4× the predicted one and the medians agree within ±0.5σ; at L/n ≈ 0.6 (ReLU, n = 32,
 *    L = 20, a batch of 8) the backward band of a batch is ~1.6× too narrow: at finite width the examples' gradients
 *    stay correlated longer than mean field says (one example, or the forward pass, is still right).
 *
 * Supported: zero-mean i.i.d. weights (normal with mean 0, uniform with low = −high, xavier_*, kaiming_*, lecun_*;
 * uniform weights differ from normal ones only at O(1/n²) in the band), orthogonal (v = gain²/max(fan_in, fan_out) per
 * entry, plus the corrections above), and identity (gain·I is deterministic: the network is computed exactly, unit by
 * unit, and the band is a point). Not supported (no prediction, with a note): zeros and constant (every unit of a layer is
 * equal: no randomness to average), and non-zero-mean weights (normal with mean ≠ 0, uniform with low ≠ −high): the mean
 * part μ·11ᵀ acts on 1ᵀa^[l-1], whose seed-to-seed fluctuation is of the same order as the random part's, so the mean-field
 * closure fails (for tanh with b = 0 it predicts no mean term at all).
 * Numbers: every mean square is carried as a log-scale and a normalised value where g is positively homogeneous and
 * b = 0 (identity, ReLU), so predictions stay valid far beyond float64 (log10 fields); otherwise in float64.
 * Large batches: the diagonal is taken over at most DIAG_EXAMPLES examples and the pairs over at most PAIR_EXAMPLES
 * (evenly spaced in the batch; fewer for very deep networks), sums over all m² pairs being estimated from them. The
 * input enters as the actual batch x (its per-example norms and overlaps), so a prediction is for that batch.
 */
import { ACTIVATION_SPECS, type Activation } from './activations';
import { widthsOf, type RunConfig } from './config';
import { layerDraw } from './init';
import type { Batch } from './network';
import { DEFAULT_NODES, gaussHermite, gradedRule, hermiteAsStandard, type StandardNormalRule } from './quadrature';
import { createRng } from './rng';

/** The tensors a prediction is made for. */
export const PREDICTED_TENSORS = ['z', 'a', 'dA', 'dZ', 'dW'] as const;
export type PredictedTensor = (typeof PREDICTED_TENSORS)[number];

/**
 * The prediction for one tensor of one layer: rms values (∞ or 0 beyond float64: see log10). median, band and sigma
 * are null where the theory gives no band (dW of a batch whose examples or targets differ: module doc, 3).
 */
export interface Prediction {
  /** Mean-field rms: √(predicted mean square over the tensor's elements). */
  rms: number;
  /** Median over seeds at this finite width: rms·e^{μ/2}, μ the mean of ln(‖x‖²/E‖x‖²). */
  median: number | null;
  /** [low, high] = median·e^{∓2σ}: about 95% of seeds fall inside (a point for a deterministic network). */
  band: [number, number] | null;
  /** σ, the standard deviation of ln rms over seeds (natural log). */
  sigma: number | null;
  /** log10 of rms, median and band, valid far beyond float64. */
  log10: { rms: number; median: number | null; band: [number, number] | null };
}

/** Predictions for layer l. */
export interface LayerPrediction {
  layer: number;
  z: Prediction;
  a: Prediction;
  dA: Prediction;
  dZ: Prediction;
  dW: Prediction;
  /** χ_l = E[dA^[l-1]²]/E[dA^[l]²], the per-layer mean-square factor of the backward pass (√χ_l in rms). */
  chi: number;
}

/** The theory of a network: per-layer predictions, or none with the reason. */
export type Theory = { layers: LayerPrediction[]; note: null } | { layers: null; note: string };

/** A layer's "predicted" in the CLI's JSON: each tensor's prediction, null where there is none, and χ_l. */
export type PredictedJson = Record<PredictedTensor, Prediction | null> & { chi: number | null };

/**
 * The theory as the JSON document shows it (CLI --theory): each layer's "predicted" and the document's "theoryNote",
 * which says why a prediction or a band is missing (null when everything is predicted).
 */
export function theoryJson(th: Theory): { predicted: (l: number) => PredictedJson; note: string | null } {
  const layers = th.layers;
  if (layers === null) {
    const none: PredictedJson = { z: null, a: null, dA: null, dZ: null, dW: null, chi: null };
    return { predicted: () => none, note: th.note };
  }
  const noDwBand = layers.some((p) => p.dW.band === null);
  return {
    predicted: (l) => {
      const { z, a, dA, dZ, dW, chi } = layers[l - 1];
      return { z, a, dA, dZ, dW, chi };
    },
    note: noDwBand
      ? 'dW: mean-field rms only, no band: in a batch of different examples ‖dW‖² = Σ_jj′⟨dZ_j, dZ_j′⟩⟨a_j, a_j′⟩ is dominated '
        + 'by cross-example terms whose finite-width fluctuations the theory does not follow (a band is given when every '
        + 'example and its dŷ are the same, e.g. --input ones --loss sum)'
      : null,
  };
}

/** Examples of the batch whose per-example (diagonal) recursions are computed; more are subsampled evenly. */
export const DIAG_EXAMPLES = 256;
/**
 * Examples whose pairs are computed (their m(m−1) off-diagonal sums are estimated from these): all of a batch up to 64
 * where the pair moments are closed forms (identity; ReLU with b = 0), 8 otherwise (tanh, ReLU with b ≠ 0: a
 * two-dimensional quadrature per pair, up to ~40,000 points where √q ≫ 1).
 */
export const PAIR_EXAMPLES = { closed: 64, numeric: 8 } as const;
/** The per-layer memory of the theory is capped so that L·(examples) stays below this many numbers. */
const MEMORY_NUMBERS = 2 ** 22;
/** Seed of the fixed Monte Carlo stream of softmax-xent (model/rng.ts, stream "theory/softmax"). */
export const FIXED_MC_SEED = 2016;
/** Most floating-point numbers the exact pass of identity(gain) keeps (z and a of every layer). */
const IDENTITY_MAX_NUMBERS = 2 ** 25;

/** g and g' as the theory evaluates them (ReLU'(0) = 0, as the engine); d(z, g(z)) may reuse g(z) (tanh' = 1 − tanh²). */
const PHI: { readonly [g in Activation]: { readonly f: (z: number) => number; readonly d: (z: number, gz: number) => number } } = {
  identity: { f: (z) => z, d: () => 1 },
  relu: { f: (z) => (z > 0 ? z : 0), d: (z) => (z > 0 ? 1 : 0) },
  tanh: { f: Math.tanh, d: (_z, t) => 1 - t * t },
};

/** The single point ξ = 0 (a Gaussian of zero variance). */
const POINT: StandardNormalRule = { xi: new Float64Array([0]), w: new Float64Array([1]) };
/** Gauss–Hermite nodes of the two-dimensional rules (per dimension). */
const PAIR_NODES = 40;

/** Whether Gauss–Hermite resolves g(mean + √variance·ξ): g smooth at the Gaussian's scale (tanh: √q ≤ 1, error ≤ 1e-8 with 80 nodes, ≤ 3e-6 with 40), or a ReLU kink at the centre (exact by symmetry with an even node count). */
function hermiteResolves(g: Activation, mean: number, variance: number): boolean {
  return g === 'identity' || (g === 'relu' && mean === 0) || (g === 'tanh' && variance <= 1);
}

/** The rule for E_{ξ~N(0,1)}[F(g(mean + √variance·ξ), ξ)] (quadrature.ts): Gauss–Hermite, or graded Gauss–Legendre. */
function ruleFor(g: Activation, mean: number, variance: number, nodes: number): StandardNormalRule {
  if (!(variance > 0)) return POINT;
  if (hermiteResolves(g, mean, variance)) return hermiteAsStandard(gaussHermite(nodes));
  const s = Math.sqrt(variance);
  // tanh bends within |z| ≲ 1 of 0 (sech² halves at 0.66); ReLU has only its kink.
  return gradedRule(-mean / s, g === 'tanh' ? 0.5 / s : 0, nodes === PAIR_NODES ? 5 : 8);
}

/** One-example moments of h(z), z = b + u, u ~ N(0, q), ξ = u/√q. */
interface DiagMoments {
  /** E[h²], E[h⁴], E[h²u²] */
  e2: number; e4: number; e2u2: number;
  /** q·∂E[h²]/∂q = E[h²(ξ² − 1)]/2 */
  dE2: number;
  /** E[h'²], E[h'⁴], q·∂E[h'²]/∂q */
  d2: number; d4: number; dD2: number;
}

/** {@link DiagMoments} by one quadrature pass (exact for the identity, and for ReLU with b = 0). */
function diagMoments(g: Activation, b: number, q: number): DiagMoments {
  const { f, d } = PHI[g];
  const rule = ruleFor(g, b, q, DEFAULT_NODES);
  const s = Math.sqrt(Math.max(0, q));
  const out = { e2: 0, e4: 0, e2u2: 0, dE2: 0, d2: 0, d4: 0, dD2: 0 };
  for (let k = 0; k < rule.xi.length; k++) {
    const x = rule.xi[k], w = rule.w[k], u = s * x;
    const h = f(b + u), h2 = h * h, dh = d(b + u, h), d2 = dh * dh, x21 = (x * x - 1) / 2;
    out.e2 += w * h2; out.e4 += w * h2 * h2; out.e2u2 += w * h2 * u * u; out.dE2 += w * h2 * x21;
    out.d2 += w * d2; out.d4 += w * d2 * d2; out.dD2 += w * d2 * x21;
  }
  return out;
}

/** Two-example moments of h at z = b + u, z' = b + w, (u, w) ~ N(0, [[q1, c], [c, q2]]). */
interface PairMoments {
  /** E[h h'], E[h² h'²], E[h² w²], E[h'² u²] (h = h(z), h' = h(z')) */
  p1: number; p2: number; p3: number; p3r: number;
  /** E[g'(z) g'(z')], E[g'(z)² g'(z')²] */
  b1: number; b2: number;
}

/** The arc-cosine functions J_0, J_1, J_2 of Cho & Saul (2009, §2.1) at θ ∈ [0, π]. */
function arcCosine(theta: number): [number, number, number] {
  const s = Math.sin(theta), c = Math.cos(theta), r = Math.PI - theta;
  return [r, s + r * c, 3 * s * c + r * (1 + 2 * c * c)];
}

/** {@link PairMoments}: closed forms for the identity (any b) and ReLU (b = 0), else a conditional two-level rule. */
function pairMoments(g: Activation, b: number, q1: number, q2: number, c: number): PairMoments {
  if (g === 'identity') {
    // Isserlis: E[u²w²] = q1 q2 + 2c²; odd moments vanish.
    const p2 = (b * b + q1) * (b * b + q2) + 2 * c * c + 4 * b * b * c;
    return { p1: b * b + c, p2, p3: b * b * q2 + q1 * q2 + 2 * c * c, p3r: b * b * q1 + q1 * q2 + 2 * c * c, b1: 1, b2: 1 };
  }
  if (g === 'relu' && b === 0) {
    if (!(q1 > 0 && q2 > 0)) return { p1: 0, p2: 0, p3: 0, p3r: 0, b1: 0, b2: 0 };
    const theta = Math.acos(Math.max(-1, Math.min(1, c / Math.sqrt(q1 * q2))));
    const [j0, j1, j2] = arcCosine(theta);
    // E[relu(u)² w²] = E[u² w² 1{u>0}] = E[u²w²]/2 by the symmetry (u, w) → (−u, −w).
    const half = (q1 * q2 + 2 * c * c) / 2;
    return { p1: Math.sqrt(q1 * q2) * j1 / (2 * Math.PI), p2: q1 * q2 * j2 / (2 * Math.PI), p3: half, p3r: half, b1: j0 / (2 * Math.PI), b2: j0 / (2 * Math.PI) };
  }
  // u = √q1 ξ1; w | u ~ N((c/q1) u, q2 − c²/q1): an outer rule over ξ1, an inner one over w's conditional law.
  const { f, d } = PHI[g];
  const s1 = Math.sqrt(Math.max(0, q1));
  const slope = q1 > 0 ? c / q1 : 0;
  const condVar = Math.max(0, q2 - slope * c);
  const sc = Math.sqrt(condVar);
  const outer = ruleFor(g, b, q1, PAIR_NODES);
  const out = { p1: 0, p2: 0, p3: 0, p3r: 0, b1: 0, b2: 0 };
  for (let a = 0; a < outer.xi.length; a++) {
    const u = s1 * outer.xi[a], hu = f(b + u), du = d(b + u, hu), mean = slope * u;
    const inner = ruleFor(g, b + mean, condVar, PAIR_NODES);
    let p1 = 0, p2 = 0, p3 = 0, p3r = 0, b1 = 0, b2 = 0;
    for (let k = 0; k < inner.xi.length; k++) {
      const w = mean + sc * inner.xi[k], hw = f(b + w), dw = d(b + w, hw), wk = inner.w[k];
      p1 += wk * hw; p2 += wk * hw * hw; p3 += wk * w * w; p3r += wk * hw * hw;
      b1 += wk * dw; b2 += wk * dw * dw;
    }
    const wa = outer.w[a];
    out.p1 += wa * hu * p1; out.p2 += wa * hu * hu * p2; out.p3 += wa * hu * hu * p3; out.p3r += wa * u * u * p3r;
    out.b1 += wa * du * b1; out.b2 += wa * du * du * b2;
  }
  return out;
}

/** Which examples stand for the batch: `diag` (batch indices) and `pair` (positions in diag). */
interface Sampling {
  m: number;
  diag: number[];
  pair: number[];
}

/** k indices spread evenly over 0..n−1. */
function evenly(n: number, k: number): number[] {
  return Array.from({ length: Math.min(n, k) }, (_, i) => Math.floor((i * n) / Math.min(n, k)));
}

/**
 * Σ over all m² ordered pairs (j, j') of the batch of X_jj': the diagonal from the diag sample, scaled by m/|diag|, and
 * the m(m − 1) off-diagonal terms from the mean over the ordered pairs of the pair sample.
 * @param diag X_jj at each diag position; @param off X_jj' at pair positions (p, p2), p ≠ p2
 */
function batchTotal(s: Sampling, diag: (k: number) => number, off: (p: number, p2: number) => number): number {
  let d = 0;
  for (let k = 0; k < s.diag.length; k++) d += diag(k);
  const P = s.pair.length;
  let o = 0;
  for (let p = 0; p < P; p++) for (let p2 = 0; p2 < P; p2++) if (p !== p2) o += off(p, p2);
  return (s.m / s.diag.length) * d + (P > 1 ? (s.m * (s.m - 1) * o) / (P * (P - 1)) : 0);
}

/** Σ_j X_jj over the batch, from the diag sample. */
function diagTotal(s: Sampling, diag: (k: number) => number): number {
  let d = 0;
  for (let k = 0; k < s.diag.length; k++) d += diag(k);
  return (s.m / s.diag.length) * d;
}

/** A per-unit kernel over the sample: diag (at diag positions) and pair (P×P, row-major, its diagonal = diag's), times e^{logScale}. */
interface Kernel {
  diag: Float64Array;
  pair: Float64Array;
  logScale: number;
}

/** Scale a kernel's stored values so that their diagonal mean is 1 (its log-scale takes the factor). */
function normalise(k: Kernel): void {
  let mean = 0;
  for (const v of k.diag) mean += v;
  mean /= k.diag.length;
  if (!(mean > 0) || !Number.isFinite(mean)) return;
  for (let i = 0; i < k.diag.length; i++) k.diag[i] /= mean;
  for (let i = 0; i < k.pair.length; i++) k.pair[i] /= mean;
  k.logScale += Math.log(mean);
}

/** Multiply the stored values by e^{logScale} (true values; ∞ past float64) and set logScale to 0. */
function absorb(k: Kernel): void {
  if (k.logScale === 0) return;
  const f = Math.exp(k.logScale);
  for (let i = 0; i < k.diag.length; i++) k.diag[i] *= f;
  for (let i = 0; i < k.pair.length; i++) k.pair[i] *= f;
  k.logScale = 0;
}

/** Whether every entry of a kernel (diagonal and pairs) is the same: every example of the sample is the same vector. */
function allEqual(k: Kernel): boolean {
  const x = k.diag[0];
  const same = (y: number) => Math.abs(y - x) <= 1e-12 * Math.abs(x);
  return k.diag.every(same) && k.pair.every(same);
}

/** ln of the mean square (1/m)·Σ_j K_jj of a kernel (estimated from the diag sample), true units. */
function lnMeanSquare(k: Kernel): number {
  let mean = 0;
  for (const v of k.diag) mean += v;
  return Math.log(mean / k.diag.length) + k.logScale;
}

/** a/b, or 0 when b is not positive (an all-zero tensor has no fluctuation). */
function ratio(a: number, b: number): number {
  return b > 0 && Number.isFinite(a / b) ? a / b : 0;
}

/**
 * Relative variance of tr(P B) for a Haar-random rank-k orthogonal projection P of R^N and B = A Aᵀ ⪰ 0, r = tr B²/(tr B)²:
 * 2(N − k)/(k(N + 2))·(N r − 1)/(N − 1). For B of rank one (one example) it is the variance of Beta(k/2, (N − k)/2)
 * over its squared mean; for B ∝ I it is 0. (Derivation: the variance is a combination of tr B² and (tr B)² by
 * invariance, vanishes for B ∝ I, and equals the Beta law's for rank one.)
 */
function projectionVariance(N: number, k: number, r: number): number {
  if (N <= k || N < 2) return 0;
  return Math.max(0, ((2 * (N - k)) / (k * (N + 2))) * ((N * r - 1) / (N - 1)));
}

/** r = Σ_jj' K_jj'²/(Σ_j K_jj)² of a kernel (the effective inverse number of independent examples). */
function gramRatio(s: Sampling, k: Kernel): number {
  const P = s.pair.length;
  const num = batchTotal(s, (i) => k.diag[i] ** 2, (p, p2) => k.pair[p * P + p2] ** 2);
  return ratio(num, diagTotal(s, (i) => k.diag[i]) ** 2);
}

/** How W^[l] is drawn, as the theory needs it. */
type Law = { kind: 'iid'; variance: number } | { kind: 'orthogonal'; gain: number } | { kind: 'identity'; gain: number };

/** The law of W^[l] (fan_out, fan_in) under the config's initialiser, or why there is no prediction. */
function lawOf(cfg: RunConfig, fanOut: number, fanIn: number): Law | string {
  const d = layerDraw(cfg.init, fanOut, fanIn, cfg);
  switch (d.kind) {
    case 'constant':
      return `init ${cfg.init}: every weight of a layer is the same number, so every unit of a layer is equal (no randomness `
        + 'to average over); the mean-field theory of random weights does not apply';
    case 'identity': return { kind: 'identity', gain: d.a };
    case 'orthogonal': return { kind: 'orthogonal', gain: d.gain };
    case 'normal':
      if (d.a !== 0) return nonZeroMean(cfg.init);
      return { kind: 'iid', variance: d.b * d.b };
    case 'uniform':
      if (d.a + d.b !== 0) return nonZeroMean(cfg.init);
      return { kind: 'iid', variance: ((d.b - d.a) ** 2) / 12 };
  }
}

function nonZeroMean(init: string): string {
  return `init ${init} with a non-zero mean weight μ: its part μ·11ᵀ acts on 1ᵀa^[l-1], whose seed-to-seed fluctuation is of `
    + 'the same order as the random part\'s, so the mean-field closure fails; predictions are made for zero-mean weights only '
    + '(normal with --mean 0, uniform with --low = −--high, and the variance-scaling initialisers)';
}

/** Per-element variance of W^[l] as the mean field sees it: v, or gain²/max(fan_in, fan_out) for orthogonal. */
function elementVariance(law: Law, fanOut: number, fanIn: number): number {
  return law.kind === 'iid' ? law.variance : law.gain * law.gain / Math.max(fanOut, fanIn);
}

/** What the forward pass of layer l leaves for the band and the backward pass. */
interface ForwardLayer {
  /** ln mean squares of z^[l], a^[l] (true units) */
  lnZ: number; lnA: number;
  /** K^a[l-1] (for dW and the backward pass's forward coupling) */
  aPrev: Kernel;
  /** E[h'²], E[h'⁴], q∂E[h'²]/∂q per diag example; E[h'h'], E[h'²h'²] per pair (P×P) */
  d2: Float64Array; d4: Float64Array; dD2: Float64Array; b1: Float64Array; b2: Float64Array;
  /** slopes of ln ‖z‖², ln ‖a‖² in ln q; variances of the sources: η^z, η^a (given layer l-1), ρ (orthogonal projection) */
  sZ: number; sA: number; varZ: number; varA: number; varRho: number;
}

/** Per-unit kernel of the input batch x = a^[0] over the sample. */
function inputKernel(s: Sampling, X: Float32Array, n0: number): Kernel {
  const m = s.m, D = s.diag.length, P = s.pair.length;
  const dot = (j: number, j2: number) => {
    let t = 0;
    for (let i = 0; i < n0; i++) t += X[i * m + j] * X[i * m + j2];
    return t / n0;
  };
  const diag = Float64Array.from({ length: D }, (_, k) => dot(s.diag[k], s.diag[k]));
  const pair = new Float64Array(P * P);
  for (let p = 0; p < P; p++) for (let p2 = 0; p2 < P; p2++) pair[p * P + p2] = p === p2 ? diag[s.pair[p]] : dot(s.diag[s.pair[p]], s.diag[s.pair[p2]]);
  return { diag, pair, logScale: 0 };
}

/** The mean-field forward pass of layer l and its fluctuation sources (module doc, 1 and 3). */
function forwardLayer(s: Sampling, prev: Kernel, h: Activation, b: number, law: Law, nIn: number, nOut: number): { next: Kernel; layer: ForwardLayer } {
  const P = s.pair.length;
  const aPrev: Kernel = { diag: prev.diag.slice(), pair: prev.pair.slice(), logScale: prev.logScale };
  const scaleFree = ACTIVATION_SPECS[h].homogeneous && b === 0;
  const k: Kernel = { diag: prev.diag.slice(), pair: prev.pair.slice(), logScale: prev.logScale };
  if (!scaleFree) absorb(k);
  const v = elementVariance(law, nOut, nIn);
  const q = k.diag.map((x) => nIn * v * x);
  const c = k.pair.map((x) => nIn * v * x);
  const dm = Array.from(q, (qj) => diagMoments(h, b, qj));
  const pm: (PairMoments | null)[] = [];
  for (let p = 0; p < P; p++) {
    for (let p2 = 0; p2 < P; p2++) {
      pm.push(p < p2 ? pairMoments(h, b, q[s.pair[p]], q[s.pair[p2]], c[p * P + p2]) : null);
    }
  }
  const pairAt = (p: number, p2: number) => (p < p2 ? pm[p * P + p2]! : pm[p2 * P + p])!;
  const next: Kernel = { diag: Float64Array.from(dm, (x) => x.e2), pair: new Float64Array(P * P), logScale: k.logScale };
  for (let p = 0; p < P; p++) for (let p2 = 0; p2 < P; p2++) next.pair[p * P + p2] = p === p2 ? next.diag[s.pair[p]] : pairAt(p, p2).p1;
  const b2 = b * b;
  const ez2 = (i: number) => b2 + q[i];
  const pos = (p: number) => s.pair[p];
  const lnZ = Math.log(diagTotal(s, ez2) / s.m) + k.logScale;
  const lnA = Math.log(diagTotal(s, (i) => dm[i].e2) / s.m) + k.logScale;
  // Fluctuation of the batch's ‖z‖², ‖a‖² given layer l-1 (i.i.d. rows): κ_batch/n_l.
  const sumE2 = diagTotal(s, (i) => dm[i].e2), sumZ2 = diagTotal(s, ez2);
  const covAA = batchTotal(s, (i) => dm[i].e4 - dm[i].e2 ** 2, (p, p2) => pairAt(p, p2).p2 - dm[pos(p)].e2 * dm[pos(p2)].e2);
  const covZZ = batchTotal(s, (i) => 2 * q[i] ** 2 + 4 * b2 * q[i], (p, p2) => 2 * c[p * P + p2] ** 2 + 4 * b2 * c[p * P + p2]);
  let kA = ratio(covAA, sumE2 ** 2), kZ = ratio(covZZ, sumZ2 ** 2);
  let varRho = 0;
  if (law.kind === 'orthogonal') {
    // Q fixes T = Σ_j ‖z_j − b‖² (fan_out ≥ fan_in), or moves it by a random projection (fan_in > fan_out: ρ).
    const varT = batchTotal(s, (i) => 2 * q[i] ** 2, (p, p2) => 2 * c[p * P + p2] ** 2);
    const covAT = batchTotal(s, (i) => dm[i].e2u2 - dm[i].e2 * q[i],
      (p, p2) => (p < p2 ? pairAt(p, p2).p3 : pairAt(p, p2).p3r) - dm[pos(p)].e2 * q[pos(p2)]);
    if (varT > 0) {
      kA -= ratio(covAT * covAT / varT, sumE2 ** 2);
      kZ -= ratio(varT, sumZ2 ** 2); // Cov(‖z‖², T) = Var T
    }
    varRho = projectionVariance(nIn, nOut, gramRatio(s, aPrev));
  }
  const layer: ForwardLayer = {
    lnZ, lnA, aPrev,
    d2: Float64Array.from(dm, (x) => x.d2), d4: Float64Array.from(dm, (x) => x.d4), dD2: Float64Array.from(dm, (x) => x.dD2),
    b1: new Float64Array(P * P), b2: new Float64Array(P * P),
    sZ: ratio(diagTotal(s, (i) => q[i]), sumZ2), sA: ratio(diagTotal(s, (i) => dm[i].dE2), sumE2),
    varZ: Math.max(0, kZ) / nOut, varA: Math.max(0, kA) / nOut, varRho,
  };
  for (let p = 0; p < P; p++) {
    for (let p2 = 0; p2 < P; p2++) {
      layer.b1[p * P + p2] = p === p2 ? dm[pos(p)].d2 : pairAt(p, p2).b1;
      layer.b2[p * P + p2] = p === p2 ? dm[pos(p)].d4 : pairAt(p, p2).b2;
    }
  }
  normalise(next);
  return { next, layer };
}

/** The loss's dA^[L] kernel and how ‖dA^[L]‖² fluctuates: its slope in ln q^[L] and its own variance given a^[L-1]. */
interface LossTerms {
  kernel: Kernel;
  slope: number;
  variance: number;
}

/** Draws of the softmax-xent Monte Carlo for `units` logits per draw: about 2M logits in all, within 64..4096 draws. */
function mcDraws(units: number): number {
  return Math.max(64, Math.min(4096, Math.floor(2 ** 21 / Math.max(1, units))));
}

/** softmax of `logits` into `p` (max subtracted first). */
function softmaxInto(logits: Float64Array, p: Float64Array): void {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) { p[i] = Math.exp(logits[i] - max); sum += p[i]; }
  for (let i = 0; i < p.length; i++) p[i] /= sum;
}

/**
 * dŷ of the loss (module doc, 2) for the output z^[L] with centred covariances q (diag) and c (pairs), true units.
 * @param law the law of W^[L] (orthogonal: its rows' sum of squares is fixed, see module doc 3)
 * @param lnMedianScale E[δ ln q^[L]]: the slope of ln E‖dŷ‖² in ln q^[L] is taken at the median output scale
 *   q·e^{E[δ ln q]} (a typical seed's), not at the mean field's: the softmax's sensitivity changes much with the scale.
 */
function lossTerms(cfg: RunConfig, s: Sampling, batch: Batch, q: Float64Array, c: Float64Array, nL: number, law: Law, lnMedianScale: number): LossTerms {
  const m = s.m, D = s.diag.length, P = s.pair.length, b = cfg.bias, b2 = b * b;
  const pos = (p: number) => s.pair[p];
  const varT = batchTotal(s, (i) => 2 * nL * q[i] ** 2, (p, p2) => 2 * nL * c[p * P + p2] ** 2);
  if (cfg.loss === 'sum') {
    // dŷ = 1/m in every entry: K^dA_jj' = 1/m², no fluctuation.
    return { kernel: { diag: new Float64Array(D).fill(1), pair: new Float64Array(P * P).fill(1), logScale: -2 * Math.log(m) }, slope: 0, variance: 0 };
  }
  const Y = batch.Y;
  const t = (j: number) => { let x = 0; for (let i = 0; i < nL; i++) x += Y[i * m + j]; return x; };
  const yy = (j: number, j2: number) => { let x = 0; for (let i = 0; i < nL; i++) x += Y[i * m + j] * Y[i * m + j2]; return x; };
  if (cfg.loss === 'mse') {
    // dŷ = 2(ŷ − y)/m; ŷ_ij = b + u_ij, rows i independent given a^[L-1]; M_jj' = ⟨b − y_j, b − y_j'⟩.
    const f = 4 / (m * m * nL);
    const M = (j: number, j2: number) => nL * b2 - b * (t(j) + t(j2)) + yy(j, j2);
    const diag = Float64Array.from({ length: D }, (_, k) => f * (nL * (b2 + q[k]) - 2 * b * t(s.diag[k]) + yy(s.diag[k], s.diag[k])));
    const pair = new Float64Array(P * P);
    for (let p = 0; p < P; p++) {
      for (let p2 = 0; p2 < P; p2++) {
        const j = s.diag[pos(p)], j2 = s.diag[pos(p2)];
        pair[p * P + p2] = p === p2 ? diag[pos(p)] : f * (nL * (b2 + c[p * P + p2]) - b * (t(j) + t(j2)) + yy(j, j2));
      }
    }
    const EY = diagTotal(s, (k) => diag[k] / f);
    let varY = batchTotal(s, (k) => 2 * nL * q[k] ** 2 + 4 * q[k] * M(s.diag[k], s.diag[k]),
      (p, p2) => 2 * nL * c[p * P + p2] ** 2 + 4 * c[p * P + p2] * M(s.diag[pos(p)], s.diag[pos(p2)]));
    if (law.kind === 'orthogonal') varY -= varT; // Cov(Y, T) = Var T
    const qMed = Math.exp(lnMedianScale), EYmed = diagTotal(s, (k) => nL * (b2 + qMed * q[k]) - 2 * b * t(s.diag[k]) + yy(s.diag[k], s.diag[k]));
    return { kernel: { diag, pair, logScale: 0 }, slope: ratio(diagTotal(s, (k) => nL * qMed * q[k]), EYmed), variance: Math.max(0, ratio(varY, EY * EY)) };
  }
  // softmax-xent: a fixed Monte Carlo over the logits (b cancels in the softmax). X_j = ‖p_j − y_j‖².
  const labels = batch.labels;
  const drawsDiag = mcDraws(3 * D * nL), drawsPair = mcDraws(3 * (P * (P - 1) / 2) * nL);
  // One stream of N(0, 1) draws: the examples share the first draws (their diagonal terms), each pair gets draws of
  // its own (shared draws would make the pairs' errors coherent, adding up over the m(m − 1) pairs).
  const rng = createRng(FIXED_MC_SEED, 'theory/softmax');
  const draw = (n: number, into = new Float64Array(n * nL * 2)) => {
    for (let i = 0; i < into.length; i++) into[i] = rng.normal();
    return into;
  };
  let Z = draw(drawsDiag);
  const Zpair = new Float64Array(drawsPair * nL * 2);
  const u = new Float64Array(nL), w = new Float64Array(nL), w0 = new Float64Array(nL);
  const pu = new Float64Array(nL), pw = new Float64Array(nL), pw0 = new Float64Array(nL);
  const mean = (x: Float64Array) => { let t = 0; for (const v of x) t += v; return t / x.length; };
  const H = 0.1; // ln q step of the slope's central difference
  // Per example: E‖p‖², E X, E X², E[X‖u‖²], and the linear parts (Stein's lemma; the softmax is shift invariant, so the
  // projection of X on the logits is β(u_ℓ − ū) and that of p_i is γ(u_i − ū), with Var(u_i − ū) = q(1 − 1/n_L)).
  const pp = new Float64Array(D), EX = new Float64Array(D), EX2 = new Float64Array(D), EXT = new Float64Array(D);
  const beta = new Float64Array(D), gamma = new Float64Array(D);
  const EXscaled = [new Float64Array(D), new Float64Array(D)];
  for (let k = 0; k < D; k++) {
    const label = labels[s.diag[k]], varLin = q[k] * (1 - 1 / nL);
    for (const [e, scale] of [[0, 1], [1, Math.exp((lnMedianScale - H) / 2)], [2, Math.exp((lnMedianScale + H) / 2)]] as const) {
      const sd = Math.sqrt(q[k]) * scale;
      let sx = 0, sx2 = 0, sxt = 0, sp = 0, sxl = 0, spl = 0;
      for (let d = 0; d < drawsDiag; d++) {
        let tt = 0;
        for (let i = 0; i < nL; i++) { u[i] = sd * Z[(d * nL + i) * 2]; tt += u[i] * u[i]; }
        softmaxInto(u, pu);
        const ub = mean(u);
        let p2 = 0, pl = 0;
        for (let i = 0; i < nL; i++) { p2 += pu[i] * pu[i]; pl += pu[i] * (u[i] - ub); }
        const x = p2 - 2 * pu[label] + 1;
        sx += x; sx2 += x * x; sxt += x * tt; sp += p2; sxl += x * (u[label] - ub); spl += pl;
      }
      if (e === 0) {
        pp[k] = sp / drawsDiag; EX[k] = sx / drawsDiag; EX2[k] = sx2 / drawsDiag; EXT[k] = sxt / drawsDiag;
        beta[k] = ratio(sxl / drawsDiag, varLin); gamma[k] = ratio(spl / drawsDiag, nL * varLin);
      } else EXscaled[e - 1][k] = sx / drawsDiag;
    }
  }
  // Pairs: the linear parts' covariances are exact, Cov(β(u_ℓ − ū), β'(w_ℓ' − w̄)) = ββ'c([ℓ = ℓ'] − 1/n_L) and
  // Σ_i Cov(γ(u_i − ū), γ'(w_i − w̄)) = γγ'c(n_L − 1); the remainders' covariances are estimated with a control variate
  // (w0 has w's law but is independent of u, so E[R_u R_w0] = E R_u E R_w: the estimate is exactly 0 at ρ = 0).
  const ppPair = new Float64Array(P * P), covXX = new Float64Array(P * P), covXT = new Float64Array(P * P);
  const resid = (x: number, z: Float64Array, zb: number, label: number, b: number) => x - b * (z[label] - zb);
  for (let p = 0; p < P; p++) {
    for (let p2 = p + 1; p2 < P; p2++) {
      const k1 = pos(p), k2 = pos(p2), l1 = labels[s.diag[k1]], l2 = labels[s.diag[k2]];
      const s1 = Math.sqrt(q[k1]), s2 = Math.sqrt(q[k2]), cc = c[p * P + p2];
      const rho = s1 > 0 && s2 > 0 ? Math.max(-1, Math.min(1, cc / (s1 * s2))) : 0, rc = Math.sqrt(1 - rho * rho);
      let sp = 0, sxx = 0, sxt12 = 0, sxt21 = 0;
      Z = draw(drawsPair, Zpair);
      for (let d = 0; d < drawsPair; d++) {
        let tu = 0, tw = 0, tw0 = 0;
        for (let i = 0; i < nL; i++) {
          const x1 = Z[(d * nL + i) * 2], x2 = Z[(d * nL + i) * 2 + 1];
          u[i] = s1 * x1; w[i] = s2 * (rho * x1 + rc * x2); w0[i] = s2 * x2;
          tu += u[i] * u[i]; tw += w[i] * w[i]; tw0 += w0[i] * w0[i];
        }
        softmaxInto(u, pu); softmaxInto(w, pw); softmaxInto(w0, pw0);
        const ub = mean(u), wb = mean(w), w0b = mean(w0);
        let dot = 0, nu = 0, nw = 0, nw0 = 0;
        for (let i = 0; i < nL; i++) {
          const ru = pu[i] - gamma[k1] * (u[i] - ub);
          dot += ru * (pw[i] - gamma[k2] * (w[i] - wb) - (pw0[i] - gamma[k2] * (w0[i] - w0b)));
          nu += pu[i] * pu[i]; nw += pw[i] * pw[i]; nw0 += pw0[i] * pw0[i];
        }
        const xu = nu - 2 * pu[l1] + 1, xw = nw - 2 * pw[l2] + 1, xw0 = nw0 - 2 * pw0[l2] + 1;
        const ru = resid(xu, u, ub, l1, beta[k1]), dr = resid(xw, w, wb, l2, beta[k2]) - resid(xw0, w0, w0b, l2, beta[k2]);
        sp += dot; sxx += ru * dr; sxt12 += xu * (tw - tw0); sxt21 += (xw - xw0) * tu;
      }
      ppPair[p * P + p2] = ppPair[p2 * P + p] = 1 / nL + gamma[k1] * gamma[k2] * cc * (nL - 1) + sp / drawsPair;
      covXX[p * P + p2] = covXX[p2 * P + p] = beta[k1] * beta[k2] * cc * ((l1 === l2 ? 1 : 0) - 1 / nL) + sxx / drawsPair;
      covXT[p * P + p2] = sxt12 / drawsPair; covXT[p2 * P + p] = sxt21 / drawsPair;
    }
  }
  const f = 1 / (m * m * nL);
  const diag = Float64Array.from({ length: D }, (_, k) => f * (pp[k] - 2 / nL + 1));
  const pair = new Float64Array(P * P);
  for (let p = 0; p < P; p++) {
    for (let p2 = 0; p2 < P; p2++) {
      const same = labels[s.diag[pos(p)]] === labels[s.diag[pos(p2)]] ? 1 : 0;
      pair[p * P + p2] = p === p2 ? diag[pos(p)] : f * (ppPair[p * P + p2] - 2 / nL + same);
    }
  }
  const EY = diagTotal(s, (k) => EX[k]);
  let varY = batchTotal(s, (k) => EX2[k] - EX[k] ** 2, (p, p2) => covXX[p * P + p2]);
  if (law.kind === 'orthogonal' && varT > 0) {
    const covYT = batchTotal(s, (k) => EXT[k] - EX[k] * nL * q[k], (p, p2) => covXT[p * P + p2]);
    varY -= covYT * covYT / varT;
  }
  const slope = (Math.log(diagTotal(s, (k) => EXscaled[1][k])) - Math.log(diagTotal(s, (k) => EXscaled[0][k]))) / H;
  return { kernel: { diag, pair, logScale: 0 }, slope: Number.isFinite(slope) ? slope : 0, variance: Math.max(0, ratio(varY, EY * EY)) };
}

/**
 * A prediction from ln of the mean-field mean square and the mean μ and variance v of ln(‖x‖²/E‖x‖²) (null: no band).
 */
function prediction(lnMeanSquare: number, mu: number | null, v: number | null): Prediction {
  const lnRms = lnMeanSquare / 2;
  if (mu === null || v === null) return { rms: Math.exp(lnRms), median: null, band: null, sigma: null, log10: { rms: lnRms / Math.LN10, median: null, band: null } };
  const lnMedian = lnRms + mu / 2, sigma = Math.sqrt(Math.max(0, v)) / 2;
  const band: [number, number] = [lnMedian - 2 * sigma, lnMedian + 2 * sigma];
  const l10 = (x: number) => x / Math.LN10;
  return {
    rms: Math.exp(lnRms), median: Math.exp(lnMedian), band: [Math.exp(band[0]), Math.exp(band[1])], sigma,
    log10: { rms: l10(lnRms), median: l10(lnMedian), band: [l10(band[0]), l10(band[1])] },
  };
}

/** How many examples the sample keeps: fewer for very deep networks (memory), fewer pairs for slow pair integrals. */
function samplingOf(m: number, L: number, g: Activation, b: number): Sampling {
  const perLayer = MEMORY_NUMBERS / L;
  const D = Math.min(m, DIAG_EXAMPLES, Math.max(2, Math.floor(perLayer / 8)));
  const cap = g === 'identity' || (g === 'relu' && b === 0) ? PAIR_EXAMPLES.closed : PAIR_EXAMPLES.numeric;
  const P = Math.min(D, cap, Math.max(2, Math.floor(Math.sqrt(perLayer / 6))));
  return { m, diag: evenly(m, D), pair: evenly(D, P) };
}

/**
 * The theory of the network `cfg` on its batch (module doc): mean-field rms of z, a, dA, dZ, dW per layer, with the
 * finite-width median and ±2σ band, and χ_l; or no prediction, with the reason.
 * @param batch the batch the run uses (session/problem.ts makeBatch): x = a^[0] row-major (n^[0], m), targets, labels
 */
export function predict(cfg: RunConfig, batch: Batch): Theory {
  const widths = widthsOf(cfg);
  const L = widths.length - 1, m = cfg.batch, b = cfg.bias;
  const laws: Law[] = [];
  for (let l = 1; l <= L; l++) {
    const law = lawOf(cfg, widths[l], widths[l - 1]);
    if (typeof law === 'string') return { layers: null, note: law };
    laws.push(law);
  }
  if (laws[0].kind === 'identity') return exactIdentity(cfg, widths, batch, laws[0].gain);
  const s = samplingOf(m, L, cfg.activation, b);
  const P = s.pair.length;
  // Forward (module doc, 1 and 3).
  const fwd: ForwardLayer[] = [];
  let k = inputKernel(s, batch.X, widths[0]);
  for (let l = 1; l <= L; l++) {
    const { next, layer } = forwardLayer(s, k, l < L ? cfg.activation : 'identity', b, laws[l - 1], widths[l - 1], widths[l]);
    fwd.push(layer);
    k = next;
  }
  // Log-normal accumulation of the forward sources (module doc, 3).
  const EX = new Float64Array(L + 1), VX = new Float64Array(L + 1), EQ = new Float64Array(L + 1), VQ = new Float64Array(L + 1);
  const EZ = new Float64Array(L + 1), VZ = new Float64Array(L + 1);
  for (let l = 1; l <= L; l++) {
    const F = fwd[l - 1];
    EQ[l] = EX[l - 1] - F.varRho / 2; VQ[l] = VX[l - 1] + F.varRho;
    EZ[l] = F.sZ * EQ[l] - F.varZ / 2; VZ[l] = F.sZ ** 2 * VQ[l] + F.varZ;
    EX[l] = F.sA * EQ[l] - F.varA / 2; VX[l] = F.sA ** 2 * VQ[l] + F.varA;
  }
  // The loss: z^[L]'s centred covariances in true units.
  const last = fwd[L - 1].aPrev, vL = widths[L - 1] * elementVariance(laws[L - 1], widths[L], widths[L - 1]), fL = Math.exp(last.logScale);
  const loss = lossTerms(cfg, s, batch, last.diag.map((x) => vL * x * fL), last.pair.map((x) => vL * x * fL), widths[L], laws[L - 1], EQ[L]);
  // dW's band (‖dW‖² ≈ ‖dZ‖²‖a‖²) is exact only when every example is the same: input and dŷ (module doc, 3).
  const sameExamples = allEqual(inputKernel(s, batch.X, widths[0])) && allEqual(loss.kernel);
  // Backward (module doc, 1 and 3): dA^[l], dZ^[l], dW^[l], χ_l, and the sources of the step to layer l−1.
  const lnDA = new Float64Array(L + 1), lnDZ = new Float64Array(L + 1), lnDW = new Float64Array(L + 1), chi = new Float64Array(L + 1);
  const varRhoB = new Float64Array(L + 1), varNuA = new Float64Array(L + 1), varNuZ = new Float64Array(L + 1), sPrime = new Float64Array(L + 1);
  let dA = loss.kernel;
  normalise(dA);
  for (let l = L; l >= 1; l--) {
    const F = fwd[l - 1], v = elementVariance(laws[l - 1], widths[l], widths[l - 1]);
    const dZ: Kernel = { diag: dA.diag.map((x, i) => x * F.d2[i]), pair: dA.pair.map((x, i) => x * F.b1[i]), logScale: dA.logScale };
    lnDA[l] = lnMeanSquare(dA);
    lnDZ[l] = lnMeanSquare(dZ);
    lnDW[l] = Math.log(batchTotal(s, (i) => dZ.diag[i] * F.aPrev.diag[i], (p, p2) => dZ.pair[p * P + p2] * F.aPrev.pair[p * P + p2]))
      + dZ.logScale + F.aPrev.logScale;
    // dA^[l-1] = W^[l]ᵀ dZ^[l]: K^dA[l-1] = n_l v_l K^dZ[l].
    const below: Kernel = { diag: dZ.diag, pair: dZ.pair, logScale: dZ.logScale + Math.log(widths[l] * v) };
    chi[l] = Math.exp(lnMeanSquare(below) - lnDA[l]);
    if (l === 1) break;
    // The step W^[l]ᵀ: dZ^[l] → dA^[l−1] → dZ^[l−1] (moments of layer l−1).
    const G = dZ, Fm = fwd[l - 2], nPrev = widths[l - 1];
    const pos = (p: number) => s.pair[p];
    const Gp = (p: number, p2: number) => G.pair[p * P + p2];
    const den = diagTotal(s, (i) => G.diag[i] * Fm.d2[i]);
    let num = batchTotal(s, (i) => 3 * G.diag[i] ** 2 * Fm.d4[i] - (G.diag[i] * Fm.d2[i]) ** 2,
      (p, p2) => (Gp(p, p) * Gp(p2, p2) + 2 * Gp(p, p2) ** 2) * Fm.b2[p * P + p2] - Gp(p, p) * Gp(p2, p2) * Fm.d2[pos(p)] * Fm.d2[pos(p2)]);
    const rG = gramRatio(s, G);
    if (laws[l - 1].kind === 'orthogonal') {
      varRhoB[l - 1] = projectionVariance(widths[l], nPrev, rG);
      const varT = batchTotal(s, (i) => 2 * G.diag[i] ** 2, (p, p2) => 2 * Gp(p, p2) ** 2);
      const covYT = batchTotal(s, (i) => 2 * G.diag[i] ** 2 * Fm.d2[i], (p, p2) => 2 * Gp(p, p2) ** 2 * Fm.d2[pos(p)]);
      if (varT > 0) num -= covYT * covYT / varT;
    } else {
      varNuA[l - 1] = 2 * rG / nPrev;
    }
    varNuZ[l - 1] = Math.max(0, ratio(num, den * den)) / nPrev;
    sPrime[l - 1] = ratio(diagTotal(s, (i) => G.diag[i] * Fm.dD2[i]), den);
    dA = below;
    normalise(dA);
  }
  const Gamma = new Float64Array(L + 2), Eb = new Float64Array(L + 2), Vb = new Float64Array(L + 2);
  Gamma[L] = loss.slope;
  let own = loss.variance, fwdVar = 0, fwdMean = 0;
  for (let l = L; l >= 1; l--) {
    if (l < L) {
      Gamma[l] = sPrime[l] + fwd[l - 1].sA * Gamma[l + 1];
      own += varRhoB[l] + varNuZ[l];
      const src = fwd[l - 1].varA + fwd[l].varRho; // the forward sources between δq^[l] and δq^[l+1]
      fwdVar += Gamma[l + 1] ** 2 * src;
      fwdMean -= Gamma[l + 1] * src / 2;
    }
    Vb[l] = Gamma[l] ** 2 * VQ[l] + fwdVar + own;
    Eb[l] = Gamma[l] * EQ[l] + fwdMean - own / 2;
  }
  const layers: LayerPrediction[] = [];
  for (let l = 1; l <= L; l++) {
    const F = fwd[l - 1];
    const stepA = l < L ? varRhoB[l] + varNuA[l] : 0;
    layers.push({
      layer: l,
      z: prediction(F.lnZ, EZ[l], VZ[l]),
      a: prediction(F.lnA, EX[l], VX[l]),
      dA: l < L ? prediction(lnDA[l], Eb[l + 1] - stepA / 2, Vb[l + 1] + stepA) : prediction(lnDA[l], Eb[l], Vb[l]),
      dZ: prediction(lnDZ[l], Eb[l], Vb[l]),
      dW: sameExamples ? prediction(lnDW[l], Eb[l] + EX[l - 1], Vb[l] + VX[l - 1] + 2 * Gamma[l] * VX[l - 1]) : prediction(lnDW[l], null, null),
      chi: chi[l],
    });
  }
  return { layers, note: null };
}

/** ln(Σx²/count) of stored values with amplitude log-scale `scale` (true = stored·e^{scale}). */
function lnMs(x: Float64Array, scale: number): number {
  let t = 0;
  for (const v of x) t += v * v;
  return Math.log(t / x.length) + 2 * scale;
}

/** Divide by max|x| (if finite and positive) and return ln of the factor, so that deep linear networks stay in range. */
function rescale(...xs: Float64Array[]): number {
  let max = 0;
  for (const x of xs) for (const v of x) max = Math.max(max, Math.abs(v));
  if (!(max > 0) || !Number.isFinite(max)) return 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) x[i] /= max;
  return Math.log(max);
}

/** ‖dZ aᵀ‖_F² for dZ (nOut, m) and a (nIn, m), row-major: by the m×m Gram matrices or directly, whichever is cheaper. */
function outerNormSq(dZ: Float64Array, a: Float64Array, nOut: number, nIn: number, m: number): number {
  let total = 0;
  if (m * m * (nOut + nIn) <= nOut * nIn * m) {
    const gram = (x: Float64Array, n: number) => {
      const g = new Float64Array(m * m);
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let j2 = 0; j2 < m; j2++) g[j * m + j2] += x[i * m + j] * x[i * m + j2];
      return g;
    };
    const gz = gram(dZ, nOut), ga = gram(a, nIn);
    for (let i = 0; i < m * m; i++) total += gz[i] * ga[i];
    return total;
  }
  for (let i = 0; i < nOut; i++) {
    for (let k = 0; k < nIn; k++) {
      let x = 0;
      for (let j = 0; j < m; j++) x += dZ[i * m + j] * a[k * m + j];
      total += x * x;
    }
  }
  return total;
}

/**
 * identity(gain): W^[l] = gain·I (rectangular: the main diagonal) is deterministic, so the network is computed exactly,
 * unit by unit on the batch: z_i = gain·a_i + b for i < min(n_l, n_{l-1}) and z_i = b beyond (rows without a one);
 * dA^[l-1]_k = gain·dZ^[l]_k for k < min(n_l, n_{l-1}) and 0 beyond. Every band is a point (σ = 0). χ_l is the exact
 * mean-square ratio (gain² for square layers with the identity g: 2.25 for 1.5·I, an rms factor of 1.5 per layer).
 */
function exactIdentity(cfg: RunConfig, widths: readonly number[], batch: Batch, gain: number): Theory {
  const L = widths.length - 1, m = cfg.batch, b = cfg.bias, nL = widths[L];
  const numbers = widths.reduce((t, n) => t + 2 * n * m, 0);
  if (numbers > IDENTITY_MAX_NUMBERS) {
    return { layers: null, note: `init identity: the exact pass would keep ${numbers.toLocaleString('en-US')} numbers (at most ${IDENTITY_MAX_NUMBERS.toLocaleString('en-US')})` };
  }
  const scaleFree = ACTIVATION_SPECS[cfg.activation].homogeneous && b === 0;
  const a: Float64Array[] = [Float64Array.from(batch.X)], sa = [0];
  const z: Float64Array[] = [new Float64Array(0)];
  const lnZ = new Float64Array(L + 1), lnA = new Float64Array(L + 1);
  for (let l = 1; l <= L; l++) {
    const { f } = PHI[l < L ? cfg.activation : 'identity'];
    const zl = new Float64Array(widths[l] * m).fill(b);
    for (let i = 0; i < Math.min(widths[l], widths[l - 1]) * m; i++) zl[i] = gain * a[l - 1][i] + b;
    const al = zl.map(f);
    const s = sa[l - 1] + (scaleFree ? rescale(zl, al) : 0);
    z.push(zl); a.push(al); sa.push(s);
    lnZ[l] = lnMs(zl, s); lnA[l] = lnMs(al, s);
  }
  // dŷ (model/losses.ts), from the true ŷ = z^[L]·e^{s}.
  const yHat = z[L].map((x) => x * Math.exp(sa[L]));
  let dA = new Float64Array(nL * m).fill(1 / m);
  if (cfg.loss === 'mse') dA = yHat.map((x, i) => (2 * (x - batch.Y[i])) / m);
  if (cfg.loss === 'softmax-xent') {
    const col = new Float64Array(nL), p = new Float64Array(nL);
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < nL; i++) col[i] = yHat[i * m + j];
      softmaxInto(col, p);
      for (let i = 0; i < nL; i++) dA[i * m + j] = (p[i] - (i === batch.labels[j] ? 1 : 0)) / m;
    }
  }
  let sd = rescale(dA);
  const layers: LayerPrediction[] = [];
  const point = (ln: number) => prediction(ln, 0, 0);
  const out: Omit<LayerPrediction, 'z' | 'a'>[] = [];
  for (let l = L; l >= 1; l--) {
    const { f, d } = PHI[l < L ? cfg.activation : 'identity'];
    const dZ = dA.map((x, i) => x * d(z[l][i], f(z[l][i])));
    const lnDA = lnMs(dA, sd), lnDZ = lnMs(dZ, sd);
    const lnDW = Math.log(outerNormSq(dZ, a[l - 1], widths[l], widths[l - 1], m) / (widths[l] * widths[l - 1])) + 2 * (sd + sa[l - 1]);
    const prev = new Float64Array(widths[l - 1] * m);
    for (let i = 0; i < Math.min(widths[l], widths[l - 1]) * m; i++) prev[i] = gain * dZ[i];
    const chi = Math.exp(lnMs(prev, sd) - lnDA);
    out.unshift({ layer: l, dA: point(lnDA), dZ: point(lnDZ), dW: point(lnDW), chi });
    dA = prev;
    sd += rescale(dA);
  }
  for (let l = 1; l <= L; l++) {
    const o = out[l - 1];
    layers.push({ layer: l, z: point(lnZ[l]), a: point(lnA[l]), dA: o.dA, dZ: o.dZ, dW: o.dW, chi: o.chi });
  }
  return { layers, note: null };
}
