/**
 * RunResult helpers: findFirstNonFinite's order (forward W, z, a for l = 1..L, then backward dA, dZ, dW for
 * l = L..1) and the stable JSON of toJson (non-finite numbers as strings, exact keys), checked on hand-built
 * reports and on a real CPU run whose overflow layer follows from a closed form.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findFirstAllZero, findFirstNonFinite, parseJsonNumber, toJson, type LayerReport, type RunResult } from '../src/model/result';
import { computeStats, STAT_NAMES, type Stats } from '../src/stats/stats';
import { DEFAULT_CONFIG, resolveConfig } from '../src/model/config';
import { TENSOR_NAMES, type TensorName } from '../src/model/network';
import { runStep } from '../src/session/run';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';

const FINITE = computeStats([1, -2, 0.5]);
const WITH_NAN = computeStats([1, NaN, -1]);
const WITH_INF = computeStats([Infinity, 1]);

/** L finite layers; `bad` lists (tensor, layer) sites to make non-finite. */
function layers(L: number, bad: { tensor: TensorName; layer: number }[] = []): LayerReport[] {
  return Array.from({ length: L }, (_, i) => {
    const l = i + 1;
    const r = { layer: l, fanIn: 3, fanOut: 4 } as LayerReport;
    for (const t of TENSOR_NAMES) {
      const hit = bad.findIndex((b) => b.tensor === t && b.layer === l);
      r[t] = hit < 0 ? FINITE : hit % 2 === 0 ? WITH_NAN : WITH_INF;
    }
    return r;
  });
}

/** The computation order of the issue, written out: forward W, z, a per layer 1..L, then backward dA, dZ, dW per layer L..1. */
function computationOrder(L: number): { tensor: TensorName; layer: number }[] {
  const order: { tensor: TensorName; layer: number }[] = [];
  for (let l = 1; l <= L; l++) for (const tensor of ['W', 'z', 'a'] as const) order.push({ tensor, layer: l });
  for (let l = L; l >= 1; l--) for (const tensor of ['dA', 'dZ', 'dW'] as const) order.push({ tensor, layer: l });
  return order;
}

describe('findFirstNonFinite', () => {
  it('null when every tensor is finite', () => {
    expect(findFirstNonFinite(layers(4))).toBeNull();
    expect(findFirstNonFinite([])).toBeNull();
  });

  it('forward before backward; within a layer W, z, a; backward from the last layer down', () => {
    expect(findFirstNonFinite(layers(3, [{ tensor: 'dW', layer: 1 }, { tensor: 'z', layer: 3 }]))).toEqual({ tensor: 'z', layer: 3 });
    expect(findFirstNonFinite(layers(3, [{ tensor: 'a', layer: 1 }, { tensor: 'W', layer: 2 }]))).toEqual({ tensor: 'a', layer: 1 });
    expect(findFirstNonFinite(layers(3, [{ tensor: 'a', layer: 2 }, { tensor: 'z', layer: 2 }]))).toEqual({ tensor: 'z', layer: 2 });
    expect(findFirstNonFinite(layers(3, [{ tensor: 'dA', layer: 2 }, { tensor: 'dZ', layer: 3 }]))).toEqual({ tensor: 'dZ', layer: 3 });
    expect(findFirstNonFinite(layers(3, [{ tensor: 'dW', layer: 3 }, { tensor: 'dA', layer: 3 }]))).toEqual({ tensor: 'dA', layer: 3 });
    expect(findFirstNonFinite(layers(3, [{ tensor: 'dW', layer: 1 }]))).toEqual({ tensor: 'dW', layer: 1 });
  });

  it('counts Infinity as well as NaN', () => {
    expect(findFirstNonFinite(layers(2, [{ tensor: 'W', layer: 2 }, { tensor: 'a', layer: 2 }]))).toEqual({ tensor: 'W', layer: 2 });
    // The second bad site gets an Infinity (see layers()): alone, it is found too.
    const r = layers(2);
    r[0].dZ = WITH_INF;
    expect(findFirstNonFinite(r)).toEqual({ tensor: 'dZ', layer: 1 });
  });

  it('property: the first bad site in computation order, for any set of sites', () => {
    const arb = fc.integer({ min: 1, max: 6 }).chain((L) => fc.tuple(
      fc.constant(L),
      fc.uniqueArray(fc.record({ tensor: fc.constantFrom(...TENSOR_NAMES), layer: fc.integer({ min: 1, max: L }) }),
        { maxLength: 8, selector: (s) => `${s.tensor}/${s.layer}` }),
    ));
    fc.assert(fc.property(arb, ([L, bad]) => {
      const order = computationOrder(L);
      const first = order.find((o) => bad.some((b) => b.tensor === o.tensor && b.layer === o.layer)) ?? null;
      expect(findFirstNonFinite(layers(L, bad))).toEqual(first);
    }), { numRuns: 300 });
  });
});

/** A RunResult with special values in its statistics. */
function sampleResult(): RunResult {
  const ls = layers(2);
  ls[1].z = computeStats([Infinity, -Infinity, 1]); // mean NaN, min -Infinity, max Infinity
  ls[1].a = computeStats([NaN, NaN]);
  ls[0].dW = computeStats([-Infinity, 2]); // mean -Infinity
  return {
    config: { ...DEFAULT_CONFIG, depth: 2 },
    backend: 'cpu',
    adapter: 'cpu (float64 reference)',
    loss: NaN,
    firstNonFinite: findFirstNonFinite(ls),
    firstAllZero: { tensor: 'dZ', layer: 1 },
    stepMs: 1.25,
    layers: ls,
  };
}

describe('findFirstAllZero', () => {
  const ZERO = computeStats([0, -0, 0]);
  it('is null when no tensor is all zeros, and ignores all-zero weights', () => {
    const ls = layers(3);
    expect(findFirstAllZero(ls)).toBeNull();
    ls[0].W = ZERO;
    expect(findFirstAllZero(ls)).toBeNull();
  });
  it('follows the computation order: forward z, a for l = 1..L before backward dA, dZ, dW for l = L..1', () => {
    const ls = layers(4);
    ls[0].dW = ZERO; // backward, layer 1: computed last
    expect(findFirstAllZero(ls)).toEqual({ tensor: 'dW', layer: 1 });
    ls[3].dA = ZERO; // backward, layer 4: computed first of the backward pass
    expect(findFirstAllZero(ls)).toEqual({ tensor: 'dA', layer: 4 });
    ls[2].a = ZERO; // forward, layer 3
    expect(findFirstAllZero(ls)).toEqual({ tensor: 'a', layer: 3 });
    ls[2].z = ZERO; // z^[3] comes before a^[3]
    expect(findFirstAllZero(ls)).toEqual({ tensor: 'z', layer: 3 });
  });
  it('a single non-zero element is enough to not count', () => {
    const ls = layers(2);
    ls[1].a = computeStats([0, 0, 1e-300]);
    expect(findFirstAllZero(ls)).toBeNull();
  });
});

describe('toJson', () => {
  it('has the documented top-level keys and exactly layer, fanIn, fanOut, z, a, dA, dZ, W, dW per layer', () => {
    const doc = JSON.parse(toJson(sampleResult())) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['config', 'backend', 'adapter', 'loss', 'firstNonFinite', 'firstAllZero', 'stepMs', 'layers']);
    const docLayers = doc.layers as Record<string, unknown>[];
    expect(docLayers.length).toBe(2);
    for (const l of docLayers) {
      expect(Object.keys(l)).toEqual(['layer', 'fanIn', 'fanOut', 'z', 'a', 'dA', 'dZ', 'W', 'dW']);
      for (const t of TENSOR_NAMES) {
        expect(Object.keys(l[t] as object).sort()).toEqual([...STAT_NAMES, 'log10'].sort());
        expect(Object.keys((l[t] as { log10: object }).log10)).toEqual(['rms', 'l2', 'maxAbs']);
      }
    }
    expect(doc.firstNonFinite).toEqual({ tensor: 'z', layer: 2 });
    expect(doc.firstAllZero).toEqual({ tensor: 'dZ', layer: 1 });
    expect(doc.config).toEqual({ ...DEFAULT_CONFIG, depth: 2 });
  });

  it('writes NaN, Infinity, -Infinity as strings, and parseJsonNumber restores every statistic', () => {
    const r = sampleResult();
    const text = toJson(r);
    const doc = JSON.parse(text) as { loss: unknown; layers: Record<string, Record<string, number | string>>[] };
    expect(doc.loss).toBe('NaN');
    const z2 = doc.layers[1].z;
    expect([z2.mean, z2.min, z2.max, z2.std, z2.l2]).toEqual(['NaN', '-Infinity', 'Infinity', 'NaN', 'Infinity']);
    expect(doc.layers[0].dW.mean).toBe('-Infinity');
    expect(doc.layers[1].a.min).toBe('NaN');
    // No bare non-JSON tokens, and no statistic written as null (config.gain null is a real null).
    expect(text).not.toMatch(/:\s*-?(NaN|Infinity)\b/);
    expect(text.slice(text.indexOf('"layers"'))).not.toMatch(/:\s*null\b/);
    for (let i = 0; i < 2; i++) {
      for (const t of TENSOR_NAMES) {
        for (const k of STAT_NAMES) {
          const want = (r.layers[i][t] as Stats)[k];
          const got = parseJsonNumber(doc.layers[i][t][k]);
          expect(Object.is(got, want) || got === want, `${t}^[${i + 1}].${k}: ${got} vs ${want}`).toBe(true);
        }
      }
    }
  });

  it('any double round-trips exactly through toJson and parseJsonNumber (fast-check)', () => {
    fc.assert(fc.property(fc.double(), (v) => {
      const r = sampleResult();
      r.loss = v;
      const doc = JSON.parse(toJson(r)) as { loss: number | string };
      const back = parseJsonNumber(doc.loss);
      expect(Object.is(back, v) || (back === 0 && v === 0)).toBe(true); // JSON writes -0 as 0
      expect(typeof doc.loss).toBe(Number.isFinite(v) ? 'number' : 'string');
    }), { numRuns: 300 });
  });

  it('parseJsonNumber refuses other strings', () => {
    expect(() => parseJsonNumber('nan')).toThrow(TypeError);
    expect(() => parseJsonNumber('1.5')).toThrow(TypeError);
    expect(parseJsonNumber(2.5)).toBe(2.5);
  });
});

describe('runStep on the CPU: overflow site from a closed form', () => {
  it('seed-explode deepened to L = 1800 first overflows in z at the smallest l with 1.5^l > MAX_VALUE', async () => {
    const cfg = resolveConfig({ preset: 'seed-explode', depth: 1800 });
    const result = await runStep(cfg, new CpuBackend());
    // a^[l] = 1.5^l (see cpu-backend.test.ts); log10(MAX_VALUE)/log10(1.5) ≈ 1750.9, far from an integer.
    const lOverflow = Math.ceil(Math.log(Number.MAX_VALUE) / Math.log(1.5));
    expect(lOverflow).toBe(1751);
    expect(result.firstNonFinite).toEqual({ tensor: 'z', layer: lOverflow });
    expect(result.layers[lOverflow - 2].z.infCount).toBe(0);
    expect(result.layers[lOverflow - 1].z.infCount).toBeGreaterThan(0);
    expect(result.backend).toBe('cpu');
    expect(result.layers.length).toBe(1800);
    const doc = JSON.parse(toJson(result)) as { loss: unknown; firstNonFinite: unknown; layers: unknown[] };
    expect(doc.firstNonFinite).toEqual({ tensor: 'z', layer: 1751 });
    expect(doc.loss).toBe('NaN'); // ŷ holds NaN (0·∞ in the identity's zeros) past the overflow
    expect(doc.layers.length).toBe(1800);
  });

  it('a finite run has firstNonFinite null and a finite loss', async () => {
    const result = await runStep(resolveConfig({ preset: 'seed-vanish' }), new CpuBackend());
    expect(result.firstNonFinite).toBeNull();
    expect(result.loss).toBe(2 * 0.5 ** 150);
  });
});
