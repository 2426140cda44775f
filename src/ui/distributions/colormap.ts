/**
 * The heatmap's colour scale: viridis (van der Walt & Smith, matplotlib 2015), perceptually uniform and readable in
 * grey and by the colour-blind, as straight lines (in sRGB) between its colours at t = 0, 1/8, …, 1 (the nine colours
 * of R's viridisLite::viridis(9)), and the log scale of counts that picks a colour.
 */

/** An RGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];

/** viridis at t = k/8, k = 0..8: #440154, #472D7B, #3B528B, #2C728E, #21908C, #27AD81, #5DC863, #AADC32, #FDE725. */
export const VIRIDIS_ANCHORS: readonly Rgb[] = [
  [0x44, 0x01, 0x54], [0x47, 0x2d, 0x7b], [0x3b, 0x52, 0x8b], [0x2c, 0x72, 0x8e], [0x21, 0x90, 0x8c],
  [0x27, 0xad, 0x81], [0x5d, 0xc8, 0x63], [0xaa, 0xdc, 0x32], [0xfd, 0xe7, 0x25],
];

/**
 * viridis at t (clamped to [0, 1]; NaN as 0): dark purple (68, 1, 84) at 0, teal in the middle, yellow (253, 231, 37)
 * at 1; between two anchors the straight line, rounded.
 * @example viridis(0) // [68, 1, 84]
 */
export function viridis(t: number): Rgb {
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
  const n = VIRIDIS_ANCHORS.length - 1;
  const k = Math.min(n - 1, Math.floor(x * n)), f = x * n - k;
  const a = VIRIDIS_ANCHORS[k], b = VIRIDIS_ANCHORS[k + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + f * (b[c] - a[c]))) as unknown as Rgb;
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
