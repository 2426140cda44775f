/**
 * Gaussian expectations by Gauss–Hermite quadrature: E_{z~N(μ, q)}[f(z)] and E[f(u, w)] for a pair (u, w) of jointly
 * Gaussian variables, as the mean-field theory (model/theory.ts) needs them.
 *
 * The rule is for the probabilists' weight φ(x) = e^{−x²/2}/√(2π): Σ_i w_i p(x_i) = E_{ξ~N(0,1)}[p(ξ)] exactly for
 * every polynomial p of degree ≤ 2N − 1. Its nodes and weights are computed here, not tabulated, by the method of
 * Golub & Welsch (1969, "Calculation of Gauss quadrature rules", Math. Comp. 23(106), 221–230, §2–3): the nodes are
 * the eigenvalues of the symmetric tridiagonal Jacobi matrix of the orthonormal Hermite polynomials (zero diagonal,
 * off-diagonal √k, k = 1..N−1, from the recurrence x·p_k = √(k+1)·p_{k+1} + √k·p_{k−1}), found by the implicit QL
 * algorithm with Wilkinson shifts (Bowdler, Martin, Reinsch & Wilkinson 1968, "The QR and QL algorithms for
 * symmetric matrices", Numer. Math. 11, 293–306, procedure tql1). Each node is then polished by Newton's method on
 * the recurrence, and its weight is the Christoffel number w_i = 1 / Σ_{k<N} p_k(x_i)² (Golub & Welsch 1969, eq. 3.5
 * in the equivalent form of Gautschi 2004, "Orthogonal Polynomials", Thm. 1.46), which is accurate to a few ulps
 * even where the weight is tiny (the first components of eigenvectors are not).
 */

/**
 * A quadrature rule: nodes x_i and weights w_i. For {@link gaussHermite}, E_{ξ~N(0,1)}[F(ξ)] ≈ Σ w_i F(x_i) (Σ w_i = 1);
 * for {@link gaussLegendre}, ∫_{−1}^{1} F(x) dx ≈ Σ w_i F(x_i) (Σ w_i = 2). Nodes ascending, symmetric about 0.
 */
export interface QuadratureRule {
  readonly nodes: Float64Array;
  readonly weights: Float64Array;
}
/** A Gauss–Hermite rule (weights sum to 1). */
export type HermiteRule = QuadratureRule;

/**
 * Eigenvalues of the symmetric tridiagonal matrix with zero diagonal and off-diagonal `off` (off[k] joins rows k and
 * k+1), by implicit QL with Wilkinson shifts (tql1, Bowdler et al. 1968). @returns the eigenvalues, ascending.
 */
function tridiagonalEigenvalues(off: Float64Array): Float64Array {
  const n = off.length + 1;
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  e.set(off); // e[n−1] = 0
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let k = l;
      for (; k < n - 1; k++) {
        const dd = Math.abs(d[k]) + Math.abs(d[k + 1]);
        if (Math.abs(e[k]) <= Number.EPSILON * dd) break;
      }
      if (k === l) break;
      if (iter === 60) throw new Error('Gauss–Hermite: QL did not converge');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[k] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = k - 1;
      for (; i >= l; i--) {
        let f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[k] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        f = 0;
      }
      if (r === 0 && i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[k] = 0;
    }
  }
  return d.sort();
}

/**
 * The orthonormal probabilists' Hermite polynomials at x: p_0 = 1, p_1 = x, √(k+1)·p_{k+1} = x·p_k − √k·p_{k−1}.
 * @returns p_N(x), p_N'(x) (for Newton) and Σ_{k<N} p_k(x)² (for the Christoffel weight).
 */
function hermiteAt(n: number, x: number): { p: number; dp: number; sumSq: number } {
  let pPrev = 0, p = 1, dPrev = 0, dp = 0, sumSq = 0;
  for (let k = 0; k < n; k++) {
    sumSq += p * p;
    const a = Math.sqrt(k + 1), b = Math.sqrt(k);
    const pNext = (x * p - b * pPrev) / a;
    const dNext = (p + x * dp - b * dPrev) / a;
    pPrev = p; p = pNext; dPrev = dp; dp = dNext;
  }
  return { p, dp, sumSq };
}

const rules = new Map<number, HermiteRule>();

/**
 * The N-point Gauss–Hermite rule for N(0, 1) (Golub–Welsch, Newton-polished, Christoffel weights), cached.
 * An even N has no node at 0 (a ReLU's kink then falls between nodes, and E[relu(ξ)^k] is exact by symmetry).
 * @param n number of nodes, 1..4000
 */
export function gaussHermite(n: number): HermiteRule {
  const cached = rules.get(n);
  if (cached) return cached;
  if (!Number.isInteger(n) || n < 1 || n > 4000) throw new RangeError(`gaussHermite: n must be an integer in 1..4000, got ${n}`);
  const off = new Float64Array(n - 1);
  for (let k = 1; k < n; k++) off[k - 1] = Math.sqrt(k);
  const nodes = tridiagonalEigenvalues(off);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = nodes[i];
    for (let it = 0; it < 3; it++) {
      const { p, dp } = hermiteAt(n, x);
      if (dp === 0 || !Number.isFinite(p / dp)) break;
      x -= p / dp;
    }
    // Symmetrise: the rule is exactly symmetric, so odd moments vanish to rounding.
    nodes[i] = x;
    weights[i] = 1 / hermiteAt(n, x).sumSq;
  }
  for (let i = 0; i < n >> 1; i++) {
    const x = (nodes[n - 1 - i] - nodes[i]) / 2, w = (weights[i] + weights[n - 1 - i]) / 2;
    nodes[i] = -x; nodes[n - 1 - i] = x;
    weights[i] = w; weights[n - 1 - i] = w;
  }
  if (n % 2 === 1) nodes[n >> 1] = 0;
  let total = 0;
  for (const w of weights) total += w;
  for (let i = 0; i < n; i++) weights[i] /= total;
  const rule = { nodes, weights };
  rules.set(n, rule);
  return rule;
}

/** Nodes of the default one-dimensional rule (the brief of issue "The lecture, visible": ~60–100 points). */
export const DEFAULT_NODES = 80;

/**
 * E_{z~N(mean, variance)}[f(z)] = Σ_i w_i f(mean + √variance·x_i).
 * @param rule default: the {@link DEFAULT_NODES}-point rule
 */
export function gaussianExpectation(f: (z: number) => number, mean: number, variance: number, rule: HermiteRule = gaussHermite(DEFAULT_NODES)): number {
  const s = Math.sqrt(variance);
  let sum = 0;
  for (let i = 0; i < rule.nodes.length; i++) sum += rule.weights[i] * f(mean + s * rule.nodes[i]);
  return sum;
}

/** Orthonormal Legendre polynomials on [−1, 1] at x: p_k = √((2k+1)/2)·P_k. @returns p_N, p_N' and Σ_{k<N} p_k². */
function legendreAt(n: number, x: number): { p: number; dp: number; sumSq: number } {
  // Bonnet: (k+1) P_{k+1} = (2k+1) x P_k − k P_{k−1}; P_k' by differentiating it.
  let pPrev = 0, p = 1, dPrev = 0, dp = 0, sumSq = 0;
  for (let k = 0; k < n; k++) {
    sumSq += ((2 * k + 1) / 2) * p * p;
    const pNext = ((2 * k + 1) * x * p - k * pPrev) / (k + 1);
    const dNext = ((2 * k + 1) * (p + x * dp) - k * dPrev) / (k + 1);
    pPrev = p; p = pNext; dPrev = dp; dp = dNext;
  }
  return { p, dp, sumSq };
}

const legendreRules = new Map<number, QuadratureRule>();

/**
 * The N-point Gauss–Legendre rule on [−1, 1] by the same Golub–Welsch construction (Jacobi matrix of the orthonormal
 * Legendre polynomials: zero diagonal, off-diagonal k/√(4k² − 1)), Newton-polished, Christoffel weights; cached.
 * @param n number of nodes, 1..200
 */
export function gaussLegendre(n: number): QuadratureRule {
  const cached = legendreRules.get(n);
  if (cached) return cached;
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new RangeError(`gaussLegendre: n must be an integer in 1..200, got ${n}`);
  const off = new Float64Array(n - 1);
  for (let k = 1; k < n; k++) off[k - 1] = k / Math.sqrt(4 * k * k - 1);
  const nodes = tridiagonalEigenvalues(off);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = nodes[i];
    for (let it = 0; it < 3; it++) {
      const { p, dp } = legendreAt(n, x);
      if (dp === 0) break;
      x -= p / dp;
    }
    nodes[i] = x;
    weights[i] = 1 / legendreAt(n, x).sumSq;
  }
  const rule = { nodes, weights };
  legendreRules.set(n, rule);
  return rule;
}

/** Points ξ_k and weights w_k with E_{ξ~N(0,1)}[F(ξ)] ≈ Σ_k w_k F(ξ_k) (the weights include the density φ). */
export interface StandardNormalRule {
  readonly xi: Float64Array;
  readonly w: Float64Array;
}

/** Nodes per panel of {@link gradedRule}. */
export const PANEL_NODES = 8;
/** {@link gradedRule} integrates over |ξ| ≤ GRADED_RANGE: the mass beyond is 2Φ(−10) ≈ 1.5e-23. */
const GRADED_RANGE = 10;

/**
 * A rule for E_{ξ~N(0,1)}[F(ξ)] when F has a feature that Gauss–Hermite cannot resolve: a kink (ReLU at z = 0 off the
 * Gaussian's centre) or a bend much narrower than the Gaussian (tanh when √q ≫ 1; Gauss–Hermite's error then grows to
 * 1e-3 at √q = 2 and 90% at √q = 10 for E[sech⁴]). Composite Gauss–Legendre (`panelNodes` nodes per panel) on
 * |ξ| ≤ 10, with panel breaks at every integer ξ (the Gaussian), at the feature ξ_c and at ξ_c ± h·2^j, j = 0, 1, …
 * (panels graded geometrically away from the feature, so a bend of width h is resolved with O(log(1/h)) panels).
 * Rules are cached: h is rounded down to a power of two (finer panels) and ξ_c to a multiple of h/4 (the feature stays
 * inside the finest panels), so nearby requests share one rule.
 * @param center ξ_c, where F's feature is (for g(b + √q ξ) with its feature at z = 0: ξ_c = −b/√q)
 * @param width h, the feature's width in ξ (0 for a pure kink: only the break at ξ_c)
 * @param panelNodes Gauss–Legendre nodes per panel
 */
export function gradedRule(center: number, width: number, panelNodes = PANEL_NODES): StandardNormalRule {
  const h = width > 0 ? 2 ** Math.floor(Math.log2(width)) : 0;
  const c = h > 0 ? Math.round(center / (h / 4)) * (h / 4) : center;
  const key = `${panelNodes}|${h}|${c}`;
  const cached = gradedRules.get(key);
  if (cached) return cached;
  if (gradedRules.size >= GRADED_CACHE) gradedRules.clear();
  const rule = buildGradedRule(c, h, panelNodes);
  gradedRules.set(key, rule);
  return rule;
}

/** Most graded rules kept (each a few hundred points). */
const GRADED_CACHE = 4096;
const gradedRules = new Map<string, StandardNormalRule>();

function buildGradedRule(center: number, width: number, panelNodes: number): StandardNormalRule {
  const breaks = [];
  for (let k = -GRADED_RANGE; k <= GRADED_RANGE; k++) breaks.push(k);
  if (Math.abs(center) < GRADED_RANGE) {
    breaks.push(center);
    if (width > 0) {
      for (let d = width; d < 2 * GRADED_RANGE; d *= 2) breaks.push(center - d, center + d);
    }
  }
  const sorted = breaks.filter((x) => x >= -GRADED_RANGE && x <= GRADED_RANGE).sort((a, b) => a - b);
  const { nodes, weights } = gaussLegendre(panelNodes);
  const xi: number[] = [], w: number[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const lo = sorted[i], hi = sorted[i + 1];
    if (hi - lo < 1e-12) continue;
    const half = (hi - lo) / 2, mid = (hi + lo) / 2;
    for (let k = 0; k < nodes.length; k++) {
      const x = mid + half * nodes[k];
      xi.push(x);
      w.push(half * weights[k] * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI));
    }
  }
  return { xi: Float64Array.from(xi), w: Float64Array.from(w) };
}

/** A Gauss–Hermite rule as a {@link StandardNormalRule}. */
export function hermiteAsStandard(rule: HermiteRule): StandardNormalRule {
  return { xi: rule.nodes, w: rule.weights };
}
