/**
 * Float64 reference operations: plain loops, the oracle for every WGSL kernel (test/kernels.test.ts) and the
 * building blocks of the CPU backend. Each mirrors one kernel in shaders/, including its special-value rules.
 * All matrices are ROW-MAJOR.
 */
import type { Activation, LossName } from '../../model/network';

/**
 * C = op(A)·op(B) (+ bias broadcast along rows), the three products of a dense layer:
 * forward z = W·a (+b); dW = dZ·aᵀ (transB); dA^[l-1] = Wᵀ·dZ (transA).
 * @param A (M, K), or (K, M) if transA;  @param B (K, N), or (N, K) if transB;  @param bias length M or null
 * @returns C, row-major (M, N)
 */
export function matmul(
  A: ArrayLike<number>, B: ArrayLike<number>, M: number, N: number, K: number,
  transA: boolean, transB: boolean, bias: ArrayLike<number> | null = null,
): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        s += (transA ? A[k * M + i] : A[i * K + k]) * (transB ? B[j * K + k] : B[k * N + j]);
      }
      C[i * N + j] = bias ? s + bias[i] : s;
    }
  }
  return C;
}

/**
 * sech²(z) = tanh'(z) = 1 − tanh²(z) in float64, accurate over the whole range: 1 − tanh² for |z| < 0.55
 * (tanh² ≤ 0.25, no cancellation), else 4t/(1 + t)² with t = e^(−2|z|) (1 − tanh² would be 0 for |z| > 19,
 * where tanh rounds to 1). Returns [s, k] with sech²(z) = s·2^k, so that a product with a huge dA is not lost to
 * the underflow of sech² alone (|z| > 354).
 */
export function sech2Scaled(z: number): [number, number] {
  const az = Math.abs(z);
  if (az < 0.55) return [1 - Math.tanh(az) ** 2, 0];
  // t = e^(−2|z|) = e^(−2|z| + k·ln 2)·2^−k with k chosen so the first factor stays near 1.
  const k = Math.floor((2 * az) / Math.LN2);
  const r = Math.exp(-2 * az + k * Math.LN2);
  const t = r * 2 ** -Math.min(k, 1074);
  return [(4 * r) / (1 + t) ** 2, -k];
}

/** dA·tanh'(z) = dA·sech²(z); dA = ±∞ gives ±∞ for finite z and NaN for z = ±∞ (∞·0). */
function tanhBackward(z: number, dA: number): number {
  if (!Number.isFinite(z) || !Number.isFinite(dA)) return dA * (Number.isNaN(z) ? NaN : Number.isFinite(z) ? 1 : 0);
  const [s, k] = sech2Scaled(z);
  // sech² = s·2^k ≤ 1, so dA·sech² cannot overflow; past 2^-1022 scale dA down first so that sech² itself
  // does not underflow.
  return k >= -1022 ? dA * (s * 2 ** k) : (dA * 2 ** -600) * (s * 2 ** (k + 600));
}

/**
 * g and dA·g'(z) of every activation of the registry (model/activations.ts); the type lists every entry, so an
 * activation without its CPU code does not compile. g' is computed from z, never reconstructed from the rounded
 * a = g(z). relu: z > 0 ? z : 0 with NaN kept (as PyTorch), ReLU'(0) = 0 as a select (0·∞ never occurs);
 * tanh(±∞) = ±1.
 */
export const CPU_ACTIVATIONS: { readonly [g in Activation]: { forward(z: number): number; backward(z: number, dA: number): number } } = {
  identity: { forward: (z) => z, backward: (_z, dA) => dA },
  relu: { forward: (z) => (Number.isNaN(z) ? z : z > 0 ? z : 0), backward: (z, dA) => (z > 0 ? dA : 0) },
  tanh: { forward: Math.tanh, backward: tanhBackward },
};

/** a = g(z), elementwise (see {@link CPU_ACTIVATIONS}). @param z any layout. @returns a, same layout. */
export function activationForward(g: Activation, z: ArrayLike<number>): Float64Array {
  const f = CPU_ACTIVATIONS[g].forward;
  return Float64Array.from(z, f);
}

/**
 * dZ = dA ⊙ g'(z), elementwise (see {@link CPU_ACTIVATIONS}).
 * @param z row-major (n, m); @param dA same shape. @returns dZ, same shape.
 */
export function activationBackward(g: Activation, z: ArrayLike<number>, dA: ArrayLike<number>): Float64Array {
  const f = CPU_ACTIVATIONS[g].backward;
  const dZ = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) dZ[i] = f(z[i], dA[i]);
  return dZ;
}

/** db_i = Σ_j dZ_ij. @param dZ row-major (n, m) @returns length n */
export function biasGrad(dZ: ArrayLike<number>, n: number, m: number): Float64Array {
  const db = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += dZ[i * m + j];
    db[i] = s;
  }
  return db;
}

/**
 * The loss of one example j and its gradient column, for every loss of the registry (model/losses.ts); the type
 * lists every entry, so a loss without its CPU code does not compile. `at(i)` is the index of (i, j) in the
 * (nL, m) matrices; the gradient is written into dYhat. Formulas in {@link lossAndGrad}.
 */
type ExampleLoss = (yhat: ArrayLike<number>, Y: ArrayLike<number>, label: number, nL: number, at: (i: number) => number, m: number, dYhat: Float64Array) => number;

const CPU_LOSSES: { readonly [l in LossName]: ExampleLoss } = {
  sum: (yhat, _Y, _label, nL, at, m, dYhat) => {
    let s = 0;
    for (let i = 0; i < nL; i++) { s += yhat[at(i)]; dYhat[at(i)] = 1 / m; }
    return s;
  },
  mse: (yhat, Y, _label, nL, at, m, dYhat) => {
    let s = 0;
    for (let i = 0; i < nL; i++) {
      const d = yhat[at(i)] - Y[at(i)];
      s += d * d;
      dYhat[at(i)] = (2 * d) / m;
    }
    return s;
  },
  'softmax-xent': (yhat, _Y, c, nL, at, m, dYhat) => {
    let mx = yhat[at(0)], iMax = 0, finite = true;
    for (let i = 0; i < nL; i++) {
      const v = yhat[at(i)];
      if (!Number.isFinite(v)) finite = false;
      if (v > mx) { mx = v; iMax = i; }
    }
    if (!finite) {
      for (let i = 0; i < nL; i++) dYhat[at(i)] = NaN;
      return NaN;
    }
    let notMax = 0, notLabel = 0;
    for (let i = 0; i < nL; i++) {
      const e = Math.exp(yhat[at(i)] - mx);
      if (i !== iMax) notMax += e;
      if (i !== c) notLabel += e;
    }
    const denom = (1 + notMax) * m;
    for (let i = 0; i < nL; i++) dYhat[at(i)] = i === c ? -notLabel / denom : Math.exp(yhat[at(i)] - mx) / denom;
    return (mx - yhat[at(c)]) + Math.log1p(notMax);
  },
};

/**
 * Loss per example and its gradient dŷ = ∂J/∂ŷ, with J = (1/m) Σ_j loss_j:
 * - sum:  loss_j = Σ_i ŷ_ij;              dŷ = 1/m
 * - mse:  loss_j = Σ_i (ŷ_ij − y_ij)²;    dŷ = 2(ŷ − y)/m
 * - softmax-xent: with M = max_i ŷ_ij (first index i*), e_i = exp(ŷ_ij − M), S = Σ_{i≠i*} e_i and c = label_j:
 *   loss_j = (M − ŷ_cj) + log1p(S) (two non-negative terms, so large logits do not cancel J away);
 *   dŷ_ij = e_i/((1 + S)m) for i ≠ c and dŷ_cj = −(Σ_{i≠c} e_i)/((1 + S)m) (softmax − 1 would cancel when the
 *   label's probability is near 1). An example with a non-finite logit gets loss and gradient NaN.
 * @param yhat row-major (nL, m); @param Y row-major (nL, m); @param labels length m
 * @returns perExample (m) and dYhat row-major (nL, m)
 */
export function lossAndGrad(
  loss: LossName, yhat: ArrayLike<number>, Y: ArrayLike<number>, labels: ArrayLike<number>, nL: number, m: number,
): { perExample: Float64Array; dYhat: Float64Array } {
  const perExample = new Float64Array(m);
  const dYhat = new Float64Array(nL * m);
  const perExampleLoss = CPU_LOSSES[loss];
  for (let j = 0; j < m; j++) {
    const column = (k: number) => k * m + j;
    perExample[j] = perExampleLoss(yhat, Y, labels[j], nL, column, m, dYhat);
  }
  return { perExample, dYhat };
}
