/**
 * Comparing a float32 GPU result with a float64 reference (llm.c validate_result style).
 */

/** ‖got − ref‖₂ / ‖ref‖₂ over all elements; NaN if any element of either is non-finite (NaN never passes). */
export function relativeError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) throw new Error(`length ${got.length} != ${ref.length}`);
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) {
    if (!Number.isFinite(got[i]) || !Number.isFinite(ref[i])) return NaN;
    num += (got[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

function agrees(g: number, r: number, tol: number): boolean {
  if (Number.isNaN(r)) return Number.isNaN(g);
  if (!Number.isFinite(r)) return g === r;
  return Number.isFinite(g) && Math.abs(g - r) <= tol;
}

/**
 * Elementwise check: special values must match in kind (NaN, +∞, −∞); finite values must satisfy
 * |got − ref| ≤ tol(i) where tol(i) is given per element (absolute). `alt`, if given, is a second acceptable
 * reference (e.g. the result on inputs with subnormals flushed to zero, which WGSL allows). Returns the first
 * few mismatches ("index: got …, expected …") — an empty list means the arrays agree.
 */
export function mismatches(got: ArrayLike<number>, ref: ArrayLike<number>, tol: (i: number) => number, max = 5, alt?: ArrayLike<number>): string[] {
  const out: string[] = [];
  for (let i = 0; i < ref.length && out.length < max; i++) {
    const ok = agrees(got[i], ref[i], tol(i)) || (alt !== undefined && agrees(got[i], alt[i], tol(i)));
    if (!ok) out.push(`${i}: got ${got[i]}, expected ${ref[i]}${alt ? ` or ${alt[i]}` : ''} (tol ${tol(i)})`);
  }
  return out;
}

/** The spacing of float32 numbers at |v| (its ulp): 2^(⌊log2|v|⌋ − 23), and 2^-149 below the normal range. */
export function ulp32(v: number): number {
  const a = Math.abs(v);
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Smallest positive normal float32, 2^-126: the absolute tolerance that lets a GPU flush subnormals to 0. */
export const F32_MIN_NORMAL = 2 ** -126;
/** Unit roundoff of float32, 2^-24. */
export const F32_EPS = 2 ** -24;
