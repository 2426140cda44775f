/**
 * URL query parameters ⇄ config. Keys are the RunConfig field names (`?preset=seed-explode&depth=30`);
 * values are validated by resolveConfig like every other input.
 */
import { DEFAULT_GAIN, FIELDS, resolveConfig, type FieldName, type RawConfig, type RunConfig } from '../model/config';

const KEYS = new Set<string>(['preset', ...Object.keys(FIELDS)]);

/** Raw config from a query string, and the keys it holds that are not config fields. */
export interface UrlConfig {
  /** Field values as written in the URL (strings); no keys when the URL has none. */
  raw: RawConfig;
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
  for (const [key, value] of new URLSearchParams(search)) {
    if (KEYS.has(key)) raw[key as FieldName | 'preset'] = value;
    else if (!unknown.includes(key)) unknown.push(key);
  }
  return { raw, unknown };
}

/**
 * The shortest query string that resolveConfig turns back into `cfg`: the preset (if not "custom") and the
 * fields that differ from what the preset alone gives. Starts with "?", or is "" for the plain default
 * custom config.
 */
export function urlForConfig(cfg: RunConfig): string {
  const base = resolveConfig(cfg.preset === 'custom' ? {} : { preset: cfg.preset });
  const params = new URLSearchParams();
  if (cfg.preset !== 'custom') params.set('preset', cfg.preset);
  for (const key of Object.keys(FIELDS) as FieldName[]) {
    if (cfg[key] !== base[key]) params.set(key, cfg[key] === null ? DEFAULT_GAIN : String(cfg[key]));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
