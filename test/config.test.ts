/**
 * resolveConfig: defaults, presets, the range of every field (FIELDS), the digits cross-field rules,
 * uniform's low < high, gain's "default". Oracles: the ranges and rules as the issue states them.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ConfigError, DEFAULT_CONFIG, DIGITS_EXAMPLES, didYouMean, FIELDS, INIT_NAMES, MAX_BATCH, MAX_DEPTH, MAX_WIDTH, PRESET_NAMES, PRESETS, quoteValue,
  resolveConfig, widthsOf, type FieldName, type RawConfig,
} from '../src/model/config';

/** Run resolveConfig expecting a ConfigError; returns it. */
function configError(raw: RawConfig): ConfigError {
  try {
    resolveConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`resolveConfig accepted ${JSON.stringify(raw)}`);
}

/** A base with no cross-field rule in the way (not digits, not uniform). */
/** Gaussian input and loss sum: every field's whole range is valid (softmax-xent would need n^[L] ≥ 2). */
const BASE: RawConfig = { input: 'gaussian', loss: 'sum' };

const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];
const NUMERIC = FIELD_NAMES.filter((f) => FIELDS[f].kind !== 'enum' && FIELDS[f].kind !== 'widths');
const ENUMS = FIELD_NAMES.filter((f) => FIELDS[f].kind === 'enum');

describe('defaults', () => {
  it('resolveConfig({}) is the documented default: digits, relu, L=50, n=128, kaiming_normal, softmax-xent', () => {
    const cfg = resolveConfig({});
    expect(cfg).toMatchObject({
      preset: 'custom', input: 'digits', activation: 'relu', depth: 50, width: 128, init: 'kaiming_normal',
      inputDim: 64, outputDim: 10, loss: 'softmax-xent', gain: null, mode: 'fan_in', bias: 0,
    });
    expect({ ...cfg, preset: DEFAULT_CONFIG.preset }).toEqual(DEFAULT_CONFIG);
  });

  it('does not mutate DEFAULT_CONFIG', () => {
    const before = JSON.stringify(DEFAULT_CONFIG);
    resolveConfig({ depth: 3, preset: 'seed-explode' });
    expect(JSON.stringify(DEFAULT_CONFIG)).toBe(before);
  });

  it('widthsOf gives n^[0] = inputDim, L-1 hidden widths, n^[L] = outputDim', () => {
    const one = resolveConfig({ ...BASE, depth: 1, inputDim: 7, outputDim: 3 });
    expect(widthsOf(one)).toEqual([7, 3]);
    const four = resolveConfig({ ...BASE, depth: 4, width: 5, inputDim: 7, outputDim: 3 });
    expect(widthsOf(four)).toEqual([7, 5, 5, 5, 3]);
  });
});

describe('presets', () => {
  it.each(PRESET_NAMES)('%s resolves to its fields over the defaults', (name) => {
    const cfg = resolveConfig({ preset: name });
    expect(cfg.preset).toBe(name);
    expect(cfg).toMatchObject(PRESETS[name]);
  });

  it('seed-explode and seed-vanish are the 2-wide linear identity chains of the issue', () => {
    const common = {
      depth: 150, width: 2, input: 'ones', inputDim: 2, outputDim: 2, batch: 1,
      activation: 'identity', init: 'identity', bias: 0, loss: 'sum',
    };
    expect(resolveConfig({ preset: 'seed-explode' })).toMatchObject({ ...common, gain: 1.5 });
    expect(resolveConfig({ preset: 'seed-vanish' })).toMatchObject({ ...common, gain: 0.5 });
  });

  it('explicit fields override the preset', () => {
    const cfg = resolveConfig({ preset: 'seed-explode', depth: '10', gain: '2' });
    expect(cfg).toMatchObject({ preset: 'seed-explode', depth: 10, gain: 2, width: 2 });
  });

  it('"custom" is the defaults; an unknown preset is a ConfigError naming --preset and the choices', () => {
    expect(resolveConfig({ preset: 'custom' }).preset).toBe('custom');
    const e = configError({ preset: 'relu-hee' });
    expect(e.field).toBe('preset');
    expect(e.message).toContain('--preset');
    for (const name of PRESET_NAMES) expect(e.message).toContain(name);
    expect(e.message).toContain('relu-hee');
  });
});

describe('every field of FIELDS', () => {
  it.each(NUMERIC)('%s accepts its boundary values, as numbers and as strings', (field) => {
    const { min, max } = FIELDS[field];
    const base = field === 'steps' ? { input: 'digits' } : BASE; // training learns the digits' labels
    for (const v of [min!, max!, String(min), ` ${max} `]) {
      expect(resolveConfig({ ...base, [field]: v })[field]).toBe(Number(v));
    }
  });

  it.each(NUMERIC)('%s rejects out-of-range and non-numeric values, naming its flag and range', (field) => {
    const spec = FIELDS[field];
    const bad: unknown[] = [
      spec.min! - 1, spec.max! + 1, spec.max! * 2 + 1, String(spec.max! + 1), 'abc', '1,5', 'NaN',
      'Infinity', '-Infinity', NaN, Infinity, '12abc', null, true, [], [3], {},
    ];
    if (spec.kind === 'int') bad.push(spec.min! + 0.5, '1.5', '2.000001');
    if (spec.kind !== 'nullableNumber') bad.push('', '   ');
    for (const v of bad) {
      if (spec.kind === 'nullableNumber' && v === null) continue; // null means "default"
      const e = configError({ ...BASE, [field]: v });
      expect(e.field, `${field} = ${String(v)}`).toBe(field);
      expect(e.message).toContain(spec.flag);
      expect(e.message).toContain(`${spec.min}..${spec.max}`);
      expect(e.message).toContain(spec.kind === 'int' ? 'integer' : 'number');
    }
  });

  it.each(ENUMS)('%s accepts each of its values and rejects others, naming its flag and the values', (field) => {
    const values = FIELDS[field].values!;
    for (const v of values) expect(resolveConfig({ ...BASE, [field]: v })[field]).toBe(v);
    for (const v of ['', 'bogus', values[0].toUpperCase(), `${values[0]} `, 3, null, [values[0]]]) {
      const e = configError({ ...BASE, [field]: v });
      expect(e.field).toBe(field);
      expect(e.message).toContain(FIELDS[field].flag);
      for (const name of values) expect(e.message).toContain(name);
    }
  });

  it('the ranges are the issue\'s: L ≤ 100000, n ≤ 65536, m ≤ 65536, seed in 0..2^32-1', () => {
    expect(FIELDS.depth).toMatchObject({ min: 1, max: 100_000 });
    expect(MAX_DEPTH).toBe(100_000);
    expect(FIELDS.width).toMatchObject({ min: 1, max: 65_536 });
    expect(MAX_WIDTH).toBe(65_536);
    expect(FIELDS.batch).toMatchObject({ min: 1, max: 65_536 });
    expect(MAX_BATCH).toBe(65_536);
    expect(FIELDS.seed).toMatchObject({ min: 0, max: 4_294_967_295 });
  });

  it('accepts non-integers for number fields and exponent notation', () => {
    expect(resolveConfig({ std: '0.25', mean: -1.5, bias: '1e-3' })).toMatchObject({ std: 0.25, mean: -1.5, bias: 0.001 });
    expect(resolveConfig({ ...BASE, width: '1e3' }).width).toBe(1000);
  });

  it('a fixed error does not leave anything half-applied: resolveConfig is pure', () => {
    const raw: RawConfig = { ...BASE, depth: 5, width: 'wide' };
    expect(() => resolveConfig(raw)).toThrow(ConfigError);
    expect(raw).toEqual({ ...BASE, depth: 5, width: 'wide' });
    expect(resolveConfig({ ...raw, width: 9 })).toMatchObject({ depth: 5, width: 9 });
  });
});

describe('property: depth', () => {
  it('any integer depth in 1..MAX_DEPTH is accepted (number or string)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: MAX_DEPTH }), fc.boolean(), (d, asString) => {
      expect(resolveConfig({ depth: asString ? String(d) : d }).depth).toBe(d);
    }), { numRuns: 300 });
  });

  it('any depth outside 1..MAX_DEPTH, or not an integer, is a ConfigError mentioning --depth', () => {
    const outside = fc.oneof(
      fc.integer({ min: -1e9, max: 0 }),
      fc.integer({ min: MAX_DEPTH + 1, max: 1e12 }),
      fc.double({ min: 1, max: MAX_DEPTH, noNaN: true }).filter((x) => !Number.isInteger(x)),
    );
    fc.assert(fc.property(outside, (d) => {
      const e = configError({ depth: d });
      expect(e.field).toBe('depth');
      expect(e.message).toContain('--depth');
      expect(e.message).toContain(`1..${MAX_DEPTH}`);
    }), { numRuns: 300 });
  });
});

describe('digits rules', () => {
  it('forces n^[0] = 64, even over a preset', () => {
    expect(resolveConfig({ input: 'digits' }).inputDim).toBe(64);
    expect(resolveConfig({ input: 'digits', inputDim: '64' }).inputDim).toBe(64);
    expect(resolveConfig({ preset: 'seed-explode', input: 'digits' }).inputDim).toBe(64);
  });

  it('rejects an explicit n^[0] other than 64, naming --input-dim', () => {
    const e = configError({ input: 'digits', inputDim: 32 });
    expect(e.field).toBe('inputDim');
    expect(e.message).toContain('--input-dim');
    expect(e.message).toContain('64');
  });

  it('allows m ≤ 1797 and rejects m = 1798, naming --batch and 1..1797', () => {
    expect(resolveConfig({ input: 'digits', batch: DIGITS_EXAMPLES }).batch).toBe(1797);
    const e = configError({ input: 'digits', batch: DIGITS_EXAMPLES + 1 });
    expect(e.field).toBe('batch');
    expect(e.message).toContain('--batch');
    expect(e.message).toContain('1..1797');
    // The same batch is fine for other inputs.
    expect(resolveConfig({ input: 'gaussian', batch: DIGITS_EXAMPLES + 1 }).batch).toBe(1798);
  });

  it.each(['mse', 'softmax-xent'])('with loss %s needs n^[L] = 10 (forced if not given)', (loss) => {
    expect(resolveConfig({ input: 'digits', loss }).outputDim).toBe(10);
    expect(resolveConfig({ preset: 'seed-explode', input: 'digits', loss }).outputDim).toBe(10);
    expect(resolveConfig({ input: 'digits', loss, outputDim: '10' }).outputDim).toBe(10);
    const e = configError({ input: 'digits', loss, outputDim: 5 });
    expect(e.field).toBe('outputDim');
    expect(e.message).toContain('--output-dim');
    expect(e.message).toContain('10');
  });

  it('with loss sum any n^[L] is allowed', () => {
    expect(resolveConfig({ input: 'digits', loss: 'sum', outputDim: 5 }).outputDim).toBe(5);
  });
});

describe('uniform and gain', () => {
  it('uniform needs low < high; the error names --high and low', () => {
    expect(resolveConfig({ init: 'uniform', low: -1, high: 1 })).toMatchObject({ low: -1, high: 1 });
    for (const [low, high] of [[1, 1], [2, 1]]) {
      const e = configError({ init: 'uniform', low, high });
      expect(e.field).toBe('high');
      expect(e.message).toContain('--high');
      expect(e.message).toContain(`(${low})`);
    }
    // Other initialisers ignore low/high.
    expect(resolveConfig({ init: 'normal', low: 2, high: 1 })).toMatchObject({ low: 2, high: 1 });
  });

  it('gain "default", "", null mean the initialiser\'s default (null); numbers are parsed', () => {
    for (const g of ['default', '', null]) expect(resolveConfig({ gain: g }).gain).toBeNull();
    expect(resolveConfig({ gain: '2.5' }).gain).toBe(2.5);
    expect(resolveConfig({ gain: 0 }).gain).toBe(0);
    expect(resolveConfig({}).gain).toBeNull();
    expect(resolveConfig({ preset: 'seed-vanish', gain: 'default' }).gain).toBeNull();
    const e = configError({ gain: -1 });
    expect(e.message).toContain('--gain');
    expect(e.message).toContain('0..1000000');
  });
});

describe('number syntax', () => {
  it('accepts plain decimals (with sign, fraction, exponent) and rejects hex, binary and other notations', () => {
    expect(resolveConfig({ depth: '1e2', bias: '-.5', std: '+2.50' })).toMatchObject({ depth: 100, bias: -0.5, std: 2.5 });
    for (const bad of ['0x10', '0b11', '0o7', '1_000', 'Infinity', '12abc', '1e']) {
      expect(() => resolveConfig({ width: bad }), bad).toThrow(ConfigError);
    }
  });
  it('the gain message says that "default" is allowed too', () => {
    expect(() => resolveConfig({ gain: 'nan' })).toThrow(/--gain.*0\.\.1000000 or "default"/);
  });
});

describe('presets as the issue and README define them (literal values, not the PRESETS table)', () => {
  const digits50 = { input: 'digits', depth: 50, width: 128, inputDim: 64, outputDim: 10, loss: 'softmax-xent', batch: 64 };
  const cases: Record<string, object> = {
    'relu-he': { ...digits50, activation: 'relu', init: 'kaiming_normal', gain: null, mode: 'fan_in' },
    'relu-xavier': { ...digits50, activation: 'relu', init: 'xavier_normal', gain: null },
    'tanh-xavier': { ...digits50, activation: 'tanh', init: 'xavier_normal', gain: null },
    'tanh-large': { ...digits50, activation: 'tanh', init: 'normal', mean: 0, std: 1 },
    'seed-explode': { depth: 150, width: 2, inputDim: 2, outputDim: 2, input: 'ones', activation: 'identity', init: 'identity', gain: 1.5, bias: 0, loss: 'sum' },
    'seed-vanish': { depth: 150, width: 2, inputDim: 2, outputDim: 2, input: 'ones', activation: 'identity', init: 'identity', gain: 0.5, bias: 0, loss: 'sum' },
  };
  for (const [name, want] of Object.entries(cases)) {
    it(name, () => expect(resolveConfig({ preset: name })).toMatchObject({ preset: name, ...want }));
  }
  it('the defaults are the relu-he network (the GUI opens on it)', () => {
    expect(resolveConfig({})).toMatchObject(cases['relu-he']);
  });
});

describe('names are looked up in their own lists only; errors quote at most 80 characters and suggest', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('preset %s is refused', (name) => {
    expect(() => resolveConfig({ preset: name })).toThrow(ConfigError);
  });

  it.each([['init', 'constructor'], ['activation', '__proto__'], ['loss', 'toString'], ['input', 'valueOf'], ['backend', 'constructor'], ['mode', '__proto__']] as const)(
    '%s %s is refused', (field, value) => {
      expect(() => resolveConfig({ [field]: value })).toThrow(ConfigError);
    });

  it('softmax-xent needs at least 2 classes', () => {
    expect(() => resolveConfig({ input: 'gaussian', outputDim: 1, loss: 'softmax-xent' })).toThrow(/outputDim \(--output-dim\): must be at least 2 for loss softmax-xent/);
    expect(resolveConfig({ input: 'gaussian', outputDim: 2, loss: 'softmax-xent' }).outputDim).toBe(2);
    expect(resolveConfig({ input: 'gaussian', outputDim: 1, loss: 'sum' }).outputDim).toBe(1);
  });

  it('a long value is quoted in 80 characters and its length', () => {
    expect(quoteValue('abc')).toBe('"abc"');
    const q = quoteValue('x'.repeat(100_000));
    expect(q).toBe(`"${'x'.repeat(80)}"… (100,000 characters)`);
    expect(() => resolveConfig({ init: 'x'.repeat(100_000) })).toThrow(/… \(100,000 characters\)$/);
  });

  it('the lecture\'s names and near misses get a suggestion; far misses none', () => {
    expect(didYouMean('init', 'he', INIT_NAMES)).toBe(' (did you mean kaiming_normal or kaiming_uniform?)');
    expect(didYouMean('init', 'Glorot', INIT_NAMES)).toBe(' (did you mean xavier_normal or xavier_uniform?)');
    expect(didYouMean('init', 'xavier', INIT_NAMES)).toBe(' (did you mean xavier_normal or xavier_uniform?)');
    expect(didYouMean('init', 'he_uniform', INIT_NAMES)).toBe(' (did you mean kaiming_uniform?)');
    expect(didYouMean('activation', 'rleu', ['identity', 'relu', 'tanh'])).toBe(' (did you mean relu?)');
    expect(didYouMean('activation', 'sigmoid', ['identity', 'relu', 'tanh'])).toBe('');
    expect(didYouMean('preset', 'relu_he', PRESET_NAMES)).toBe(' (did you mean relu-he?)');
  });
});

describe('widths: every n^[0..L] as a list', () => {
  it('decides depth, inputDim, outputDim and width; a bad entry is named with its position', () => {
    const cfg = resolveConfig({ widths: '64,256,256,32,10', input: 'digits' });
    expect(widthsOf(cfg)).toEqual([64, 256, 256, 32, 10]);
    expect([cfg.depth, cfg.inputDim, cfg.outputDim, cfg.width]).toEqual([4, 64, 10, 256]);
    expect(() => resolveConfig({ widths: '64,256,0,10' })).toThrow(/entry 2 \(n\^\[2\]\) must be an integer in 1\.\.65536, got "0"/);
    expect(() => resolveConfig({ widths: '64' })).toThrow(/widths \(--widths\): must be a list/);
    expect(() => resolveConfig({ widths: '8,16,4', depth: 5, input: 'gaussian', loss: 'sum' })).toThrow(/decides --depth/);
    // digits still needs n^[0] = 64 and, with softmax-xent, n^[L] = 10.
    expect(() => resolveConfig({ widths: '32,16,10', input: 'digits' })).toThrow(/inputDim/);
  });

  it('a preset\'s list yields to the scalar flags; the hourglass preset has fan-in ≠ fan-out', () => {
    const h = resolveConfig({ preset: 'hourglass' });
    expect(widthsOf(h)).toEqual([64, 256, 256, 16, 16, 256, 256, 10]);
    const deeper = resolveConfig({ preset: 'hourglass', depth: 12 });
    expect(deeper.widths).toBeNull();
    expect(widthsOf(deeper)).toHaveLength(13);
  });
});
