/**
 * Every WGSL kernel, run on Dawn (SwiftShader here), against the float64 reference ops of backends/cpu/ops.ts:
 * fresh random inputs (seed printed on failure), odd shapes no tile divides, integer inputs that must be
 * bit-exact, outputs pre-filled with a sentinel, and extreme inputs (±1e30, ±100, subnormals, ±∞, NaN).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { activationBackward, activationForward, biasGrad, lossAndGrad, matmul } from '../src/backends/cpu/ops';
import { kernels, WORKGROUP } from '../src/backends/webgpu/kernels';
import { SHADERS } from '../src/backends/webgpu/shader-source';
import { ceilDiv } from '../src/backends/webgpu/dispatch';
import { ACTIVATIONS, LOSSES } from '../src/engine/network';
import { createRng, type Rng } from '../src/engine/rng';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { runKernel } from './helpers/kernel-runner';
import { F32_EPS, F32_MIN_NORMAL, flushSubnormals, mismatches, relativeError } from './helpers/compare';

afterAll(releaseGpu);

const SEED = Date.now() % 2 ** 32;
const note = `(random seed ${SEED})`;
let stream = 0;
const rng = (): Rng => createRng(SEED, `kernels/${stream++}`);

const randn = (r: Rng, n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * r.normal());
const randint = (r: Rng, n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + Math.floor(r.uniform() * (hi - lo + 1)));
const SPECIALS = [1e30, -1e30, 100, -100, 1e-40, -1e-40, Infinity, -Infinity, NaN, 0, -0];
/** Random normals with every special value planted at random positions (each at least once if n ≥ 11). */
function withSpecials(r: Rng, n: number, specials = SPECIALS): Float32Array {
  const x = randn(r, n);
  for (let i = 0; i < n; i++) x[i] = i < specials.length ? specials[i] : r.uniform() < 0.3 ? specials[Math.floor(r.uniform() * specials.length)] : x[i];
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(r.uniform() * (i + 1)); [x[i], x[j]] = [x[j], x[i]]; }
  return x;
}
const f32 = (x: ArrayLike<number>) => Float32Array.from(x);

type MatmulCase = { M: number; N: number; K: number; transA: boolean; transB: boolean; bias: boolean };
const VARIANTS = [
  { transA: false, transB: false, bias: true }, // forward z = W a + b
  { transA: false, transB: true, bias: false }, // dW = dZ aᵀ
  { transA: true, transB: false, bias: false }, // dA = Wᵀ dZ
];
const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 17, 33], [17, 3, 65], [33, 65, 3], [65, 33, 17], [127, 1, 3], [535, 3, 17], [1, 127, 535], [127, 65, 129]];

async function gpuMatmul(c: MatmulCase, A: Float32Array, B: Float32Array, bias: Float32Array, maxPerDim?: number) {
  const g = await gpuBackend();
  const args = [{ input: A }, { input: B }, { output: c.M * c.N }, { uniform: [c.M, c.N, c.K] }, ...(c.bias ? [{ input: bias }] : [])];
  const [C] = await runKernel(g, kernels.matmul(c.transA, c.transB, c.bias), args, ceilDiv(c.M, WORKGROUP.matmulTile) * ceilDiv(c.N, WORKGROUP.matmulTile), maxPerDim);
  return C;
}

describe('workgroup sizes', () => {
  it('the shaders declare the sizes the scheduler dispatches with (kernels.ts WORKGROUP)', () => {
    // A mismatch would silently skip elements: the dispatch counts are ceil(n / size) with these sizes.
    const size = (name: keyof typeof SHADERS) => [...SHADERS[name].matchAll(/@workgroup_size\(([^)]*)\)/g)].map((m) => m[1]);
    expect(size('activation')).toEqual([`${WORKGROUP.elementwise}`, `${WORKGROUP.elementwise}`]);
    expect(size('bias_grad')).toEqual([`${WORKGROUP.biasGrad}`]);
    expect(size('loss')).toEqual([`${WORKGROUP.loss}`]);
    expect(size('stats')).toEqual([`${WORKGROUP.statsMerge}`, `${WORKGROUP.statsMerge}`]);
    // matmul: 16×16 threads, each a 4×4 block of outputs: a tile of 64×64.
    expect(size('matmul')).toEqual(['16, 16']);
    expect(SHADERS.matmul).toContain(`const TILE: u32 = ${WORKGROUP.matmulTile}u;`);
  });
});

describe('matmul.wgsl', () => {
  for (const v of VARIANTS) {
    for (const [M, N, K] of SHAPES) {
      const c = { M, N, K, ...v };
      const name = `${v.transA ? 'Aᵀ' : 'A'}·${v.transB ? 'Bᵀ' : 'B'}${v.bias ? '+b' : ''} M=${M} N=${N} K=${K}`;
      it(`random ${name}: relative error < 1e-5 ${note}`, async () => {
        const r = rng();
        const A = randn(r, M * K), B = randn(r, K * N), bias = randn(r, M);
        const C = await gpuMatmul(c, A, B, bias);
        const ref = matmul(A, B, M, N, K, v.transA, v.transB, v.bias ? bias : null);
        // float32 dot products of length K: error ≲ √K·2^-24 relative on random data; 1e-5 holds up to K ≈ 1e5.
        expect(relativeError(C, ref)).toBeLessThan(1e-5);
      });
    }
    it(`integer inputs are bit-exact ${v.transA ? 'Aᵀ' : 'A'}·${v.transB ? 'Bᵀ' : 'B'} ${note}`, async () => {
      const r = rng();
      const c = { M: 65, N: 33, K: 127, ...v };
      const A = randint(r, c.M * c.K, -8, 8), B = randint(r, c.K * c.N, -8, 8), bias = randint(r, c.M, -100, 100);
      const C = await gpuMatmul(c, A, B, bias);
      // |partial sums| ≤ 127·64 + 100 < 2^24: every float32 operation is exact, in any order.
      expect(Array.from(C)).toEqual(Array.from(matmul(A, B, c.M, c.N, c.K, v.transA, v.transB, v.bias ? bias : null)));
    });
    it(`extreme values ${v.transA ? 'Aᵀ' : 'A'}·${v.transB ? 'Bᵀ' : 'B'} ${note}`, async () => {
      const r = rng();
      const c = { M: 17, N: 33, K: 65, ...v };
      // A holds every special; B is finite with |b| ≤ 100 (so no finite product overflows float32 and the
      // kind of each result — finite, ±∞, NaN — is independent of summation order).
      const A = withSpecials(r, c.M * c.K);
      const B = f32(Array.from({ length: c.K * c.N }, (_, i) => (i % 7 === 0 ? 0 : Math.max(-100, Math.min(100, 10 * r.normal())))));
      const bias = withSpecials(r, c.M, [100, -100, 1e-40, 0]);
      const C = await gpuMatmul(c, A, B, bias);
      const ref = f32(matmul(A, B, c.M, c.N, c.K, v.transA, v.transB, v.bias ? bias : null));
      const absAB = matmul(A.map(Math.abs), B.map(Math.abs), c.M, c.N, c.K, v.transA, v.transB);
      // Higham, "Accuracy and Stability of Numerical Algorithms" (2002), eq. 3.5: |fl(AB) − AB| ≤ γ_K |A||B|,
      // γ_K ≈ K·2^-24; plus K·2^-126 for products a GPU may flush to zero, plus the final rounding.
      const tol = (i: number) => (c.K + 2) * F32_EPS * (absAB[i] + (v.bias ? Math.abs(bias[Math.floor(i / c.N)]) : 0)) + c.K * F32_MIN_NORMAL;
      expect(mismatches(C, ref, tol)).toEqual([]);
    });
  }
  it(`dispatches folded into two dimensions cover every tile ${note}`, async () => {
    const r = rng();
    const c = { M: 327, N: 65, K: 3, transA: false, transB: false, bias: true };
    const A = randn(r, c.M * c.K), B = randn(r, c.K * c.N), bias = randn(r, c.M);
    // 6·2 = 12 tiles of 64×64 folded into 5 × 3 = 15 workgroups: three past the end must return without writing.
    const C = await gpuMatmul(c, A, B, bias, 5);
    expect(relativeError(C, matmul(A, B, c.M, c.N, c.K, false, false, bias))).toBeLessThan(1e-5);
  });
});

describe('activation.wgsl', () => {
  for (const g of ACTIVATIONS) {
    for (const count of [1, 17, 535, 4099]) {
      it(`forward and backward ${g}, ${count} elements, random and extreme values ${note}`, async () => {
        const r = rng();
        const gpu = await gpuBackend();
        const z = count < 17 ? randn(r, count, 3) : withSpecials(r, count);
        const [a] = await runKernel(gpu, kernels.activationForward(g), [{ input: z }, { output: count }, { uniform: [count] }], ceilDiv(count, 256));
        const aRef = f32(activationForward(g, z));
        // identity and relu are exact, tanh within a few ulps; a GPU may flush subnormals to 0 (SwiftShader does).
        const tolA = (i: number) => (g === 'tanh' ? 8 * F32_EPS * Math.abs(aRef[i]) : 0) + F32_MIN_NORMAL;
        expect(mismatches(a, aRef, tolA)).toEqual([]);

        const dA = withSpecials(r, count);
        const [dZ] = await runKernel(gpu, kernels.activationBackward(g), [{ input: z }, { input: aRef }, { input: dA }, { output: count }, { uniform: [count] }], ceilDiv(count, 256));
        const dZRef = f32(activationBackward(g, z, aRef, dA));
        // A flush-to-zero GPU (SwiftShader) reads a subnormal z as 0: relu'(z) is then 0, an allowed answer.
        const dZFlushed = f32(activationBackward(g, flushSubnormals(z), aRef, dA));
        // tanh: dA·(1 − a²) in float32 rounds a², 1 − a² and the product: ≤ 3 ulps of |dA|·(1 + a²).
        const tolZ = (i: number) => (g === 'tanh' ? 4 * F32_EPS * Math.abs(dA[i]) * (1 + aRef[i] ** 2) : 0) + F32_MIN_NORMAL;
        expect(mismatches(dZ, dZRef, tolZ, 5, dZFlushed)).toEqual([]);
      });
    }
  }
  it('ReLU\'(0) = 0 and relu(NaN) = NaN, tanh(±∞) = ±1, tanh(±1e30) = ±1', async () => {
    const gpu = await gpuBackend();
    const z = f32([0, -0, NaN, Infinity, -Infinity, 1e30, -1e30]);
    const [relu] = await runKernel(gpu, kernels.activationForward('relu'), [{ input: z }, { output: 7 }, { uniform: [7] }], 1);
    expect(Array.from(relu)).toEqual([0, 0, NaN, Infinity, 0, 1e30, 0].map(Math.fround));
    const [tanh] = await runKernel(gpu, kernels.activationForward('tanh'), [{ input: z }, { output: 7 }, { uniform: [7] }], 1);
    // WGSL may ignore the sign of zero, so ±0 are compared as 0.
    expect(Array.from(tanh, (v) => (v === 0 ? 0 : v))).toEqual([0, 0, NaN, 1, -1, 1, -1]);
    const [dZ] = await runKernel(gpu, kernels.activationBackward('relu'), [{ input: f32([0, -0, 1, -1]) }, { input: f32([0, 0, 1, 0]) }, { input: f32([5, 5, 5, 5]) }, { output: 4 }, { uniform: [4] }], 1);
    expect(Array.from(dZ)).toEqual([0, 0, 5, 0]);
  });
  it(`elementwise dispatch folded into two dimensions ${note}`, async () => {
    const r = rng();
    const gpu = await gpuBackend();
    const count = 2579; // 11 workgroups folded as 4 × 3 = 12
    const z = randn(r, count);
    const [a] = await runKernel(gpu, kernels.activationForward('relu'), [{ input: z }, { output: count }, { uniform: [count] }], ceilDiv(count, 256), 4);
    expect(Array.from(a)).toEqual(Array.from(f32(activationForward('relu', z))));
  });
});

describe('bias_grad.wgsl', () => {
  for (const [n, m] of [[1, 1], [3, 127], [17, 65], [535, 33], [33, 535]]) {
    it(`db = Σ_j dZ, n=${n} m=${m}: random, integer-exact, extreme ${note}`, async () => {
      const r = rng();
      const gpu = await gpuBackend();
      const run = async (dZ: Float32Array) => (await runKernel(gpu, kernels.biasGrad(), [{ input: dZ }, { output: n }, { uniform: [n, m] }], ceilDiv(n, WORKGROUP.biasGrad)))[0];
      const dZ = randn(r, n * m);
      expect(relativeError(await run(dZ), biasGrad(dZ, n, m))).toBeLessThan(1e-5);
      const ints = randint(r, n * m, -1000, 1000);
      expect(Array.from(await run(ints))).toEqual(Array.from(biasGrad(ints, n, m))); // |sums| < 2^24: exact
      const ext = withSpecials(r, n * m);
      const ref = f32(biasGrad(ext, n, m));
      const abs = biasGrad(ext.map(Math.abs), n, m);
      expect(mismatches(await run(ext), ref, (i) => (m + 1) * F32_EPS * abs[i] + m * F32_MIN_NORMAL)).toEqual([]);
    });
  }
});

describe('loss.wgsl', () => {
  for (const loss of LOSSES) {
    for (const [nL, m] of [[1, 1], [3, 33], [10, 65], [17, 127]]) {
      it(`${loss}: per-example loss and dŷ, nL=${nL} m=${m}, random and extreme logits ${note}`, async () => {
        const r = rng();
        const gpu = await gpuBackend();
        const yhat = randn(r, nL * m, 3);
        // Extreme columns: example 0 has ±100, example 1 ±1e30, example 2 a NaN, example 3 an ∞ (when they exist).
        const extremes = [[100, -100], [1e30, -1e30], [NaN, 1], [Infinity, 0]];
        extremes.forEach((vals, j) => { if (j < m) vals.forEach((v, k) => { if (k < nL) yhat[k * m + j] = v; }); });
        const labels = Uint32Array.from({ length: m }, () => Math.floor(r.uniform() * nL));
        const Y = new Float32Array(nL * m);
        labels.forEach((c, j) => { Y[c * m + j] = 1; });
        const [dyhat, perEx] = await runKernel(gpu, kernels.loss(loss),
          [{ input: yhat }, { input: Y }, { input: labels }, { output: nL * m }, { output: m }, { uniform: [nL, m] }], ceilDiv(m, 64));
        const ref = lossAndGrad(loss, yhat, Y, labels, nL, m);
        // Per example, float32 error ≲ a few ulps of the magnitudes involved: Σ|ŷ|+|y| (+ log nL for xent).
        const scale = (j: number) => { let s = Math.log(nL) + 1; for (let i = 0; i < nL; i++) s += Math.abs(yhat[i * m + j]) + Y[i * m + j]; return s; };
        expect(mismatches(perEx, f32(ref.perExample), (j) => 4 * (nL + 2) * F32_EPS * scale(j) ** (loss === 'mse' ? 2 : 1))).toEqual([]);
        expect(mismatches(dyhat, f32(ref.dYhat), (i) => 8 * F32_EPS * (Math.abs(ref.dYhat[i]) + 2 / m) + F32_MIN_NORMAL)).toEqual([]);
      });
    }
  }
});
