/**
 * shaders/stats.wgsl (partial + merge) against the float64 computeStats, exact integer sums, special values by
 * bit pattern, huge values and constant tensors.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { kernels } from '../src/backends/webgpu/kernels';
import { MOMENTS_BYTES, STATS_CHUNK } from '../src/backends/webgpu/memory-plan';
import { decodeMoments } from '../src/backends/webgpu/scheduler';
import { createRng } from '../src/engine/rng';
import { computeStats, statsFromMoments, type Stats } from '../src/stats/stats';
import { gpuBackend, releaseGpu } from './helpers/gpu';
import { runKernel } from './helpers/kernel-runner';

afterAll(releaseGpu);
const SEED = Date.now() % 2 ** 32;
const note = `(random seed ${SEED})`;

/**
 * Statistics of several tensors in one data buffer, through both kernels, the way the scheduler lays them out:
 * each tensor split into work items of STATS_CHUNK elements.
 */
async function gpuStats(tensors: Float32Array[]): Promise<Stats[]> {
  const gpu = await gpuBackend();
  const total = tensors.reduce((s, t) => s + t.length, 0);
  const data = new Float32Array(total);
  const work: number[] = [];
  const ranges: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    data.set(t, offset);
    ranges.push(work.length / 4, Math.ceil(t.length / STATS_CHUNK));
    for (let s = 0; s < t.length; s += STATS_CHUNK) work.push(offset + s, offset + Math.min(s + STATS_CHUNK, t.length), offset, 0);
    offset += t.length;
  }
  const numWork = work.length / 4;
  const [partials] = await runKernel(gpu, kernels.statsPartial(),
    [{ input: data }, { input: Uint32Array.from(work) }, { output: numWork * MOMENTS_BYTES / 4 }, { uniform: [0, numWork] }], numWork);
  const [results] = await runKernel(gpu, kernels.statsMerge(),
    [{ input: partials }, { input: Uint32Array.from(ranges) }, { output: tensors.length * MOMENTS_BYTES / 4 }, { uniform: [0, tensors.length] }], Math.ceil(tensors.length / 64));
  return decodeMoments(results.buffer as ArrayBuffer, tensors.length).map(statsFromMoments);
}

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);
const fromBits = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);

describe('stats.wgsl', () => {
  it('sums of 1..64, 1..65, 1..256 are exact (2080, 2145, 32896), 100 runs', async () => {
    for (let run = 0; run < 100; run++) {
      const [a, b, c] = await gpuStats([iota(64), iota(65), iota(256)]);
      expect([a.mean * a.count, b.mean * b.count, c.mean * c.count]).toEqual([2080, 2145, 32896]);
      expect([a.min, a.max, c.min, c.max]).toEqual([1, 64, 1, 256]);
      // Σk² = n(n+1)(2n+1)/6; rms² · n must reproduce it (one sqrt and one square: 1e-15 relative).
      for (const [s, n] of [[a, 64], [b, 65], [c, 256]] as const) {
        expect(Math.abs(s.rms ** 2 * n / (n * (n + 1) * (2 * n + 1) / 6) - 1)).toBeLessThan(1e-14);
      }
    }
  });

  it(`random tensors of odd lengths across chunk boundaries match float64 ${note}`, async () => {
    const rng = createRng(SEED, 'stats');
    const lengths = [1, 3, 17, STATS_CHUNK - 1, STATS_CHUNK + 1, 9001, 3 * STATS_CHUNK + 7];
    const tensors = lengths.map((n) => Float32Array.from({ length: n }, () => 5 + 3 * rng.normal()));
    tensors.push(Float32Array.from({ length: 5000 }, () => (rng.uniform() < 0.4 ? 0 : rng.normal()))); // zeros
    const got = await gpuStats(tensors);
    tensors.forEach((t, i) => {
      const ref = computeStats(t);
      const s = got[i];
      expect([s.count, s.nanCount, s.infCount, s.min, s.max, s.zeroFraction]).toEqual([ref.count, 0, 0, ref.min, ref.max, ref.zeroFraction]);
      // float32 sums of ≤ 16 elements per thread, then a tree: error ≲ (16 + log2 n)·2^-24 ≈ 2e-6 relative.
      for (const k of ['mean', 'rms', 'l2'] as const) expect(Math.abs(s[k] - ref[k])).toBeLessThanOrEqual(1e-5 * ref.rms);
      expect(Math.abs(s.std - ref.std)).toBeLessThanOrEqual(1e-5 * ref.rms);
    });
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

  it(`huge values (1e30 scale, near 3.4e38) do not overflow ${note}`, async () => {
    const rng = createRng(SEED, 'huge');
    const big = Float32Array.from({ length: 5001 }, () => 1e30 * rng.normal());
    const edge = Float32Array.from([3.4e38, -3.4e38, 3.3e38, 1]);
    const [b, e] = await gpuStats([big, edge]);
    for (const [s, t] of [[b, big], [e, edge]] as const) {
      const ref = computeStats(t);
      for (const k of ['mean', 'std', 'rms', 'l2'] as const) expect(Math.abs(s[k] - ref[k])).toBeLessThanOrEqual(1e-5 * ref.rms);
      expect(s.infCount).toBe(0);
    }
  });

  it('a constant tensor has std exactly 0 and its mean exactly', async () => {
    const [c] = await gpuStats([new Float32Array(5000).fill(0.1)]);
    expect(c.std).toBe(0);
    expect(c.mean).toBe(Math.fround(0.1));
    expect(c.min).toBe(c.max);
  });

  it('subnormals: counted, and either kept or flushed to zero (WGSL allows both)', async () => {
    const [s] = await gpuStats([new Float32Array(100).fill(1e-40)]);
    expect(s.count).toBe(100);
    expect([0, 1]).toContain(s.zeroFraction);
    expect(s.nanCount + s.infCount).toBe(0);
  });
});
