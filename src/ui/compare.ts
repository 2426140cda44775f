/**
 * Comparing runs, at the level of their configs: configs as overrides of another (the `?compare=` URL parameter),
 * the legend label that names what differs between runs, and the set of initialisations "Compare initialisations"
 * runs.
 *
 * The `?compare=` parameter lists the pinned runs as overrides of the page's config (the other URL parameters):
 *
 *     compare=ITEM|ITEM|…            at most MAX_PINNED items, in pin order
 *     ITEM   = FIELD:VALUE;FIELD:VALUE;…   overrides, FIELD a RunConfig field name, VALUE as in its own URL parameter
 *            | current                      the page's config itself (no override)
 *
 * e.g. `?depth=200&compare=init:kaiming_normal|init:xavier_normal` pins He and Glorot at L = 200, and
 * `?preset=seed-explode&compare=gain:1.5|gain:0.5;depth:100`. Fields derived from others follow them as in the panel
 * (an item `depth:30` on a widths list replaces the list; `widths:64,32,10` decides depth and the dimensions).
 */
import { DEFAULT_GAIN, didYouMean, resolveConfig, type FieldName, type RunConfig } from '../model/config';
import { INIT_ALSO_KNOWN_AS, INIT_PARAM_FIELDS } from '../model/init';
import { FIELD_NAMES, formFromConfig, rawFromForm } from './form';

/** The most runs that can be pinned at once. */
export const MAX_PINNED = 4;
/** The item of `?compare=` that stands for the page's config itself. */
export const CURRENT_ITEM = 'current';

/** Overrides of a config: field → value as typed (a URL parameter's text). */
export type Overrides = Partial<Record<FieldName, string>>;

/** A field's value as typed in the URL or the panel: gain null as "default", a widths list as "64,256,10", "" for none. */
export function fieldText(cfg: RunConfig, name: FieldName): string {
  const v = cfg[name];
  if (v === null) return name === 'widths' ? '' : DEFAULT_GAIN;
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** True if `a` and `b` run the same network (every field equal; the preset's name does not count). */
export function sameConfig(a: RunConfig, b: RunConfig): boolean {
  return FIELD_NAMES.every((f) => fieldText(a, f) === fieldText(b, f));
}

/**
 * `base` with `overrides` applied, validated. Its preset is base's when there is no override, else "custom".
 * @throws ConfigError naming the bad field.
 */
export function applyOverrides(base: RunConfig, overrides: Overrides): RunConfig {
  const edited = Object.keys(overrides) as FieldName[];
  if (edited.length === 0) return base;
  const form = { ...formFromConfig(base), ...overrides, preset: 'custom' };
  return resolveConfig(rawFromForm(form, edited));
}

/**
 * The overrides that turn `base` into `cfg` (applyOverrides(base, overridesBetween(base, cfg)) runs cfg's network):
 * the fields that differ, less those derived from others (the dimensions a widths list decides, n^[0] of digits,
 * n^[L] of digits with a loss other than sum).
 */
export function overridesBetween(base: RunConfig, cfg: RunConfig): Overrides {
  const derived = new Set<FieldName>();
  if (cfg.widths) for (const f of ['depth', 'width', 'inputDim', 'outputDim'] as const) derived.add(f);
  if (cfg.input === 'digits') derived.add('inputDim');
  if (cfg.input === 'digits' && cfg.loss !== 'sum') derived.add('outputDim');
  const out: Overrides = {};
  for (const f of FIELD_NAMES) if (!derived.has(f) && fieldText(base, f) !== fieldText(cfg, f)) out[f] = fieldText(cfg, f);
  return out;
}

/** One item of `?compare=`: "init:xavier_normal;gain:2", or "current" for no override. */
export function formatItem(overrides: Overrides): string {
  const parts = Object.entries(overrides).map(([k, v]) => `${k}:${v}`);
  return parts.length === 0 ? CURRENT_ITEM : parts.join(';');
}

/** The value of `?compare=` for pinned runs of configs `pinned` on a page showing `base`; "" for none. */
export function formatCompare(base: RunConfig, pinned: readonly RunConfig[]): string {
  return pinned.map((c) => formatItem(overridesBetween(base, c))).join('|');
}

/** `?compare=` read: each good item (its position from 1, its text, its overrides) and what was wrong with the others. */
export interface ParsedCompare {
  items: { n: number; text: string; overrides: Overrides }[];
  errors: string[];
}

/**
 * Read the value of `?compare=` (see the module's comment). Field names are checked here, values when the items are
 * applied (applyOverrides). Items past MAX_PINNED are dropped with an error.
 */
export function parseCompare(text: string): ParsedCompare {
  const items: ParsedCompare['items'] = [];
  const errors: string[] = [];
  const raw = text.split('|').map((s) => s.trim());
  raw.forEach((item, i) => {
    if (i >= MAX_PINNED) return;
    const overrides: Overrides = {};
    const bad: string[] = [];
    if (item !== CURRENT_ITEM && item !== '') {
      for (const part of item.split(';')) {
        const colon = part.indexOf(':');
        const key = (colon < 0 ? part : part.slice(0, colon)).trim();
        if (colon < 0 || !(FIELD_NAMES as readonly string[]).includes(key)) {
          bad.push(colon < 0 ? `"${part}" is not FIELD:VALUE` : `unknown field "${key}"${didYouMean('preset', key, FIELD_NAMES)}`);
        } else {
          overrides[key as FieldName] = part.slice(colon + 1).trim();
        }
      }
    }
    if (bad.length > 0) errors.push(`compare item ${i + 1} ("${item}"): ${bad.join(', ')}`);
    else items.push({ n: i + 1, text: item, overrides });
  });
  if (raw.length > MAX_PINNED) errors.push(`compare: at most ${MAX_PINNED} runs are pinned, ${raw.length} given (the first ${MAX_PINNED} are used)`);
  return { items, errors };
}

/** A number as a label shows it: up to 4 significant digits ("1.5", "0.01", "1e-7"). */
function num(v: number): string {
  return String(Number(v.toPrecision(4)));
}

/**
 * The initialisation of `cfg` in a few characters: "kaiming_normal (He)", "xavier_normal (Glorot), gain 2",
 * "N(0, 1)" (normal: N(mean, std²)), "U(-1, 1)", "1.5·I", "constant 0.5".
 */
export function describeInit(cfg: RunConfig): string {
  const gain = cfg.gain === null ? '' : `, gain ${num(cfg.gain)}`;
  switch (cfg.init) {
    case 'normal': return `N(${num(cfg.mean)}, ${num(cfg.std ** 2)})`;
    case 'uniform': return `U(${num(cfg.low)}, ${num(cfg.high)})`;
    case 'constant': return `constant ${num(cfg.value)}`;
    case 'identity': return `${num(cfg.gain ?? 1)}·I`;
    case 'zeros': return 'zeros';
    default: {
      const aka = INIT_ALSO_KNOWN_AS[cfg.init];
      const mode = cfg.init.startsWith('kaiming') && cfg.mode === 'fan_out' ? ', fan_out' : '';
      return `${cfg.init}${aka ? ` (${aka.name})` : ''}${gain}${mode}`;
    }
  }
}

/** How one differing field reads in a label, in the lecture's notation ("L = 200", "m = 64", "tanh"). */
const FRAGMENT: Partial<Record<FieldName, (c: RunConfig) => string>> = {
  depth: (c) => `L = ${c.depth}`,
  width: (c) => `n = ${c.width}`,
  widths: (c) => (c.widths ? `widths ${c.widths.join(',')}` : 'no widths list'),
  inputDim: (c) => `n[0] = ${c.inputDim}`,
  outputDim: (c) => `n[L] = ${c.outputDim}`,
  batch: (c) => `m = ${c.batch}`,
  input: (c) => `input ${c.input}`,
  activation: (c) => c.activation,
  bias: (c) => `b = ${num(c.bias)}`,
  loss: (c) => `loss ${c.loss}`,
  seed: (c) => `seed ${c.seed}`,
  backend: (c) => c.backend,
  range: (c) => (c.range === 'extended' ? 'extended range' : 'float32 range'),
  memory: (c) => `memory ${c.memory} MiB`,
};

/** Fields that are all one thing in a label: the initialiser and its parameters (describeInit). */
const INIT_FIELDS: readonly FieldName[] = ['init', ...INIT_PARAM_FIELDS];

/**
 * A legend label per config naming what differs between them: for each field whose value is not the same in all of
 * them, its fragment ("L = 200", "xavier_normal (Glorot)"), joined with ", ". Configs that do not differ at all
 * get "" (the caller names them otherwise).
 */
export function differenceLabels(configs: readonly RunConfig[]): string[] {
  const differs = (f: FieldName) => new Set(configs.map((c) => fieldText(c, f))).size > 1;
  const initDiffers = INIT_FIELDS.some(differs);
  return configs.map((c) => {
    const parts: string[] = [];
    for (const f of FIELD_NAMES) {
      if (f === 'init' && initDiffers) parts.push(describeInit(c));
      else if (!INIT_FIELDS.includes(f) && differs(f)) parts.push(FRAGMENT[f]?.(c) ?? `${f} ${fieldText(c, f)}`);
    }
    return parts.join(', ');
  });
}

/**
 * The runs of "Compare initialisations" for the architecture of `cfg`: He (kaiming_normal), Glorot (xavier_normal),
 * LeCun (lecun_normal) and N(0, 1), all with their default gain; on a linear network (activation identity, where He's
 * gain is 1 and He is LeCun) He, Glorot and the lecture's 1.5·I and 0.5·I.
 */
export function initComparison(cfg: RunConfig): RunConfig[] {
  const std = { gain: DEFAULT_GAIN, mode: 'fan_in' } as const;
  const sets: Overrides[] = cfg.activation === 'identity'
    ? [{ init: 'kaiming_normal', ...std }, { init: 'xavier_normal', ...std }, { init: 'identity', gain: '1.5' }, { init: 'identity', gain: '0.5' }]
    : [{ init: 'kaiming_normal', ...std }, { init: 'xavier_normal', ...std }, { init: 'lecun_normal', ...std }, { init: 'normal', mean: '0', std: '1' }];
  // Only the fields that change: an override equal to cfg's value is left out (so the item reads "init:…" alone).
  return sets.map((o) => applyOverrides(cfg, Object.fromEntries(Object.entries(o).filter(([k, v]) => fieldText(cfg, k as FieldName) !== v))));
}
