/**
 * Run configuration: every user-settable field, its allowed range, the presets, and the one validator
 * shared by the CLI flags, the GUI fields and the URL parameters.
 */
import { closest, distance } from 'fastest-levenshtein';
import { ACTIVATIONS, type Activation } from './activations';
import { LOSSES, LOSS_SPECS, type LossName } from './losses';
import { RANGES, type Range } from './network';
import { OPTIMIZERS, type OptimizerName, type OptimizerSpec } from './optimizers';

export const INPUTS = ['digits', 'gaussian', 'ones'] as const;
export type InputName = (typeof INPUTS)[number];

export const INIT_NAMES = [
  'zeros', 'constant', 'identity', 'normal', 'uniform',
  'xavier_normal', 'xavier_uniform', 'kaiming_normal', 'kaiming_uniform',
  'lecun_normal', 'lecun_uniform', 'orthogonal',
] as const;
export type InitName = (typeof INIT_NAMES)[number];

export const FAN_MODES = ['fan_in', 'fan_out'] as const;
export type FanMode = (typeof FAN_MODES)[number];

export const BACKENDS = ['webgpu', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Number of examples in the digits data set (an upper bound for the batch m on digits). */
export const DIGITS_EXAMPLES = 1797;
/** Features (8×8 pixels) and classes of the digits data set. */
export const DIGITS_FEATURES = 64;
export const DIGITS_CLASSES = 10;

/** Everything that defines one run. Units: none (dimensionless counts and values). */
export interface RunConfig {
  /** Name of the preset the run started from, or "custom". */
  preset: string;
  /** L, number of weight layers. */
  depth: number;
  /** n^[l] of the hidden layers l = 1..L-1. */
  width: number;
  input: InputName;
  /** n^[0]; forced to 64 for digits. */
  inputDim: number;
  /** n^[L]; 10 for digits with loss mse or softmax-xent. */
  outputDim: number;
  /** m, examples per batch. */
  batch: number;
  activation: Activation;
  init: InitName;
  /** Gain; null = the init's default (calculate_gain(activation) for kaiming, 1 otherwise). */
  gain: number | null;
  /** mean and std of `normal`. */
  mean: number;
  std: number;
  /** Bounds a < b of `uniform`. */
  low: number;
  high: number;
  /** Value of `constant`. */
  value: number;
  /** fan_in or fan_out, for kaiming_*. */
  mode: FanMode;
  /** Constant value of every bias b^[l] (with biasStd > 0: their mean). */
  bias: number;
  /**
   * Standard deviation of the biases: 0 (default) keeps every b^[l]_i = bias; otherwise b^[l]_i ~ N(bias, biasStd²),
   * drawn from the Philox stream (seed, l, BIASES) (model/philox.ts), as the σ_b² of the phase diagram.
   */
  biasStd: number;
  loss: LossName;
  /** Seed of the weights and the batch: an integer in 0..2^32-1. */
  seed: number;
  backend: BackendName;
  /** float32, or extended: per-tensor power-of-two scales, for magnitudes beyond float32's range. */
  range: Range;
  /** Device memory budget in MiB (2^20 bytes); activations are recomputed from checkpoints when they do not fit. */
  memory: number;
  /**
   * Every width n^[0..L] (as TensorFlow Playground's networkShape), or null for depth/width/inputDim/outputDim.
   * When given it decides them: depth = its length − 1, inputDim = n^[0], outputDim = n^[L], width = n^[1].
   */
  widths: number[] | null;
  /**
   * Training steps on the digits (0: a single step, no update). Each step draws a minibatch of m from the training
   * part, runs forward and backward and updates W and b with the optimiser.
   */
  steps: number;
  /** η, learning rate. */
  lr: number;
  optimizer: OptimizerName;
  /** μ of optimizer momentum. */
  momentum: number;
  /** β₁, β₂, ε of Adam. */
  beta1: number;
  beta2: number;
  eps: number;
  /** λ, L2 weight decay (added to the gradient, as torch.optim's weight_decay). */
  weightDecay: number;
  /** Loss and accuracy of the train and test parts are measured every evalEvery steps (and at 0 and the end). */
  evalEvery: number;
}

/** The optimiser of a training config. */
export function optimizerOf(cfg: RunConfig): OptimizerSpec {
  const { optimizer, lr, momentum, beta1, beta2, eps, weightDecay } = cfg;
  return { optimizer, lr, momentum, beta1, beta2, eps, weightDecay };
}

/** What a user types for a gain of null: the init's default gain. */
export const DEFAULT_GAIN = 'default';

/** A field the user can set, with its CLI flag and its allowed values. */
interface FieldSpec {
  flag: string;
  kind: 'int' | 'number' | 'nullableNumber' | 'enum' | 'widths';
  min?: number;
  max?: number;
  values?: readonly string[];
}

export const MAX_DEPTH = 100_000;
export const MAX_WIDTH = 65_536;
export const MAX_BATCH = 65_536;
export const MAX_STEPS = 1_000_000;
/** Examples of the digits' training part (1,797 − 360 held out for testing). */
export const DIGITS_TRAIN = 1437;

export const FIELDS: Readonly<Record<Exclude<keyof RunConfig, 'preset'>, FieldSpec>> = {
  depth: { flag: '--depth', kind: 'int', min: 1, max: MAX_DEPTH },
  width: { flag: '--width', kind: 'int', min: 1, max: MAX_WIDTH },
  input: { flag: '--input', kind: 'enum', values: INPUTS },
  inputDim: { flag: '--input-dim', kind: 'int', min: 1, max: MAX_WIDTH },
  outputDim: { flag: '--output-dim', kind: 'int', min: 1, max: MAX_WIDTH },
  batch: { flag: '--batch', kind: 'int', min: 1, max: MAX_BATCH },
  activation: { flag: '--activation', kind: 'enum', values: ACTIVATIONS },
  init: { flag: '--init', kind: 'enum', values: INIT_NAMES },
  gain: { flag: '--gain', kind: 'nullableNumber', min: 0, max: 1e6 },
  mean: { flag: '--mean', kind: 'number', min: -1e6, max: 1e6 },
  std: { flag: '--std', kind: 'number', min: 0, max: 1e6 },
  low: { flag: '--low', kind: 'number', min: -1e6, max: 1e6 },
  high: { flag: '--high', kind: 'number', min: -1e6, max: 1e6 },
  value: { flag: '--value', kind: 'number', min: -1e6, max: 1e6 },
  mode: { flag: '--mode', kind: 'enum', values: FAN_MODES },
  bias: { flag: '--bias', kind: 'number', min: -1e6, max: 1e6 },
  biasStd: { flag: '--bias-std', kind: 'number', min: 0, max: 1e6 },
  loss: { flag: '--loss', kind: 'enum', values: LOSSES },
  seed: { flag: '--seed', kind: 'int', min: 0, max: 2 ** 32 - 1 },
  backend: { flag: '--backend', kind: 'enum', values: BACKENDS },
  range: { flag: '--range', kind: 'enum', values: RANGES },
  memory: { flag: '--memory', kind: 'int', min: 16, max: 1_048_576 },
  widths: { flag: '--widths', kind: 'widths', min: 1, max: MAX_WIDTH },
  steps: { flag: '--steps', kind: 'int', min: 0, max: MAX_STEPS },
  lr: { flag: '--lr', kind: 'number', min: 0, max: 100 },
  optimizer: { flag: '--optimizer', kind: 'enum', values: OPTIMIZERS },
  momentum: { flag: '--momentum', kind: 'number', min: 0, max: 1 },
  beta1: { flag: '--beta1', kind: 'number', min: 0, max: 0.999999 },
  beta2: { flag: '--beta2', kind: 'number', min: 0, max: 0.999999 },
  eps: { flag: '--eps', kind: 'number', min: 0, max: 1 },
  weightDecay: { flag: '--weight-decay', kind: 'number', min: 0, max: 1 },
  evalEvery: { flag: '--eval-every', kind: 'int', min: 1, max: MAX_STEPS },
};

export type FieldName = keyof typeof FIELDS;

/** Longest stretch of a user's value quoted back in an error. */
export const MAX_QUOTED = 80;

/**
 * A user's value as an error quotes it: JSON-quoted, at most MAX_QUOTED characters of it, then "…" and its length.
 * (A 100,000-character --init gives one short line, not 100 kB.)
 */
export function quoteValue(v: unknown): string {
  const text = String(v);
  if (text.length <= MAX_QUOTED) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, MAX_QUOTED))}… (${text.length.toLocaleString('en-US')} characters)`;
}

/** Bad user input: names the field (config key and CLI flag) and the allowed values. */
export class ConfigError extends Error {
  constructor(
    readonly field: FieldName | 'preset',
    readonly allowed: string,
    readonly got: unknown,
    /** Appended after the value, e.g. " (did you mean kaiming_normal?)". */
    hint = '',
  ) {
    super(`${field} (${field === 'preset' ? '--preset' : FIELDS[field].flag}): ${allowed}, got ${quoteValue(got)}${hint}`);
    this.name = 'ConfigError';
  }
}

/** A record's own entry for a user-supplied key: never one of Object.prototype's (__proto__, constructor, toString). */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Names by which the lecture and the papers call the initialisers, and common slips: each maps to the names here.
 * He et al. (2015) = kaiming_*, Glorot & Bengio (2010) = xavier_*, LeCun et al. (1998) = lecun_*.
 */
const INIT_ALIASES: Readonly<Record<string, readonly string[]>> = {
  he: ['kaiming_normal', 'kaiming_uniform'], kaiming: ['kaiming_normal', 'kaiming_uniform'],
  he_normal: ['kaiming_normal'], he_uniform: ['kaiming_uniform'],
  glorot: ['xavier_normal', 'xavier_uniform'], xavier: ['xavier_normal', 'xavier_uniform'],
  glorot_normal: ['xavier_normal'], glorot_uniform: ['xavier_uniform'],
  lecun: ['lecun_normal', 'lecun_uniform'], gaussian: ['normal'], eye: ['identity'], ortho: ['orthogonal'],
};

/**
 * What an unknown value of an enum field may have meant: the lecture's names of the initialisers (he → kaiming_*,
 * glorot → xavier_*) and values within two edits (Levenshtein distance).
 * @returns e.g. ' (did you mean kaiming_normal or kaiming_uniform?)', or '' when nothing is close.
 */
export function didYouMean(name: FieldName | 'preset', got: string, values: readonly string[]): string {
  const key = got.trim().toLowerCase().replace(/[-\s]/g, '_');
  let candidates = name === 'init' ? ownEntry(INIT_ALIASES, key) ?? [] : [];
  if (candidates.length === 0 && key.length > 0 && key.length <= 40) {
    const best = closest(key, [...values]);
    if (distance(key, best) <= 2) candidates = [best];
  }
  return candidates.length > 0 ? ` (did you mean ${candidates.join(' or ')}?)` : '';
}

/** The GUI's and CLI's default: digits, ReLU, L = 50, n = 128, He (kaiming_normal). */
export const DEFAULT_CONFIG: RunConfig = {
  preset: 'relu-he',
  depth: 50,
  width: 128,
  input: 'digits',
  inputDim: DIGITS_FEATURES,
  outputDim: DIGITS_CLASSES,
  batch: 64,
  activation: 'relu',
  init: 'kaiming_normal',
  gain: null,
  mean: 0,
  std: 1,
  low: 0,
  high: 1,
  value: 0,
  mode: 'fan_in',
  bias: 0,
  biasStd: 0,
  loss: 'softmax-xent',
  seed: 1,
  backend: 'webgpu',
  range: 'float32',
  memory: 2048,
  widths: null,
  steps: 0,
  lr: 0.01,
  optimizer: 'sgd',
  momentum: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  evalEvery: 25,
};

const digits50 = { input: 'digits', depth: 50, width: 128, loss: 'softmax-xent', gain: null } as const;
const linearSeed = {
  depth: 150, width: 2, input: 'ones', inputDim: 2, outputDim: 2, batch: 1,
  activation: 'identity', init: 'identity', bias: 0, loss: 'sum',
} as const;

/** Named presets: partial configurations applied over DEFAULT_CONFIG. */
export const PRESETS: Readonly<Record<string, Partial<RunConfig>>> = {
  'relu-he': { ...digits50, activation: 'relu', init: 'kaiming_normal' },
  'relu-xavier': { ...digits50, activation: 'relu', init: 'xavier_normal' },
  'tanh-xavier': { ...digits50, activation: 'tanh', init: 'xavier_normal' },
  'tanh-large': { ...digits50, activation: 'tanh', init: 'normal', mean: 0, std: 1 },
  hourglass: { input: 'digits', widths: [64, 256, 256, 16, 16, 256, 256, 10], activation: 'relu', init: 'xavier_normal', loss: 'softmax-xent', gain: null },
  // The lecture's experiment: He trains, Glorot stalls, N(0, 1) diverges (compare them in the GUI, or --init).
  'train-compare': {
    input: 'digits', depth: 20, width: 64, batch: 64, activation: 'relu', init: 'kaiming_normal', loss: 'softmax-xent', gain: null,
    steps: 500, optimizer: 'sgd', lr: 0.01, evalEvery: 25,
  },
  'seed-explode': { ...linearSeed, gain: 1.5 },
  'seed-vanish': { ...linearSeed, gain: 0.5 },
};
export const PRESET_NAMES = Object.keys(PRESETS);

/** User input for a config: values as typed (strings from CLI/URL, numbers from the GUI). */
export type RawConfig = Partial<Record<keyof RunConfig, unknown>>;

/**
 * The allowed values of a field in words, as every error, tooltip and help text shows them:
 * "an integer in 1..100000", "a number in 0..1000000 or \"default\"", "one of identity, relu, tanh".
 */
export function allowedValues(name: FieldName): string {
  const spec = FIELDS[name];
  if (spec.kind === 'enum') return `one of ${spec.values!.join(', ')}`;
  const range = `${spec.min}..${spec.max}`;
  if (spec.kind === 'int') return `an integer in ${range}`;
  if (spec.kind === 'widths') return `a list n^[0],…,n^[L] of 2..${MAX_DEPTH + 1} integers in ${range}, comma-separated (e.g. 64,256,32,10), or empty`;
  return `a number in ${range}${spec.kind === 'nullableNumber' ? ` or "${DEFAULT_GAIN}"` : ''}`;
}

/** A plain decimal number: optional sign, digits with an optional fraction, optional exponent (1e-3). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseField(name: FieldName, raw: unknown): RunConfig[FieldName] {
  const spec = FIELDS[name];
  if (spec.kind === 'enum') {
    // Only a string names a value (String(['relu']) would too, silently).
    const v = typeof raw === 'string' ? raw : '';
    if (!spec.values!.includes(v)) throw new ConfigError(name, `must be ${allowedValues(name)}`, raw, didYouMean(name, v, spec.values!));
    return v as RunConfig[FieldName];
  }
  if (spec.kind === 'nullableNumber' && (raw === null || raw === '' || raw === DEFAULT_GAIN)) return null;
  if (spec.kind === 'widths') return parseWidths(raw);
  // Only a number or a plain decimal string is a number: Number(null), Number(true), Number([]) would give 0 or 1,
  // and Number('0x10') 16.
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const v = typeof text === 'number' ? text : typeof text === 'string' && DECIMAL.test(text) ? Number(text) : NaN;
  const ok = spec.kind === 'int' ? Number.isInteger(v) : Number.isFinite(v);
  if (!ok || v < spec.min! || v > spec.max!) throw new ConfigError(name, `must be ${allowedValues(name)}`, raw);
  return v;
}

/**
 * A list of widths n^[0..L]: an array of numbers or a comma-separated string ("64,256,32,10"); null or empty for none.
 * @throws ConfigError naming the first bad entry (its position and value) and the allowed values.
 */
function parseWidths(raw: unknown): number[] | null {
  if (raw === null || raw === '' || raw === DEFAULT_GAIN) return null;
  const entries: unknown[] = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
  if (entries.length < 2 || entries.length > MAX_DEPTH + 1) {
    throw new ConfigError('widths', `must be ${allowedValues('widths')} (${entries.length} given)`, raw);
  }
  return entries.map((e, i) => {
    const text = typeof e === 'string' ? e.trim() : e;
    const v = typeof text === 'number' ? text : typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(v) || v < 1 || v > MAX_WIDTH) {
      throw new ConfigError('widths', `entry ${i} (n^[${i}]) must be an integer in 1..${MAX_WIDTH}`, e);
    }
    return v;
  });
}

/**
 * Build a validated RunConfig: DEFAULT_CONFIG, then the preset's fields (if raw.preset is given),
 * then every field present in raw. Cross-field rules: digits fixes n^[0] = 64, allows m ≤ 1797 and,
 * with loss mse or softmax-xent, needs n^[L] = 10; softmax-xent needs n^[L] ≥ 2; uniform needs low < high.
 * Names (preset, every enum) are matched against their own lists only (never Object.prototype's keys).
 *
 * @param raw field values as typed; unknown keys are ignored by the caller's parser, not here.
 * @throws ConfigError naming the first bad field and its allowed values.
 */
export function resolveConfig(raw: RawConfig): RunConfig {
  const { cfg, errors } = resolveConfigAll(raw);
  if (errors.length > 0) throw errors[0];
  return cfg;
}

/** Every problem of a raw config at once, and the config without the bad fields. */
export interface ResolvedConfig {
  /** A valid config: the raw fields that passed, the preset's or default value where a field was bad. */
  cfg: RunConfig;
  /** One ConfigError per bad field, in FIELDS order (preset first, cross-field rules last); empty if all is well. */
  errors: ConfigError[];
}

/**
 * As {@link resolveConfig}, but reporting every bad field instead of the first (for the URL, where several may be
 * wrong at once): each field is validated on its own, a bad one keeps the preset's or default value, and the
 * cross-field rules run on what is left (a rule that still fails falls back to the defaults for its fields).
 */
export function resolveConfigAll(raw: RawConfig): ResolvedConfig {
  const errors: ConfigError[] = [];
  let cfg: RunConfig = { ...DEFAULT_CONFIG, preset: 'custom' };
  if (raw.preset !== undefined && raw.preset !== 'custom') {
    const name = String(raw.preset);
    const preset = ownEntry(PRESETS, name);
    if (preset) cfg = { ...cfg, ...preset, preset: name };
    else errors.push(new ConfigError('preset', `must be one of ${PRESET_NAMES.join(', ')}, custom`, raw.preset, didYouMean('preset', name, PRESET_NAMES)));
  }
  const explicit = new Set<FieldName>();
  for (const key of Object.keys(FIELDS) as FieldName[]) {
    if (raw[key] === undefined) continue;
    try {
      (cfg as unknown as Record<string, unknown>)[key] = parseField(key, raw[key]);
      explicit.add(key);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.push(e);
    }
  }
  const scalars = (['depth', 'width', 'inputDim', 'outputDim'] as const).filter((f) => explicit.has(f));
  if (cfg.widths && !explicit.has('widths') && scalars.length > 0) cfg.widths = null; // a preset's list yields to --depth etc.
  if (cfg.widths && explicit.has('widths')) {
    const w = cfg.widths;
    const derived = { depth: w.length - 1, inputDim: w[0], outputDim: w[w.length - 1], width: w.length > 2 ? w[1] : cfg.width };
    const conflict = scalars.find((f) => cfg[f] !== derived[f] && !(f === 'width' && w.slice(1, -1).includes(cfg.width)));
    if (conflict) errors.push(new ConfigError('widths', `decides ${FIELDS[conflict].flag} (${derived[conflict]} from the list): give one or the other`, raw.widths));
  }
  if (cfg.widths) {
    // The list decides the shape; the scalar fields follow it (and are shown so).
    const w = cfg.widths;
    cfg = { ...cfg, depth: w.length - 1, inputDim: w[0], outputDim: w[w.length - 1], width: w.length > 2 ? w[1] : cfg.width };
    for (const f of ['depth', 'inputDim', 'outputDim'] as const) explicit.add(f);
  }
  const base = cfg.preset === 'custom' ? DEFAULT_CONFIG : { ...DEFAULT_CONFIG, ...PRESETS[cfg.preset] };
  const rule = (e: ConfigError, reset: readonly FieldName[]) => {
    errors.push(e);
    for (const f of reset) (cfg as unknown as Record<string, unknown>)[f] = base[f];
  };
  if (cfg.input === 'digits') {
    if (explicit.has('inputDim') && cfg.inputDim !== DIGITS_FEATURES) {
      errors.push(new ConfigError('inputDim', `must be ${DIGITS_FEATURES} for input digits (8×8 pixels)`, cfg.inputDim));
    }
    cfg.inputDim = DIGITS_FEATURES;
    if (cfg.batch > DIGITS_EXAMPLES) rule(new ConfigError('batch', `must be an integer in 1..${DIGITS_EXAMPLES} for input digits`, cfg.batch), ['batch']);
    if (cfg.loss !== 'sum') {
      if (explicit.has('outputDim') && cfg.outputDim !== DIGITS_CLASSES) {
        errors.push(new ConfigError('outputDim', `must be ${DIGITS_CLASSES} for input digits with loss ${cfg.loss}`, cfg.outputDim));
      }
      cfg.outputDim = DIGITS_CLASSES;
    }
  }
  if (cfg.outputDim < LOSS_SPECS[cfg.loss].minOutputs) {
    rule(new ConfigError('outputDim', `must be at least ${LOSS_SPECS[cfg.loss].minOutputs} for loss ${cfg.loss} (a softmax over one class is 1, `
      + 'so J = 0 and dŷ = 0 whatever the network does; use loss sum or mse for one output)', cfg.outputDim), ['outputDim', 'loss']);
  }
  if (cfg.steps > 0) {
    const training = `for training (--steps ${cfg.steps} > 0)`;
    if (cfg.input !== 'digits') rule(new ConfigError('input', `must be digits ${training}: the steps learn its labels`, cfg.input), ['input', 'steps']);
    else if (cfg.loss === 'sum') rule(new ConfigError('loss', `must be softmax-xent or mse ${training}`, cfg.loss), ['loss']);
    if (cfg.range !== 'float32') rule(new ConfigError('range', `must be float32 ${training} (the extended range is for single steps)`, cfg.range), ['range']);
    if (cfg.input === 'digits' && cfg.batch > DIGITS_TRAIN) {
      rule(new ConfigError('batch', `must be an integer in 1..${DIGITS_TRAIN} ${training} (the digits' training part)`, cfg.batch), ['batch']);
    }
  }
  if (cfg.init === 'uniform' && !(cfg.low < cfg.high)) {
    rule(new ConfigError('high', `must be greater than low (${cfg.low}) for init uniform`, cfg.high), ['low', 'high']);
  }
  return { cfg, errors };
}

/** Widths n^[0..L] of a config: its widths list, else n^[0] = inputDim, n^[1..L-1] = width, n^[L] = outputDim. */
export function widthsOf(cfg: RunConfig): number[] {
  if (cfg.widths) return [...cfg.widths];
  const widths = [cfg.inputDim];
  for (let l = 1; l < cfg.depth; l++) widths.push(cfg.width);
  widths.push(cfg.outputDim);
  return widths;
}
