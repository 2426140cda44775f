/**
 * shaders/philox.wgsl and shaders/init.wgsl on Dawn (SwiftShader here) against src/model/philox.ts: Philox words
 * and uniforms bit-identical, cos/sin of 2πu for every possible u and normals within the bounds derived in
 * philox.wgsl, and the init kernel for each kind (odd counts with guard bands, a folded 2-D dispatch).
 * Raw words, uniforms and normals are exposed by a test-only kernel compiled here (common.wgsl + philox.wgsl + TEST).
 */
import { afterAll, describe, expect, it } from 'vitest';
import common from '../shaders/common.wgsl?raw';
import philoxWgsl from '../shaders/philox.wgsl?raw';
import { cosSin2Pi, fillNormal, fillUniform, normalPair, philox4x32_10, PURPOSE, uniformFromWord } from '../src/model/philox';
import { kernels, WORKGROUP } from '../src/backends/webgpu/kernels';
import { SHADERS } from '../src/backends/webgpu/shader-source';
import { ceilDiv, foldWorkgroups } from '../src/backends/webgpu/dispatch';
import { initParamWords, type InitParams } from '../src/backends/webgpu/init-params';
import { createRng } from '../src/model/rng';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { runKernel } from './helpers/kernel-runner';
import { F32_EPS, mismatches, ulp32 } from './helpers/compare';
import { SEED_NOTE, TEST_SEED } from './helpers/seed';

afterAll(releaseGpu);

/** The bounds stated in shaders/philox.wgsl, in ulp of the float64 reference rounded to float32. */
const TRIG_ULP_BOUND = 6;
const NORMAL_ULP_BOUND = 24;
/** The normals' relative error bound in units of 2^-24 (philox.wgsl), used by the init kernel's bound (init.wgsl). */
const NORMAL_REL = 23.3;

/** Modes of the test kernel: 0 raw words of (ctr, key) inputs, 1 uniform_at, 2 normal_at, 3 cos_sin_2pi of
 * (first + i) << 9, 4 uniform_f32 and normal_pair of input word pairs. */
const TEST_WGSL = /* wgsl */ `
struct TestParams { mode: u32, count: u32, seed: u32, layer: u32, purpose: u32, first: u32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<storage, read> inp: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> tp: TestParams;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 64u + lix;
  if (i >= tp.count) { return; }
  switch (tp.mode) {
    case 0u: {
      let w = philox4x32_10(vec4<u32>(inp[6u * i], inp[6u * i + 1u], inp[6u * i + 2u], inp[6u * i + 3u]),
                            vec2<u32>(inp[6u * i + 4u], inp[6u * i + 5u]));
      out[4u * i] = w.x; out[4u * i + 1u] = w.y; out[4u * i + 2u] = w.z; out[4u * i + 3u] = w.w;
    }
    case 1u: { out[i] = bitcast<u32>(uniform_at(tp.seed, tp.layer, tp.purpose, tp.first + i)); }
    case 2u: { out[i] = bitcast<u32>(normal_at(tp.seed, tp.layer, tp.purpose, tp.first + i)); }
    case 3u: {
      let cs = cos_sin_2pi((tp.first + i) << 9u);
      out[2u * i] = bitcast<u32>(cs.x); out[2u * i + 1u] = bitcast<u32>(cs.y);
    }
    default: {
      let n = normal_pair(inp[2u * i], inp[2u * i + 1u]);
      out[3u * i] = bitcast<u32>(uniform_f32(inp[2u * i]));
      out[3u * i + 1u] = bitcast<u32>(n.x); out[3u * i + 2u] = bitcast<u32>(n.y);
    }
  }
}
`;

let testPipeline: Promise<GPUComputePipeline> | null = null;
async function pipeline(device: GPUDevice): Promise<GPUComputePipeline> {
  testPipeline ??= (async () => {
    const module = device.createShaderModule({ label: 'philox-test', code: `${common}\n${philoxWgsl}\n${TEST_WGSL}` });
    const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    if (errors.length > 0) throw new Error(errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('\n'));
    return device.createComputePipelineAsync({ label: 'philox-test', layout: 'auto', compute: { module, entryPoint: 'main' } });
  })();
  return testPipeline;
}

interface TestRun { mode: number; count: number; outWords: number; input?: Uint32Array<ArrayBuffer>; seed?: number; layer?: number; purpose?: number; first?: number }

/** Run the test kernel once; returns its output words. */
async function runTest(r: TestRun): Promise<Uint32Array> {
  const { device } = await gpuBackend();
  const pipe = await pipeline(device);
  const input = r.input ?? new Uint32Array(4);
  const inBuf = device.createBuffer({ size: input.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(inBuf, 0, input);
  const outBuf = device.createBuffer({ size: r.outWords * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const params = Uint32Array.from([r.mode, r.count, r.seed ?? 0, r.layer ?? 0, r.purpose ?? 0, r.first ?? 0, 0, 0]);
  const paramBuf = device.createBuffer({ size: params.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(paramBuf, 0, params);
  const staging = device.createBuffer({ size: r.outWords * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const bindGroup = device.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: [inBuf, outBuf, paramBuf].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const [x, y] = foldWorkgroups(ceilDiv(r.count, 64), device.limits.maxComputeWorkgroupsPerDimension, 'philox-test');
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y);
  pass.end();
  encoder.copyBufferToBuffer(outBuf, 0, staging, 0, r.outWords * 4);
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  if (error) throw new Error(`philox-test: ${error.message}`);
  await staging.mapAsync(GPUMapMode.READ);
  const result = new Uint32Array(staging.getMappedRange().slice(0));
  for (const b of [inBuf, outBuf, paramBuf, staging]) b.destroy();
  return result;
}

const f32Of = (w: Uint32Array) => new Float32Array(w.buffer, w.byteOffset, w.length);
/** |got − fround(ref)| in ulp of fround(ref). */
const ulpError = (got: number, ref: number) => Math.abs(got - Math.fround(ref)) / ulp32(Math.fround(ref));
const EDGES = [0, 1, 0x80000000, 0xffffffff];

describe('philox4x32_10 on the GPU', () => {
  it('words equal the CPU\'s for every combination of 0, 1, 2^31, 2^32 − 1 in the 4 counter and 2 key words', async () => {
    const cases: number[][] = [];
    for (let i = 0; i < 4 ** 6; i++) cases.push(Array.from({ length: 6 }, (_, k) => EDGES[Math.floor(i / 4 ** k) % 4]));
    const got = await runTest({ mode: 0, count: cases.length, outWords: 4 * cases.length, input: Uint32Array.from(cases.flat()) });
    const bad = cases.findIndex((c, i) => philox4x32_10(c.slice(0, 4), c.slice(4)).some((w, k) => w !== got[4 * i + k]));
    expect(bad, `first mismatch at ctr/key ${cases[bad]}`).toBe(-1);
  });

  it(`words equal the CPU's for 20,000 random counters and keys ${SEED_NOTE}`, async () => {
    const rng = createRng(TEST_SEED, 'philox-gpu/words');
    const input = Uint32Array.from({ length: 6 * 20_000 }, () => Math.floor(rng.uniform() * 2 ** 32));
    const got = await runTest({ mode: 0, count: 20_000, outWords: 80_000, input });
    for (let i = 0; i < 20_000; i++) {
      const ref = philox4x32_10(input.subarray(6 * i, 6 * i + 4), input.subarray(6 * i + 4, 6 * i + 6));
      if (ref.some((w, k) => w !== got[4 * i + k])) expect.fail(`case ${i}: GPU ${got.subarray(4 * i, 4 * i + 4)} CPU ${ref}`);
    }
  });
});

describe('uniforms on the GPU', () => {
  const streams: [number, number, number, number][] = [ // seed, layer, purpose, first
    [TEST_SEED, 1, PURPOSE.WEIGHTS, 0], [0, 0, PURPOSE.BATCH, 3], [0xffffffff, 0xffffffff, PURPOSE.LABELS, 2 ** 32 - 4099],
    [TEST_SEED, 0xffffffff, 0xffffffff, 12345], [0xffffffff, 0, PURPOSE.ORTHOGONAL, 2 ** 31 - 5],
  ];
  for (const [seed, layer, purpose, first] of streams) {
    it(`bit-identical to uniformAt: seed ${seed}, layer ${layer}, purpose ${purpose}, elements ${first}..${first + 4098}`, async () => {
      const got = f32Of(await runTest({ mode: 1, count: 4099, outWords: 4099, seed, layer, purpose, first }));
      const ref = new Float32Array(4099);
      fillUniform(ref, seed, layer, purpose, first);
      expect(mismatches(got, ref, () => 0)).toEqual([]);
    });
  }
});

describe('cos 2πu and sin 2πu on the GPU', () => {
  it(`within ${TRIG_ULP_BOUND} ulp for every one of the 2^23 uniforms`, async () => {
    let worst = 0;
    const CHUNK = 2 ** 21;
    for (let first = 0; first < 2 ** 23; first += CHUNK) {
      const got = f32Of(await runTest({ mode: 3, count: CHUNK, outWords: 2 * CHUNK, first }));
      for (let i = 0; i < CHUNK; i++) {
        const [c, s] = cosSin2Pi((first + i) * 512);
        worst = Math.max(worst, ulpError(got[2 * i], c), ulpError(got[2 * i + 1], s));
      }
    }
    console.info(`cos/sin 2πu: worst error ${worst.toFixed(3)} ulp (bound ${TRIG_ULP_BOUND})`);
    expect(worst).toBeLessThanOrEqual(TRIG_ULP_BOUND);
  });
});

describe('normals on the GPU', () => {
  const streams: [number, number, number, number][] = [
    [TEST_SEED, 1, PURPOSE.WEIGHTS, 0], [0xffffffff, 0xffffffff, 0xffffffff, 2 ** 32 - 2 ** 17], [0, 0, PURPOSE.BATCH, 7],
  ];
  for (const [seed, layer, purpose, first] of streams) {
    it(`within ${NORMAL_ULP_BOUND} ulp of fround(normalAt) for 131,072 elements: seed ${seed}, layer ${layer}, purpose ${purpose}, from ${first}`, async () => {
      const N = 2 ** 17;
      const got = f32Of(await runTest({ mode: 2, count: N, outWords: N, seed, layer, purpose, first }));
      const ref = new Float64Array(N);
      fillNormal(ref, seed, layer, purpose, first);
      let worst = 0, at = 0;
      for (let i = 0; i < N; i++) {
        const e = ulpError(got[i], ref[i]);
        if (!(e <= worst)) { worst = e; at = i; }
      }
      console.info(`normals seed ${seed} layer ${layer}: worst error ${worst.toFixed(3)} ulp at element ${first + at} (${got[at]} vs ${ref[at]})`);
      expect(worst).toBeLessThanOrEqual(NORMAL_ULP_BOUND);
    });
  }

  it('normal_pair and uniform_f32 at edge words (0, 2^32 − 1, quadrant boundaries) agree with the CPU', async () => {
    const words = [0, 1, 511, 512, 0x80000000, 0xfffffe00, 0xffffffff, 0x7fffffff];
    // words whose 4u lies next to a half-integer j + 1/2 (where the quadrant changes): m = (2j+1)·2^21 ± 1
    for (let j = 0; j < 4; j++) for (const d of [-1, 1]) words.push((((2 * j + 1) * 2 ** 21 + d - 1) / 2) * 512);
    const pairs = words.flatMap((a) => words.map((b) => [a, b]));
    const got = f32Of(await runTest({ mode: 4, count: pairs.length, outWords: 3 * pairs.length, input: Uint32Array.from(pairs.flat()) }));
    pairs.forEach(([x0, x1], i) => {
      expect(got[3 * i]).toBe(uniformFromWord(x0));
      const [c, s] = normalPair(x0, x1);
      expect(ulpError(got[3 * i + 1], c), `cos pair ${x0}, ${x1}`).toBeLessThanOrEqual(NORMAL_ULP_BOUND);
      expect(ulpError(got[3 * i + 2], s), `sin pair ${x0}, ${x1}`).toBeLessThanOrEqual(NORMAL_ULP_BOUND);
    });
  });
});

describe('init.wgsl', () => {
  it('declares the workgroup size the dispatch uses (kernels.ts WORKGROUP.init)', () => {
    expect([...SHADERS.init.matchAll(/@workgroup_size\(([^)]*)\)/g)].map((m) => m[1])).toEqual([`${WORKGROUP.init}`]);
  });

  async function gpuInit(p: InitParams, maxPerDim?: number): Promise<Float32Array> {
    const g = await gpuBackend();
    const [W] = await runKernel(g, kernels.init(), [{ output: p.count }, { uniform: initParamWords(p) }], ceilDiv(p.count, WORKGROUP.init), maxPerDim);
    return W;
  }

  const COUNTS = [1, 3, 1023, 4099];
  const u = F32_EPS;
  for (const count of COUNTS) {
    it(`normal(mean 0.25, std 1.5), ${count} elements from element 5: within the bound of init.wgsl ${SEED_NOTE}`, async () => {
      const a = Math.fround(0.25), b = Math.fround(1.5);
      const W = await gpuInit({ count, seed: TEST_SEED, layer: 4, purpose: PURPOSE.WEIGHTS, first: 5, kind: 'normal', a, b });
      const n = new Float64Array(count);
      fillNormal(n, TEST_SEED, 4, PURPOSE.WEIGHTS, 5);
      const ref = n.map((x) => a + b * x);
      // init.wgsl: ≤ 25.3u|b·n| + 2u|W|, plus the float32 rounding of the reference (0.5 ulp).
      expect(mismatches(W, Float32Array.from(ref), (i) => (NORMAL_REL + 2.01) * u * Math.abs(b * n[i]) + 2.01 * u * Math.abs(ref[i]) + 0.5 * ulp32(ref[i]))).toEqual([]);
    });

    it(`uniform(low −0.75, high 1.25), ${count} elements from element 2: within the bound of init.wgsl ${SEED_NOTE}`, async () => {
      const a = -0.75, b = 1.25;
      const W = await gpuInit({ count, seed: TEST_SEED, layer: 9, purpose: PURPOSE.WEIGHTS, first: 2, kind: 'uniform', a, b });
      const un = new Float64Array(count);
      fillUniform(un, TEST_SEED, 9, PURPOSE.WEIGHTS, 2);
      const ref = un.map((x) => a + (b - a) * x);
      expect(mismatches(W, Float32Array.from(ref), (i) => 4.01 * u * Math.abs((b - a) * un[i]) + 2.01 * u * Math.abs(ref[i]) + 0.5 * ulp32(ref[i]))).toEqual([]);
      expect(W.every((w) => w > a && w < b)).toBe(true);
    });

    it(`constant 0.3, ${count} elements: exact`, async () => {
      const W = await gpuInit({ count, seed: TEST_SEED, layer: 1, purpose: PURPOSE.WEIGHTS, first: 0, kind: 'constant', a: 0.3 });
      expect(mismatches(W, new Float32Array(count).fill(0.3), () => 0)).toEqual([]);
    });
  }

  const SHAPES: [number, number][] = [[1, 1], [3, 1], [1, 3], [33, 31], [31, 33], [1, 4099], [4099, 1]];
  for (const [rows, cols] of SHAPES) {
    it(`identity with gain 1.5 of a (${rows}, ${cols}) matrix: exact (torch.nn.init.eye_, rectangular)`, async () => {
      const count = rows * cols;
      const W = await gpuInit({ count, seed: TEST_SEED, layer: 1, purpose: PURPOSE.WEIGHTS, first: 0, kind: 'identity', a: 1.5, rows, cols });
      const ref = Float32Array.from({ length: count }, (_, e) => (Math.floor(e / cols) === e % cols ? 1.5 : 0));
      expect(mismatches(W, ref, () => 0)).toEqual([]);
    });
  }

  it('identity: a region (rows 5..9 of a (12, 10) matrix) is that region of the whole', async () => {
    const whole = await gpuInit({ count: 120, seed: 0, layer: 0, purpose: 0, first: 0, kind: 'identity', a: 2, rows: 12, cols: 10 });
    const part = await gpuInit({ count: 50, seed: 0, layer: 0, purpose: 0, first: 50, kind: 'identity', a: 2, rows: 12, cols: 10 });
    expect(mismatches(part, whole.subarray(50, 100), () => 0)).toEqual([]);
  });

  it(`a region drawn on its own equals that region of the whole tensor (normal and uniform) ${SEED_NOTE}`, async () => {
    for (const kind of ['normal', 'uniform'] as const) {
      const base = { seed: TEST_SEED, layer: 2, purpose: PURPOSE.ORTHOGONAL, kind, a: -1, b: 3 };
      const whole = await gpuInit({ ...base, count: 4099, first: 0 });
      const part = await gpuInit({ ...base, count: 1023, first: 1001 });
      expect(mismatches(part, whole.subarray(1001, 2024), () => 0)).toEqual([]);
    }
  });

  it(`a dispatch folded into 2 dimensions (17 workgroups as 5 × 4) gives the same weights ${SEED_NOTE}`, async () => {
    for (const kind of ['normal', 'uniform', 'constant'] as const) {
      const p: InitParams = { count: 4099, seed: TEST_SEED, layer: 3, purpose: PURPOSE.WEIGHTS, first: 0, kind, a: 0.5, b: 2 };
      const flat = await gpuInit(p);
      const folded = await gpuInit(p, 5);
      expect(mismatches(folded, flat, () => 0)).toEqual([]);
    }
    const folded = await gpuInit({ count: 4099, seed: 0, layer: 0, purpose: 0, first: 0, kind: 'identity', a: 1, rows: 1, cols: 4099 }, 5);
    expect(folded[0]).toBe(1);
    expect(folded.subarray(1).every((w) => w === 0)).toBe(true);
  });

  it('an unknown kind writes NaN (never plausible weights)', async () => {
    const words = initParamWords({ count: 3, seed: 0, layer: 0, purpose: 0, first: 0, kind: 'constant', a: 1 });
    words[4] = 7;
    const g = await gpuBackend();
    const [W] = await runKernel(g, kernels.init(), [{ output: 3 }, { uniform: words }], 1);
    expect(Array.from(W, Number.isNaN)).toEqual([true, true, true]);
  });

  it('initParamWords rejects out-of-range fields', () => {
    const ok: InitParams = { count: 4, seed: 0, layer: 0, purpose: 0, first: 0, kind: 'identity', a: 1, rows: 2, cols: 2 };
    expect(() => initParamWords(ok)).not.toThrow();
    expect(() => initParamWords({ ...ok, cols: 0 })).toThrow(RangeError);
    expect(() => initParamWords({ ...ok, seed: -1 })).toThrow(RangeError);
    expect(() => initParamWords({ ...ok, first: 2 ** 32 - 2 })).toThrow(RangeError);
    expect(() => initParamWords({ ...ok, count: 1.5 })).toThrow(RangeError);
  });
});
