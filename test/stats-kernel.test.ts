/**
 * shaders/stats.wgsl through the StatsReducer the scheduler uses (planReduction → pass 1, merges, pass 2, merges),
 * against the float64 computeStats: property tests (fast-check) over adversarial tensors — outliers first, last and
 * in the middle, large offsets with small noise, mixed magnitudes 1e-30..1e30, sizes around chunk and merge
 * boundaries, any element order — exact integer sums, special values by bit pattern, subnormals decoded exactly.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Recorder, encodeDispatches } from '../src/backends/webgpu/recorder';
import { MERGE_FAN_IN, planReduction, STATS_CHUNK } from '../src/backends/webgpu/reduction-plan';
import { reductionDispatches, StatsReadback, statsRecords } from '../src/backends/webgpu/stats-reducer';
import { createRng } from '../src/model/rng';
import { computeStats, statsFromMoments, type Stats } from '../src/stats/stats';
import { gpuBackend, packWithGaps, releaseGpu } from './helpers/gpu';
import { SEED_NOTE, TEST_SEED } from './helpers/seed';

afterAll(releaseGpu);

/** NaN elements between and after the tensors: a work item that reads past its end counts a NaN and fails. */
const GAP = 7;

/** Statistics of several tensors laid out in one buffer with NaN gaps, reduced the way the scheduler does. */
async function gpuStats(tensors: readonly Float32Array[]): Promise<Stats[]> {
  const gpu = await gpuBackend();
  const rec = new Recorder(gpu.device, gpu.cache);
  try {
    const { data, reduced } = packWithGaps(tensors, GAP);
    const buffer = rec.buffer('test data', data.byteLength);
    gpu.device.queue.writeBuffer(buffer, 0, data);
    const plan = planReduction(reduced);
    const records = statsRecords(rec, reduced.length, plan.records, 'test stats');
    const readback = new StatsReadback(rec, records);
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, await reductionDispatches(rec, plan, [buffer], records));
    pass.end();
    readback.copy(encoder);
    gpu.device.queue.submit([encoder.finish()]);
    return (await readback.read()).moments.map(statsFromMoments);
  } finally {
    rec.destroy();
  }
}

/**
 * The accuracy shaders/stats.wgsl claims, as a check against float64: counts, min, max exact; rms and l2 within
 * 1e-5 relative; mean and std within 1e-5 of the std (the spread around the mean) plus 1e-9 of the rms.
 */
function expectStats(got: Stats, ref: Stats, what: string): void {
  expect([got.count, got.nanCount, got.infCount, got.zeroFraction, got.min, got.max], `${what}: counts, min, max`)
    .toEqual([ref.count, ref.nanCount, ref.infCount, ref.zeroFraction, ref.min, ref.max]);
  for (const k of ['rms', 'l2'] as const) expect(Math.abs(got[k] - ref[k]), `${what}: ${k} ${got[k]} vs ${ref[k]}`).toBeLessThanOrEqual(1e-5 * ref[k]);
  const tol = 1e-5 * ref.std + 1e-9 * ref.rms;
  for (const k of ['mean', 'std'] as const) expect(Math.abs(got[k] - ref[k]), `${what}: ${k} ${got[k]} vs ${ref[k]}`).toBeLessThanOrEqual(tol);
}

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);
const fromBits = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);

describe('reduction plan', () => {
  it('one chunk writes its result directly; more chunks merge in levels of ≤ 64 down to record t', () => {
    const sizes = [1, STATS_CHUNK, STATS_CHUNK + 1, 64 * STATS_CHUNK + 1];
    const plan = planReduction(sizes.map((count, t) => ({ source: t % 2, start: 0, count })));
    expect(plan.scratchBase).toBe(4);
    const outs = (t: number) => Array.from({ length: plan.work.length / 4 }, (_, w) => w).filter((w) => plan.work[4 * w + 2] === t).map((w) => plan.work[4 * w + 3]);
    expect(outs(0)).toEqual([0]);
    expect(outs(1)).toEqual([1]);
    expect(outs(2)).toHaveLength(2);
    expect(outs(3)).toHaveLength(65);
    // Tensor 3: 65 partials → 2 groups → 1: two levels; every merge reads ≤ 64 records.
    expect(plan.levels).toHaveLength(2);
    for (let i = 0; i < plan.merges.length / 4; i++) expect(plan.merges[4 * i + 1]).toBeLessThanOrEqual(MERGE_FAN_IN);
    const finals = Array.from({ length: plan.merges.length / 4 }, (_, i) => plan.merges[4 * i + 2]).filter((o) => o < plan.scratchBase);
    expect(finals.sort()).toEqual([2, 3]);
    // Work items are grouped by source: one dispatch per source buffer.
    expect(plan.sources.map((s) => s.source)).toEqual([0, 1]);
  });
});

describe('stats.wgsl', () => {
  it('sums of 1..64, 1..65, 1..256 are exact (2080, 2145, 32896), 100 runs', async () => {
    for (let run = 0; run < 100; run++) {
      const [a, b, c] = await gpuStats([iota(64), iota(65), iota(256)]);
      expect([a.mean * a.count, b.mean * b.count, c.mean * c.count]).toEqual([2080, 2145, 32896]);
      expect([a.min, a.max, c.min, c.max]).toEqual([1, 64, 1, 256]);
      // Σk² = n(n+1)(2n+1)/6: rms² · n must reproduce it (one sqrt and one square: 1e-15 relative).
      for (const [s, n] of [[a, 64], [b, 65], [c, 256]] as const) {
        expect(Math.abs(s.rms ** 2 * n / (n * (n + 1) * (2 * n + 1) / 6) - 1)).toBeLessThan(1e-14);
      }
    }
  });

  it(`random tensors of odd lengths across chunk and merge boundaries match float64 ${SEED_NOTE}`, async () => {
    const rng = createRng(TEST_SEED, 'stats');
    const lengths = [1, 3, 17, STATS_CHUNK - 1, STATS_CHUNK + 1, 9001, 64 * STATS_CHUNK - 1, 64 * STATS_CHUNK + 1];
    const tensors = lengths.map((n) => Float32Array.from({ length: n }, () => 5 + 3 * rng.normal()));
    tensors.push(Float32Array.from({ length: 5000 }, () => (rng.uniform() < 0.4 ? 0 : rng.normal()))); // zeros
    const got = await gpuStats(tensors);
    tensors.forEach((t, i) => expectStats(got[i], computeStats(t), `length ${t.length}`));
  });

  it('the issue\'s scaled identity: W = 10000·I (2000×2000) has mean 5 and std √49975 = 223.5509', async () => {
    const n = 2000;
    const W = new Float32Array(n * n);
    for (let i = 0; i < n; i++) W[i * n + i] = 10000;
    const [s] = await gpuStats([W]);
    expect(Math.abs(s.mean - 5)).toBeLessThanOrEqual(1e-5 * 5);
    expect(Math.abs(s.std - Math.sqrt(1e8 / n - 25))).toBeLessThanOrEqual(1e-5 * 223.55);
    expect([s.min, s.max, s.zeroFraction]).toEqual([0, 10000, 1 - 1 / n]);
  });

  it(`property: adversarial tensors (outliers, offsets with noise, mixed magnitudes, any order) within the claimed accuracy ${SEED_NOTE}`, async () => {
    const size = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(STATS_CHUNK - 1, STATS_CHUNK, STATS_CHUNK + 1, 3 * STATS_CHUNK + 17), fc.integer({ min: 1, max: 20_000 }));
    const base = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    const tensor = fc.oneof(
      // A constant plus one outlier, first, last or in the middle.
      fc.tuple(size, base, fc.double({ min: -1e30, max: 1e30, noNaN: true }), fc.constantFrom('first', 'last', 'middle')).map(([n, c, out, where]) => {
        const t = new Float32Array(n).fill(c);
        t[where === 'first' ? 0 : where === 'last' ? n - 1 : n >> 1] = out;
        return t;
      }),
      // A large offset with small noise: the std is tiny next to the rms.
      fc.tuple(size, fc.double({ min: 1e3, max: 1e7, noNaN: true }), fc.double({ min: 1e-3, max: 10, noNaN: true }), fc.integer()).map(([n, off, noise, seed]) => {
        const r = createRng(seed >>> 0, 'noise');
        return Float32Array.from({ length: n }, () => off + noise * r.normal());
      }),
      // Mixed magnitudes 1e-30..1e30 of both signs.
      fc.tuple(size, fc.integer()).map(([n, seed]) => {
        const r = createRng(seed >>> 0, 'mixed');
        return Float32Array.from({ length: n }, () => (r.uniform() < 0.5 ? -1 : 1) * 10 ** (60 * r.uniform() - 30));
      }),
    );
    // Each tensor also reversed and shuffled: no statistic may depend on the order of the elements.
    await fc.assert(fc.asyncProperty(fc.array(tensor, { minLength: 1, maxLength: 6 }), fc.integer(), async (ts, seed) => {
      const r = createRng(seed >>> 0, 'shuffle');
      const all = ts.flatMap((t) => {
        const shuffled = t.slice();
        for (let i = shuffled.length - 1; i > 0; i--) { const j = Math.floor(r.uniform() * (i + 1)); [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]; }
        return [t, t.slice().reverse(), shuffled];
      });
      const got = await gpuStats(all);
      all.forEach((t, i) => expectStats(got[i], computeStats(t), `tensor ${i} (length ${t.length}, first ${t[0]})`));
    }), { numRuns: 40, seed: TEST_SEED });
  });

  it('NaN and ±Infinity are counted by bit pattern, with the documented semantics', async () => {
    const nanBits = [0x7fc00000, 0x7f800001, 0xffffffff, 0x7fbfffff]; // quiet, signalling, negative, max payload
    const nans = fromBits(nanBits);
    const mixed = Float32Array.from([1, -2, Infinity, 3, -Infinity, 0]);
    const withNan = new Float32Array([...Array.from(nans), 1, 2, Infinity, -5]);
    const posInf = Float32Array.from([1, Infinity, 2]);
    const [allNan, mix, wn, pinf] = await gpuStats([nans, mixed, withNan, posInf]);
    expect([allNan.count, allNan.nanCount, allNan.infCount]).toEqual([4, 4, 0]);
    expect([allNan.min, allNan.max, allNan.mean, allNan.rms]).toEqual([NaN, NaN, NaN, NaN]);
    expect([mix.nanCount, mix.infCount, mix.min, mix.max, mix.zeroFraction]).toEqual([0, 2, -Infinity, Infinity, 1 / 6]);
    expect([mix.mean, mix.std, mix.rms, mix.l2]).toEqual([NaN, NaN, Infinity, Infinity]);
    expect([wn.nanCount, wn.infCount, wn.min, wn.max, wn.mean]).toEqual([4, 1, -5, Infinity, NaN]);
    expect([pinf.mean, pinf.rms, pinf.min, pinf.max]).toEqual([Infinity, Infinity, 1, Infinity]);
  });

  it(`huge values (1e30 scale, near 3.4e38) do not overflow ${SEED_NOTE}`, async () => {
    const rng = createRng(TEST_SEED, 'huge');
    const big = Float32Array.from({ length: 5001 }, () => 1e30 * rng.normal());
    const edge = Float32Array.from([3.4e38, -3.4e38, 3.3e38, 1]);
    const [b, e] = await gpuStats([big, edge]);
    expectStats(b, computeStats(big), 'big');
    expectStats(e, computeStats(edge), 'edge');
  });

  it('a constant tensor has std exactly 0 and its mean exactly', async () => {
    const [c, d] = await gpuStats([new Float32Array(5000).fill(0.1), new Float32Array(3 * STATS_CHUNK + 1).fill(-7.3e-20)]);
    expect([c.std, d.std]).toEqual([0, 0]);
    expect([c.mean, d.mean]).toEqual([Math.fround(0.1), Math.fround(-7.3e-20)]);
  });

  it('subnormals are decoded from their bits: non-zero, and exact in min, max, mean, rms and l2 (the issue\'s 1e-40)', async () => {
    const v = Math.fround(1e-40);
    const [s, mixed] = await gpuStats([new Float32Array(4).fill(1e-40), Float32Array.from([1e-45, -3e-39, 0, 2e-40])]);
    expect([s.count, s.zeroFraction, s.min, s.max, s.mean, s.std]).toEqual([4, 0, v, v, v, 0]);
    expect(Math.abs(s.rms - v)).toBeLessThanOrEqual(1e-6 * v);
    expect(Math.abs(s.l2 - 2 * v)).toBeLessThanOrEqual(1e-6 * v);
    expectStats(mixed, computeStats(Float32Array.from([1e-45, -3e-39, 0, 2e-40])), 'mixed subnormals');
  });
});
