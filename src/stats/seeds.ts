/**
 * The CLI's --seeds K and the page's Seeds action: the same network run with K seeds (seed, seed + 1, …), summarised
 * per layer, tensor and statistic by the median and the 10% and 90% quantiles over the seeds: how far one seed's
 * numbers may stray (compare the theory's band, model/theory.ts). Pure: no Node or DOM imports.
 */
import type { RunResult } from '../model/result';
import { TENSOR_NAMES, type TensorName } from '../model/network';
import { STAT_NAMES, type Stats, type StatName } from '../stats/stats';

/** Largest K of --seeds. */
export const MAX_SEEDS = 1000;

/** The median and the 10% and 90% quantiles of one statistic over the seeds. */
export interface Quantiles {
  median: number;
  p10: number;
  p90: number;
}

/** Quantiles of every statistic of one tensor (log10 fields included, as in Stats). */
export type StatsQuantiles = Record<StatName, Quantiles> & { log10: Record<keyof Stats['log10'], Quantiles> };

/** One layer of the summary: l and the quantiles of each tensor's statistics. */
export type SeedsLayer = { layer: number } & Record<TensorName, StatsQuantiles>;

/** The summary over the seeds (the JSON's "seeds" field). */
export interface SeedsSummary {
  count: number;
  /** The seeds, in the order they ran. */
  seeds: number[];
  layers: SeedsLayer[];
}

/** The K seeds of --seeds K: seed, seed + 1, … modulo 2^32 (the seed's range). */
export function seedList(seed: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => (seed + k) % 2 ** 32);
}

/**
 * The p-quantile of `values` by linear interpolation between order statistics (Hyndman & Fan 1996, "Sample quantiles
 * in statistical packages", definition 7, the default of R and NumPy): h = (K − 1)·p, x_(⌊h⌋) + (h − ⌊h⌋)·(x_(⌊h⌋+1) − x_(⌊h⌋)).
 * ±Infinity sort at the ends; NaN if any value is NaN or there is none.
 * @param p in [0, 1]
 */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0 || values.some(Number.isNaN)) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * p, lo = Math.floor(h), t = h - lo;
  const a = sorted[lo], b = sorted[Math.min(lo + 1, sorted.length - 1)];
  return t === 0 || a === b ? a : a + t * (b - a);
}

function quantiles(values: readonly number[]): Quantiles {
  return { median: quantile(values, 0.5), p10: quantile(values, 0.1), p90: quantile(values, 0.9) };
}

/**
 * Summarise runs of one network with different seeds: per layer, tensor and statistic, the median and the 10% and
 * 90% quantiles over the runs.
 * @param results the runs, all of the same shape (depth and widths)
 */
export function summariseSeeds(results: readonly RunResult[]): SeedsSummary {
  const first = results[0];
  const layers = first.layers.map((_, i) => {
    const layer = { layer: first.layers[i].layer } as SeedsLayer;
    for (const t of TENSOR_NAMES) {
      const stats = results.map((r) => r.layers[i][t]);
      const q = {} as StatsQuantiles;
      for (const s of STAT_NAMES) q[s] = quantiles(stats.map((x) => x[s]));
      q.log10 = { rms: quantiles(stats.map((x) => x.log10.rms)), l2: quantiles(stats.map((x) => x.log10.l2)), maxAbs: quantiles(stats.map((x) => x.log10.maxAbs)) };
      layer[t] = q;
    }
    return layer;
  });
  return { count: results.length, seeds: results.map((r) => r.config.seed), layers };
}
