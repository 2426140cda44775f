/**
 * The distributions view's pure modules without a browser (src/ui/distributions: bins, colormap, ticks, url, the
 * layers field of multiples). Oracles: histograms made from known values with the engine's CPU reference
 * (histogramWords, decodeHistogram), so the column of a value is known from its exponent; the brute-force cellCount
 * for the fast countMatrix; viridis' published endpoints and its monotone luminance.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHistogram, histogramWords, LINEAR_BINS, type Histogram } from '../src/stats/histogram';
import {
  cellAt, cellCount, cellText, countMatrix, edgeText, hasNegatives, exponentRange, layoutColumns, linearAxis, magnitudeAxis, magnitudeBudget,
  pow2Number, pow2Tick, rowGroups, rowLayers, type BinAxis, type Cell,
} from '../src/ui/distributions/bins';
import { countPosition, hex, luminance, viridis, VIRIDIS_ANCHORS } from '../src/ui/distributions/colormap';
import { defaultLayers, MAX_MULTIPLES, parseLayers } from '../src/ui/distributions/multiples';
import { countTicks, exponentX, layerTicks, magnitudeTicks, niceInteger } from '../src/ui/distributions/ticks';
import { readHistParam, withHistParam } from '../src/ui/distributions/url';

/** The histogram of `values` as the engine makes it (stored values, extended-range scale exponent `shift`). */
function histOf(values: readonly number[], shift = 0): Histogram {
  const min = Math.min(...values), max = Math.max(...values); // NaN when a value is NaN: no linear bins, as in the engine
  return decodeHistogram(histogramWords(values, min, max), min, max, shift);
}

/** The column of `axis` whose cell holds the true value 2^shift·x (x stored, normal float32), by its exponent. */
function columnOf(axis: BinAxis, x: number, shift: number): number {
  const e = Math.floor(Math.log2(Math.abs(x))) + shift;
  const sign = axis.signs === 'abs' ? 0 : x > 0 ? 1 : -1;
  return axis.cells.findIndex((c) => c.kind === 'magnitude' && c.sign === sign && c.lo <= e && e < c.hi);
}

describe('bins: the magnitude axis', () => {
  it('exponentRange places each layer by stored exponent + shift (the extended range\'s carried scale)', () => {
    const hists = [histOf([1.5, -3], 0), histOf([1.5], 1000), undefined, histOf([0, 0]), histOf([2 ** -100], -2000)];
    // 1.5 → 0, −3 → 1; 1.5·2^1000 → 1000; 2^-100·2^-2000 → −2100; zeros have no exponent.
    expect(exponentRange(hists)).toEqual({ lo: -2100, hi: 1000 });
    expect(exponentRange([histOf([0]), undefined])).toBeNull();
  });

  it('split: negative exponents mirrored left of zero, then positive, then subnormal, ∞, NaN; abs: zero first', () => {
    const split = magnitudeAxis({ lo: -2, hi: 1 }, 'split', 100);
    expect(split.binsPerCell).toBe(1);
    expect(split.cells).toEqual<Cell[]>([
      { kind: 'magnitude', sign: -1, lo: 1, hi: 2 }, { kind: 'magnitude', sign: -1, lo: 0, hi: 1 },
      { kind: 'magnitude', sign: -1, lo: -1, hi: 0 }, { kind: 'magnitude', sign: -1, lo: -2, hi: -1 },
      { kind: 'special', which: 'zero' },
      { kind: 'magnitude', sign: 1, lo: -2, hi: -1 }, { kind: 'magnitude', sign: 1, lo: -1, hi: 0 },
      { kind: 'magnitude', sign: 1, lo: 0, hi: 1 }, { kind: 'magnitude', sign: 1, lo: 1, hi: 2 },
      { kind: 'special', which: 'subnormal' }, { kind: 'special', which: 'inf' }, { kind: 'special', which: 'nan' },
    ]);
    const abs = magnitudeAxis({ lo: 5, hi: 6 }, 'abs', 100);
    expect(abs.cells.map((c) => (c.kind === 'special' ? c.which : c.kind === 'magnitude' ? `${c.sign}:${c.lo}` : 'linear'))).toEqual(['zero', '0:5', '0:6', 'subnormal', 'inf', 'nan']);
    expect(magnitudeAxis(null, 'split', 100).cells.map((c) => c.kind)).toEqual(['special', 'special', 'special', 'special']);
    // No negative value in any layer: no negative side, and the positive side has the whole width.
    const pos = magnitudeAxis({ lo: 0, hi: 199 }, 'split', 100, false);
    expect(pos.negatives).toBe(false);
    expect(pos.binsPerCell).toBe(2);
    expect(pos.cells.map((c) => (c.kind === 'special' ? c.which : c.kind === 'magnitude' ? c.sign : 'linear')).filter((c) => c !== 1)).toEqual(['zero', 'subnormal', 'inf', 'nan']);
    expect(magnitudeTicks(pos, layoutColumns(pos, 800), 30).some((t) => t.label.startsWith('−'))).toBe(false);
    expect(hasNegatives([histOf([1, 2]), undefined])).toBe(false);
    expect(hasNegatives([histOf([1]), histOf([-0]), histOf([-1e-3])])).toBe(true);
  });

  it('more exponents than columns: consecutive exponents share a column, every exponent in exactly one', () => {
    const axis = magnitudeAxis({ lo: -1000, hi: 1169 }, 'split', 300);
    const mags = axis.cells.filter((c): c is Extract<Cell, { kind: 'magnitude' }> => c.kind === 'magnitude');
    expect(mags.length).toBeLessThanOrEqual(300);
    expect(axis.binsPerCell).toBe(Math.ceil(2170 / 150));
    for (const sign of [1, -1] as const) {
      const side = mags.filter((c) => c.sign === sign).sort((a, b) => a.lo - b.lo);
      expect(side[0].lo).toBe(-1000);
      expect(side.at(-1)!.hi).toBe(1170);
      for (let i = 1; i < side.length; i++) expect(side[i].lo).toBe(side[i - 1].hi);
    }
  });

  it('a value lands in the column of its true exponent, with or without a shift, in every heatmap row', () => {
    fc.assert(fc.property(
      fc.array(fc.array(fc.double({ min: -1e30, max: 1e30, noNaN: true }).filter((x) => Math.abs(Math.fround(x)) >= 2 ** -126), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 9 }),
      fc.integer({ min: -3000, max: 3000 }), fc.constantFrom('split' as const, 'abs' as const), fc.integer({ min: 1, max: 4 }),
      (layers, shift, signs, perRow) => {
        const values = layers.map((v) => v.map((x) => Math.fround(x)));
        const hists = values.map((v, l) => histOf(v, shift + l));
        const axis = magnitudeAxis(exponentRange(hists), signs, 10_000);
        const groups = rowGroups(values.length, Math.ceil(values.length / perRow));
        const m = countMatrix(hists, groups, axis);
        const want = new Float64Array(m.rows * m.cols);
        values.forEach((v, l) => {
          for (const x of v) want[Math.floor(l / groups.perRow) * m.cols + columnOf(axis, x, shift + l)]++;
        });
        expect(Array.from(m.counts)).toEqual(Array.from(want));
        expect(m.max).toBe(Math.max(...want));
      }), { numRuns: 60 });
  });

  it('countMatrix equals the brute-force cellCount summed over each row\'s layers, grouped columns and rows, both binnings', () => {
    fc.assert(fc.property(
      fc.array(fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6 }), fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 1e-40)), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 25 }), fc.boolean(),
      (layers, maxCells, pixels, linear) => {
        const hists: (Histogram | undefined)[] = layers.map((v, l) => (l === 3 ? undefined : histOf(v, l % 3)));
        const axis = linear ? linearAxis(maxCells) : magnitudeAxis(exponentRange(hists), 'split', maxCells);
        const groups = rowGroups(layers.length, pixels);
        const m = countMatrix(hists, groups, axis);
        for (let r = 0; r < m.rows; r++) {
          const [first, last] = rowLayers(groups, r);
          let missing = 0;
          for (let l = first; l <= last; l++) if (!hists[l - 1] || (linear && !hists[l - 1]!.linear)) missing++;
          expect(m.missing[r]).toBe(missing);
          axis.cells.forEach((c, i) => {
            let want = 0;
            for (let l = first; l <= last; l++) want += hists[l - 1] ? cellCount(hists[l - 1]!, c) : 0;
            expect(m.counts[r * m.cols + i]).toBe(want);
          });
        }
      }), { numRuns: 80 });
  });

  it('every entry of a layer is in exactly one magnitude column: the row sums are the layers\' sizes', () => {
    const values = [[1, -2, 0, -0, Infinity, NaN, 1e-40, 3e38, -5e-38], [0.5, 0.25]];
    const hists = values.map((v) => histOf(v.map((x) => Math.fround(x))));
    const m = countMatrix(hists, rowGroups(2, 100), magnitudeAxis(exponentRange(hists), 'split', 1000));
    expect(Array.from(m.counts.subarray(0, m.cols)).reduce((a, b) => a + b)).toBe(9);
    expect(Array.from(m.counts.subarray(m.cols)).reduce((a, b) => a + b)).toBe(2);
  });

  it('linear columns: 64 bins, grouped when narrower, and a linear cell of a layer without linear bins counts 0', () => {
    expect(linearAxis(1000).cells).toHaveLength(LINEAR_BINS);
    const g = linearAxis(10);
    expect(g.binsPerCell).toBe(7);
    expect(g.cells).toHaveLength(10);
    expect(g.cells.at(-1)).toEqual({ kind: 'linear', lo: 63, hi: 64 });
    const h = histOf([1, Infinity]);
    expect(h.linear).toBeNull();
    expect(cellCount(h, g.cells[0])).toBe(0);
  });
});

describe('bins: rows, layout and text', () => {
  it('rowGroups: one layer a row while they fit, else ⌈L/pixels⌉; rowLayers covers 1..L once', () => {
    expect(rowGroups(150, 400)).toEqual({ layers: 150, perRow: 1, rows: 150 });
    const g = rowGroups(10_000, 400);
    expect(g).toEqual({ layers: 10_000, perRow: 25, rows: 400 });
    expect(rowLayers(g, 0)).toEqual([1, 25]);
    expect(rowLayers(g, 399)).toEqual([9976, 10_000]);
    const odd = rowGroups(1001, 400);
    expect(odd.perRow).toBe(3);
    expect(rowLayers(odd, odd.rows - 1)).toEqual([1000, 1001]);
  });

  it('layoutColumns: columns in order within the width, gaps between groups, cellAt finds each column\'s middle', () => {
    for (const [axis, width] of [
      [magnitudeAxis({ lo: -30, hi: 12 }, 'split', magnitudeBudget(856, 1)), 856],
      [magnitudeAxis({ lo: 0, hi: 5849 }, 'abs', magnitudeBudget(300, 2)), 300],
      [linearAxis(64), 500],
      [magnitudeAxis(null, 'split', 10), 200],
    ] as const) {
      const lay = layoutColumns(axis, width);
      for (let i = 0; i < axis.cells.length; i++) {
        expect(lay.x1[i]).toBeGreaterThan(lay.x0[i]);
        if (i > 0) expect(lay.x0[i]).toBeGreaterThanOrEqual(lay.x1[i - 1]);
        expect(cellAt(lay, (lay.x0[i] + lay.x1[i]) / 2)).toBe(i);
      }
      expect(lay.x1[axis.cells.length - 1]).toBeLessThanOrEqual(width + 1e-9);
      expect(cellAt(lay, -1)).toBe(-1);
      expect(cellAt(lay, width + 1)).toBe(-1);
    }
  });

  it('magnitudeBudget fits one device pixel a column', () => {
    const width = 856;
    const axis = magnitudeAxis({ lo: -5000, hi: 5000 }, 'split', magnitudeBudget(width, 1));
    const lay = layoutColumns(axis, width);
    axis.cells.forEach((c, i) => { if (c.kind === 'magnitude') expect(lay.x1[i] - lay.x0[i]).toBeGreaterThanOrEqual(1 - 1e-9); });
  });

  it('cellText names the bin\'s range', () => {
    expect(cellText({ kind: 'magnitude', sign: 1, lo: -3, hi: -2 })).toBe('x in [2^-3, 2^-2) ≈ [0.125, 0.25)');
    expect(cellText({ kind: 'magnitude', sign: -1, lo: 4, hi: 5 })).toBe('x in (-2^5, -2^4] ≈ (-32, -16]');
    expect(cellText({ kind: 'magnitude', sign: 0, lo: 0, hi: 3 })).toBe('|x| in [2^0, 2^3) ≈ [1, 8)');
    expect(cellText({ kind: 'special', which: 'zero' })).toBe('x = ±0');
    const h = histOf([0, 64]);
    expect(cellText({ kind: 'linear', lo: 10, hi: 11 }, h)).toBe('linear bin 11 of 64: x in [10, 11)');
    expect(cellText({ kind: 'linear', lo: 62, hi: 64 }, h)).toBe('linear bins 63–64 of 64: x in [62, 64]');
    expect(cellText({ kind: 'linear', lo: 1, hi: 2 }, histOf([0, 6.4]))).toBe('linear bin 2 of 64: x in [0.1, 0.2)');
    expect(cellText({ kind: 'linear', lo: 0, hi: 1 }, histOf([2, 2]))).toBe('linear bin 1 of 64: every x = 2 (min = max)');
    expect(cellText({ kind: 'linear', lo: 5, hi: 6 }, histOf([2, 2]))).toMatch(/^linear bin 6 of 64: none/);
    expect(edgeText(-3.14159e30)).toBe('-3.14e+30');
  });

  it('pow2Number and pow2Tick write 2^e beyond float64', () => {
    expect(pow2Number(-3)).toBe('0.125');
    expect(pow2Number(10)).toBe('1024');
    expect(pow2Number(1169)).toBe(`${Number((10 ** (1169 * Math.log10(2) - 351)).toPrecision(3))}e+351`);
    expect(pow2Number(5849)).toMatch(/^\d\.?\d*e\+1760$/);
    expect(pow2Number(-2100)).toMatch(/e-633$/);
    expect(pow2Tick(-126)).toBe('2⁻¹²⁶');
    expect(pow2Tick(5849)).toBe('2⁵⁸⁴⁹');
  });
});

describe('colormap', () => {
  it('viridis ends at matplotlib\'s first and last colours and its luminance rises monotonically', () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(0.5)).toEqual([0x21, 0x90, 0x8c]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(2)).toEqual([253, 231, 37]);
    VIRIDIS_ANCHORS.forEach((c, k) => expect(viridis(k / 8)).toEqual(c));
    expect(viridis(-1)).toEqual(viridis(0));
    expect(viridis(NaN)).toEqual(viridis(0));
    let prev = -1;
    for (let i = 0; i <= 100; i++) {
      const y = luminance(viridis(i / 100));
      expect(y).toBeGreaterThan(prev);
      prev = y;
    }
    expect(hex([68, 1, 84])).toBe('#440154');
  });

  it('countPosition: log scale of 1..max, none for 0', () => {
    expect(countPosition(0, 100)).toBeNaN();
    expect(countPosition(1, 100)).toBe(0);
    expect(countPosition(10, 100)).toBeCloseTo(0.5, 12);
    expect(countPosition(100, 100)).toBe(1);
    expect(countPosition(1, 1)).toBe(1);
  });
});

describe('ticks', () => {
  it('niceInteger: the next of 1, 2, 5, 10, …', () => {
    expect([0, 1, 1.5, 3, 7, 11, 49, 51].map(niceInteger)).toEqual([1, 1, 2, 5, 10, 20, 50, 100]);
  });

  it('layerTicks: 1 and L, increasing, multiples of one step in between', () => {
    for (const [L, count] of [[1, 5], [2, 5], [16, 4], [150, 10], [2000, 10], [10_000, 10]]) {
      const t = layerTicks(L, count);
      expect(t[0]).toBe(1);
      expect(t.at(-1)).toBe(L);
      for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThan(t[i - 1]);
      expect(t.length).toBeLessThanOrEqual(count + 2);
    }
    expect(layerTicks(10_000, 10)).toEqual([1, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
  });

  it('countTicks: 1 and the powers of ten up to max', () => {
    expect(countTicks(0)).toEqual([]);
    expect(countTicks(4487)).toEqual([1, 10, 100, 1000]);
    expect(countTicks(1e9)).toEqual([1, 100, 1e4, 1e6, 1e8]);
  });

  it('magnitudeTicks: labelled exponents at their column, mirrored on the negative side, and the special columns', () => {
    const axis = magnitudeAxis({ lo: -14, hi: 5 }, 'split', 1000);
    const lay = layoutColumns(axis, 856);
    const ticks = magnitudeTicks(axis, lay, 36);
    const at = (label: string) => ticks.find((t) => t.label === label)?.at;
    const i0 = axis.cells.findIndex((c) => c.kind === 'magnitude' && c.sign === 1 && c.lo === 0);
    expect(at('2⁰')).toBeCloseTo((lay.x0[i0] + lay.x1[i0]) / 2, 9);
    expect(at('−2⁰')).toBe(exponentX(axis, lay, -1, 0));
    expect(at('−2⁰')!).toBeLessThan(at('0')!);
    for (const s of ['0', 'sub', '∞', 'NaN']) expect(at(s)).toBeDefined();
    // Labelled exponents are one step apart and at least 36 px apart.
    const pos = ticks.filter((t) => /^2/.test(t.label)).map((t) => t.at).sort((a, b) => a - b);
    for (let i = 1; i < pos.length; i++) expect(pos[i] - pos[i - 1]).toBeGreaterThanOrEqual(36 - 1e-9);
  });
});

describe('url and the layers field', () => {
  it('hist=1 is read and removed from the query; withHistParam appends it', () => {
    expect(readHistParam('?preset=relu-he&hist=1&depth=3')).toEqual({ search: '?preset=relu-he&depth=3', on: true, error: null });
    expect(readHistParam('?hist=0')).toEqual({ search: '', on: false, error: null });
    expect(readHistParam('?depth=3')).toEqual({ search: '?depth=3', on: false, error: null });
    expect(readHistParam('?hist=maybe').error).toMatch(/hist .* not "maybe"/);
    expect(withHistParam('?depth=3', true)).toBe('?depth=3&hist=1');
    expect(withHistParam('', true)).toBe('?hist=1');
    expect(withHistParam('?depth=3', false)).toBe('?depth=3');
    expect(readHistParam(withHistParam('?a=1', true))).toEqual({ search: '?a=1', on: true, error: null });
  });

  it('parseLayers: layers 1..L, sorted without repeats, at most MAX_MULTIPLES; defaults 1, L/4, L/2, 3L/4, L', () => {
    expect(defaultLayers(16)).toEqual([1, 4, 8, 12, 16]);
    expect(defaultLayers(2)).toEqual([1, 2]);
    expect(defaultLayers(1)).toEqual([1]);
    expect(parseLayers('7, 3 3;9', 10)).toEqual({ layers: [3, 7, 9] });
    expect(parseLayers('  ', 10)).toEqual({ layers: defaultLayers(10) });
    expect(parseLayers('0', 10)).toEqual({ error: 'layers: "0" is not a layer 1..10' });
    expect(parseLayers('11', 10)).toHaveProperty('error');
    expect(parseLayers('2.5', 10)).toHaveProperty('error');
    expect(parseLayers(Array.from({ length: MAX_MULTIPLES + 1 }, (_, i) => i + 1).join(','), 100)).toHaveProperty('error');
  });
});
