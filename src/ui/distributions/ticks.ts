/**
 * Tick marks of the distributions view, without the DOM: where exponent e sits on a magnitude axis, the labelled
 * exponents (a whole step apart, far enough apart to read), the layer ticks, and the colour bar's counts.
 */
import { pow2Tick, type BinAxis, type ColumnLayout } from './bins';

/** A tick: its position (CSS px from the plot's edge) and its label. */
export interface Tick {
  at: number;
  label: string;
}

/** The smallest of 1, 2, 5, 10, 20, 50, … that is ≥ x. */
export function niceInteger(x: number): number {
  if (!(x > 1)) return 1;
  let p = 10 ** Math.floor(Math.log10(x));
  for (;;) {
    for (const k of [1, 2, 5]) if (k * p >= x) return k * p;
    p *= 10;
  }
}

/**
 * The centre of exponent e's share of the column holding it (sign 1, −1, or 0 for |x|), in CSS px from the plot's
 * left; null where no column holds it.
 */
export function exponentX(axis: BinAxis, layout: ColumnLayout, sign: 1 | -1 | 0, e: number): number | null {
  for (let i = 0; i < axis.cells.length; i++) {
    const c = axis.cells[i];
    if (c.kind !== 'magnitude' || c.sign !== sign || e < c.lo || e >= c.hi) continue;
    const f = (c.sign === -1 ? c.hi - 1 - e + 0.5 : e - c.lo + 0.5) / (c.hi - c.lo);
    return layout.x0[i] + f * (layout.x1[i] - layout.x0[i]);
  }
  return null;
}

/**
 * The labelled ticks of a magnitude axis: exponents that are multiples of a step (1, 2, 5, 10, …) chosen so labels are
 * at least `spacing` CSS px apart; "2⁵" on the positive (or |x|) side, "−2⁵" mirrored on the negative side; and the
 * special columns: "0", "sub", "∞", "NaN".
 */
export function magnitudeTicks(axis: BinAxis, layout: ColumnLayout, spacing: number): Tick[] {
  const ticks: Tick[] = [];
  const r = axis.range;
  if (r) {
    const side = axis.signs === 'split' ? 1 : 0;
    const first = exponentX(axis, layout, side, r.lo)!, last = exponentX(axis, layout, side, r.hi)!;
    const perExponent = r.hi > r.lo ? (last - first) / (r.hi - r.lo) : spacing;
    const step = niceInteger(spacing / Math.max(1e-9, perExponent));
    let exps: number[] = [];
    for (let e = Math.ceil(r.lo / step) * step; e <= r.hi; e += step) exps.push(e);
    if (exps.length === 0) exps = [r.lo];
    for (const e of exps) ticks.push({ at: exponentX(axis, layout, side, e)!, label: pow2Tick(e) });
    if (axis.negatives) for (const e of exps) ticks.push({ at: exponentX(axis, layout, -1, e)!, label: `−${pow2Tick(e)}` });
  }
  const names = { zero: '0', subnormal: 'sub', inf: '∞', nan: 'NaN' } as const;
  axis.cells.forEach((c, i) => {
    if (c.kind === 'special') ticks.push({ at: (layout.x0[i] + layout.x1[i]) / 2, label: names[c.which] });
  });
  return ticks;
}

/** Layer ticks for 1..L: layer 1, then multiples of a step chosen for about `count` ticks, and L. */
export function layerTicks(L: number, count: number): number[] {
  const step = niceInteger(L / Math.max(1, count));
  const ticks = [1];
  for (let l = step; l < L; l += step) if (l - ticks[ticks.length - 1] >= step / 2) ticks.push(l);
  if (L > 1 && L - ticks[ticks.length - 1] < step / 2 && ticks.length > 1) ticks.pop();
  if (L > 1) ticks.push(L);
  return ticks;
}

/** The colour bar's counts: 1 and the powers of ten up to max (every second one, or less, past 6 of them). */
export function countTicks(max: number): number[] {
  if (max < 1) return [];
  const decades = Math.floor(Math.log10(max));
  const step = Math.max(1, Math.ceil((decades + 1) / 6));
  const ticks: number[] = [];
  for (let d = 0; d <= decades; d += step) ticks.push(10 ** d);
  return ticks;
}
