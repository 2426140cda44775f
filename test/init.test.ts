/**
 * Initialisers against the formulas of torch.nn.init (Glorot & Bengio 2010; He et al. 2015; LeCun et al. 1998;
 * Saxe et al. 2014). Empirical std and mean are compared with tolerances of 4 standard errors:
 * se(mean) = σ/√N, se(std) ≈ σ/√(2N) (normal; conservative for a uniform, whose kurtosis is lower).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { calculateGain, hostLayer, initWeights, orthogonal, unusedInitParams, varianceScale, type InitOptions } from '../src/model/init';
import { createRng } from '../src/model/rng';
import { resolveConfig, widthsOf, INIT_NAMES, type InitName, type RawConfig } from '../src/model/config';
import { makeProblem, weightsOf } from '../src/session/problem';

const OPTS: InitOptions = { gain: null, mean: 0, std: 1, low: 0, high: 1, value: 0, mode: 'fan_in', activation: 'relu' };

function init(name: InitName, fanOut: number, fanIn: number, opts: Partial<InitOptions> = {}, seed = 1): Float64Array {
  return initWeights(name, fanOut, fanIn, { ...OPTS, ...opts }, seed, 1);
}

/** Population mean and std of w. */
function meanStd(w: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i];
  const mean = s / w.length;
  let d = 0;
  for (let i = 0; i < w.length; i++) d += (w[i] - mean) ** 2;
  return { mean, std: Math.sqrt(d / w.length) };
}

/** Empirical mean ≈ mu and std ≈ sigma within 4 standard errors. */
function expectMoments(w: ArrayLike<number>, mu: number, sigma: number): void {
  const n = w.length;
  const { mean, std } = meanStd(w);
  expect(Math.abs(mean - mu), `mean ${mean} vs ${mu}`).toBeLessThanOrEqual((4 * sigma) / Math.sqrt(n));
  expect(Math.abs(std - sigma), `std ${std} vs ${sigma}`).toBeLessThanOrEqual((4 * sigma) / Math.sqrt(2 * n));
}

function maxAbs(w: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(w[i]));
  return m;
}

/** Gram matrix: rows=true gives W Wᵀ (fanOut×fanOut), else Wᵀ W (fanIn×fanIn); W row-major (fanOut, fanIn). */
function gram(w: Float64Array, fanOut: number, fanIn: number, rows: boolean): Float64Array {
  const k = rows ? fanOut : fanIn;
  const g = new Float64Array(k * k);
  for (let p = 0; p < k; p++) {
    for (let q = 0; q < k; q++) {
      let s = 0;
      if (rows) for (let c = 0; c < fanIn; c++) s += w[p * fanIn + c] * w[q * fanIn + c];
      else for (let r = 0; r < fanOut; r++) s += w[r * fanIn + p] * w[r * fanIn + q];
      g[p * k + q] = s;
    }
  }
  return g;
}

/** max |G − c·I|. */
function offIdentity(g: Float64Array, k: number, c: number): number {
  let e = 0;
  for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) e = Math.max(e, Math.abs(g[p * k + q] - (p === q ? c : 0)));
  return e;
}

describe('calculateGain (torch.nn.init.calculate_gain)', () => {
  it('linear 1, relu √2, tanh 5/3', () => {
    expect(calculateGain('identity')).toBe(1);
    expect(calculateGain('relu')).toBe(Math.sqrt(2));
    expect(calculateGain('tanh')).toBe(5 / 3);
  });
});

describe('variance-scaling initialisers: the issue\'s numbers', () => {
  it('100→100: xavier_normal std 0.1', () => {
    expect(varianceScale('xavier_normal', 100, 100, OPTS)).toBeCloseTo(0.1, 12);
    expectMoments(init('xavier_normal', 100, 100), 0, 0.1);
  });

  it('100→100: xavier_uniform bound 0.173205, max|w| ≤ bound and close to it, std ≈ bound/√3', () => {
    const bound = Math.sqrt(6 / 200);
    expect(bound).toBeCloseTo(0.173205, 6);
    expect(varianceScale('xavier_uniform', 100, 100, OPTS)).toBeCloseTo(bound, 12);
    const w = init('xavier_uniform', 100, 100);
    expect(maxAbs(w)).toBeLessThanOrEqual(bound);
    // P(max|w| < bound(1−δ)) = (1−δ)^N; δ = 20/N makes that e^-20.
    expect(maxAbs(w)).toBeGreaterThan(bound * (1 - 20 / w.length));
    expectMoments(w, 0, bound / Math.sqrt(3));
  });

  it('100→400: xavier_normal 0.0632, lecun_normal 0.1, kaiming_normal (relu, fan_in) 0.1414', () => {
    const cases: [InitName, number, number][] = [
      ['xavier_normal', Math.sqrt(2 / 500), 0.0632],
      ['lecun_normal', 0.1, 0.1],
      ['kaiming_normal', Math.sqrt(2 / 100), 0.1414],
    ];
    for (const [name, exact, printed] of cases) {
      const std = varianceScale(name, 100, 400, OPTS);
      expect(std).toBeCloseTo(exact, 12);
      expect(Math.abs(std - printed)).toBeLessThan(5e-5);
      expectMoments(init(name, 400, 100), 0, exact);
    }
  });

  it('32→256: kaiming_normal fan_in 0.25, fan_out 0.0884', () => {
    expect(varianceScale('kaiming_normal', 32, 256, { ...OPTS, mode: 'fan_in' })).toBeCloseTo(0.25, 12);
    expect(varianceScale('kaiming_normal', 32, 256, { ...OPTS, mode: 'fan_out' })).toBeCloseTo(Math.sqrt(2 / 256), 12);
    expect(Math.abs(Math.sqrt(2 / 256) - 0.0884)).toBeLessThan(5e-5);
    expectMoments(init('kaiming_normal', 256, 32, { mode: 'fan_in' }), 0, 0.25);
    expectMoments(init('kaiming_normal', 256, 32, { mode: 'fan_out' }), 0, Math.sqrt(2 / 256));
  });

  it('uniform variants: bound = √3·std, every |w| ≤ bound, empirical std ≈ bound/√3', () => {
    for (const name of ['kaiming_uniform', 'lecun_uniform', 'xavier_uniform'] as const) {
      const normal = name.replace('_uniform', '_normal') as InitName;
      const bound = varianceScale(name, 64, 128, OPTS);
      expect(bound).toBeCloseTo(Math.sqrt(3) * varianceScale(normal, 64, 128, OPTS), 12);
      const w = init(name, 128, 64);
      expect(maxAbs(w)).toBeLessThanOrEqual(bound);
      expectMoments(w, 0, bound / Math.sqrt(3));
    }
  });

  it('kaiming\'s default gain follows the activation; an explicit gain replaces it; others default to 1', () => {
    expect(varianceScale('kaiming_normal', 50, 10, { ...OPTS, activation: 'tanh' })).toBeCloseTo((5 / 3) / Math.sqrt(50), 12);
    expect(varianceScale('kaiming_normal', 50, 10, { ...OPTS, activation: 'identity' })).toBeCloseTo(1 / Math.sqrt(50), 12);
    expect(varianceScale('kaiming_normal', 50, 10, { ...OPTS, gain: 3 })).toBeCloseTo(3 / Math.sqrt(50), 12);
    expect(varianceScale('xavier_normal', 50, 10, { ...OPTS, activation: 'relu' })).toBeCloseTo(Math.sqrt(2 / 60), 12);
    expect(varianceScale('lecun_uniform', 50, 10, { ...OPTS, gain: 2 })).toBeCloseTo(2 * Math.sqrt(3 / 50), 12);
  });

  it('varianceScale refuses non-variance-scaling names', () => {
    for (const name of ['zeros', 'normal', 'orthogonal'] as const) expect(() => varianceScale(name, 2, 2, OPTS)).toThrow(RangeError);
  });

  it('property: varianceScale matches the formulas for any fan_in, fan_out in 1..64, gain, mode', () => {
    const arb = fc.record({
      fanIn: fc.integer({ min: 1, max: 64 }),
      fanOut: fc.integer({ min: 1, max: 64 }),
      gain: fc.option(fc.double({ min: 0, max: 10, noNaN: true })),
      mode: fc.constantFrom('fan_in' as const, 'fan_out' as const),
      activation: fc.constantFrom('identity' as const, 'relu' as const, 'tanh' as const),
    });
    const defaultGain = { identity: 1, relu: Math.SQRT2, tanh: 5 / 3 };
    fc.assert(fc.property(arb, ({ fanIn, fanOut, gain, mode, activation }) => {
      const o = { gain, mode, activation };
      const g = gain ?? 1;
      const gk = gain ?? defaultGain[activation];
      const fan = mode === 'fan_in' ? fanIn : fanOut;
      const want: [InitName, number][] = [
        ['xavier_normal', g * Math.sqrt(2 / (fanIn + fanOut))],
        ['xavier_uniform', g * Math.sqrt(6 / (fanIn + fanOut))],
        ['kaiming_normal', gk / Math.sqrt(fan)],
        ['kaiming_uniform', gk * Math.sqrt(3 / fan)],
        ['lecun_normal', g / Math.sqrt(fanIn)],
        ['lecun_uniform', g * Math.sqrt(3 / fanIn)],
      ];
      for (const [name, v] of want) {
        expect(Math.abs(varianceScale(name, fanIn, fanOut, o) - v)).toBeLessThanOrEqual(1e-14 * Math.max(1, v));
      }
    }), { numRuns: 200 });
  });
});

describe('orthogonal (Saxe et al. 2014)', () => {
  it.each([[8, 8], [12, 5], [5, 12], [1, 7], [7, 1], [64, 64]])('%i×%i with gain 2: WᵀW (or WWᵀ if wide) = 4·I to 1e-12', (fanOut, fanIn) => {
    const w = init('orthogonal', fanOut, fanIn, { gain: 2 });
    expect(w.length).toBe(fanOut * fanIn);
    const wide = fanOut < fanIn;
    const k = wide ? fanOut : fanIn;
    expect(offIdentity(gram(w, fanOut, fanIn, wide), k, 4)).toBeLessThanOrEqual(1e-12);
    if (fanOut === fanIn) expect(offIdentity(gram(w, fanOut, fanIn, true), k, 4)).toBeLessThanOrEqual(1e-12);
  });

  it('stays orthonormal for nearly dependent Gaussian columns (re-orthogonalisation, Giraud et al. 2005)', () => {
    // An Rng whose "normal" draws make every column base + 1e-7·noise: condition number ~1e7, where a single
    // classical Gram–Schmidt pass loses orthogonality to ~κ²ε ≫ 1e-12. Columns are drawn in order (column-major).
    const rows = 20, cols = 6;
    const noise = createRng(3, 'noise');
    const base = Array.from({ length: rows }, () => noise.normal());
    let i = 0;
    const nearlyDependent = { uniform: () => noise.uniform(), normal: () => base[i++ % rows] + 1e-7 * noise.normal() };
    const w = orthogonal(rows, cols, 1, nearlyDependent);
    expect(offIdentity(gram(w, rows, cols, false), cols, 1)).toBeLessThanOrEqual(1e-12);
  });

  it('gain null means 1', () => {
    const w = init('orthogonal', 6, 6, { gain: null });
    expect(offIdentity(gram(w, 6, 6, false), 6, 1)).toBeLessThanOrEqual(1e-12);
  });

  it('property: any fan_in, fan_out in 1..64 gives gain·orthonormal rows or columns', () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.double({ min: 0.1, max: 4, noNaN: true }));
    fc.assert(fc.property(arb, ([fanOut, fanIn, seed, gain]) => {
      const w = orthogonal(fanOut, fanIn, gain, createRng(seed, 'W/1'));
      const wide = fanOut < fanIn;
      expect(offIdentity(gram(w, fanOut, fanIn, wide), Math.min(fanOut, fanIn), gain * gain)).toBeLessThanOrEqual(1e-12 * gain * gain);
    }), { numRuns: 60 });
  });
});

describe('simple initialisers', () => {
  it('identity(gain) = gain·I, including rectangular (ones on the main diagonal, as eye_)', () => {
    for (const [fanOut, fanIn] of [[4, 4], [3, 5], [5, 3]]) {
      const w = init('identity', fanOut, fanIn, { gain: 1.5 });
      for (let i = 0; i < fanOut; i++) {
        for (let k = 0; k < fanIn; k++) expect(w[i * fanIn + k]).toBe(i === k ? 1.5 : 0);
      }
    }
    expect(Array.from(init('identity', 2, 2, { gain: null }))).toEqual([1, 0, 0, 1]);
  });

  it('zeros and constant(value)', () => {
    expect(init('zeros', 3, 4).every((v) => v === 0)).toBe(true);
    expect(init('constant', 3, 4, { value: -0.75 }).every((v) => v === -0.75)).toBe(true);
  });

  it('normal(mean, std): empirical mean and std within 4 standard errors', () => {
    expectMoments(init('normal', 100, 100, { mean: 3, std: 0.5 }), 3, 0.5);
    expectMoments(init('normal', 50, 40, { mean: -1, std: 2 }), -1, 2);
  });

  it('uniform(low, high): every w in [low, high), close to both ends, mean (low+high)/2, std (high−low)/√12', () => {
    const low = -2, high = 5;
    const w = init('uniform', 100, 100, { low, high });
    let mn = Infinity, mx = -Infinity;
    for (const v of w) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
    expect(mn).toBeGreaterThanOrEqual(low);
    expect(mx).toBeLessThan(high);
    const slack = ((high - low) * 20) / w.length;
    expect(mn).toBeLessThan(low + slack);
    expect(mx).toBeGreaterThan(high - slack);
    expectMoments(w, (low + high) / 2, (high - low) / Math.sqrt(12));
  });

  it('every initialiser returns (fanOut·fanIn) finite values', () => {
    for (const name of INIT_NAMES) {
      const w = init(name, 7, 3, { gain: 1.2, std: 0.3, low: -1, high: 1, value: 2 });
      expect(w.length).toBe(21);
      expect(w.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('determinism (seeded streams)', () => {
  const base = { input: 'gaussian', inputDim: 6, outputDim: 3, width: 5, batch: 4, init: 'xavier_uniform' } as const;
  /** W^[l] and b^[l] as every backend draws them on the host. */
  const layer = (raw: RawConfig, l: number) => {
    const cfg = resolveConfig(raw), n = widthsOf(cfg);
    return hostLayer(weightsOf(cfg), l, n[l], n[l - 1]);
  };

  it('same seed → identical weights and batch; different seed → different', () => {
    for (let l = 1; l <= 3; l++) {
      const a = layer({ ...base, depth: 3, seed: 11 }, l).W;
      expect(layer({ ...base, depth: 3, seed: 11 }, l).W).toEqual(a);
      expect(layer({ ...base, depth: 3, seed: 12 }, l).W).not.toEqual(a);
    }
    const a = makeProblem(resolveConfig({ ...base, depth: 3, seed: 11 }));
    expect(makeProblem(resolveConfig({ ...base, depth: 3, seed: 11 })).batch.X).toEqual(a.batch.X);
    expect(makeProblem(resolveConfig({ ...base, depth: 3, seed: 12 })).batch.X).not.toEqual(a.batch.X);
  });

  it('changing the depth does not change the earlier layers\' weights or the batch', () => {
    // Layers 1 and 2 have the same shapes (5×6, 5×5) at depth 3 and 6; layer 3 is the output layer of the short one.
    for (const l of [1, 2]) expect(layer({ ...base, depth: 6, seed: 5 }, l).W).toEqual(layer({ ...base, depth: 3, seed: 5 }, l).W);
    const short = makeProblem(resolveConfig({ ...base, depth: 3, seed: 5 }));
    const long = makeProblem(resolveConfig({ ...base, depth: 6, seed: 5 }));
    expect(long.batch.X).toEqual(short.batch.X);
    expect(long.batch.labels).toEqual(short.batch.labels);
  });

  it('weights are float32 (rounded once) and biases are the constant bias', () => {
    const raw = { ...base, depth: 2, bias: 0.25, init: 'kaiming_normal' } as const;
    expect(layer(raw, 1).W).toBeInstanceOf(Float32Array);
    expect(layer(raw, 1).W.length).toBe(5 * 6);
    expect(layer(raw, 2).W.length).toBe(3 * 5);
    expect(Array.from(layer(raw, 1).b)).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
    expect(Array.from(layer(raw, 2).b)).toEqual([0.25, 0.25, 0.25]);
  });
});

describe('unusedInitParams', () => {
  it('names the given parameters an initialiser does not read, and only those', () => {
    expect(unusedInitParams('kaiming_normal', { std: '5', mean: '3', gain: '2', mode: 'fan_out' })).toEqual(['mean', 'std']);
    expect(unusedInitParams('normal', { std: '5', mean: '3' })).toEqual([]);
    expect(unusedInitParams('zeros', { value: '1', gain: null })).toEqual(['gain', 'value']);
    expect(unusedInitParams('uniform', {})).toEqual([]);
  });
});
