/**
 * Reducing long training runs to what a screen can show, without the DOM: the minibatch loss per step decimated to
 * the lowest and highest value of each bucket of steps (so spikes survive), and the per-layer records binned into a
 * layer × step grid of at most one cell per pixel (the heatmaps), each cell the geometric mean of its values, with
 * its zeros and non-finite values counted apart.
 */
import type { StepRecord } from '../../session/train';

/** A point of a curve: step and value; y null for a gap (nothing drawable in that bucket). */
export interface StepPoint {
  x: number;
  y: number | null;
}

/**
 * The curve of `values` (step k at index k − 1) with at most about 2·maxBuckets points: every step while there are at
 * most 2·maxBuckets of them; otherwise per bucket of ⌈n / maxBuckets⌉ consecutive steps its lowest and highest value,
 * in step order. Values that `drawable` rejects (non-finite, or ≤ 0 on a log axis) are left out; a bucket with
 * nothing drawable is one gap point.
 */
export function decimateMinMax(values: ArrayLike<number>, maxBuckets: number, drawable: (v: number) => boolean = Number.isFinite): StepPoint[] {
  const n = values.length;
  const point = (i: number): StepPoint => ({ x: i + 1, y: drawable(values[i]) ? values[i] : null });
  if (n <= 2 * maxBuckets) return Array.from({ length: n }, (_, i) => point(i));
  const size = Math.ceil(n / maxBuckets);
  const out: StepPoint[] = [];
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    let lo = -1, hi = -1;
    for (let i = start; i < end; i++) {
      if (!drawable(values[i])) continue;
      if (lo < 0 || values[i] < values[lo]) lo = i;
      if (hi < 0 || values[i] > values[hi]) hi = i;
    }
    if (lo < 0) out.push({ x: start + 1, y: null });
    else if (lo === hi) out.push(point(lo));
    else out.push(point(Math.min(lo, hi)), point(Math.max(lo, hi)));
  }
  return out;
}

/** A layer × step grid of one per-layer statistic (row-major: row r, column c at r·cols + c). */
export interface HeatmapGrid {
  /** L, and N: the steps the run will make (the x axis spans 1..N, filled as the run goes). */
  layers: number;
  steps: number;
  cols: number;
  rows: number;
  /** Mean of log10 over the cell's finite values > 0 (the log of their geometric mean); NaN where there are none. */
  log10: Float64Array;
  /** Per cell: values in it, how many are exactly 0, how many are NaN or ±∞. */
  count: Uint32Array;
  zeros: Uint32Array;
  nonFinite: Uint32Array;
  /** The range of log10 over the cells (NaN, NaN when no cell has a value > 0). */
  min: number;
  max: number;
}

/**
 * The bin (0-based) of item k (1-based) of n items cut into `bins` equal shares (bins ≤ n): ⌊(k − 1)·bins / n⌋.
 * Steps to columns, layers to rows.
 */
export function binOf(k: number, n: number, bins: number): number {
  return Math.floor(((k - 1) * bins) / n);
}

/** The items of bin b (0-based) of n items in `bins` equal shares: first..last, 1-based and inclusive. */
export function binRange(b: number, n: number, bins: number): { first: number; last: number } {
  return { first: Math.ceil((b * n) / bins) + 1, last: Math.ceil(((b + 1) * n) / bins) };
}

/**
 * Bin `records` (their `pick`ed per-layer values, layer l at index l − 1) into at most maxCols × maxRows cells:
 * columns are equal shares of the steps 1..steps, rows equal shares of the layers 1..layers.
 */
export function binRecords(records: readonly StepRecord[], pick: (r: StepRecord) => ArrayLike<number>, layers: number, steps: number,
  maxCols: number, maxRows: number): HeatmapGrid {
  const cols = Math.max(1, Math.min(steps, Math.floor(maxCols)));
  const rows = Math.max(1, Math.min(layers, Math.floor(maxRows)));
  const cells = cols * rows;
  const sum = new Float64Array(cells), positive = new Uint32Array(cells);
  const count = new Uint32Array(cells), zeros = new Uint32Array(cells), nonFinite = new Uint32Array(cells);
  const rowOf = Array.from({ length: layers }, (_, l) => binOf(l + 1, layers, rows));
  for (const record of records) {
    if (record.step < 1 || record.step > steps) continue;
    const c = binOf(record.step, steps, cols);
    const values = pick(record);
    for (let l = 0; l < layers && l < values.length; l++) {
      const i = rowOf[l] * cols + c, v = values[l];
      count[i]++;
      if (!Number.isFinite(v)) nonFinite[i]++;
      else if (v === 0) zeros[i]++;
      else if (v > 0) { sum[i] += Math.log10(v); positive[i]++; }
    }
  }
  const log10 = new Float64Array(cells);
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < cells; i++) {
    log10[i] = positive[i] > 0 ? sum[i] / positive[i] : NaN;
    if (positive[i] > 0) { min = Math.min(min, log10[i]); max = Math.max(max, log10[i]); }
  }
  return { layers, steps, cols, rows, log10, count, zeros, nonFinite, min: min <= max ? min : NaN, max: min <= max ? max : NaN };
}
