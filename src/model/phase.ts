/**
 * The phase diagram of deep random networks in (σ_w², σ_b²) (issue 9 part 2; Poole et al. 2016, Schoenholz et al.
 * 2017): what is measured, how it is fitted, and the result's stable JSON. Shared by the float64 CPU reference
 * (backends/cpu/phase.ts), the batched WebGPU engine (backends/webgpu/phase.ts), the CLI (--phase) and any GUI.
 *
 * Every grid point is one network of depth L and equal widths n^[0] = … = n^[L] = n, batch m, activation g on every
 * layer l = 1..L (no identity output layer: all L layers are the deep signal propagation of the theory):
 *   z^[l] = W^[l] a^[l-1] + b^[l],  a^[l] = g(z^[l]),  a^[0] = x;
 *   W^[l] = (σ_w/√n)·W̃^[l], W̃^[l]_ik = element i·n + k of the Philox stream (seed, l, WEIGHTS) (N(0, 1));
 *   b^[l] = σ_b·b̃^[l], b̃^[l]_i = element i of (seed, l, BIASES);
 * i.e. exactly gradscope's network with --init normal --std σ_w/√n --bias-std σ_b and the same seed (the scalars
 * σ_w/√n and σ_b are rounded to float32 once). The inputs x (n, m), row-major, from (seed, 0, BATCH) normals ξ:
 * column 2k is ξ_{·,2k}, column 2k+1 is c₀·ξ_{·,2k} + √(1 − c₀²)·ξ_{·,2k+1} (c₀ = PAIR_CORRELATION), so the m
 * examples are ⌊m/2⌋ pairs of nearly equal inputs (a last odd column stays ξ); per-unit variance q⁰ = 1.
 * The backward pass starts from a Gaussian output gradient, dA^[L]_ij = element i·m + j of (seed, 0, PHASE_GRADIENT)
 * (not the gradient of a loss: a random dA^[L] independent of the forward pass is the setting of the theory's
 * backward mean field, Schoenholz et al. §5; only the growth of rms(dA^[l]) over the layers is used), then
 *   dZ^[l] = dA^[l] ⊙ g′(z^[l]),  dA^[l-1] = W^[l]ᵀ dZ^[l]  for l = L..1.
 *
 * Measured per network (the only data read back from the device): for l = 0..L
 *   ln rms(dA^[l]), rms over the n·m elements;
 *   1 − c^[l], c^[l] the correlation of the pairs' pre-activations z^[l] (x at l = 0): with Z₁, Z₂ the
 *     concatenated first and second members of every pair (n·⌊m/2⌋ values each), c = ⟨Z₁, Z₂⟩/(‖Z₁‖‖Z₂‖), computed
 *     as 1 − c = (‖Z₁ − Z₂‖² − (‖Z₁‖ − ‖Z₂‖)²)/(2‖Z₁‖‖Z₂‖), which does not cancel as c → 1. Pre-activations, as
 *     Poole et al.'s q_ab (eq. 4–5).
 * Fitted per network:
 *   growth: the least-squares slope of ln rms(dA^[l]) against L − l (per layer toward the input; > 0 explodes),
 *     over l = ⌊L·FIT.skipFraction⌋..L — the first fifth of the layers is left out, where q^l has not yet settled at q*
 *     (from q⁰ = 1; Schoenholz's ξ_q): at L = 50 that moves the zero crossing of tanh at σ_b² = 0.05 from 1.776 to
 *     1.761 (theory 1.761) — and only the run of layers from L down where rms stays finite and in [2^-120, 2^120];
 *     theory: ½ ln χ₁;
 *   correlationGrowth: the least-squares slope of ln(1 − c^[l]) against l, from l = 0 while 1 − c^[l] stays in
 *     [FIT.correlationMin, FIT.correlationMax]: the rate at which two nearby inputs decorrelate (> 0, chaotic) or
 *     merge (< 0, ordered) while c is near 1, where the correlation map is linear with slope χ₁ (Schoenholz eq. 5);
 *     theory ln χ₁. It stops where 1 − c leaves the window: at the float32 floor in the ordered phase, at the
 *     approach to c* < 1 in the chaotic one. Where q* = 0 (tanh with σ_b² = 0 and σ_w² < 1) or the activation is
 *     positively homogeneous (ReLU at σ_b² = 0) the correlation map at c = 1 is degenerate and the rate is near 0.
 *   criticalMeasured: per σ_b² row, the σ_w² where growth first crosses 0 from below (linear interpolation between
 *     the two columns around the sign change), or null.
 */
import type { Activation } from './activations';
import type { BackendName } from './config';
import { quoteValue } from './config';
import { fillNormal, PURPOSE } from './philox';
import { jsonNumber } from './result';

/** c₀, the correlation of the two inputs of a pair (1 − c₀ = 10^-3). */
export const PAIR_CORRELATION = 1 - 1e-3;

/** The fit windows (see the file comment). */
export const FIT = {
  /** Fraction of the layers near the input left out of the growth fit (q^l → q*). */
  skipFraction: 0.2,
  /** rms(dA) outside [2^-120, 2^120] (float32 near its ends) ends the growth fit. */
  lnRmsMin: -120 * Math.LN2,
  lnRmsMax: 120 * Math.LN2,
  /** 1 − c outside [1e-9, 0.1] ends the correlation fit. */
  correlationMin: 1e-9,
  correlationMax: 0.1,
} as const;

/** How the grid points draw W̃, b̃, x and dA^[L]. */
export const PHASE_DRAWS = ['shared', 'independent'] as const;
export type PhaseDraws = (typeof PHASE_DRAWS)[number];

/** The grid of a phase diagram and how its networks are drawn (the CLI's --phase-grid, --sw2, --sb2, --phase-draws). */
export interface PhaseOptions {
  /** Columns (σ_w² values) and rows (σ_b² values). */
  cols: number;
  rows: number;
  /** Inclusive ranges [lo, hi] of σ_w² and σ_b² (lo = hi for a single value, with 1 column or row). */
  sw2: readonly [number, number];
  sb2: readonly [number, number];
  /**
   * shared: one seed for every grid point (common random numbers: each point is the same W̃, b̃, x, dA^[L] scaled by its
   * σ_w, σ_b, so the map is smooth in σ and the draws cost one network); independent: grid point p = row·cols + col
   * uses seed + p (mod 2^32), an independent sample per point.
   */
  draws: PhaseDraws;
}

export const DEFAULT_PHASE_OPTIONS: PhaseOptions = { cols: 24, rows: 24, sw2: [0.5, 4], sb2: [0, 0.3], draws: 'shared' };

/** Most columns or rows. */
export const MAX_PHASE_GRID = 256;
/** Largest σ_w² or σ_b². */
export const MAX_PHASE_VARIANCE = 1e4;

/** Bad phase-diagram input: names the flag and the allowed values (as ConfigError does for the config fields). */
export class PhaseConfigError extends Error {
  override name = 'PhaseConfigError';
  constructor(readonly flag: string, readonly allowed: string, readonly got: unknown) {
    super(`${flag}: ${allowed}, got ${quoteValue(got)}`);
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** "lo..hi" or one number, each in [min, max]. @throws PhaseConfigError */
function parseRange(flag: string, raw: unknown, min: number, minOpen: boolean, count: number, what: string): [number, number] {
  const allowed = `must be lo..hi with ${min} ${minOpen ? '<' : '≤'} lo < hi ≤ ${MAX_PHASE_VARIANCE} (${what}), or one such value with 1 ${flag === '--sw2' ? 'column' : 'row'}`;
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const parts = text.split('..');
  if (parts.length > 2 || !parts.every((p) => NUMBER.test(p.trim()))) throw new PhaseConfigError(flag, allowed, raw);
  const [lo, hi] = [Number(parts[0]), Number(parts[parts.length - 1])];
  const inRange = (v: number) => (minOpen ? v > min : v >= min) && v <= MAX_PHASE_VARIANCE;
  if (!inRange(lo) || !inRange(hi)) throw new PhaseConfigError(flag, allowed, raw);
  if (parts.length === 2 && !(lo < hi)) throw new PhaseConfigError(flag, allowed, raw);
  if (parts.length === 2 && count < 2) throw new PhaseConfigError(flag, `${allowed}: a range needs at least 2 ${flag === '--sw2' ? 'columns' : 'rows'} in --phase-grid`, raw);
  if (parts.length === 1 && count !== 1) throw new PhaseConfigError(flag, `${allowed}: one value needs 1 ${flag === '--sw2' ? 'column' : 'row'} in --phase-grid (got ${count})`, raw);
  return [lo, hi];
}

/**
 * Validate the phase-diagram flags (values as typed; absent ones take DEFAULT_PHASE_OPTIONS).
 *   grid  "COLSxROWS" (σ_w² columns × σ_b² rows), each an integer in 1..256;
 *   sw2   "lo..hi" with 0 < lo < hi ≤ 1e4, or one value (then 1 column);
 *   sb2   "lo..hi" with 0 ≤ lo < hi ≤ 1e4, or one value (then 1 row);
 *   draws shared | independent.
 * @throws PhaseConfigError naming the flag, its allowed values and the value given.
 */
export function resolvePhaseOptions(raw: { grid?: unknown; sw2?: unknown; sb2?: unknown; draws?: unknown }): PhaseOptions {
  let { cols, rows } = DEFAULT_PHASE_OPTIONS;
  if (raw.grid !== undefined) {
    const m = typeof raw.grid === 'string' ? /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(raw.grid) : null;
    const ok = m !== null && [m[1], m[2]].every((v) => Number(v) >= 1 && Number(v) <= MAX_PHASE_GRID);
    if (!ok) throw new PhaseConfigError('--phase-grid', `must be COLSxROWS (σ_w² columns × σ_b² rows), each an integer in 1..${MAX_PHASE_GRID}, e.g. 24x24`, raw.grid);
    [cols, rows] = [Number(m[1]), Number(m[2])];
  }
  const defaultRange = (r: readonly [number, number], count: number): [number, number] => (count === 1 ? [r[0], r[0]] : [r[0], r[1]]);
  const sw2 = raw.sw2 === undefined ? defaultRange(DEFAULT_PHASE_OPTIONS.sw2, cols) : parseRange('--sw2', raw.sw2, 0, true, cols, 'σ_w² values');
  const sb2 = raw.sb2 === undefined ? defaultRange(DEFAULT_PHASE_OPTIONS.sb2, rows) : parseRange('--sb2', raw.sb2, 0, false, rows, 'σ_b² values');
  let draws = DEFAULT_PHASE_OPTIONS.draws;
  if (raw.draws !== undefined) {
    if (!PHASE_DRAWS.includes(raw.draws as PhaseDraws)) throw new PhaseConfigError('--phase-draws', `must be one of ${PHASE_DRAWS.join(', ')}`, raw.draws);
    draws = raw.draws as PhaseDraws;
  }
  return { cols, rows, sw2, sb2, draws };
}

/** count values from lo to hi inclusive, equally spaced (lo alone for count 1). */
export function gridValues(lo: number, hi: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (count === 1 ? lo : lo + ((hi - lo) * i) / (count - 1)));
}

/** One network of the phase engine: its σ_w², σ_b² and the seed of its draws. */
export interface PhaseNetwork {
  readonly sw2: number;
  readonly sb2: number;
  readonly seed: number;
}

/** What the phase engines run: networks of one shape (L, n, m, g), each with its variances and seed. */
export interface PhaseSpec {
  readonly activation: Activation;
  /** L ≥ 1. */
  readonly depth: number;
  /** n = n^[0] = … = n^[L]. */
  readonly width: number;
  /** m ≥ 2 (⌊m/2⌋ input pairs). */
  readonly batch: number;
  readonly networks: readonly PhaseNetwork[];
}

/** The per-layer measurements of one network, index l = 0..L (see the file comment). */
export interface PhaseSeries {
  /** ln rms(dA^[l]); −Infinity where dA^[l] is all 0, NaN where it holds a non-finite value. */
  readonly lnRmsDA: Float64Array;
  /** 1 − c^[l] (NaN where undefined: a member all 0, or non-finite values). */
  readonly oneMinusC: Float64Array;
}

/** What an engine returns: a series per network (spec order), and how it ran. */
export interface PhaseMeasurement {
  readonly series: PhaseSeries[];
  /** Networks per dispatch (the chunk size) and chunks; submits to the device (0 on the CPU). */
  readonly networksPerDispatch: number;
  readonly chunks: number;
  readonly submits: number;
}

/** The scalars a network computes with: σ_w/√n and σ_b, rounded to float32 once (both engines use these). */
export function networkScalars(net: PhaseNetwork, n: number): { sw: number; sb: number } {
  return { sw: Math.fround(Math.sqrt(net.sw2 / n)), sb: Math.fround(Math.sqrt(net.sb2)) };
}

/** The inputs x of a seed, row-major (n, m), float32 (see the file comment). */
export function phaseInput(seed: number, n: number, m: number): Float32Array<ArrayBuffer> {
  const xi = new Float64Array(n * m);
  fillNormal(xi, seed, 0, PURPOSE.BATCH);
  const x = new Float32Array(n * m), s = Math.sqrt(1 - PAIR_CORRELATION ** 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const k = i * m + j;
      x[k] = j % 2 === 1 ? PAIR_CORRELATION * xi[k - 1] + s * xi[k] : xi[k];
    }
  }
  return x;
}

/**
 * 1 − c of the pairs of columns (2k, 2k+1) of a row-major (n, m) matrix (see the file comment), in float64.
 * @returns NaN if a member is all 0 or a value is not finite; 0 for equal members.
 */
export function pairDecorrelation(z: ArrayLike<number>, n: number, m: number): number {
  let s11 = 0, s22 = 0, d = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k + 1 < m; k += 2) {
      const u = z[i * m + k], v = z[i * m + k + 1];
      s11 += u * u; s22 += v * v; d += (u - v) ** 2;
    }
  }
  return oneMinusC(s11, s22, d);
}

/** 1 − c from ‖Z₁‖², ‖Z₂‖², ‖Z₁ − Z₂‖² (any common scale): (D − (√S₁₁ − √S₂₂)²)/(2√(S₁₁S₂₂)). */
export function oneMinusC(s11: number, s22: number, d: number): number {
  if (!(s11 > 0 && s22 > 0 && Number.isFinite(s11 + s22 + d))) return NaN;
  const r1 = Math.sqrt(s11), r2 = Math.sqrt(s22);
  return (d - (r1 - r2) ** 2) / (2 * r1 * r2);
}

/** Least-squares slope of y on x (at least 2 points with distinct x). */
function slope(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length, my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxy / sxx;
}

/**
 * The growth rate of rms(dA) per layer toward the input (see the file comment): slope of ln rms(dA^[l]) on L − l over
 * l = ⌊L·skipFraction⌋..L, stopping (from l = L down) at the first layer outside [lnRmsMin, lnRmsMax] or not finite.
 * @param lnRmsDA index l = 0..L
 * @returns the slope (per layer), or null with fewer than 2 layers to fit
 */
export function growthRate(lnRmsDA: ArrayLike<number>): number | null {
  const L = lnRmsDA.length - 1, first = Math.floor(L * FIT.skipFraction);
  const x: number[] = [], y: number[] = [];
  for (let l = L; l >= first; l--) {
    const v = lnRmsDA[l];
    if (!(v >= FIT.lnRmsMin && v <= FIT.lnRmsMax)) break;
    x.push(L - l);
    y.push(v);
  }
  return x.length >= 2 ? slope(x, y) : null;
}

/**
 * The decorrelation rate per layer (see the file comment): slope of ln(1 − c^[l]) on l from l = 0, while 1 − c^[l]
 * stays in [correlationMin, correlationMax].
 * @param oneMinusC index l = 0..L
 * @returns the slope (per layer), or null with fewer than 2 layers in the window
 */
export function correlationRate(oneMinusC: ArrayLike<number>): number | null {
  const x: number[] = [], y: number[] = [];
  for (let l = 0; l < oneMinusC.length; l++) {
    const v = oneMinusC[l];
    if (!(v >= FIT.correlationMin && v <= FIT.correlationMax)) break;
    x.push(l);
    y.push(Math.log(v));
  }
  return x.length >= 2 ? slope(x, y) : null;
}

/**
 * Where y first crosses 0 from below, scanning x in increasing order: at adjacent non-null y[i] ≤ 0 < y[i+1], the linear
 * interpolation x[i] + (x[i+1] − x[i])·(−y[i])/(y[i+1] − y[i]).
 * @param x increasing; @param y same length, null where unmeasured
 * @returns the crossing, or null if there is none
 */
export function zeroCrossing(x: readonly number[], y: readonly (number | null)[]): number | null {
  for (let i = 0; i + 1 < x.length; i++) {
    const a = y[i], b = y[i + 1];
    if (a === null || b === null || !(a <= 0 && b > 0)) continue;
    return x[i] + ((x[i + 1] - x[i]) * -a) / (b - a);
  }
  return null;
}

/** A phase diagram: the grid, the fitted measurements and the theory, arrays [σ_b² row][σ_w² column]. */
export interface PhaseResult {
  activation: Activation;
  depth: number;
  width: number;
  batch: number;
  seed: number;
  draws: PhaseDraws;
  /** σ_w² of the columns, σ_b² of the rows. */
  sw2: number[];
  sb2: number[];
  /** Fitted growth rate of rms(dA) per layer toward the input (null: too few layers to fit). */
  growth: (number | null)[][];
  /** Fitted decorrelation rate ln(1 − c) per layer (null: too few layers in the window). */
  correlationGrowth: (number | null)[][];
  /** Per row: the σ_w² where growth crosses 0 (linear interpolation), or null. */
  criticalMeasured: (number | null)[];
  /** Per row: the σ_w² where χ₁ = 1 (model/phase-theory.ts), or null. */
  criticalTheory: (number | null)[];
  /** ξ = −1/ln χ₁ per point (layers; negative in the chaotic phase, ±Infinity on the critical line). */
  depthScale: number[][];
  /** χ₁, q* and the predicted growth ½ ln χ₁ per point. */
  chi1: number[][];
  qStar: number[][];
  growthTheory: number[][];
  /** The per-layer measurements of every point [row][column] (not in the JSON). */
  series: PhaseSeries[][];
  backend: BackendName;
  adapter: string;
  /** Wall-clock milliseconds of the measurement (device work and read back; the theory excluded). */
  ms: number;
  networksPerDispatch: number;
  chunks: number;
}

/**
 * The stable JSON of a phase diagram: { "phase": { activation, depth, width, batch, seed, draws, sw2, sb2, growth,
 * correlationGrowth, criticalMeasured, criticalTheory, depthScale, chi1, qStar, growthTheory, fit, backend, adapter, ms,
 * networksPerDispatch, chunks } }; grids are [σ_b² row][σ_w² column]; unmeasured values are null, non-finite numbers
 * the strings "Infinity", "-Infinity", "NaN" (as the run's JSON). fit restates the fit windows (FIT).
 */
export function phaseJson(r: PhaseResult): string {
  const rest: Partial<PhaseResult> = { ...r };
  delete rest.series;
  return JSON.stringify({ phase: { ...rest, fit: FIT } }, jsonNumber, 1);
}

/** A quantity of a phase result as a heatmap draws it. */
export type PhaseQuantity = 'growth' | 'correlationGrowth' | 'growthTheory' | 'depthScale';

/**
 * A heatmap of a phase result, ready to draw: x = σ_w² (columns), y = σ_b² (rows), z[row][column] with NaN where
 * unmeasured (null) or non-finite, a colour range symmetric about 0 (|z| ≤ limit, the largest finite |z|), and the two
 * critical lines as (σ_w², σ_b²) points (rows without a crossing left out).
 */
export function phaseHeatmap(r: PhaseResult, quantity: PhaseQuantity): {
  x: number[]; y: number[]; z: number[][]; limit: number;
  critical: { measured: { sw2: number; sb2: number }[]; theory: { sw2: number; sb2: number }[] };
} {
  const grid: (number | null)[][] = r[quantity];
  const z = grid.map((row) => row.map((v) => (v === null || !Number.isFinite(v) ? NaN : v)));
  const limit = Math.max(0, ...z.flat().filter(Number.isFinite).map(Math.abs));
  const line = (c: (number | null)[]) => c.flatMap((sw2, i) => (sw2 === null ? [] : [{ sw2, sb2: r.sb2[i] }]));
  return { x: [...r.sw2], y: [...r.sb2], z, limit, critical: { measured: line(r.criticalMeasured), theory: line(r.criticalTheory) } };
}
