/**
 * Per-tensor statistics: the numbers gradscope reports for each of z, a, dA, dZ, W, dW of every layer.
 *
 * Semantics (identical for the CPU reference and the GPU reduction):
 * - count: number of elements; nanCount / infCount: elements that are NaN / ±Infinity (by bit pattern on GPU).
 * - min, max: over the non-NaN elements (±Infinity included; −0 < +0); NaN when every element is NaN.
 * - mean, std (population, divisor count), rms = sqrt(Σx²/count), l2 = sqrt(Σx²) (Frobenius norm):
 *   what IEEE float64 arithmetic gives on the values — NaN if any element is NaN; with ±Infinity present,
 *   mean is ±Infinity (NaN if both signs occur), std is NaN, rms and l2 are Infinity.
 * - zeroFraction: fraction of elements equal to ±0.
 */
export interface Stats {
  count: number;
  mean: number;
  std: number;
  rms: number;
  l2: number;
  min: number;
  max: number;
  zeroFraction: number;
  nanCount: number;
  infCount: number;
  /**
   * log10 of rms, l2 and max|x|, valid far beyond float64 in the extended range (a tensor at 1.5^10000 has
   * log10 rms = 1760.9 while rms itself is ∞); in the float32 range simply log10 of the reported values.
   * −∞ for 0, NaN where the value is NaN.
   */
  log10: { rms: number; l2: number; maxAbs: number };
}

/** The scalar statistics (everything but log10), in report order. */
export type StatName = Exclude<keyof Stats, 'log10'>;
export const STAT_NAMES: readonly StatName[] = [
  'count', 'mean', 'std', 'rms', 'l2', 'min', 'max', 'zeroFraction', 'nanCount', 'infCount',
];

type Counts = Pick<Moments, 'count' | 'zeros' | 'nans' | 'infs'> & { min: number; max: number };
type CountStats = Pick<PlainStats, 'count' | 'min' | 'max' | 'zeroFraction' | 'nanCount' | 'infCount'>;

/** Stats without log10 (as first computed). */
type PlainStats = Omit<Stats, 'log10'>;

/** Add the log10 fields (of the values themselves: scale 2^0). */
function withLog10(s: PlainStats): Stats {
  const maxAbs = Math.max(Math.abs(s.min), Math.abs(s.max));
  return { ...s, log10: { rms: Math.log10(s.rms), l2: Math.log10(s.l2), maxAbs: Number.isNaN(s.min) ? NaN : Math.log10(maxAbs) } };
}

/**
 * The statistics of 2^e·x given those of x (a tensor stored with a power-of-two scale, extended range): every value
 * statistic times 2^e in float64 (±∞ past float64's range), log10 fields plus e·log10 2 (exact beyond any range).
 */
export function scaleStats(s: Stats, e: number): Stats {
  if (e === 0) return s;
  const k = 2 ** e;
  const d = e * Math.LOG10E * Math.LN2;
  // 0·2^e stays 0 even when 2^e overflows (0·∞ would be NaN).
  const mul = (v: number) => (v === 0 ? v : v * k);
  return {
    ...s, mean: mul(s.mean), std: mul(s.std), rms: mul(s.rms), l2: mul(s.l2), min: mul(s.min), max: mul(s.max),
    log10: { rms: s.log10.rms + d, l2: s.log10.l2 + d, maxAbs: s.log10.maxAbs + d },
  };
}

/** The statistics that follow from the counts alone; min/max over non-NaN values, NaN if every value is NaN. */
function countStats(c: Counts): CountStats {
  const allNan = c.nans === c.count;
  return {
    count: c.count, min: allNan ? NaN : c.min, max: allNan ? NaN : c.max,
    zeroFraction: c.zeros / c.count, nanCount: c.nans, infCount: c.infs,
  };
}

/** The whole Stats when a NaN or ±∞ decides the moments (the special-value semantics of {@link Stats}), else null. */
function nonFiniteStats(base: CountStats): PlainStats | null {
  if (base.nanCount > 0) return { ...base, mean: NaN, std: NaN, rms: NaN, l2: NaN };
  if (base.infCount === 0) return null;
  const mean = base.min === -Infinity && base.max === Infinity ? NaN : base.max === Infinity ? Infinity : -Infinity;
  return { ...base, mean, std: NaN, rms: Infinity, l2: Infinity };
}

/**
 * Statistics of a tensor in float64, two passes (mean, then squared deviations); the oracle for the GPU
 * reduction. Every value is scaled by a power of two S near max|x| (exact, as LAPACK dnrm2 scales by max|x|),
 * so the sum, the squared deviations and Σx² cannot overflow for finite values:
 *   mean = S·(Σ x/S)/n,  std = S·√(Σ (x/S − mean/S)²/n),  rms = S·√(Σ (x/S)²/n),  l2 = S·√(Σ (x/S)²).
 *
 * @param x the tensor's elements, any layout (length ≥ 1).
 * @throws RangeError if x is empty.
 */
export function computeStats(x: ArrayLike<number>): Stats {
  const n = x.length;
  if (n === 0) throw new RangeError('computeStats: empty tensor');
  let nan = 0, inf = 0, zeros = 0, maxAbs = 0;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (Number.isNaN(v)) { nan++; continue; }
    // −0 < +0, as the GPU's order keys of the bits (IEEE 754 totalOrder).
    if (v < min || (v === 0 && min === 0 && Object.is(v, -0))) min = v;
    if (v > max || (v === 0 && max === 0 && Object.is(max, -0))) max = v;
    if (v === 0) zeros++;
    if (!Number.isFinite(v)) { inf++; continue; }
    const av = Math.abs(v);
    if (av > maxAbs) maxAbs = av;
  }
  const base = countStats({ count: n, min, max, zeros, nans: nan, infs: inf });
  const special = nonFiniteStats(base);
  if (special) return withLog10(special);
  // S = 2^e with 2^e ≤ max|x| (about): dividing by S is exact, and |x/S| < 4.
  const scale = maxAbs > 0 ? 2 ** Math.min(1023, Math.max(-1074, Math.floor(Math.log2(maxAbs)))) : 1;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i] / scale;
  const meanScaled = sum / n;
  let dev = 0, ssq = 0;
  for (let i = 0; i < n; i++) {
    const s = x[i] / scale;
    const d = s - meanScaled;
    dev += d * d;
    ssq += s * s;
  }
  return withLog10({
    ...base,
    mean: Math.min(max, Math.max(min, scale * meanScaled)), // rounding must not put the mean outside [min, max]
    std: scale * Math.sqrt(dev / n),
    rms: scale * Math.sqrt(ssq / n),
    l2: scale * Math.sqrt(ssq),
  });
}

/**
 * The statistics reduction's result for one tensor, as shaders/stats.wgsl leaves it (records Moments and Centred):
 * exact counts, min and max as integer keys of the float32 bits, and float32 sums scaled by powers of two.
 * With E the exponent of max|x| over finite x (2^E ≤ max|x| < 2^(E+1); −1000 when there is none), G = E + 1 and
 * c the stored centre (≈ mean·2^-G, a float32), over the finite x:
 *   s1 = Σ x·2^-E,  s2 = Σ (x·2^-E)²,  t1 = Σ (x·2^-G − c),  t2 = Σ (x·2^-G − c)².
 * Centring at the mean before squaring is the two-pass algorithm of Chan, Golub & LeVeque (1983), "Algorithms for
 * computing the sample variance: analysis and recommendations", eq. 1.2, with t1 the correction of eq. 1.7.
 */
export interface Moments {
  count: number;
  zeros: number;
  nans: number;
  infs: number;
  /** Order keys of the float32 bits of min and max over non-NaN values (see {@link keyToFloat32}). */
  minKey: number;
  maxKey: number;
  e: number;
  centre: number;
  s1: number;
  s2: number;
  t1: number;
  t2: number;
}

/** Bytes of one Moments record in shaders/stats.wgsl: count, zeros, nans, infs, min_key, max_key, e (i32), centre, s1, s2, 2 pads. */
export const MOMENTS_BYTES = 48;
/** Bytes of one Centred record: t1, t2 (f32). */
export const CENTRED_BYTES = 8;

/** The float32 whose order key (shaders/stats.wgsl order_key: sign set → ~bits, else bits | 2^31) is `key`. */
export function keyToFloat32(key: number): number {
  const bits = key & 0x80000000 ? key ^ 0x80000000 : ~key >>> 0;
  return new Float32Array(Uint32Array.of(bits).buffer)[0];
}

/**
 * Decode `count` result records: Moments from `moments` and Centred from `centred` (bytes as read back).
 * @returns one Moments per tensor, in record order.
 */
export function decodeMoments(moments: ArrayBuffer, centred: ArrayBuffer, count: number): Moments[] {
  const u = new Uint32Array(moments, 0, count * 12);
  const i = new Int32Array(moments, 0, count * 12);
  const f = new Float32Array(moments, 0, count * 12);
  const c = new Float32Array(centred, 0, count * 2);
  const out: Moments[] = [];
  for (let t = 0; t < count; t++) {
    const o = t * 12;
    out.push({
      count: u[o], zeros: u[o + 1], nans: u[o + 2], infs: u[o + 3], minKey: u[o + 4], maxKey: u[o + 5],
      e: i[o + 6], centre: f[o + 7], s1: f[o + 8], s2: f[o + 9], t1: c[2 * t], t2: c[2 * t + 1],
    });
  }
  return out;
}

/**
 * Turn GPU moments into Stats (float64 arithmetic), with the special-value semantics of {@link Stats}.
 * With n the number of finite values and G = e + 1: mean = 2^G·(c + t1/n) (clamped to [min, max], which the exact
 * mean satisfies), std = 2^G·√(t2/n − (t1/n)²), rms = 2^e·√(s2/count), l2 = 2^e·√s2; where min = max (exact, from
 * the keys) the tensor is constant: mean = min and std = 0 exactly.
 */
export function statsFromMoments(mo: Moments): Stats {
  const base = countStats({ ...mo, min: keyToFloat32(mo.minKey), max: keyToFloat32(mo.maxKey) });
  const special = nonFiniteStats(base);
  if (special) return withLog10(special);
  const n = mo.count, g = 2 ** (mo.e + 1);
  const meanDev = mo.t1 / n;
  // min = max (from the exact keys): a constant tensor, whose mean is that value and whose std is 0 exactly.
  const constant = base.min === base.max;
  const mean = constant ? base.min : Math.min(base.max, Math.max(base.min, g * (mo.centre + meanDev)));
  const std = constant ? 0 : g * Math.sqrt(Math.max(0, mo.t2 / n - meanDev * meanDev));
  const scale = 2 ** mo.e;
  return withLog10({ ...base, mean, std, rms: scale * Math.sqrt(mo.s2 / n), l2: scale * Math.sqrt(mo.s2) });
}

/** True if the statistics saw a NaN or an Infinity. */
export function hasNonFinite(s: Stats): boolean {
  return s.nanCount > 0 || s.infCount > 0;
}
