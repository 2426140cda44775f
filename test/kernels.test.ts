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
import { ACTIVATIONS, LOSSES, type Activation, type LossName } from '../src/model/network';
import { createRng, type Rng } from '../src/model/rng';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { runKernel } from './helpers/kernel-runner';
import { F32_EPS, F32_MIN_NORMAL, mismatches, relativeError, ulp32 } from './helpers/compare';
import { SEED_NOTE, TEST_SEED } from './helpers/seed';

afterAll(releaseGpu);

const note = SEED_NOTE;
let stream = 0;
const rng = (): Rng => createRng(TEST_SEED, `kernels/${stream++}`);

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
    expect(size('stats')).toEqual([`${WORKGROUP.stats}`, `${WORKGROUP.stats}`, `${WORKGROUP.stats}`]);
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

/** Run g forward on z; @returns a. */
async function gpuForward(g: Activation, z: Float32Array, maxPerDim?: number): Promise<Float32Array> {
  const gpu = await gpuBackend();
  return (await runKernel(gpu, kernels.activationForward(g), [{ input: z }, { output: z.length }, { uniform: [z.length] }], ceilDiv(z.length, WORKGROUP.elementwise), maxPerDim))[0];
}

/** Run g backward on (z, dA); @returns dZ. */
async function gpuBackward(g: Activation, z: Float32Array, dA: Float32Array): Promise<Float32Array> {
  const gpu = await gpuBackend();
  return (await runKernel(gpu, kernels.activationBackward(g), [{ input: z }, { input: dA }, { output: z.length }, { uniform: [z.length] }], ceilDiv(z.length, WORKGROUP.elementwise)))[0];
}

/** |got − ref| in ulps of the float32 nearest ref (NaN if their kinds differ). */
function ulpError(got: number, ref: number): number {
  if (Number.isNaN(ref) || Number.isNaN(got)) return Number.isNaN(ref) && Number.isNaN(got) ? 0 : NaN;
  if (!Number.isFinite(ref) || !Number.isFinite(got)) return got === ref ? 0 : NaN;
  return Math.abs(got - ref) / ulp32(ref);
}

/** A dense sweep of z: 0, every subnormal decade, 2^-30..2^7 in steps of 1/256 of an octave, both signs. */
function zSweep(): Float32Array {
  const z = [0, 1e-45, 1e-42, 1e-40, 1e-39, 2 ** -126];
  for (let e = -30; e < 7; e += 1 / 256) z.push(2 ** e);
  for (let v = 8; v <= 90; v += 1 / 64) z.push(v); // the range where tanh is 1 in float32 but sech² is not 0
  return f32([...z, ...z.map((v) => -v)]);
}

describe('matmul_regs.wgsl (barrier-free, fused epilogues)', () => {
  const WGS: [number, number][] = [[4, 4], [8, 8], [16, 16], [16, 4]];
  const CASES = [
    { transA: false, transB: false, bias: true, act: null, db: false },
    { transA: false, transB: false, bias: true, act: 'relu', db: false },
    { transA: false, transB: false, bias: true, act: 'tanh', db: false },
    { transA: false, transB: false, bias: true, act: 'identity', db: false },
    { transA: false, transB: true, bias: false, act: null, db: false },
    { transA: false, transB: true, bias: false, act: null, db: true },
    { transA: true, transB: false, bias: false, act: null, db: false },
  ] as const;
  for (const wg of WGS) {
    for (const v of CASES) {
      for (const [M, N, K] of [[1, 1, 1], [3, 17, 33], [17, 3, 65], [65, 33, 17], [127, 1, 3], [33, 65, 129]]) {
        const name = `${v.transA ? 'Aᵀ' : 'A'}·${v.transB ? 'Bᵀ' : 'B'}${v.bias ? '+b' : ''}${v.act ? ` →${v.act}` : ''}${v.db ? ' +db' : ''} WG ${wg.join('×')} M=${M} N=${N} K=${K}`;
        it(`${name}: within 1e-5 of float64, fused outputs too ${note}`, async () => {
          const r = rng();
          const gpu = await gpuBackend();
          const A = randn(r, M * K), B = randn(r, K * N), bias = randn(r, M);
          const extra = [...(v.bias ? [{ input: bias }] : v.db ? [{ output: M }] : []), ...(v.act ? [{ output: M * N }] : [])];
          const tile = [4 * wg[1], 4 * wg[0]];
          const outs = await runKernel(gpu, kernels.matmulRegs(v.transA, v.transB, v.bias, v.act, v.db, wg),
            [{ input: A }, { input: B }, { output: M * N }, { uniform: [M, N, K, 0, 0, 0, 0, 0, 0] }, ...extra],
            ceilDiv(M, tile[0]) * ceilDiv(N, tile[1]));
          const ref = matmul(A, B, M, N, K, v.transA, v.transB, v.bias ? bias : null);
          expect(relativeError(outs[0], ref)).toBeLessThan(1e-5);
          // The fused a = g(z) of the kernel's own z: exact for identity and ReLU, tanh within its 4 ulp.
          const aRef = activationForward(v.act ?? 'identity', outs[0]);
          if (v.act) expect(mismatches(outs[1], f32(aRef), (i) => (v.act === 'tanh' ? 4 * ulp32(aRef[i]) : 0))).toEqual([]);
          if (v.db) expect(relativeError(outs[1], biasGrad(A, M, K))).toBeLessThan(1e-5);
        });
      }
    }
  }
});

describe('activation.wgsl', () => {
  const z = zSweep();

  it(`tanh forward: within 2 ulp of tanh z for |z| < 0.55 and 4 ulp beyond, ${z.length} values over the f32 range`, async () => {
    const a = await gpuForward('tanh', z);
    let worst = [0, 0];
    for (let i = 0; i < z.length; i++) {
      const err = ulpError(a[i], Math.tanh(z[i]));
      const band = Math.abs(z[i]) < 0.55 ? 0 : 1;
      expect(err, `tanh(${z[i]}) = ${a[i]}, want ${Math.tanh(z[i])}`).toBeLessThanOrEqual(band === 0 ? 2 : 4);
      worst[band] = Math.max(worst[band], err);
    }
    worst = worst.map((w) => +w.toFixed(2));
    console.log(`tanh forward: worst ${worst[0]} ulp below 0.55, ${worst[1]} ulp above`);
  });

  it('tanh at z = 10 and 9.0109138…: the correctly rounded 1 (1 − tanh z < 2^-25 for both)', async () => {
    const zs = f32([10, 9.010913848876953, -10]);
    // Independent check of the claim: 1 − tanh z = 2e^(−2z)/(1 + e^(−2z)) below half an ulp of 1 (2^-25).
    for (const v of [10, Math.fround(9.010913848876953)]) expect(2 * Math.exp(-2 * v) / (1 + Math.exp(-2 * v))).toBeLessThan(2 ** -25);
    expect(Array.from(await gpuForward('tanh', zs))).toEqual([1, 1, -1]);
  });

  it(`tanh backward: dZ = dA·sech²(z) within 2^-20 relative of float64, also where tanh z rounds to 1 (|z| in [8, 90]) ${note}`, async () => {
    const r = rng();
    // dA across the f32 range, so that dA·sech²(z) stays representable far out (dA = 1e38, z = 40: dZ = 7e3).
    const dA = Float32Array.from(z, () => (r.uniform() < 0.5 ? -1 : 1) * 10 ** (76 * r.uniform() - 38));
    const dZ = await gpuBackward('tanh', z, dA);
    const ref = activationBackward('tanh', z, dA);
    // Claimed in shaders/activation.wgsl: within 9 ulp of the exact product (2^-20), rounded once below 2^-126.
    expect(mismatches(dZ, f32(ref), (i) => 2 ** -20 * Math.abs(ref[i]) + 2 ** -149)).toEqual([]);
    // Some of those products are tiny but not zero: no invented underflow.
    const farOut = Array.from(z.keys()).filter((i) => Math.abs(z[i]) > 20 && Math.abs(ref[i]) > 1e-30);
    expect(farOut.length).toBeGreaterThan(100);
    for (const i of farOut) expect(dZ[i]).not.toBe(0);
  });

  it('tanh backward at the issue\'s network values: 10·sech²(10) = 8.2446e-8, not 0', async () => {
    const dZ = await gpuBackward('tanh', f32([10, 9.010913848876953]), f32([10, 9.010913848876953]));
    for (const [i, v] of [10, Math.fround(9.010913848876953)].entries()) {
      const want = v / Math.cosh(v) ** 2;
      expect(Math.abs(dZ[i] - want)).toBeLessThanOrEqual(2 ** -20 * want);
    }
    expect(dZ[0]).toBeCloseTo(8.2446e-8, 11);
  });

  for (const g of ACTIVATIONS) {
    for (const count of [1, 17, 535, 4099]) {
      it(`${g} forward and backward, ${count} elements, random and extreme values ${note}`, async () => {
        const r = rng();
        const zr = count < 17 ? randn(r, count, 3) : withSpecials(r, count);
        const a = await gpuForward(g, zr);
        const aRef = activationForward(g, zr);
        // identity and relu pass the bits through (subnormals too); tanh within 4 ulp (see above).
        if (g === 'tanh') expect(mismatches(a, f32(aRef), (i) => 4 * ulp32(aRef[i]))).toEqual([]);
        else expect(new Uint32Array(a.buffer)).toEqual(new Uint32Array(f32(aRef).buffer));
        const dA = withSpecials(r, count);
        const dZ = await gpuBackward(g, zr, dA);
        const dZRef = activationBackward(g, zr, dA);
        if (g === 'tanh') expect(mismatches(dZ, f32(dZRef), (i) => 2 ** -20 * Math.abs(dZRef[i]) + 2 ** -149)).toEqual([]);
        else expect(new Uint32Array(dZ.buffer)).toEqual(new Uint32Array(f32(dZRef).buffer));
      });
    }
  }

  it('ReLU\'(0) = 0, relu(NaN) = NaN, a subnormal z > 0 passes, tanh(±∞) = ±1, tanh(±1e30) = ±1, sech²(±∞)·dA = 0', async () => {
    const z = f32([0, -0, NaN, Infinity, -Infinity, 1e30, -1e30, 1e-40, -1e-40]);
    expect(Array.from(await gpuForward('relu', z))).toEqual([0, 0, NaN, Infinity, 0, 1e30, 0, 1e-40, 0].map(Math.fround));
    // WGSL may ignore the sign of zero, so ±0 are compared as 0.
    const tanh = await gpuForward('tanh', z);
    expect(Array.from(tanh, (v) => (v === 0 ? 0 : v))).toEqual([0, 0, NaN, 1, -1, 1, -1, Math.fround(1e-40), Math.fround(-1e-40)]);
    const dZ = await gpuBackward('relu', f32([0, -0, 1, -1, 1e-40]), f32([5, 5, 5, 5, 5]));
    expect(Array.from(dZ)).toEqual([0, 0, 5, 0, 5]);
    const dZt = await gpuBackward('tanh', f32([Infinity, -Infinity, 3, Infinity, NaN]), f32([5, 5, Infinity, -Infinity, 1]));
    expect(Array.from(dZt, (v) => (v === 0 ? 0 : v))).toEqual([0, 0, Infinity, NaN, NaN]);
  });

  it(`elementwise dispatch folded into two dimensions ${note}`, async () => {
    const r = rng();
    const count = 2579; // 11 workgroups folded as 4 × 3 = 12
    const zr = randn(r, count);
    expect(Array.from(await gpuForward('relu', zr, 4))).toEqual(Array.from(f32(activationForward('relu', zr))));
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
  async function gpuLoss(loss: LossName, yhat: Float32Array, Y: Float32Array, labels: Uint32Array, nL: number, m: number) {
    const gpu = await gpuBackend();
    const [dyhat, perEx] = await runKernel(gpu, kernels.loss(loss),
      [{ input: yhat }, { input: Y }, { input: labels }, { output: nL * m }, { output: m }, { uniform: [nL, m] }], ceilDiv(m, WORKGROUP.loss));
    return { dyhat, perEx };
  }

  for (const loss of LOSSES) {
    for (const [nL, m] of [[1, 1], [3, 33], [10, 65], [17, 127]]) {
      it(`${loss}: per-example loss and dŷ, nL=${nL} m=${m}, random and extreme logits ${note}`, async () => {
        const r = rng();
        const yhat = randn(r, nL * m, 3);
        // Extreme columns: example 0 has ±100, example 1 ±1e30, example 2 a NaN, example 3 an ∞ (when they exist).
        const extremes = [[100, -100], [1e30, -1e30], [NaN, 1], [Infinity, 0]];
        extremes.forEach((vals, j) => { if (j < m) vals.forEach((v, k) => { if (k < nL) yhat[k * m + j] = v; }); });
        const labels = Uint32Array.from({ length: m }, () => Math.floor(r.uniform() * nL));
        const Y = new Float32Array(nL * m);
        labels.forEach((c, j) => { Y[c * m + j] = 1; });
        const { dyhat, perEx } = await gpuLoss(loss, yhat, Y, labels, nL, m);
        const ref = lossAndGrad(loss, yhat, Y, labels, nL, m);
        if (loss === 'softmax-xent') {
          // Claimed in shaders/loss.wgsl: 1e-6 relative for any finite logits (nL ≤ 10; 2e-6 for nL = 17).
          const rel = nL <= 10 ? 1e-6 : 2e-6;
          expect(mismatches(perEx, f32(ref.perExample), (j) => rel * Math.abs(ref.perExample[j]))).toEqual([]);
          expect(mismatches(dyhat, f32(ref.dYhat), (i) => rel * Math.abs(ref.dYhat[i]) + 2 ** -149)).toEqual([]);
          return;
        }
        // Per example, float32 error ≲ a few ulps of the magnitudes involved: Σ|ŷ|+|y|.
        const scale = (j: number) => { let s = 1; for (let i = 0; i < nL; i++) s += Math.abs(yhat[i * m + j]) + Y[i * m + j]; return s; };
        expect(mismatches(perEx, f32(ref.perExample), (j) => 4 * (nL + 2) * F32_EPS * scale(j) ** (loss === 'mse' ? 2 : 1))).toEqual([]);
        expect(mismatches(dyhat, f32(ref.dYhat), (i) => 8 * F32_EPS * (Math.abs(ref.dYhat[i]) + 2 / m) + F32_MIN_NORMAL)).toEqual([]);
      });
    }
  }

  it(`softmax-xent: J and dŷ to 1e-6 relative for logits of every scale up to 1e38 ${note}`, async () => {
    const r = rng();
    const nL = 10, m = 64;
    // Example j: logits of scale 10^(j/1.6 − 2) (1e-2 .. 1e37), some examples with a near-tie or a dominant label.
    const yhat = new Float32Array(nL * m);
    const labels = Uint32Array.from({ length: m }, () => Math.floor(r.uniform() * nL));
    for (let j = 0; j < m; j++) {
      const scale = 10 ** (j / 1.6 - 2);
      for (let i = 0; i < nL; i++) yhat[i * m + j] = scale * r.normal();
      if (j % 4 === 1) yhat[labels[j] * m + j] = 3 * scale + 5; // the label wins by a wide margin: p ≈ 1
      if (j % 4 === 2) yhat[((labels[j] + 1) % nL) * m + j] = yhat[labels[j] * m + j]; // a tie with the label
    }
    const { dyhat, perEx } = await gpuLoss('softmax-xent', yhat, new Float32Array(nL * m), labels, nL, m);
    const ref = lossAndGrad('softmax-xent', yhat, new Float32Array(nL * m), labels, nL, m);
    expect(mismatches(perEx, f32(ref.perExample), (j) => 1e-6 * Math.abs(ref.perExample[j]), 10)).toEqual([]);
    expect(mismatches(dyhat, f32(ref.dYhat), (i) => 1e-6 * Math.abs(ref.dYhat[i]) + 2 ** -149, 10)).toEqual([]);
  });

  it('softmax-xent with equal logits of any size: J = ln nL exactly to 1e-6, dŷ = (1/nL − [label])/m', async () => {
    for (const [v, nL] of [[1e8, 2], [1e8, 10], [1e7, 2], [1e4, 2], [3e38, 10], [-3e38, 3]] as const) {
      const m = 4;
      const yhat = new Float32Array(nL * m).fill(v);
      const labels = Uint32Array.from({ length: m }, (_, j) => j % nL);
      for (const [name, fn] of [['gpu', gpuLoss], ['cpu', async (...a: Parameters<typeof gpuLoss>) => { const x = lossAndGrad(...a); return { dyhat: x.dYhat, perEx: x.perExample }; }]] as const) {
        const { dyhat, perEx } = await fn('softmax-xent', yhat, new Float32Array(nL * m), labels, nL, m);
        for (let j = 0; j < m; j++) {
          expect(Math.abs(perEx[j] - Math.log(nL)), `${name} J(${v}, nL=${nL})`).toBeLessThanOrEqual(1e-6 * Math.log(nL));
          for (let i = 0; i < nL; i++) {
            const want = (1 / nL - (i === labels[j] ? 1 : 0)) / m;
            expect(Math.abs(dyhat[i * m + j] - want), `${name} dŷ`).toBeLessThanOrEqual(1e-6 * Math.abs(want));
          }
        }
      }
    }
  });

  it('softmax-xent: a label with probability near 1 still gets dŷ = −Σ_{i≠c} p_i/m, not 0', async () => {
    // Logits [20, 0]: p_0 = 1/(1 + e^-20), so dŷ_0 = −e^-20/(1 + e^-20) = −2.06e-9 (softmax − 1 would give 0 in f32).
    const { dyhat, perEx } = await gpuLoss('softmax-xent', f32([20, 0]), new Float32Array(2), Uint32Array.of(0), 2, 1);
    const e = Math.exp(-20);
    expect(Math.abs(dyhat[0] + e / (1 + e))).toBeLessThanOrEqual(1e-6 * e);
    expect(Math.abs(perEx[0] - Math.log1p(e))).toBeLessThanOrEqual(1e-6 * e);
  });
});
