/**
 * The GUI's comparison logic without a browser: `?compare=` items as overrides of a config (round trip over presets,
 * widths lists and init parameters), the legend labels naming what differs, the set of "Compare initialisations",
 * the full-field URL, and the least-squares growth factor. Oracles: configs built by resolveConfig from the
 * intended fields; geometric sequences whose factor is known.
 */
import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, resolveConfig, type RunConfig } from '../src/model/config';
import { applyOverrides, differenceLabels, formatCompare, initComparison, overridesBetween, parseCompare, sameConfig } from '../src/ui/compare';
import { factorFromLogs } from '../src/ui/growth';
import { readUrlConfig, urlForConfig, urlWithEveryField } from '../src/ui/url';

/** The configs the round trips are checked on: every preset, a widths list, init parameters, a custom shape. */
const CONFIGS: RunConfig[] = [
  ...PRESET_NAMES.map((preset) => resolveConfig({ preset })),
  resolveConfig({ widths: '64,256,32,10' }),
  resolveConfig({ preset: 'seed-vanish', depth: 30, gain: 0.25 }),
  resolveConfig({ input: 'gaussian', inputDim: 7, outputDim: 3, loss: 'mse', depth: 9, width: 33, init: 'uniform', low: -2, high: 3 }),
  resolveConfig({ init: 'kaiming_uniform', mode: 'fan_out', gain: 2, seed: 99, range: 'extended', backend: 'cpu' }),
];

describe('?compare= overrides', () => {
  it('applyOverrides(base, overridesBetween(base, cfg)) runs cfg\'s network, for every pair of configs', () => {
    for (const base of CONFIGS) {
      for (const cfg of CONFIGS) {
        const back = applyOverrides(base, overridesBetween(base, cfg));
        expect(sameConfig(back, cfg), `${base.preset} → ${cfg.preset}: ${JSON.stringify(overridesBetween(base, cfg))}`).toBe(true);
      }
    }
  });

  it('formats and parses a list of pins', () => {
    const base = resolveConfig({ depth: 200 });
    const pins = [base, applyOverrides(base, { init: 'xavier_normal' }), applyOverrides(base, { init: 'normal', std: '1', seed: '4' })];
    const text = formatCompare(base, pins);
    expect(text).toBe('current|init:xavier_normal|init:normal;seed:4');
    const parsed = parseCompare(text);
    expect(parsed.errors).toEqual([]);
    const again = parsed.items.map((item) => applyOverrides(base, item.overrides));
    again.forEach((c, i) => expect(sameConfig(c, pins[i])).toBe(true));
  });

  it('names bad items and keeps at most four', () => {
    const parsed = parseCompare('init:he|depht:3|seed|a:1;b:2|seed:2|seed:3');
    expect(parsed.items.map((i) => [i.n, i.text])).toEqual([[1, 'init:he']]); // items 5 and 6 are past the fourth
    expect(parsed.errors[0]).toBe('compare item 2 ("depht:3"): unknown field "depht" (did you mean depth?)');
    expect(parsed.errors[1]).toBe('compare item 3 ("seed"): "seed" is not FIELD:VALUE');
    expect(parsed.errors.at(-1)).toBe('compare: at most 4 runs are pinned, 6 given (the first 4 are used)');
    // A bad value is caught when the item is applied.
    expect(() => applyOverrides(resolveConfig({}), parsed.items[0].overrides)).toThrow('did you mean kaiming_normal or kaiming_uniform?');
  });
});

describe('legend labels', () => {
  it('name only the fields that differ, in the lecture\'s notation', () => {
    const base = resolveConfig({});
    expect(differenceLabels([base, applyOverrides(base, { init: 'xavier_normal' })])).toEqual(['kaiming_normal (He)', 'xavier_normal (Glorot)']);
    expect(differenceLabels([base, applyOverrides(base, { depth: '200' })])).toEqual(['L = 50', 'L = 200']);
    expect(differenceLabels([base, applyOverrides(base, { activation: 'tanh', seed: '2' })])).toEqual(['relu, seed 1', 'tanh, seed 2']);
    expect(differenceLabels([base, base])).toEqual(['', '']);
  });

  it('Compare initialisations: He, Glorot, LeCun, N(0, 1); on a linear network He, Glorot, 1.5·I, 0.5·I', () => {
    const relu = initComparison(resolveConfig({ depth: 7, init: 'orthogonal', gain: 3 }));
    expect(differenceLabels(relu)).toEqual(['kaiming_normal (He)', 'xavier_normal (Glorot)', 'lecun_normal (LeCun)', 'N(0, 1)']);
    expect(relu.every((c) => c.depth === 7 && c.activation === 'relu')).toBe(true);
    const linear = initComparison(resolveConfig({ preset: 'seed-vanish' }));
    expect(differenceLabels(linear)).toEqual(['kaiming_normal (He)', 'xavier_normal (Glorot)', '1.5·I', '0.5·I']);
  });
});

describe('URLs', () => {
  it('the short and the full-field query strings both give back the config and the pins', () => {
    for (const cfg of CONFIGS) {
      for (const url of [urlForConfig(cfg, 'init:xavier_normal'), urlWithEveryField(cfg, 'init:xavier_normal')]) {
        const { raw, compare, unknown } = readUrlConfig(url);
        expect(unknown).toEqual([]);
        expect(compare).toBe('init:xavier_normal');
        const back = resolveConfig(raw);
        expect(back, url).toEqual(cfg);
      }
    }
  });
});

describe('growth factor', () => {
  it('is the factor of a geometric sequence, skipping zeros and non-finite values', () => {
    const logs = Array.from({ length: 30 }, (_, i) => Math.log(3 * 0.7 ** (i + 1)));
    expect(factorFromLogs(logs)! / 0.7 - 1).toBeLessThan(1e-12);
    logs[4] = -Infinity; // rms 0
    logs[9] = NaN;
    logs[20] = Infinity;
    expect(Math.abs(factorFromLogs(logs)! / 0.7 - 1)).toBeLessThan(1e-12);
    expect(factorFromLogs([Math.log(2)])).toBeNull();
    expect(factorFromLogs([NaN, -Infinity, 0])).toBeNull();
  });
});
