/**
 * Mean-field theory of signal propagation in deep random networks (Poole et al. 2016, "Exponential expressivity in
 * deep neural networks through transient chaos"; Schoenholz et al. 2017, "Deep information propagation"), for the
 * phase diagram in (σ_w², σ_b²): a network with W^[l]_ik ~ N(0, σ_w²/n^[l-1]) and b^[l]_i ~ N(0, σ_b²), widths → ∞.
 *
 *   variance map (Schoenholz eq. 3; Poole eq. 3):   q^l = σ_w² E_z[g(√q^(l-1) z)²] + σ_b²,   z ~ N(0, 1)
 *   its fixed point q* = V(q*), reached from q⁰ = 1 (the variance of gradscope's phase inputs),
 *   χ₁ = σ_w² E_z[g′(√q* z)²]   (Schoenholz eq. 5: the slope of the correlation map at c = 1, which is also the
 *                                 per-layer factor of E‖dA^[l]‖² in the backward pass, their §5)
 *   depth scale ξ = −1/ln χ₁     (Schoenholz eq. 9 at c* = 1; ξ > 0 in the ordered phase χ₁ < 1, where correlations
 *                                 approach 1 and gradients vanish as e^(−l/ξ); ξ < 0 in the chaotic phase χ₁ > 1,
 *                                 where gradients explode as e^(l/|ξ|); ±∞ on the critical line χ₁ = 1).
 * Measured quantities they predict (see backends/cpu/phase.ts and backends/webgpu/phase.ts): rms(dA^[l]) grows by √χ₁ per layer toward the input,
 * i.e. at the rate ½ ln χ₁ per layer; 1 − c^[l] (c: the correlation of two inputs' z^[l]) near c = 1 grows by χ₁.
 *
 * Expectations over N(0, 1) are computed by Gauss–Hermite quadrature (GH_POINTS nodes, by Newton's method on the
 * Hermite recurrence as Numerical Recipes' gauher, Press et al. 2007 §4.6) where q ≤ GH_MAX_Q, and by graded
 * Gauss–Legendre panels beyond (where tanh(√q z) turns over on the scale 1/√q, which Gauss–Hermite would need O(q)
 * nodes to resolve); see {@link gaussianExpectation}. Both are checked against a fine trapezoid rule written
 * independently in test/phase-theory.test.ts (agreement 1e-10 for q from 1e-3 to 1e4).
 */
import type { Activation } from './activations';

/** Nodes of the Gauss–Hermite rule used for q ≤ GH_MAX_Q. */
export const GH_POINTS = 128;
/** Largest q for which E[h(√q z)] uses the Gauss–Hermite rule (beyond, graded Gauss–Legendre panels). */
export const GH_MAX_Q = 0.5;

/** A quadrature rule on its interval: ∫ f ≈ Σ_i weights[i]·f(nodes[i]). */
export interface QuadratureRule {
  readonly nodes: Float64Array;
  readonly weights: Float64Array;
}

/**
 * The N-point Gauss–Hermite rule for the standard normal, E[f(z)] ≈ Σ w_i f(z_i) with Σ w_i = 1: the physicists'
 * rule (weight e^(−x²)) by Newton's method on the normalised Hermite recurrence with Numerical Recipes' starting
 * guesses (gauher, Press et al. 2007 §4.6), then z = √2·x and w ← w/√π. Exact for polynomials of degree ≤ 2N − 1.
 * @param N number of nodes, an even integer in 2..128 (even: no node at z = 0, where ReLU′ jumps)
 * @throws RangeError for another N, or if Newton's method does not converge.
 */
export function gaussHermite(N: number): QuadratureRule {
  if (!Number.isInteger(N) || N < 2 || N > 128 || N % 2 !== 0) throw new RangeError(`gaussHermite: N must be an even integer in 2..128, got ${N}`);
  const PIM4 = Math.PI ** -0.25;
  const x = new Float64Array(N), w = new Float64Array(N);
  let z = 0;
  for (let i = 0; i < N / 2; i++) {
    if (i === 0) z = Math.sqrt(2 * N + 1) - 1.85575 * (2 * N + 1) ** -0.16667;
    else if (i === 1) z -= (1.14 * N ** 0.426) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * x[0];
    else if (i === 3) z = 1.91 * z - 0.91 * x[1];
    else z = 2 * z - x[i - 2];
    let pp = 0, converged = false;
    for (let it = 0; it < 100 && !converged; it++) {
      let p1 = PIM4, p2 = 0;
      for (let j = 1; j <= N; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / j) * p2 - Math.sqrt((j - 1) / j) * p3;
      }
      pp = Math.sqrt(2 * N) * p2;
      const z1 = z;
      z = z1 - p1 / pp;
      converged = Math.abs(z - z1) <= 1e-15 * Math.max(1, Math.abs(z));
    }
    if (!converged) throw new RangeError(`gaussHermite: Newton's method did not converge for node ${i} of ${N}`);
    x[i] = z;
    x[N - 1 - i] = -z;
    w[i] = w[N - 1 - i] = 2 / (pp * pp);
  }
  return { nodes: x.map((v) => v * Math.SQRT2), weights: w.map((v) => v / Math.sqrt(Math.PI)) };
}

/**
 * The N-point Gauss–Legendre rule on [−1, 1] (Newton's method on the Legendre recurrence, as Numerical Recipes'
 * gauleg). Exact for polynomials of degree ≤ 2N − 1.
 * @throws RangeError for N not an integer in 1..64.
 */
export function gaussLegendre(N: number): QuadratureRule {
  if (!Number.isInteger(N) || N < 1 || N > 64) throw new RangeError(`gaussLegendre: N must be an integer in 1..64, got ${N}`);
  const x = new Float64Array(N), w = new Float64Array(N);
  for (let i = 0; i < Math.ceil(N / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (N + 0.5)), pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = 1, p2 = 0;
      for (let j = 1; j <= N; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      pp = (N * (z * p1 - p2)) / (z * z - 1);
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) <= 1e-15) break;
    }
    x[i] = -z;
    x[N - 1 - i] = z;
    w[i] = w[N - 1 - i] = 2 / ((1 - z * z) * pp * pp);
  }
  return { nodes: x, weights: w };
}

let hermite: QuadratureRule | null = null;
let legendre: QuadratureRule | null = null;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** Half-width of the z range of the graded rule: the standard normal density is below 1e-31 beyond it. */
const Z_MAX = 12;

/**
 * E[h(√q z)] for z ~ N(0, 1), q ≥ 0, to about 1e-12 absolute for |h| ≤ 1 (h: g², g′² of identity, ReLU, tanh).
 * For q ≤ GH_MAX_Q the GH_POINTS-point Gauss–Hermite rule (h varies on the scale of z: error ≤ 1e-11 for tanh at
 * q = 1, far less below). For larger q, h(√q z) varies on the scale 1/√q near z = 0, which Gauss–Hermite resolves
 * only with O(q) nodes (at q = 5 its error is already 6e-5): there the line is cut at 0, ±z₀, ±2z₀, ±4z₀, … up to
 * ±12 with z₀ = 1/(4√q), and each panel gets 16-point Gauss–Legendre on h(√q z)·φ(z) (panels shrink toward the
 * integrand's poles and kinks, which all lie at or near z = 0). A node at z = 0 never occurs (ReLU′ jumps there).
 */
export function gaussianExpectation(h: (u: number) => number, q: number): number {
  const s = Math.sqrt(q);
  if (q <= GH_MAX_Q) {
    hermite ??= gaussHermite(GH_POINTS);
    let sum = 0;
    for (let i = 0; i < GH_POINTS; i++) sum += hermite.weights[i] * h(s * hermite.nodes[i]);
    return sum;
  }
  legendre ??= gaussLegendre(16);
  const rule = legendre;
  const panel = (a: number, b: number) => {
    const c = 0.5 * (a + b), r = 0.5 * (b - a);
    let sum = 0;
    for (let i = 0; i < rule.nodes.length; i++) {
      const z = c + r * rule.nodes[i];
      sum += rule.weights[i] * (h(s * z) + h(-s * z)) * Math.exp(-0.5 * z * z);
    }
    return sum * r * INV_SQRT_2PI;
  };
  let a = 0, b = 1 / (4 * s), total = 0;
  while (a < Z_MAX) {
    total += panel(a, Math.min(b, Z_MAX));
    a = b;
    b *= 2;
  }
  return total;
}
/** g and g′ in float64 for the theory, typed over every activation of the registry (ReLU′(0) = 0). */
export const THEORY_ACTIVATIONS: { readonly [g in Activation]: { g(x: number): number; dg(x: number): number } } = {
  identity: { g: (x) => x, dg: () => 1 },
  relu: { g: (x) => (x > 0 ? x : 0), dg: (x) => (x > 0 ? 1 : 0) },
  // sech² = 1/cosh²: cosh overflows to ∞ past |x| ≈ 710, giving the correct limit 0.
  tanh: { g: Math.tanh, dg: (x) => 1 / Math.cosh(x) ** 2 },
};

/**
 * The variance map V(q) = σ_w² E[g(√q z)²] + σ_b² (Schoenholz et al. 2017, eq. 3).
 * @param q ≥ 0, the variance of z^[l-1] per unit (dimensionless)
 */
export function varianceMap(g: Activation, sw2: number, sb2: number, q: number): number {
  const f = THEORY_ACTIVATIONS[g].g;
  return sw2 * gaussianExpectation((u) => f(u) ** 2, q) + sb2;
}

/** Below and above these, q* is reported as 0 and ∞ (the map contracts to 0 or diverges). */
const Q_TINY = 1e-300;
const Q_HUGE = 1e300;

/**
 * The fixed point q* of the variance map reached from q⁰ = 1 (Schoenholz eq. 3): fixed-point iteration, then
 * bisection on V(q) − q when the iteration converges slowly (near the critical point of a σ_b² = 0 network, where
 * q^l → q* only as 1/l); ReLU and identity, whose maps are linear in q, in closed form. V is increasing in q for identity, ReLU and tanh, so the iterates are monotone and the
 * bracket [q*, q⁰] or [q⁰, q*] holds the limit.
 * @returns q* (0 when the iterates vanish, Infinity when they diverge: ReLU with σ_w² ≥ 2, identity with σ_w² ≥ 1)
 * @throws RangeError for σ_w² or σ_b² negative or not finite.
 */
export function fixedPointQ(g: Activation, sw2: number, sb2: number): number {
  if (!(sw2 >= 0 && Number.isFinite(sw2)) || !(sb2 >= 0 && Number.isFinite(sb2))) {
    throw new RangeError(`fixedPointQ: σ_w² and σ_b² must be finite and ≥ 0, got ${sw2}, ${sb2}`);
  }
  if (g !== 'tanh') {
    // Linear maps (Poole et al. 2016 §3 for ReLU): V(q) = a·q + σ_b² with a = σ_w²/2 (ReLU: E[relu(√q z)²] = q/2) or
    // σ_w² (identity); from q⁰ = 1 the iterates tend to σ_b²/(1 − a) for a < 1, stay at 1 for a = 1 and σ_b² = 0,
    // and diverge otherwise.
    const a = g === 'relu' ? sw2 / 2 : sw2;
    if (a < 1) return sb2 / (1 - a) < Q_TINY ? 0 : sb2 / (1 - a);
    return a === 1 && sb2 === 0 ? 1 : Infinity;
  }
  const V = (q: number) => varianceMap(g, sw2, sb2, q);
  let q = 1;
  for (let it = 0; it < 200; it++) {
    const next = V(q);
    if (next > Q_HUGE) return Infinity;
    if (next < Q_TINY) return 0;
    if (Math.abs(next - q) <= 1e-14 * q) return next;
    q = next;
  }
  // Slow convergence: bracket the limit of the monotone iterates, then bisect V(q) − q.
  const F = (x: number) => V(x) - x;
  let lo: number, hi: number;
  if (F(q) < 0) {
    lo = 0; hi = q;                           // decreasing iterates: q* in [0, q]; F(0) = σ_b² ≥ 0
  } else {
    lo = q; hi = 2 * q;                       // increasing: find an upper end
    while (F(hi) > 0) {
      lo = hi; hi *= 2;
      if (hi > Q_HUGE) return Infinity;
    }
  }
  for (let it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
    const mid = 0.5 * (lo + hi);
    if (F(mid) > 0) lo = mid; else hi = mid;
  }
  const root = 0.5 * (lo + hi);
  return root < Q_TINY ? 0 : root;
}

/**
 * χ₁ = σ_w² E[g′(√q z)²] at q = q* (Schoenholz eq. 5). At q* = 0 or ∞ the limit is taken (g′ evaluated at
 * √q·z with q clamped to [1e-300, 1e300]): tanh at q* = 0 gives σ_w², ReLU σ_w²/2 at any q*.
 * @param q the variance, default q* of {@link fixedPointQ}
 */
export function chi1(g: Activation, sw2: number, sb2: number, q = fixedPointQ(g, sw2, sb2)): number {
  if (g === 'relu') return sw2 / 2;     // E[relu′(√q z)²] = P(z > 0) = ½ for every q > 0
  if (g === 'identity') return sw2;
  const dg = THEORY_ACTIVATIONS[g].dg;
  return sw2 * gaussianExpectation((u) => dg(u) ** 2, Math.min(Math.max(q, Q_TINY), Q_HUGE));
}

/** The depth scale ξ = −1/ln χ₁ (Schoenholz eq. 9 at c* = 1): layers per factor e; ±Infinity at χ₁ = 1. */
export function depthScale(chi: number): number {
  return -1 / Math.log(chi);
}

/**
 * The critical σ_w² of a row σ_b²: the root of χ₁(σ_w², σ_b²) = 1 in [lo, hi], by bisection on ln χ₁ (χ₁ increases
 * with σ_w² for identity, ReLU and tanh) to a relative 1e-12; ReLU (2) and identity (1) exactly.
 * @returns σ_w² on the critical line, or null when χ₁ − 1 has one sign on all of [lo, hi]
 */
export function criticalSw2(g: Activation, sb2: number, lo = 1e-3, hi = 1e3): number | null {
  if (g !== 'tanh') {
    const exact = g === 'relu' ? 2 : 1;   // χ₁ = σ_w²/2 (ReLU), σ_w² (identity) at every σ_b²
    return exact >= lo && exact <= hi ? exact : null;
  }
  const h = (sw2: number) => Math.log(chi1(g, sw2, sb2, fixedPointQ(g, sw2, sb2)));
  let hl = h(lo), hh = h(hi);
  if (hl > 0 || hh < 0) return null;
  if (hl === 0) return lo;
  if (hh === 0) return hi;
  for (let it = 0; it < 200 && hi - lo > 1e-12 * hi; it++) {
    const mid = 0.5 * (lo + hi), hm = h(mid);
    if (hm > 0) { hi = mid; hh = hm; } else { lo = mid; hl = hm; }
  }
  return 0.5 * (lo + hi);
}

/** The theory of a phase-diagram grid: arrays [σ_b² row][σ_w² column]. */
export interface PhaseTheory {
  /** q* per point (0 or Infinity where the variance map contracts to 0 or diverges). */
  qStar: number[][];
  /** χ₁ per point. */
  chi1: number[][];
  /** ξ = −1/ln χ₁ per point (layers; negative in the chaotic phase, ±Infinity on the critical line). */
  depthScale: number[][];
  /** The predicted growth rate of rms(dA^[l]) per layer toward the input, ½ ln χ₁. */
  growth: number[][];
  /** σ_w² with χ₁ = 1 per σ_b² row (searched in [1e-3, 1e3]), or null. */
  critical: (number | null)[];
}

/**
 * The mean-field theory of every grid point (see the file comment for the formulas).
 * @param sw2 σ_w² values (columns); @param sb2 σ_b² values (rows)
 */
export function phaseTheory(g: Activation, sw2: readonly number[], sb2: readonly number[]): PhaseTheory {
  const qStar = sb2.map((b) => sw2.map((w) => fixedPointQ(g, w, b)));
  const chi = sb2.map((b, r) => sw2.map((w, c) => chi1(g, w, b, qStar[r][c])));
  return {
    qStar,
    chi1: chi,
    depthScale: chi.map((row) => row.map(depthScale)),
    growth: chi.map((row) => row.map((x) => 0.5 * Math.log(x))),
    critical: sb2.map((b) => criticalSw2(g, b)),
  };
}
