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
 * a = g(z), elementwise. relu(z) = z > 0 ? z : 0, NaN stays NaN (as PyTorch); tanh(±∞) = ±1.
 */
export function activationForward(g: Activation, z: ArrayLike<number>): Float64Array {
  const a = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) {
    const v = z[i];
    a[i] = g === 'identity' ? v : g === 'tanh' ? Math.tanh(v) : Number.isNaN(v) ? v : v > 0 ? v : 0;
  }
  return a;
}

/**
 * sech²(z) = tanh'(z) = 1 − tanh²(z) in float64, accurate over the whole range: 1 − tanh² for |z| < 0.55
 * (tanh² ≤ 0.25, no cancellation), else 4t/(1 + t)² with t = e^(−2|z|) (1 − tanh² would be 0 for |z| > 19,
 * where tanh rounds to 1). Returns [s, k] with sech²(z) = s·2^k, so that a product with a huge dA is not lost to
 * the underflow of sech² alone (|z| > 354).
 */
function sech2Scaled(z: number): [number, number] {
  const az = Math.abs(z);
  if (az < 0.55) return [1 - Math.tanh(az) ** 2, 0];
  // t = e^(−2|z|) = e^(−2|z| + k·ln 2)·2^−k with k chosen so the first factor stays near 1.
  const k = Math.floor((2 * az) / Math.LN2);
  const r = Math.exp(-2 * az + k * Math.LN2);
  const t = r * 2 ** -Math.min(k, 1074);
  return [(4 * r) / (1 + t) ** 2, -k];
}

/**
 * dZ = dA ⊙ g'(z), elementwise, with g' computed from z (never reconstructed from the rounded a = g(z)).
 * identity: dA; relu: z > 0 ? dA : 0 (ReLU'(0) = 0, as PyTorch and TensorFlow; a select, so 0·∞ never occurs);
 * tanh: dA·sech²(z) (see {@link sech2Scaled}), where dA = ±∞ gives ±∞ for finite z and NaN for z = ±∞ (∞·0).
 * @param z row-major (n, m); @param dA same shape. @returns dZ, same shape.
 */
export function activationBackward(g: Activation, z: ArrayLike<number>, dA: ArrayLike<number>): Float64Array {
  const dZ = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) {
    if (g === 'identity') dZ[i] = dA[i];
    else if (g === 'relu') dZ[i] = z[i] > 0 ? dA[i] : 0;
    else if (!Number.isFinite(z[i]) || !Number.isFinite(dA[i])) dZ[i] = dA[i] * (Number.isNaN(z[i]) ? NaN : Number.isFinite(z[i]) ? 1 : 0);
    else {
      const [s, k] = sech2Scaled(z[i]);
      // sech² = s·2^k ≤ 1, so dA·sech² cannot overflow; past 2^-1022 scale dA down first so that sech² itself
      // does not underflow.
      dZ[i] = k >= -1022 ? dA[i] * (s * 2 ** k) : (dA[i] * 2 ** -600) * (s * 2 ** (k + 600));
    }
  }
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
  for (let j = 0; j < m; j++) {
    if (loss === 'sum') {
      let s = 0;
      for (let i = 0; i < nL; i++) { s += yhat[i * m + j]; dYhat[i * m + j] = 1 / m; }
      perExample[j] = s;
    } else if (loss === 'mse') {
      let s = 0;
      for (let i = 0; i < nL; i++) {
        const d = yhat[i * m + j] - Y[i * m + j];
        s += d * d;
        dYhat[i * m + j] = (2 * d) / m;
      }
      perExample[j] = s;
    } else {
      let mx = yhat[j], iMax = 0, finite = true;
      for (let i = 0; i < nL; i++) {
        const v = yhat[i * m + j];
        if (!Number.isFinite(v)) finite = false;
        if (v > mx) { mx = v; iMax = i; }
      }
      if (!finite) {
        perExample[j] = NaN;
        for (let i = 0; i < nL; i++) dYhat[i * m + j] = NaN;
        continue;
      }
      const c = labels[j];
      let notMax = 0, notLabel = 0;
      for (let i = 0; i < nL; i++) {
        const e = Math.exp(yhat[i * m + j] - mx);
        if (i !== iMax) notMax += e;
        if (i !== c) notLabel += e;
      }
      const denom = (1 + notMax) * m;
      for (let i = 0; i < nL; i++) dYhat[i * m + j] = i === c ? -notLabel / denom : Math.exp(yhat[i * m + j] - mx) / denom;
      perExample[j] = (mx - yhat[c * m + j]) + Math.log1p(notMax);
    }
  }
  return { perExample, dYhat };
}
