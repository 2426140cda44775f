/**
 * The extended range on the CPU: the same scales as the WebGPU engine (shaders/scales.wgsl), tracked in float64.
 * Every tensor is stored normalised with a power-of-two scale S (true value = stored·2^S), so magnitudes beyond
 * float64's range (0.5^10000) are represented. Exact for identity and ReLU forward (positively homogeneous) and for
 * every backward pass (linear in dA); tanh forward uses the true z (tanh z = z where max|z| < 2^-12, there the scale
 * is kept).
 */
import type { Activation } from '../../model/activations';
import type { LossName } from '../../model/losses';
import { activationForward, CPU_ACTIVATIONS, lossAndGrad, matmul, sech2Scaled } from './ops';

/** floor(log2 max|x|) over finite non-zero x, or 0 if there is none. */
function maxExponent(x: ArrayLike<number>): number {
  let top = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) top = Math.max(top, Math.abs(x[i]));
  return top > 0 ? Math.floor(Math.log2(top)) : 0;
}

/** x·2^n for any integer n, in steps that keep the power of two itself finite and non-zero. */
function times2(x: number, n: number): number {
  let v = x;
  for (let k = n; k !== 0;) {
    const step = Math.max(-1000, Math.min(1000, k));
    v *= 2 ** step;
    k -= step;
  }
  return v;
}

/** Scale x in place by 2^-e, e = its max exponent, so max|x| is in [1, 2). @returns e. */
export function normalize(x: Float64Array): number {
  const e = maxExponent(x);
  if (e !== 0) for (let i = 0; i < x.length; i++) x[i] = times2(x[i], -e);
  return e;
}

/**
 * z^[l] = W a + b and a^[l] = g(z) with scales: a^[l-1] has scale Sa, the bias exponent eb; z' = (W a)·2^(Sa − t) +
 * b·2^(−t) with t = max(Sa, eb) (neither term overflows), then z is normalised.
 * @param W row-major (nOut, nIn); @param aPrev row-major (nIn, m)
 * @returns z, a row-major (nOut, m) and their scales
 */
export function forwardScaled(W: ArrayLike<number>, aPrev: ArrayLike<number>, Sa: number, b: ArrayLike<number>, eb: number,
  nOut: number, m: number, nIn: number, g: Activation): { z: Float64Array; Sz: number; a: Float64Array; Sa: number } {
  const t = Math.max(Sa, eb);
  const z = matmul(W, aPrev, nOut, m, nIn, false, false);
  for (let i = 0; i < nOut; i++) for (let j = 0; j < m; j++) z[i * m + j] = times2(z[i * m + j], Sa - t) + times2(b[i], -t);
  const Sz = t + normalize(z);
  if (g !== 'tanh') return { z, Sz, a: activationForward(g, z), Sa: Sz };
  if (Sz + 1 <= -12) return { z, Sz, a: Float64Array.from(z), Sa: Sz }; // tanh z = z to float32 precision
  return { z, Sz, a: Float64Array.from(z, (v) => Math.tanh(times2(v, Sz))), Sa: 0 };
}

/**
 * The loss of ŷ stored with scale S: sum keeps ŷ's scale, mse the scale max(S, 0) (and twice it for the loss),
 * softmax-xent's dŷ is a probability (scale 0) and its loss has scale max(S, 0).
 * @returns per-example loss with lossScale, dŷ (row-major (nL, m)) with dyScale
 */
export function lossScaled(loss: LossName, yhat: Float64Array, S: number, Y: ArrayLike<number>, labels: ArrayLike<number>, nL: number, m: number) {
  if (loss === 'sum') {
    const r = lossAndGrad(loss, yhat, Y, labels, nL, m);
    return { perExample: r.perExample, lossScale: S, dYhat: r.dYhat, dyScale: 0 };
  }
  const ds = Math.max(S, 0);
  if (loss === 'mse') {
    const shifted = Float64Array.from(yhat, (v) => times2(v, S - ds));
    const target = Float64Array.from(Y, (v) => times2(v, -ds));
    const r = lossAndGrad(loss, shifted, target, labels, nL, m);
    return { perExample: r.perExample, lossScale: 2 * ds, dYhat: r.dYhat, dyScale: ds };
  }
  // softmax-xent on the true logits: the max-shifted differences (ŷ_i − M)·2^S (clamped far below any exp), and
  // J = (M − ŷ_c)·2^(S − ds) + log1p(Σ_{i≠max} e^(ŷ_i − M)·…)·2^(−ds).
  const perExample = new Float64Array(m), dYhat = new Float64Array(nL * m);
  for (let j = 0; j < m; j++) {
    let mx = yhat[j], iMax = 0;
    for (let i = 1; i < nL; i++) if (yhat[i * m + j] > mx) { mx = yhat[i * m + j]; iMax = i; }
    const column = Float64Array.from({ length: nL }, (_, i) => Math.max(-1e300, times2(yhat[i * m + j] - mx, S)));
    const r = lossAndGrad(loss, column, new Float64Array(nL), [labels[j]], nL, 1);
    for (let i = 0; i < nL; i++) dYhat[i * m + j] = r.dYhat[i] / m;
    let notMax = 0;
    for (let i = 0; i < nL; i++) if (i !== iMax) notMax += Math.exp(column[i]);
    perExample[j] = times2(mx - yhat[labels[j] * m + j], S - ds) + times2(Math.log1p(notMax), -ds);
  }
  return { perExample, lossScale: ds, dYhat, dyScale: 0 };
}

/**
 * dZ = dA ⊙ g'(z) with scales: dA (scale SdA) is normalised first; tanh's dZ is normalised again (sech² can be far
 * below any floating-point range), relu's and identity's keep dA's (g' is 0 or 1).
 * @param z stored with scale Sz; @returns dZ (same layout) and its scale
 */
export function backwardScaled(g: Activation, z: ArrayLike<number>, Sz: number, dA: Float64Array, SdA: number): { dZ: Float64Array; Sdz: number } {
  const dAn = Float64Array.from(dA);
  const S = SdA + normalize(dAn);
  if (g !== 'tanh') {
    const f = CPU_ACTIVATIONS[g].backward;
    return { dZ: Float64Array.from(z, (v, i) => f(v, dAn[i])), Sdz: S };
  }
  // dA·sech²(z) = dA·s·2^k per element: normalise by the largest exponent before forming it.
  const parts = Array.from(z, (v, i) => {
    const zt = times2(v, Sz);
    if (!Number.isFinite(zt) || !Number.isFinite(dAn[i])) return { v: CPU_ACTIVATIONS.tanh.backward(zt, dAn[i]), k: 0 };
    const [s, k] = sech2Scaled(zt);
    return { v: dAn[i] * s, k };
  });
  let top = -Infinity;
  for (const p of parts) if (p.v !== 0 && Number.isFinite(p.v)) top = Math.max(top, Math.floor(Math.log2(Math.abs(p.v))) + p.k);
  const e = Number.isFinite(top) ? top : 0;
  return { dZ: Float64Array.from(parts, (p) => times2(p.v, p.k - e)), Sdz: S + e };
}
