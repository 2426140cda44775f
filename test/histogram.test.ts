/**
 * Histograms (stats/histogram.ts, shaders/histogram.wgsl): the bins' closed forms; the GPU kernel through the
 * scheduler's reduction against the CPU reference on adversarial tensors (±1e30, ±100, subnormals, ±∞, NaN, ±0,
 * exact powers of two, constant tensors) — magnitude counts exactly equal, linear counts equal except for elements
 * within a few float32 ulps of a bin edge; whole networks (GPU vs the float64 CPU backend) including dead and
 * saturated units; the guard bands around every counter.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { Recorder, encodeDispatches } from '../src/backends/webgpu/recorder';
import { planReduction } from '../src/backends/webgpu/reduction-plan';
import { reductionDispatches, StatsReadback, statsRecords } from '../src/backends/webgpu/stats-reducer';
import { resolveConfig, type RawConfig } from '../src/model/config';
import { TENSOR_NAMES } from '../src/model/network';
import { createRng } from '../src/model/rng';
import { HIST_WORDS, histogramWords, LINEAR_BINS, MAGNITUDE_BINS, magnitudeBin, MAGNITUDE_EDGES, unitFractions } from '../src/stats/histogram';
import { computeStats, statsFromMoments } from '../src/stats/stats';
import { runStep } from '../src/session/run';
import { gpuBackend, packWithGaps, releaseGpu } from './helpers/gpu';
import { SEED_NOTE, TEST_SEED as SEED } from './helpers/seed';

afterAll(releaseGpu);

describe('histogram bins (closed forms)', () => {
  it('magnitude: one bin per power of two of the float32 range, signs apart, specials by their bits', () => {
    const POS = 0, NEG = MAGNITUDE_BINS, e = (x: number) => x + 126;
    expect(MAGNITUDE_EDGES[0]).toBe(-126);
    expect(MAGNITUDE_EDGES[MAGNITUDE_BINS]).toBe(128);
    expect([1, 1.5, 1.9999999, 2, 0.5, 2 ** -126, 3.4e38].map(magnitudeBin)).toEqual([e(0), e(0), e(0), e(1), e(-1), 0, e(127)]);
    expect([-1, -(2 ** -126), -3e38].map(magnitudeBin)).toEqual([NEG + e(0), NEG, NEG + e(127)]);
    expect([0, -0, 1e-40, -1e-45, Infinity, -Infinity, NaN].map(magnitudeBin)).toEqual([508, 508, 509, 509, 510, 510, 511]);
    // A float64 value bins as float32 stores it: 1 − 2^-30 rounds to 1; 1e-50 to 0; 1e39 to ∞.
    expect([1 - 2 ** -30, 1e-50, 1e39].map(magnitudeBin)).toEqual([POS + e(0), 508, 510]);
  });

  it('linear: 64 bins over [min, max], the last closed; NaN and ±∞ outside; a constant tensor in bin 0', () => {
    const w = histogramWords([0, 0.5, 1, 63 / 64, 1 / 64, NaN], 0, 1);
    const linear = Array.from(w.subarray(2 * MAGNITUDE_BINS + 4));
    expect(linear).toHaveLength(LINEAR_BINS);
    expect(linear[0]).toBe(1);
    expect(linear[1]).toBe(1);
    expect(linear[32]).toBe(1);
    expect(linear[63]).toBe(2);
    expect(linear.reduce((a, b) => a + b)).toBe(5);
    expect(histogramWords([3, 3, 3], 3, 3)[2 * MAGNITUDE_BINS + 4]).toBe(3);
    expect(histogramWords([1, Infinity], 1, Infinity).subarray(2 * MAGNITUDE_BINS + 4).every((c) => c === 0)).toBe(true);
  });

  it('dead and saturated units: rows all zero, rows all |a| > 0.99', () => {
    expect(unitFractions([0, 0, 1, 0, -0.995, 0.999, 0.5, 1], 4, 2)).toEqual({ dead: 0.25, saturated: 0.25 });
  });
});

/** Histogram counters of several tensors laid out in one buffer with NaN gaps, reduced the way the scheduler does. */
async function gpuHistograms(tensors: readonly Float32Array[]): Promise<{ words: Uint32Array; min: number; max: number }[]> {
  const gpu = await gpuBackend();
  const rec = new Recorder(gpu.device, gpu.cache);
  try {
    const { data, reduced } = packWithGaps(tensors);
    const buffer = rec.buffer('test data', data.byteLength);
    gpu.device.queue.writeBuffer(buffer, 0, data);
    // One more result than tensors: its counters must stay 0 (a guard for writes past the last tensor's counters).
    const plan = planReduction(reduced, reduced.length + 1);
    const records = statsRecords(rec, reduced.length + 1, plan.records, 'test', 0);
    const readback = new StatsReadback(rec, records);
    const encoder = gpu.device.createCommandEncoder();
    readback.clear(encoder);
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, await reductionDispatches(rec, plan, [buffer], records));
    pass.end();
    readback.copy(encoder);
    gpu.device.queue.submit([encoder.finish()]);
    const { moments, hist } = await readback.read();
    expect(Array.from(hist!.subarray(reduced.length * HIST_WORDS)).every((c) => c === 0), 'counters past the last tensor').toBe(true);
    return tensors.map((_, i) => {
      const s = statsFromMoments(moments[i]);
      return { words: hist!.subarray(i * HIST_WORDS, (i + 1) * HIST_WORDS), min: s.min, max: s.max };
    });
  } finally {
    rec.destroy();
  }
}

/** Elements of x whose linear position 64(x − min)/(max − min) is within `tol` of an integer edge. */
function nearLinearEdge(x: ArrayLike<number>, min: number, max: number, tol = 1e-4): number {
  let near = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !(max > min)) continue;
    const t = (LINEAR_BINS * (x[i] - min)) / (max - min);
    if (Math.abs(t - Math.round(t)) < tol) near++;
  }
  return near;
}

/** |a − b|₁ over the linear counters. */
const linearDiff = (a: Uint32Array, b: Uint32Array) => {
  let d = 0;
  for (let i = 2 * MAGNITUDE_BINS + 4; i < HIST_WORDS; i++) d += Math.abs(a[i] - b[i]);
  return d;
};

describe(`histogram.wgsl against the CPU reference ${SEED_NOTE}`, () => {
  const rng = createRng(SEED, 'histogram');
  const EXTREMES = [1e30, -1e30, 100, -100, 1e-40, -1e-40, 0, -0, Infinity, -Infinity, NaN, 2 ** -126, 1, -1, 0.5, 3.4e38];
  const random = (n: number, scale: number) => Float32Array.from({ length: n }, () => rng.normal() * scale);
  const tensors: [string, Float32Array][] = [
    ['normal, 1,000 elements (not a multiple of the chunk)', random(1000, 1)],
    ['mixed magnitudes 1e-30..1e30', Float32Array.from({ length: 777 }, () => (rng.uniform() < 0.5 ? -1 : 1) * 10 ** (60 * rng.uniform() - 30))],
    ['the extremes, twice', Float32Array.from([...EXTREMES, ...EXTREMES])],
    ['finite extremes only (linear bins over ±3.4e38)', Float32Array.from(EXTREMES.filter(Number.isFinite))],
    ['subnormals only', Float32Array.from({ length: 100 }, (_, i) => (i - 50) * 1e-43)],
    ['a constant tensor', new Float32Array(65).fill(-2.5)],
    ['all zeros', new Float32Array(33)],
    ['exact powers of two and the integers 0..255', Float32Array.from({ length: 256 }, (_, i) => i)],
    ['one element', Float32Array.of(-7)],
    ['all NaN', new Float32Array(40).fill(NaN)],
  ];

  it('magnitude counts equal exactly; linear counts equal but for elements within 1e-4 of a bin edge', async () => {
    const got = await gpuHistograms(tensors.map(([, t]) => t));
    tensors.forEach(([what, t], i) => {
      const ref = computeStats(t);
      const cpu = histogramWords(t, ref.min, ref.max);
      const g = got[i];
      expect(Array.from(g.words.subarray(0, 2 * MAGNITUDE_BINS + 4)), `${what}: magnitude`).toEqual(Array.from(cpu.subarray(0, 2 * MAGNITUDE_BINS + 4)));
      expect([g.min, g.max], `${what}: the range of the linear bins`).toEqual([ref.min, ref.max]);
      expect(linearDiff(g.words, cpu), `${what}: linear`).toBeLessThanOrEqual(2 * nearLinearEdge(t, ref.min, ref.max));
      const finite = Array.from(t).filter(Number.isFinite).length;
      const linearTotal = Array.from(g.words.subarray(2 * MAGNITUDE_BINS + 4)).reduce((a, b) => a + b, 0);
      expect(linearTotal, `${what}: every finite element in one linear bin`).toBe(Number.isFinite(ref.min) && Number.isFinite(ref.max) ? finite : 0);
    });
  });
});

describe('histograms of whole networks: GPU vs the float64 CPU backend', () => {
  const cases: RawConfig[] = [
    { preset: 'relu-he', depth: 6, width: 45, batch: 19 },
    { preset: 'tanh-large', depth: 5, width: 37, batch: 13 },
    { preset: 'seed-explode', depth: 300, range: 'extended' },
  ];
  for (const raw of cases) {
    it(`${raw.preset} L = ${raw.depth}${raw.range ? ` (${raw.range})` : ''}: every tensor's histogram, dead and saturated units`, async () => {
      const cfg = resolveConfig({ ...raw, seed: SEED });
      const gpu = await gpuBackend();
      const [g, c] = [await runStep(cfg, gpu, {}, { histograms: true, keepAll: true }), await runStep(cfg, new CpuBackend(), {}, { histograms: true, keepAll: true })];
      const tensors = await gpu.readTensors();
      g.layers.forEach((gl, i) => {
        const cl = c.layers[i];
        expect(gl.deadUnits, `layer ${gl.layer} dead units`).toBe(cl.deadUnits);
        expect(gl.saturatedUnits, `layer ${gl.layer} saturated units`).toBe(cl.saturatedUnits);
        if (gl.layer < g.layers.length) expect(gl.deadUnits).toBeDefined();
        for (const t of TENSOR_NAMES) {
          const [gh, ch] = [gl.histograms![t], cl.histograms![t]];
          expect(gh.shift, `${t}^[${gl.layer}] shift`).toBe(ch.shift);
          const total = (h: typeof gh) => h.magnitude.positive.reduce((a, b) => a + b, 0) + h.magnitude.negative.reduce((a, b) => a + b, 0)
            + h.magnitude.zero + h.magnitude.subnormal + h.magnitude.inf + h.magnitude.nan;
          expect(total(gh), `${t}^[${gl.layer}] count`).toBe(gl[t].count);
          // The GPU's own float32 tensor gives exactly its magnitude counts (the CPU's float64 values may sit on the
          // other side of a power of two by rounding).
          const own: Record<string, ArrayLike<number> | undefined> = { z: tensors.z[i], a: tensors.a[i + 1], dA: tensors.dA[i], dZ: tensors.dZ[i], W: tensors.W[i], dW: tensors.dW[i] };
          const words = histogramWords(own[t]!, NaN, NaN);
          expect(gh.magnitude.positive, `${t}^[${gl.layer}] positive`).toEqual(Array.from(words.subarray(0, MAGNITUDE_BINS)));
          expect(gh.magnitude.negative, `${t}^[${gl.layer}] negative`).toEqual(Array.from(words.subarray(MAGNITUDE_BINS, 2 * MAGNITUDE_BINS)));
          // Against the CPU backend: the same bins but for values near an edge.
          const moved = gh.magnitude.positive.reduce((d, x, k) => d + Math.abs(x - ch.magnitude.positive[k]), 0);
          expect(moved, `${t}^[${gl.layer}] positive vs CPU`).toBeLessThanOrEqual(Math.max(2, 0.01 * gl[t].count));
        }
      });
    });
  }
});
