/**
 * The axes of the distributions view, without the DOM (so they are unit-tested in Node): which bins of a tensor's
 * histograms (stats/histogram.ts) make each column of the heatmap and of the small multiples, which layers make
 * each row, the counts of every cell, where each column is drawn and what a cell is called.
 *
 * Magnitude binning: a column per power of two, |x| in [2^e, 2^(e+1)), over the true exponents e from the lowest to
 * the highest non-empty bin of all layers. In the extended range layer l stores 2^shift·x, so its bin k holds true
 * exponent e = MIN_EXPONENT + k + shift: bins are aligned by e, not by k. With signs 'split' the negative values are
 * mirrored to the left of the zero column (largest |x| outermost); with 'abs' both signs share the columns. The
 * special columns (zero, subnormal, ±∞, NaN) come apart: zero in the middle (or first, with 'abs'), the others at the
 * right. Linear binning: 64 columns, bin k of each layer's own [min, max] ("position within the layer's range").
 *
 * More columns than pixels: consecutive exponents (or linear bins) share a column and their counts are summed
 * (binsPerCell). More layers than pixel rows: consecutive layers share a row, counts summed (RowGroups.perRow).
 */
import { LINEAR_BINS, MAGNITUDE_BINS, MIN_EXPONENT, type Histogram } from '../../stats/histogram';
import { formatNumber } from '../format';

/** The heatmap's binning: by power of two (with the special values) or 64 linear bins per layer. */
export type Binning = 'magnitude' | 'linear';
/** Negative values mirrored left of zero ('split'), or both signs together (|x|, 'abs'). */
export type Signs = 'split' | 'abs';
/** The values counted apart from the magnitude bins. */
export type Special = 'zero' | 'subnormal' | 'inf' | 'nan';
/** The special columns, in their order on the axis (zero's place depends on the signs). */
export const SPECIALS: readonly Special[] = ['zero', 'subnormal', 'inf', 'nan'];

/**
 * A column: true exponents lo..hi−1 of one sign (|x| in [2^lo, 2^hi); sign 0: both signs), one special value, or
 * linear bins lo..hi−1 (0-based).
 */
export type Cell =
  | { kind: 'magnitude'; sign: 1 | -1 | 0; lo: number; hi: number }
  | { kind: 'special'; which: Special }
  | { kind: 'linear'; lo: number; hi: number };

/** True exponents e = lo..hi (inclusive): the bins [2^e, 2^(e+1)) that hold a value in some layer. */
export interface ExponentRange {
  lo: number;
  hi: number;
}

/** The columns of a view. */
export interface BinAxis {
  binning: Binning;
  signs: Signs;
  /** The exponents shown (magnitude binning), null when no layer has a normal value (or linear binning). */
  range: ExponentRange | null;
  /** 'split' with a negative side (false when no layer has a negative value: the positive side takes the width). */
  negatives: boolean;
  /** Exponents (or linear bins) per column: > 1 when they do not fit the width; their counts are summed. */
  binsPerCell: number;
  cells: Cell[];
}

/** The first and last non-empty bin k (0..MAGNITUDE_BINS−1) of either sign, or null. */
function occupied(h: Histogram): [number, number] | null {
  const { positive, negative } = h.magnitude;
  let first = -1, last = -1;
  for (let k = 0; k < MAGNITUDE_BINS; k++) {
    if (positive[k] > 0 || negative[k] > 0) {
      if (first < 0) first = k;
      last = k;
    }
  }
  return first < 0 ? null : [first, last];
}

/**
 * The true exponents holding a normal value in any of `hists` (MIN_EXPONENT + k + shift for each non-empty bin k),
 * or null when none does. Layers without histograms (undefined) are skipped.
 */
export function exponentRange(hists: Iterable<Histogram | undefined>): ExponentRange | null {
  let lo = Infinity, hi = -Infinity;
  for (const h of hists) {
    const o = h ? occupied(h) : null;
    if (!h || !o) continue;
    lo = Math.min(lo, MIN_EXPONENT + o[0] + h.shift);
    hi = Math.max(hi, MIN_EXPONENT + o[1] + h.shift);
  }
  return lo <= hi ? { lo, hi } : null;
}

/** True if some layer of `hists` has a negative normal value (undefined layers skipped). */
export function hasNegatives(hists: Iterable<Histogram | undefined>): boolean {
  for (const h of hists) if (h && h.magnitude.negative.some((n) => n > 0)) return true;
  return false;
}

/**
 * The magnitude columns for `range`, at most `maxCells` of the magnitude bins (the special columns come on top):
 * 'split' — negative exponents hi..lo (mirrored; left out when `negatives` is false), zero, positive lo..hi;
 * 'abs' — zero, |x| lo..hi; then subnormal, ±∞, NaN. Exponents are grouped binsPerCell to a column from `range.lo`
 * when there are more than maxCells.
 */
export function magnitudeAxis(range: ExponentRange | null, signs: Signs, maxCells: number, negatives = true): BinAxis {
  const groups: { lo: number; hi: number }[] = [];
  const mirrored = signs === 'split' && negatives;
  let k = 1;
  if (range) {
    const perSide = Math.max(1, Math.floor(maxCells / (mirrored ? 2 : 1)));
    k = Math.max(1, Math.ceil((range.hi - range.lo + 1) / perSide));
    for (let lo = range.lo; lo <= range.hi; lo += k) groups.push({ lo, hi: Math.min(range.hi + 1, lo + k) });
  }
  const cells: Cell[] = [];
  const zero: Cell = { kind: 'special', which: 'zero' };
  if (signs === 'split') {
    if (mirrored) for (let i = groups.length - 1; i >= 0; i--) cells.push({ kind: 'magnitude', sign: -1, ...groups[i] });
    cells.push(zero);
    for (const g of groups) cells.push({ kind: 'magnitude', sign: 1, ...g });
  } else {
    cells.push(zero);
    for (const g of groups) cells.push({ kind: 'magnitude', sign: 0, ...g });
  }
  for (const which of ['subnormal', 'inf', 'nan'] as const) cells.push({ kind: 'special', which });
  return { binning: 'magnitude', signs, range, negatives: mirrored, binsPerCell: k, cells };
}

/** The linear columns: the 64 bins, grouped when more than `maxCells`. */
export function linearAxis(maxCells: number): BinAxis {
  const k = Math.max(1, Math.ceil(LINEAR_BINS / Math.max(1, maxCells)));
  const cells: Cell[] = [];
  for (let lo = 0; lo < LINEAR_BINS; lo += k) cells.push({ kind: 'linear', lo, hi: Math.min(LINEAR_BINS, lo + k) });
  return { binning: 'linear', signs: 'split', range: null, negatives: false, binsPerCell: k, cells };
}

/**
 * The count of one layer's histogram `h` in `cell` (the reference the fast countMatrix is tested against).
 * A magnitude cell sums the bins k whose true exponent MIN_EXPONENT + k + h.shift lies in [lo, hi); a linear cell
 * is 0 where the layer has no linear bins.
 */
export function cellCount(h: Histogram, cell: Cell): number {
  if (cell.kind === 'special') return h.magnitude[cell.which];
  let n = 0;
  if (cell.kind === 'linear') {
    if (!h.linear) return 0;
    for (let b = cell.lo; b < cell.hi; b++) n += h.linear.counts[b];
    return n;
  }
  for (let e = cell.lo; e < cell.hi; e++) {
    const k = e - h.shift - MIN_EXPONENT;
    if (k < 0 || k >= MAGNITUDE_BINS) continue;
    if (cell.sign >= 0) n += h.magnitude.positive[k];
    if (cell.sign <= 0) n += h.magnitude.negative[k];
  }
  return n;
}

/** Layers 1..L in rows of `perRow` consecutive layers (the last row may hold fewer). */
export interface RowGroups {
  layers: number;
  perRow: number;
  rows: number;
}

/** The rows for L layers on `pixels` pixel rows: one layer a row while they fit, else ⌈L/pixels⌉ layers a row. */
export function rowGroups(L: number, pixels: number): RowGroups {
  const perRow = Math.max(1, Math.ceil(L / Math.max(1, Math.floor(pixels))));
  return { layers: L, perRow, rows: Math.ceil(L / perRow) };
}

/** The first and last layer (1-based) of row `row`. */
export function rowLayers(g: RowGroups, row: number): [number, number] {
  return [row * g.perRow + 1, Math.min(g.layers, (row + 1) * g.perRow)];
}

/** The counts of a heatmap: rows × cells, each the sum over the row's layers. */
export interface CountMatrix {
  rows: number;
  cols: number;
  /** counts[row · cols + cell] */
  counts: Float64Array;
  /** Per row, the layers with nothing to count in this binning (no histograms, or no linear bins: min or max not finite). */
  missing: Int32Array;
  /** The largest count of a cell. */
  max: number;
}

/**
 * The counts of every cell: for each row of `groups`, the sum over its layers of cellCount(hists[l − 1], cell).
 * O(L · bins): each layer's non-empty bins are added to their column through an index by exponent.
 */
export function countMatrix(hists: readonly (Histogram | undefined)[], groups: RowGroups, axis: BinAxis): CountMatrix {
  const cols = axis.cells.length;
  const counts = new Float64Array(groups.rows * cols);
  const missing = new Int32Array(groups.rows);
  // Column of each exponent (per sign) or linear bin; −1 where none.
  const span = axis.range ? axis.range.hi - axis.range.lo + 1 : 0;
  const posCol = new Int32Array(span).fill(-1), negCol = new Int32Array(span).fill(-1);
  const linCol = new Int32Array(LINEAR_BINS).fill(-1);
  const specialCol: Record<Special, number> = { zero: -1, subnormal: -1, inf: -1, nan: -1 };
  axis.cells.forEach((c, i) => {
    if (c.kind === 'special') specialCol[c.which] = i;
    else if (c.kind === 'linear') for (let b = c.lo; b < c.hi; b++) linCol[b] = i;
    else {
      for (let e = c.lo; e < c.hi; e++) {
        if (c.sign >= 0) posCol[e - axis.range!.lo] = i;
        if (c.sign <= 0) negCol[e - axis.range!.lo] = i;
      }
    }
  });
  for (let l = 0; l < groups.layers; l++) {
    const row = Math.floor(l / groups.perRow), base = row * cols;
    const h = hists[l];
    if (!h || (axis.binning === 'linear' && !h.linear)) {
      missing[row]++;
      continue;
    }
    if (axis.binning === 'linear') {
      const c = h.linear!.counts;
      for (let b = 0; b < LINEAR_BINS; b++) if (c[b] > 0) counts[base + linCol[b]] += c[b];
      continue;
    }
    const { positive, negative } = h.magnitude;
    const offset = MIN_EXPONENT + h.shift - (axis.range?.lo ?? 0);
    for (let k = 0; k < MAGNITUDE_BINS; k++) {
      const i = k + offset; // the exponent's index in the range (outside it only for a range not made from these layers)
      if (i < 0 || i >= span) continue;
      if (positive[k] > 0) counts[base + posCol[i]] += positive[k];
      if (negative[k] > 0) counts[base + negCol[i]] += negative[k];
    }
    for (const s of SPECIALS) counts[base + specialCol[s]] += h.magnitude[s];
  }
  let max = 0;
  for (const v of counts) if (v > max) max = v;
  return { rows: groups.rows, cols, counts, missing, max };
}

/** Where the columns are drawn, in CSS pixels from the plot's left edge: cell i spans [x0[i], x1[i]). */
export interface ColumnLayout {
  x0: Float64Array;
  x1: Float64Array;
}

/** Gap in CSS px between groups of columns (negative values, zero, positive values, each special). */
export const COLUMN_GAP = 4;
/** A special column's width in CSS px: the regular columns' width, within these bounds. */
export const SPECIAL_WIDTH = { min: 12, max: 28 } as const;

/** Which group a cell belongs to (a gap separates groups). */
function group(c: Cell): string {
  return c.kind === 'magnitude' ? `m${c.sign}` : c.kind === 'special' ? c.which : 'linear';
}

/** How many magnitude columns fit `width` CSS px at `dpr` device pixels per CSS px: one device pixel each at least. */
export function magnitudeBudget(width: number, dpr: number): number {
  return Math.max(2, Math.floor((width - SPECIALS.length * SPECIAL_WIDTH.min - (SPECIALS.length + 1) * COLUMN_GAP) * dpr));
}

/**
 * Lay the cells of `axis` across `width` CSS px: the special columns SPECIAL_WIDTH wide (the regular columns'
 * width, within min..max), COLUMN_GAP between groups, the regular columns sharing the rest equally.
 */
export function layoutColumns(axis: BinAxis, width: number): ColumnLayout {
  const cells = axis.cells;
  const specials = cells.filter((c) => c.kind === 'special').length;
  const regular = cells.length - specials;
  let gaps = 0;
  for (let i = 1; i < cells.length; i++) if (group(cells[i]) !== group(cells[i - 1])) gaps++;
  const free = Math.max(1, width - gaps * COLUMN_GAP);
  let sw = regular === 0 ? free / Math.max(1, specials) : SPECIAL_WIDTH.min;
  if (regular > 0) {
    const cw = (free - specials * sw) / regular;
    sw = Math.min(SPECIAL_WIDTH.max, Math.max(SPECIAL_WIDTH.min, cw));
  }
  const cw = regular > 0 ? Math.max(0, free - specials * sw) / regular : 0;
  const x0 = new Float64Array(cells.length), x1 = new Float64Array(cells.length);
  let x = 0;
  cells.forEach((c, i) => {
    if (i > 0 && group(c) !== group(cells[i - 1])) x += COLUMN_GAP;
    x0[i] = x;
    x += c.kind === 'special' ? sw : cw;
    x1[i] = x;
  });
  return { x0, x1 };
}

/** The cell at x (CSS px from the plot's left), or −1 in a gap or outside. */
export function cellAt(layout: ColumnLayout, x: number): number {
  let lo = 0, hi = layout.x0.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (x < layout.x0[mid]) hi = mid - 1;
    else if (x >= layout.x1[mid]) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** 2^e as a number for people, valid far beyond float64: "0.125", "1.13e+15", "2.61e+1760". */
export function pow2Number(e: number): string {
  if (Math.abs(e) <= 16) return String(Number((2 ** e).toPrecision(4)));
  const d = e * Math.log10(2), whole = Math.floor(d);
  let mantissa = Number((10 ** (d - whole)).toPrecision(3)), exponent = whole;
  if (mantissa >= 10) { mantissa /= 10; exponent += 1; }
  return `${mantissa}e${exponent >= 0 ? '+' : ''}${exponent}`;
}

/** Superscript digits for tick labels: 2⁻³. */
const SUPERSCRIPT: Readonly<Record<string, string>> = {
  '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹',
};

/** "2⁻³" — a tick label of the magnitude axis. */
export function pow2Tick(e: number): string {
  return `2${[...String(e)].map((ch) => SUPERSCRIPT[ch] ?? ch).join('')}`;
}

/**
 * A bin edge for people, 3 significant digits without trailing zeros: "0.12", "-3.5e+30", "1024" ("NaN" or
 * "Infinity" where the extended range's edges are beyond float64).
 */
export function edgeText(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(3))) : formatNumber(v);
}

/**
 * The values a cell counts, in words, e.g. "x in [2^-3, 2^-2) ≈ [0.125, 0.25)", "x in (-2^5, -2^4]", "x = ±0",
 * "linear bin 11 of 64: x in [0.12, 0.15)". `h`: the layer's histogram when the row is one layer (a linear cell
 * then names its values; rows of several layers have each their own range).
 */
export function cellText(cell: Cell, h?: Histogram): string {
  switch (cell.kind) {
    case 'special':
      return {
        zero: 'x = ±0',
        subnormal: 'subnormal: 0 < |x| < 2^-126 as stored',
        inf: 'x = ±∞ (overflow)',
        nan: 'x = NaN',
      }[cell.which];
    case 'magnitude': {
      const lo = `2^${cell.lo}`, hi = `2^${cell.hi}`;
      const approx = `${pow2Number(cell.lo)}, ${pow2Number(cell.hi)}`;
      if (cell.sign === 1) return `x in [${lo}, ${hi}) ≈ [${approx})`;
      if (cell.sign === -1) return `x in (-${hi}, -${lo}] ≈ (-${pow2Number(cell.hi)}, -${pow2Number(cell.lo)}]`;
      return `|x| in [${lo}, ${hi}) ≈ [${approx})`;
    }
    case 'linear': {
      const bins = cell.hi - cell.lo === 1 ? `linear bin ${cell.lo + 1} of ${LINEAR_BINS}` : `linear bins ${cell.lo + 1}–${cell.hi} of ${LINEAR_BINS}`;
      if (!h) return `${bins} of each layer's own [min, max]`;
      if (!h.linear) return `${bins}: none (min or max of the layer is not finite)`;
      const e = h.linear.edges;
      if (e[0] === e[LINEAR_BINS]) return `${bins}: ${cell.lo === 0 ? `every x = ${edgeText(e[0])} (min = max)` : 'none (min = max: every x is in bin 1)'}`;
      return `${bins}: x in [${edgeText(e[cell.lo])}, ${edgeText(e[cell.hi])}${cell.hi === LINEAR_BINS ? ']' : ')'}`;
    }
  }
}
