/**
 * URL query parameters ⇄ config. Keys are the RunConfig field names (`?preset=seed-explode&depth=30`);
 * values are validated by resolveConfig like every other input. `compare` lists the pinned runs (compare.ts).
 */
import { FIELDS, resolveConfig, type FieldName, type RawConfig, type RunConfig } from '../model/config';
import { fieldText } from './compare';

/** The query parameter of the pinned runs. */
export const COMPARE_KEY = 'compare';
/** The query parameter that starts training once the page's first run is done (training/view.ts). */
export const TRAIN_KEY = 'train';
/** Its values: train the page's network, or compare the initialisations while training (panel's optimiser, Adam). */
export const TRAIN_VALUES = ['1', 'compare', 'compare-adam'] as const;
export type TrainRequest = (typeof TRAIN_VALUES)[number];
const KEYS = new Set<string>(['preset', ...Object.keys(FIELDS)]);

/** Raw config from a query string, and the keys it holds that are not config fields. */
export interface UrlConfig {
  /** Field values as written in the URL (strings); no keys when the URL has none. */
  raw: RawConfig;
  /** The value of `compare` (the pinned runs, compare.ts), or null when there is none. */
  compare: string | null;
  /** The value of `train` as written (TRAIN_VALUES when valid), or null when there is none. */
  train: string | null;
  /** Parameter names that are not config fields, in URL order. */
  unknown: string[];
}

/**
 * Read the config fields of a query string, e.g. location.search. A repeated key keeps its last value.
 * Never throws: values are validated later by resolveConfig.
 */
export function readUrlConfig(search: string): UrlConfig {
  const raw: RawConfig = {};
  const unknown: string[] = [];
  let compare: string | null = null, train: string | null = null;
  for (const [key, value] of new URLSearchParams(search)) {
    if (KEYS.has(key)) raw[key as FieldName | 'preset'] = value;
    else if (key === COMPARE_KEY) compare = value;
    else if (key === TRAIN_KEY) train = value;
    else if (!unknown.includes(key)) unknown.push(key);
  }
  return { raw, compare, train, unknown };
}

/** A query value, percent-encoded except for the characters a list reads better with (, : ; |), all legal in a query. */
function queryValue(v: string): string {
  return encodeURIComponent(v).replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%3B/g, ';').replace(/%7C/g, '|');
}

/** "?k=v&…" of `params` (values encoded by queryValue), with `compare` last if not ""; "" when there is nothing. */
function query(params: [string, string][], compare: string): string {
  const all = compare === '' ? params : [...params, [COMPARE_KEY, compare] as [string, string]];
  return all.length === 0 ? '' : `?${all.map(([k, v]) => `${k}=${queryValue(v)}`).join('&')}`;
}

/**
 * The shortest query string that resolveConfig turns back into `cfg`: the preset (if not "custom") and the
 * fields that differ from what the preset alone gives, then `compare` (the pinned runs) if not "". Starts with "?",
 * or is "" for the plain default custom config.
 */
export function urlForConfig(cfg: RunConfig, compare = ''): string {
  const base = resolveConfig(cfg.preset === 'custom' ? {} : { preset: cfg.preset });
  const params: [string, string][] = [];
  if (cfg.preset !== 'custom') params.push(['preset', cfg.preset]);
  for (const key of Object.keys(FIELDS) as FieldName[]) {
    if (fieldText(cfg, key) !== fieldText(base, key)) params.push([key, fieldText(cfg, key)]);
  }
  return query(params, compare);
}

/**
 * The query string naming every field of `cfg` (so it means the same network whatever the defaults become), then
 * `compare` if not "": what "Copy link" copies.
 */
export function urlWithEveryField(cfg: RunConfig, compare = ''): string {
  const params: [string, string][] = [['preset', cfg.preset]];
  for (const key of Object.keys(FIELDS) as FieldName[]) params.push([key, fieldText(cfg, key)]);
  return query(params, compare);
}
