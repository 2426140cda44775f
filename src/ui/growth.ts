/**
 * Growth per layer: the factor by which the rms of a tensor changes from one layer to the next, as a least-squares
 * fit over all layers (explanations.ts EXPLANATIONS.charts.growth says what it means).
 */
import type { TensorName } from '../model/network';
import type { RunResult } from '../model/result';
import type { Prediction } from './prediction';

/** The tensors whose growth is read out: the forward signal and the backward gradient. */
export const GROWTH_TENSORS = ['a', 'dA'] as const satisfies readonly TensorName[];
export type GrowthTensor = (typeof GROWTH_TENSORS)[number];

/**
 * exp(slope) of the least-squares line through the points (l, ln v_l), l = 1..L (values[l-1] = ln v_l); points that
 * are not finite (v = 0 gives −∞, v = ∞ or NaN) are skipped. null with fewer than two points left.
 */
export function factorFromLogs(logs: readonly number[]): number | null {
  let n = 0, sx = 0, sy = 0;
  logs.forEach((y, i) => {
    if (Number.isFinite(y)) { n++; sx += i + 1; sy += y; }
  });
  if (n < 2) return null;
  const mx = sx / n, my = sy / n;
  let sxy = 0, sxx = 0;
  logs.forEach((y, i) => {
    if (!Number.isFinite(y)) return;
    sxy += (i + 1 - mx) * (y - my);
    sxx += (i + 1 - mx) ** 2;
  });
  return Math.exp(sxy / sxx);
}

/**
 * The measured factor per layer of rms(t^[l]). ln rms is taken from Stats.log10.rms (= log10 of rms in the float32
 * range, and valid beyond float64 in the extended range), so a tensor whose rms is ∞ only in float64 still counts.
 */
export function measuredGrowth(r: RunResult, t: GrowthTensor): number | null {
  return factorFromLogs(r.layers.map((l) => l[t].log10.rms * Math.LN10));
}

/** The predicted factor per layer of rms(t^[l]): the same fit through the predicted rms; null without a prediction of t. */
export function predictedGrowth(p: Prediction | null, t: GrowthTensor): number | null {
  if (!p || !p.layers.some((l) => l[t] !== undefined)) return null;
  return factorFromLogs(p.layers.map((l) => { const x = l[t]; return !x ? NaN : x.log10 ? x.log10.rms * Math.LN10 : Math.log(x.rms); }));
}
