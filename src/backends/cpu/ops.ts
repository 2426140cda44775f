/**
 * Float64 reference operations: plain loops, the oracle for every WGSL kernel (test/kernels.test.ts) and the
 * building blocks of the CPU backend. Each mirrors one kernel in shaders/, including its special-value rules.
 * All matrices are ROW-MAJOR.
 */
import type { Activation, LossName } from '../../engine/network';

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
 * dZ = dA ⊙ g'(z), elementwise. identity: dA; relu: z > 0 ? dA : 0 (ReLU'(0) = 0, as PyTorch and
 * TensorFlow; a select, so 0·∞ never occurs); tanh: dA·(1 − a²) with a = tanh(z) from the forward pass.
 */
export function activationBackward(g: Activation, z: ArrayLike<number>, a: ArrayLike<number>, dA: ArrayLike<number>): Float64Array {
  const dZ = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) {
    dZ[i] = g === 'identity' ? dA[i] : g === 'relu' ? (z[i] > 0 ? dA[i] : 0) : dA[i] * (1 - a[i] * a[i]);
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
 * - softmax-xent: loss_j = log Σ_i exp(ŷ_ij) − ŷ_{label_j, j} (max-shifted);  dŷ = (softmax(ŷ_:j) − onehot)/m;
 *   an example with a non-finite logit gets loss and gradient NaN.
 * @param yhat row-major (nL, m); @param Y row-major (nL, m); @param labels length m
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
      let mx = -Infinity, finite = true;
      for (let i = 0; i < nL; i++) {
        const v = yhat[i * m + j];
        if (!Number.isFinite(v)) finite = false;
        mx = Math.max(mx, v);
      }
      if (!finite) {
        perExample[j] = NaN;
        for (let i = 0; i < nL; i++) dYhat[i * m + j] = NaN;
        continue;
      }
      let se = 0;
      for (let i = 0; i < nL; i++) se += Math.exp(yhat[i * m + j] - mx);
      for (let i = 0; i < nL; i++) {
        const p = Math.exp(yhat[i * m + j] - mx) / se;
        dYhat[i * m + j] = (p - (i === labels[j] ? 1 : 0)) / m;
      }
      perExample[j] = mx + Math.log(se) - yhat[labels[j] * m + j];
    }
  }
  return { perExample, dYhat };
}
