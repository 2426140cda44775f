/**
 * The Distributions switch in the address bar: `hist=1` (on) or absent (off). It is not a field of the network
 * (RunConfig), so it is read and removed before the config's parameters are, and appended after them.
 */

/** The query parameter of the Distributions section. */
export const HIST_KEY = 'hist';

/**
 * Read `hist` from a query string (e.g. location.search): "1"/"true"/"on" turn the section on, "0"/"false"/"off" or
 * no parameter leave it off; anything else is an error (and leaves it off).
 * @returns the query without `hist`, whether it is on, and the error text or null
 */
export function readHistParam(search: string): { search: string; on: boolean; error: string | null } {
  const params = new URLSearchParams(search);
  if (!params.has(HIST_KEY)) return { search, on: false, error: null };
  const value = params.getAll(HIST_KEY).at(-1)!;
  params.delete(HIST_KEY);
  const rest = params.toString();
  const on = ['1', 'true', 'on'].includes(value);
  const off = ['0', 'false', 'off', ''].includes(value);
  const quoted = value.length > 20 ? `${value.slice(0, 20)}…` : value;
  return { search: rest === '' ? '' : `?${rest}`, on, error: on || off ? null : `hist (the Distributions section) must be 1 (on) or 0 (off), not "${quoted}"` };
}

/** `query` ("?…" or "") with `hist=1` appended when `on`. */
export function withHistParam(query: string, on: boolean): string {
  if (!on) return query;
  return `${query}${query === '' ? '?' : '&'}${HIST_KEY}=1`;
}
