/**
 * The CSV form of a run, one row per (layer, tensor), written with Papa Parse's unparse: the CLI's --csv file and the
 * GUI's CSV export.
 */
import Papa from 'papaparse';
import { TENSOR_NAMES } from './network';
import type { RunResult } from './result';
import { STAT_NAMES } from '../stats/stats';
import { MAGNITUDE_EDGES } from '../stats/histogram';

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

/**
 * CSV rows of a run's histograms: layer,tensor,binning,bin,low,high,count. Magnitude rows: bin k of the positive
 * values [2^e, 2^(e+1)) and of the negative ones (−2^(e+1), −2^e] with e = MAGNITUDE_EDGES[k] + shift, and the rows
 * zero, subnormal, inf, nan (low and high empty); linear rows: bin k over [edges[k], edges[k+1]). Rows with count 0
 * are left out.
 * @throws Error if the run has no histograms.
 */
export function histogramsCsv(r: RunResult): string {
  const data: (string | number)[][] = [];
  for (const l of r.layers) {
    if (!l.histograms) throw new Error('histogramsCsv: the run has no histograms (run it with --histograms)');
    for (const t of TENSOR_NAMES) {
      const h = l.histograms[t];
      const push = (binning: string, bin: string | number, low: number | string, high: number | string, count: number) => {
        if (count > 0) data.push([l.layer, t, binning, bin, low, high, count]);
      };
      h.magnitude.positive.forEach((c, k) => push('magnitude+', k, 2 ** (MAGNITUDE_EDGES[k] + h.shift), 2 ** (MAGNITUDE_EDGES[k] + 1 + h.shift), c));
      h.magnitude.negative.forEach((c, k) => push('magnitude-', k, -(2 ** (MAGNITUDE_EDGES[k] + 1 + h.shift)), -(2 ** (MAGNITUDE_EDGES[k] + h.shift)), c));
      for (const special of ['zero', 'subnormal', 'inf', 'nan'] as const) push('special', special, '', '', h.magnitude[special]);
      h.linear?.counts.forEach((c, k) => push('linear', k, h.linear!.edges[k], h.linear!.edges[k + 1], c));
    }
  }
  return `${Papa.unparse({ fields: ['layer', 'tensor', 'binning', 'bin', 'low', 'high', 'count'], data }, { newline: '\n' })}\n`;
}
