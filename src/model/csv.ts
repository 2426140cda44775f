/**
 * The CSV form of a run, one row per (layer, tensor), written with Papa Parse's unparse: the CLI's --csv file and the
 * GUI's CSV export.
 */
import Papa from 'papaparse';
import { TENSOR_NAMES } from './network';
import type { RunResult } from './result';
import { STAT_NAMES } from '../stats/stats';

/** Column names, in order: layer, fanIn, fanOut, tensor, then every statistic of STAT_NAMES. */
export const CSV_COLUMNS: readonly string[] = ['layer', 'fanIn', 'fanOut', 'tensor', ...STAT_NAMES];

/**
 * CSV text of a run: a header row, then L·6 rows, layer l = 1..L, tensors in the order z, a, dA, dZ, W, dW.
 * Numbers in JavaScript's shortest round-trip form; non-finite values as NaN, Infinity, -Infinity.
 * @returns text with "\n" line ends, ending in a newline.
 */
export function toCsv(r: RunResult): string {
  const data = r.layers.flatMap((l) => TENSOR_NAMES.map((t) => [l.layer, l.fanIn, l.fanOut, t, ...STAT_NAMES.map((s) => l[t][s])]));
  return `${Papa.unparse({ fields: [...CSV_COLUMNS], data }, { newline: '\n' })}\n`;
}
