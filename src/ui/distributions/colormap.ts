/**
 * The heatmap's colour scale: viridis (van der Walt & Smith, matplotlib 2015), perceptually uniform and readable in
 * grey and by the colour-blind, as a degree-6 polynomial fit per channel (Matt Zucker's fit, within about 1/255 of
 * the 256-entry table), and the log scale of counts that picks a colour.
 */

/** An RGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];

/** Polynomial coefficients c0..c6 of (r, g, b) in t ∈ [0, 1], each channel in [0, 1]. */
const COEFFS: readonly Rgb[] = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];

/**
 * viridis at t (clamped to [0, 1]): dark purple (68, 1, 84) at 0, teal in the middle, yellow (253, 231, 37) at 1.
 * @example viridis(0) // [68, 1, 84]
 */
export function viridis(t: number): Rgb {
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
  const channel = (c: 0 | 1 | 2) => {
    let v = 0;
    for (let k = COEFFS.length - 1; k >= 0; k--) v = v * x + COEFFS[k][c];
    return Math.round(255 * Math.min(1, Math.max(0, v)));
  };
  return [channel(0), channel(1), channel(2)];
}

/**
 * Where a count falls on the colour scale of counts 1..max: log(count)/log(max) (0 for count 1, 1 for max; max = 1
 * gives 1). Counts ≤ 0 have no colour (the heatmap leaves them white): NaN.
 */
export function countPosition(count: number, max: number): number {
  if (!(count > 0)) return NaN;
  if (max <= 1) return 1;
  return Math.min(1, Math.log(count) / Math.log(max));
}

/** "#rrggbb" of an Rgb. */
export function hex(c: Rgb): string {
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Relative luminance (ITU-R BT.709 weights on linearised sRGB) of c, 0..1: what "perceptually ordered" is tested on. */
export function luminance(c: Rgb): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}
