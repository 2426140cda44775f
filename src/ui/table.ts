/**
 * The statistics table: every statistic (STAT_NAMES) of every layer for one tensor, or for all six.
 * Built as one HTML string per render. At most MAX_TABLE_ROWS rows are shown at once; longer tables are
 * split into pages of whole layers (L = 1000 with "all" is 6000 rows: 5 pages of 200 layers). A result with histograms
 * also has the dead (and, for tanh, saturated) units of a^[l] per layer: two more columns (UNIT_COLUMNS).
 */
import { TENSOR_NAMES, type TensorName } from '../model/network';
import type { RunResult } from '../model/result';
import { STAT_NAMES } from '../stats/stats';
import { DISTRIBUTION_TEXT, STAT_TEXT } from './explanations';
import { formatNumber } from './format';

/** A tensor name, or "all" for the six tensors of each layer. */
export type TableChoice = TensorName | 'all';

/** Rows rendered at once: enough for one tensor of L = 1000, few enough to lay out in well under a second. */
export const MAX_TABLE_ROWS = 1200;

/** A page of the table: layers first..last (1-based, inclusive). */
export interface TablePage {
  first: number;
  last: number;
}

/** The pages of the table of `choice` for L layers: consecutive layer ranges of ≤ MAX_TABLE_ROWS rows each. */
export function tablePages(L: number, choice: TableChoice): TablePage[] {
  const perLayer = choice === 'all' ? TENSOR_NAMES.length : 1;
  const layersPerPage = Math.max(1, Math.floor(MAX_TABLE_ROWS / perLayer));
  const pages: TablePage[] = [];
  for (let first = 1; first <= L; first += layersPerPage) pages.push({ first, last: Math.min(L, first + layersPerPage - 1) });
  return pages;
}

/** Each column's tooltip: the statistics' definitions (explanations.ts), the layer and its fans. */
const COLUMN_TEXT: Readonly<Record<string, string>> = {
  l: 'the layer l = 1..L',
  tensor: 'the tensor (z, a, dA, dZ, W, dW)',
  fan_in: 'fan_in = n^[l-1], the width of the layer\'s input',
  fan_out: 'fan_out = n^[l], the width of the layer',
  ...Object.fromEntries(STAT_NAMES.map((s) => [s, STAT_TEXT[s].replace(/"/g, '&quot;')])),
  deadUnits: DISTRIBUTION_TEXT.deadUnits,
  saturatedUnits: DISTRIBUTION_TEXT.saturatedUnits,
};

/** The unit columns a result has: deadUnits with histograms, and saturatedUnits too for tanh. */
export function unitColumns(result: RunResult): ('deadUnits' | 'saturatedUnits')[] {
  if (!result.layers.some((l) => l.deadUnits !== undefined)) return [];
  return result.config.activation === 'tanh' ? ['deadUnits', 'saturatedUnits'] : ['deadUnits'];
}

function cell(v: number): string {
  return Number.isFinite(v) ? `<td>${formatNumber(v)}</td>` : `<td class="nonfinite">${formatNumber(v)}</td>`;
}

/**
 * Render the statistics of `choice` for layers page.first..page.last of `result` into `table` (replaces its
 * content). Rows: layer l (and tensor, with "all"); columns: fan_in = n^[l-1], fan_out = n^[l], then
 * STAT_NAMES. Non-finite numbers read "NaN", "Infinity", "-Infinity" and are highlighted, as is the row of the
 * first non-finite value. The unit columns (unitColumns: fractions of the units of a^[l], per layer) are on every row of a
 * single tensor and on the a row of "all"; "–" for the output layer.
 */
export function renderTable(table: HTMLTableElement, result: RunResult, choice: TableChoice, page: TablePage): void {
  const tensors: readonly TensorName[] = choice === 'all' ? TENSOR_NAMES : [choice];
  const units = unitColumns(result);
  const head = ['l', 'tensor', 'fan_in', 'fan_out', ...STAT_NAMES, ...units].map((h) => `<th scope="col" title="${COLUMN_TEXT[h] ?? ''}">${h}</th>`).join('');
  const rows: string[] = [];
  for (const r of result.layers.slice(page.first - 1, page.last)) {
    for (const t of tensors) {
      const s = r[t];
      const classes = [];
      if (result.firstNonFinite?.layer === r.layer && result.firstNonFinite.tensor === t) classes.push('first-nonfinite');
      if (tensors.length > 1 && t === tensors[0]) classes.push('layer-start');
      rows.push(`<tr${classes.length > 0 ? ` class="${classes.join(' ')}"` : ''}><th scope="row">${r.layer}</th><td>${t}</td>`
        + `<td>${r.fanIn}</td><td>${r.fanOut}</td>${STAT_NAMES.map((k) => cell(s[k])).join('')}`
        + `${units.map((u) => (tensors.length > 1 && t !== 'a' ? '<td></td>' : r[u] === undefined ? '<td>–</td>' : cell(r[u]))).join('')}</tr>`);
    }
  }
  table.innerHTML = `<thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody>`;
}
