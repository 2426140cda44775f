/**
 * computeStats against hand-computed values and the special-value semantics documented in src/stats/stats.ts;
 * statsFromMoments against computeStats, with the Moments built here from the formulas of its doc comment;
 * keyToFloat32 inverts the order key.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeStats, hasNonFinite, keyToFloat32, statsFromMoments, STAT_NAMES, type Moments, type Stats } from '../src/stats/stats';
import { createRng } from '../src/model/rng';

/** |got − want| ≤ rel·|want| (+ abs), NaN only equal to NaN, ±Infinity only to itself. */
function expectClose(got: number, want: number, rel: number, what: string, abs = 0): void {
  if (Number.isNaN(want) || !Number.isFinite(want)) {
    expect(Object.is(got, want) || (got === want), `${what}: got ${got}, want ${want}`).toBe(true);
    return;
  }
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(rel * Math.abs(want) + abs);
}

function expectStatsClose(got: Stats, want: Stats, rel: number, label: string): void {
  for (const k of STAT_NAMES) expectClose(got[k], want[k], rel, `${label} ${k}`);
}

describe('computeStats on finite values', () => {
  it('[1, 2, 3, 4]: mean 2.5, std √1.25, rms √7.5, l2 √30', () => {
    const s = computeStats([1, 2, 3, 4]);
    expect(s.count).toBe(4);
    expectClose(s.mean, 2.5, 1e-15, 'mean');
    expectClose(s.std, Math.sqrt(1.25), 1e-15, 'std');
    expectClose(s.rms, Math.sqrt(7.5), 1e-15, 'rms');
    expectClose(s.l2, Math.sqrt(30), 1e-15, 'l2');
    expect([s.min, s.max, s.zeroFraction, s.nanCount, s.infCount]).toEqual([1, 4, 0, 0, 0]);
  });

  it('[-3, 0, -0, 5]: zeros counted including -0, std is the population std', () => {
    const s = computeStats([-3, 0, -0, 5]);
    // mean 0.5; deviations -3.5, -0.5, -0.5, 4.5 -> Σd² = 12.25 + 0.25 + 0.25 + 20.25 = 33
    expectClose(s.mean, 0.5, 1e-15, 'mean');
    expectClose(s.std, Math.sqrt(33 / 4), 1e-15, 'std');
    expectClose(s.l2, Math.sqrt(34), 1e-15, 'l2');
    expectClose(s.rms, Math.sqrt(34 / 4), 1e-15, 'rms');
    expect(s.zeroFraction).toBe(0.5);
    expect([s.min, s.max]).toEqual([-3, 5]);
  });

  it('a single element and an all-zero tensor', () => {
    expect(computeStats([7])).toMatchObject({ count: 1, mean: 7, std: 0, rms: 7, l2: 7, min: 7, max: 7, zeroFraction: 0 });
    expect(computeStats(new Float32Array(5))).toMatchObject({ mean: 0, std: 0, rms: 0, l2: 0, min: 0, max: 0, zeroFraction: 1 });
  });

  it('accepts Float32Array and Float64Array alike', () => {
    const a = computeStats(Float32Array.from([0.5, -1.5, 2]));
    const b = computeStats(Float64Array.from([0.5, -1.5, 2]));
    expect(a).toEqual(b);
  });

  it('throws RangeError on an empty tensor', () => {
    expect(() => computeStats([])).toThrow(RangeError);
  });

  it('huge values do not overflow: l2, rms, mean and std stay finite', () => {
    const big = computeStats([1e200, 1e200, 1e200]);
    expectClose(big.l2, Math.sqrt(3) * 1e200, 1e-15, 'l2');
    expectClose(big.rms, 1e200, 1e-15, 'rms');
    expectClose(big.mean, 1e200, 1e-15, 'mean');
    expect(big.std).toBeLessThanOrEqual(1e200 * 1e-15);
    const pm = computeStats([1e200, -1e200]);
    expectClose(pm.std, 1e200, 1e-15, 'std ±1e200');
    expectClose(pm.l2, Math.SQRT2 * 1e200, 1e-15, 'l2 ±1e200');
    expect(pm.mean).toBe(0);
    // Near the top of the float64 range the plain sum would overflow.
    const top = computeStats([1.7e308, 1.7e308]);
    expectClose(top.mean, 1.7e308, 1e-15, 'mean 1.7e308');
    expectClose(top.rms, 1.7e308, 1e-15, 'rms 1.7e308');
    expect(top.l2).toBe(Infinity); // √2·1.7e308 is not a float64: the true value overflows
    expect(top.infCount).toBe(0);
  });

  it('tiny (subnormal) values do not underflow to 0', () => {
    const s = computeStats([3e-320, 4e-320]);
    expectClose(s.l2, 5e-320, 1e-3, 'l2'); // subnormals carry few digits
    expect(s.mean).toBeGreaterThan(0);
  });

  it('matches a naive float64 computation on random data (fast-check)', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }).map((v) => (Math.abs(v) < 1e-100 ? 0 : v)), { minLength: 1, maxLength: 200 }), (xs) => {
      const n = xs.length;
      const mean = xs.reduce((s, v) => s + v, 0) / n;
      const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
      const ssq = xs.reduce((s, v) => s + v * v, 0);
      const s = computeStats(xs);
      const scale = Math.max(...xs.map(Math.abs));
      expectClose(s.mean, mean, 1e-12, 'mean', 1e-13 * scale);
      expectClose(s.std, Math.sqrt(variance), 1e-12, 'std', 1e-7 * scale);
      expectClose(s.l2, Math.sqrt(ssq), 1e-12, 'l2');
      expectClose(s.rms, Math.sqrt(ssq / n), 1e-12, 'rms');
      expect(s.min).toBe(Math.min(...xs));
      expect(s.max).toBe(Math.max(...xs));
      expect(s.zeroFraction).toBe(xs.filter((v) => v === 0).length / n);
    }), { numRuns: 200 });
  });
});

describe('computeStats special values (semantics of src/stats/stats.ts)', () => {
  it('NaN present: mean/std/rms/l2 NaN, min/max over the non-NaN elements', () => {
    const s = computeStats([1, NaN, -2, 0]);
    for (const k of ['mean', 'std', 'rms', 'l2'] as const) expect(s[k]).toBeNaN();
    expect([s.min, s.max, s.nanCount, s.infCount, s.zeroFraction]).toEqual([-2, 1, 1, 0, 0.25]);
    expect(hasNonFinite(s)).toBe(true);
  });

  it('+Infinity only: mean +Infinity, std NaN, rms and l2 Infinity', () => {
    const s = computeStats([1, Infinity, 2, Infinity]);
    expect(s.mean).toBe(Infinity);
    expect(s.std).toBeNaN();
    expect([s.rms, s.l2, s.min, s.max, s.infCount, s.nanCount]).toEqual([Infinity, Infinity, 1, Infinity, 2, 0]);
  });

  it('-Infinity only: mean -Infinity', () => {
    const s = computeStats([-Infinity, 3]);
    expect(s.mean).toBe(-Infinity);
    expect([s.min, s.max, s.rms, s.l2]).toEqual([-Infinity, 3, Infinity, Infinity]);
  });

  it('±Infinity: mean NaN, min -Infinity, max +Infinity', () => {
    const s = computeStats([-Infinity, 0, Infinity]);
    expect(s.mean).toBeNaN();
    expect(s.std).toBeNaN();
    expect([s.min, s.max, s.infCount, s.zeroFraction, s.rms, s.l2]).toEqual([-Infinity, Infinity, 2, 1 / 3, Infinity, Infinity]);
  });

  it('NaN and Infinity: NaN wins for mean/std/rms/l2; both counted', () => {
    const s = computeStats([NaN, Infinity, 1]);
    for (const k of ['mean', 'std', 'rms', 'l2'] as const) expect(s[k]).toBeNaN();
    expect([s.nanCount, s.infCount, s.min, s.max]).toEqual([1, 1, 1, Infinity]);
  });

  it('all NaN: min and max NaN, everything else NaN, counts right', () => {
    const s = computeStats([NaN, NaN, NaN]);
    for (const k of ['mean', 'std', 'rms', 'l2', 'min', 'max'] as const) expect(s[k]).toBeNaN();
    expect([s.count, s.nanCount, s.infCount, s.zeroFraction]).toEqual([3, 3, 0, 0]);
  });

  it('finite data has no non-finite flag', () => {
    expect(hasNonFinite(computeStats([1, 2]))).toBe(false);
  });
});

/** The order key of a float32 (as shaders/stats.wgsl order_key). */
function orderKey(v: number): number {
  const bits = new Uint32Array(Float32Array.of(v).buffer)[0];
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/**
 * Moments of float32 values x, from the formulas of the Moments doc comment, in float64: E the exponent of max|x|,
 * G = E + 1, c = mean·2^-G rounded to float32, s1 = Σ x·2^-E, s2 = Σ (x·2^-E)², t1 = Σ (x·2^-G − c), t2 = Σ (…)².
 */
function momentsOf(x: ArrayLike<number>): Moments {
  let nans = 0, infs = 0, zeros = 0, minKey = 0xffffffff, maxKey = 0, maxAbs = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Number.isNaN(v)) { nans++; continue; }
    minKey = Math.min(minKey, orderKey(v));
    maxKey = Math.max(maxKey, orderKey(v));
    if (v === 0) zeros++;
    if (!Number.isFinite(v)) { infs++; continue; }
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const e = maxAbs > 0 ? Math.floor(Math.log2(maxAbs)) : -1000;
  const finite = Array.from(x).filter(Number.isFinite);
  const s1 = finite.reduce((a, v) => a + v * 2 ** -e, 0);
  const s2 = finite.reduce((a, v) => a + (v * 2 ** -e) ** 2, 0);
  const centre = finite.length > 0 ? Math.fround(s1 / finite.length / 2) : 0;
  const d = finite.map((v) => v * 2 ** -(e + 1) - centre);
  return {
    count: x.length, zeros, nans, infs, minKey, maxKey, e, centre, s1, s2,
    t1: d.reduce((a, v) => a + v, 0), t2: d.reduce((a, v) => a + v * v, 0),
  };
}

describe('statsFromMoments reproduces computeStats', () => {
  const rng = createRng(7, 'stats-test');

  it('on random N(0,1) data, within 1e-12', () => {
    for (const n of [1, 2, 17, 1000]) {
      const x = Float32Array.from({ length: n }, () => rng.normal());
      expectStatsClose(statsFromMoments(momentsOf(x)), computeStats(x), 1e-12, `N(0,1) n=${n}`);
    }
  });

  it('on data with a large mean offset, 1e6 + N(0,1), within 1e-12', () => {
    const x = Float32Array.from({ length: 4096 }, () => 1e6 + rng.normal());
    const want = computeStats(x);
    const got = statsFromMoments(momentsOf(x));
    expectStatsClose(got, want, 1e-12, 'offset');
    // The std is about 1, not swamped by the offset.
    expect(Math.abs(want.std - 1)).toBeLessThan(0.1);
  });

  it('on constant data and all zeros', () => {
    expectStatsClose(statsFromMoments(momentsOf([3, 3, 3])), computeStats([3, 3, 3]), 1e-15, 'const');
    expectStatsClose(statsFromMoments(momentsOf([0, -0, 0])), computeStats([0, -0, 0]), 0, 'zeros');
  });

  it('on special values, with the same semantics', () => {
    const cases = [
      [1, NaN, -2], [NaN, NaN], [Infinity, 1, 2], [-Infinity, 4], [-Infinity, Infinity, 0], [NaN, Infinity],
      [Infinity, 0, -0],
    ];
    for (const x of cases) expectStatsClose(statsFromMoments(momentsOf(x)), computeStats(x), 1e-15, JSON.stringify(x.map(String)));
  });

  it('on random data of any scale (fast-check)', () => {
    const arb = fc.tuple(
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 100 }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.integer({ min: -200, max: 200 }),
    );
    fc.assert(fc.property(arb, ([xs, offset, e]) => {
      const x = xs.map((v) => Math.fround((offset + v) * 2 ** Math.max(-120, Math.min(120, e))));
      const want = computeStats(x);
      const got = statsFromMoments(momentsOf(x));
      for (const k of ['count', 'min', 'max', 'zeroFraction', 'nanCount', 'infCount', 'l2', 'rms'] as const) {
        expectClose(got[k], want[k], 1e-12, k);
      }
      expectClose(got.mean, want.mean, 1e-12, 'mean', 1e-15 * want.rms);
      // Both std are off by rounding of order ε·max|x| (e.g. constant data: the mean is rounded).
      expectClose(got.std, want.std, 1e-9, 'std', 1e-12 * Math.max(Math.abs(want.min), Math.abs(want.max)));
    }), { numRuns: 300 });
  });
});

describe('keyToFloat32', () => {
  it('inverts the order key of every kind of float32, and the key order is the number order', () => {
    const values = [-Infinity, -3.4e38, -1, -1e-40, -0, 0, 1e-45, 1e-40, 1, 3.4e38, Infinity].map(Math.fround);
    for (const v of values) expect(Object.is(keyToFloat32(orderKey(v)), v)).toBe(true);
    const keys = values.map(orderKey);
    expect([...keys].sort((a, b) => a - b)).toEqual(keys);
  });
});
