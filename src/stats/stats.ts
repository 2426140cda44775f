/**
 * Per-tensor statistics: the numbers gradscope reports for each of z, a, dA, dZ, W, dW of every layer.
 *
 * Semantics (identical for the CPU reference and the GPU reduction):
 * - count: number of elements; nanCount / infCount: elements that are NaN / ±Infinity (by bit pattern on GPU).
 * - min, max: over the non-NaN elements (±Infinity included); NaN when every element is NaN.
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
}

export type StatName = keyof Stats;
export const STAT_NAMES: readonly StatName[] = [
  'count', 'mean', 'std', 'rms', 'l2', 'min', 'max', 'zeroFraction', 'nanCount', 'infCount',
];

type Counts = Pick<Moments, 'count' | 'min' | 'max' | 'zeros' | 'nans' | 'infs'>;
type CountStats = Pick<Stats, 'count' | 'min' | 'max' | 'zeroFraction' | 'nanCount' | 'infCount'>;

/** The statistics that follow from the counts alone; min/max over non-NaN values, NaN if every value is NaN. */
function countStats(c: Counts): CountStats {
  const allNan = c.nans === c.count;
  return {
    count: c.count, min: allNan ? NaN : c.min, max: allNan ? NaN : c.max,
    zeroFraction: c.zeros / c.count, nanCount: c.nans, infCount: c.infs,
  };
}

/** The whole Stats when a NaN or ±∞ decides the moments (the special-value semantics of {@link Stats}), else null. */
function nonFiniteStats(base: CountStats): Stats | null {
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
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === 0) zeros++;
    if (!Number.isFinite(v)) { inf++; continue; }
    const av = Math.abs(v);
    if (av > maxAbs) maxAbs = av;
  }
  const base = countStats({ count: n, min, max, zeros, nans: nan, infs: inf });
  const special = nonFiniteStats(base);
  if (special) return special;
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
  return {
    ...base,
    mean: scale * meanScaled,
    std: scale * Math.sqrt(dev / n),
    rms: scale * Math.sqrt(ssq / n),
    l2: scale * Math.sqrt(ssq),
  };
}

/**
 * Scaled, shifted moments of one tensor as the GPU statistics kernel (shaders/stats.wgsl) leaves them,
 * all float32 except the counts. With K = shift (the tensor's first element if finite, else 0) and the halved
 * deviation d = (x−K)/2 (halved so that it cannot overflow float32), over finite x:
 *   devSum = Σ d/devScale, devSsq = Σ (d/devScale)²,   absSsq = Σ (x/absScale)²
 * where devScale and absScale are powers of two within a factor 2 of max|d| and max|x| (0 if that max is 0).
 * Shifting by a sample value is the "shifted data" algorithm of Chan, Golub & LeVeque (1983),
 * "Algorithms for computing the sample variance", §3; scaling follows LAPACK dnrm2, by powers of two so that
 * it is exact.
 */
export interface Moments {
  count: number;
  shift: number;
  devScale: number;
  devSum: number;
  devSsq: number;
  absScale: number;
  absSsq: number;
  min: number;
  max: number;
  zeros: number;
  nans: number;
  infs: number;
}

/**
 * Turn GPU moments into Stats (float64 arithmetic), with the special-value semantics of {@link Stats}.
 * mean = K + 2·devScale·devSum/n; std = 2·devScale·√(devSsq/n − (devSum/n)²); l2 = absScale·√absSsq, rms = absScale·√(absSsq/n).
 */
export function statsFromMoments(mo: Moments): Stats {
  const n = mo.count;
  const base = countStats(mo);
  const special = nonFiniteStats(base);
  if (special) return special;
  // Deviations are halved, d = (x − K)/2, so that x − K cannot overflow float32.
  const meanDev = mo.devScale > 0 ? mo.devSum / n : 0;
  const mean = mo.shift + 2 * mo.devScale * meanDev;
  // std = devScale·√(…) rather than √(devScale²·…): devScale² may under- or overflow where std does not.
  const std = mo.devScale > 0 ? 2 * mo.devScale * Math.sqrt(Math.max(0, mo.devSsq / n - meanDev * meanDev)) : 0;
  const l2 = mo.absScale > 0 ? mo.absScale * Math.sqrt(mo.absSsq) : 0;
  const rms = mo.absScale > 0 ? mo.absScale * Math.sqrt(mo.absSsq / n) : 0;
  return { ...base, mean, std, rms, l2 };
}

/** True if the statistics saw a NaN or an Infinity. */
export function hasNonFinite(s: Stats): boolean {
  return s.nanCount > 0 || s.infCount > 0;
}
