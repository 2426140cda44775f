/**
 * Per-tensor histograms, two binnings (the same on the CPU reference and on the GPU, shaders/histogram.wgsl):
 * - magnitude: one bin per power of two of the float32 range, x in [2^e, 2^(e+1)) for e = −126..127, positive and
 *   negative values apart, and separate counts of ±0, subnormals (0 < |x| < 2^-126), ±∞ and NaN — of each value as
 *   float32 stores it (the CPU bins Math.fround of its float64 values). In the extended range a tensor is stored as
 *   2^shift·x: its bins are those of the stored x, and the edges of its bins are 2^(e + shift).
 * - linear: 64 equal bins over the tensor's own [min, max] (finite values; none when min or max is not finite);
 *   bin ⌊64(x − min)/(max − min)⌋, the last bin closed; all in bin 0 when max = min.
 */

/** Exponents e of the magnitude bins: bin k holds |x| in [2^(MIN_EXPONENT + k), 2^(MIN_EXPONENT + k + 1)). */
export const MIN_EXPONENT = -126;
export const MAGNITUDE_BINS = 254;
export const LINEAR_BINS = 64;
/** u32 counters per tensor on the GPU: positive, negative, zero, subnormal, inf, nan, linear. */
export const HIST_WORDS = 2 * MAGNITUDE_BINS + 4 + LINEAR_BINS;

/** log2 of the magnitude bins' edges (255 values, −126..128), before any extended-range shift. */
export const MAGNITUDE_EDGES: readonly number[] = Array.from({ length: MAGNITUDE_BINS + 1 }, (_, k) => MIN_EXPONENT + k);

export interface Histogram {
  magnitude: {
    /** Counts of positive (negative) normal values per bin of MAGNITUDE_EDGES (+ shift). */
    positive: number[];
    negative: number[];
    zero: number;
    subnormal: number;
    inf: number;
    nan: number;
  };
  /** The extended range's power-of-two scale of the tensor (its magnitude edges are MAGNITUDE_EDGES + shift); 0 otherwise. */
  shift: number;
  /** 65 edges from min to max and 64 counts; null when min or max is not finite (or there is no value). */
  linear: { edges: number[]; counts: number[] } | null;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The magnitude counter (0..511, the GPU's layout) of x as float32 stores it. */
export function magnitudeBin(x: number): number {
  f32[0] = x;
  const b = u32[0], field = (b >>> 23) & 0xff, mantissa = b & 0x7fffff;
  if (field === 255) return mantissa !== 0 ? 511 : 510;
  if (field === 0) return mantissa !== 0 ? 509 : 508;
  return field - 1 + (b >>> 31 ? MAGNITUDE_BINS : 0);
}

/** The 65 edges of the linear bins of [min, max] (null if not finite); the last edge is max itself. */
export function linearEdges(min: number, max: number): number[] | null {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return null;
  return Array.from({ length: LINEAR_BINS + 1 }, (_, k) => (k === LINEAR_BINS ? max : min + ((max - min) * k) / LINEAR_BINS));
}

/** The linear bin (0..63) of a finite x in [min, max] (float64 arithmetic). */
export function linearBin(x: number, min: number, max: number): number {
  if (!(max > min)) return 0;
  return Math.min(LINEAR_BINS - 1, Math.max(0, Math.floor((LINEAR_BINS * (x - min)) / (max - min))));
}

/**
 * The counters of a tensor's values (the CPU reference), in the GPU's layout (HIST_WORDS).
 * @param values any layout; @param min, max the tensor's min and max (as its Stats report them, unscaled)
 */
export function histogramWords(values: ArrayLike<number>, min: number, max: number): Uint32Array {
  const words = new Uint32Array(HIST_WORDS);
  const linear = Number.isFinite(min) && Number.isFinite(max);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    words[magnitudeBin(x)]++;
    if (linear && Number.isFinite(x)) words[2 * MAGNITUDE_BINS + 4 + linearBin(x, min, max)]++;
  }
  return words;
}

/**
 * A Histogram from its counters.
 * @param words HIST_WORDS counters (GPU layout); @param min, max the tensor's min and max of the stored values
 *   (unscaled); @param shift its extended-range scale exponent (0 in the float32 range)
 */
export function decodeHistogram(words: ArrayLike<number>, min: number, max: number, shift = 0): Histogram {
  const at = (i: number) => words[i];
  const edges = linearEdges(min, max);
  const k = 2 ** shift;
  return {
    magnitude: {
      positive: Array.from({ length: MAGNITUDE_BINS }, (_, i) => at(i)),
      negative: Array.from({ length: MAGNITUDE_BINS }, (_, i) => at(MAGNITUDE_BINS + i)),
      zero: at(508), subnormal: at(509), inf: at(510), nan: at(511),
    },
    shift,
    linear: edges === null ? null : {
      edges: shift === 0 ? edges : edges.map((e) => e * k),
      counts: Array.from({ length: LINEAR_BINS }, (_, i) => at(2 * MAGNITUDE_BINS + 4 + i)),
    },
  };
}

/** Dead and saturated units of a^[l], row-major (n, m): fractions of rows all ±0, and all |a| > 0.99. */
export function unitFractions(a: ArrayLike<number>, n: number, m: number): { dead: number; saturated: number } {
  let dead = 0, saturated = 0;
  for (let i = 0; i < n; i++) {
    let d = true, s = true;
    for (let j = 0; j < m; j++) {
      const v = Math.fround(a[i * m + j]); // as float32 stores it: an underflowed value is 0
      if (v !== 0) d = false;
      if (!(Math.abs(v) > 0.99)) s = false;
    }
    if (d) dead++;
    if (s) saturated++;
  }
  return { dead: dead / n, saturated: saturated / n };
}
