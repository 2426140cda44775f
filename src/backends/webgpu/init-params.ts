/**
 * The params uniform of shaders/init.wgsl (kernels.init): 12 u32 words, the f32 parameters a and b stored as their
 * bit patterns, in the layout of the shader's `Params` struct.
 */

/** The `kind` word of init.wgsl. */
export const INIT_KIND = { normal: 0, uniform: 1, constant: 2, identity: 3 } as const;
export type InitKind = keyof typeof INIT_KIND;

export interface InitParams {
  /** Elements to write (W[0..count−1]). */
  count: number;
  /** Stream of (seed, layer, purpose), src/model/philox.ts. */
  seed: number;
  layer: number;
  purpose: number;
  /** Stream element of W[0]; first + count ≤ 2^32. */
  first: number;
  kind: InitKind;
  /** normal: mean; uniform: low; constant: the value; identity: the gain. Rounded to f32. */
  a: number;
  /** normal: std; uniform: high; otherwise unused. Rounded to f32. */
  b?: number;
  /** identity: the matrix shape (rows, cols), row-major; otherwise unused. */
  rows?: number;
  cols?: number;
}

const U32_MAX = 2 ** 32 - 1;

/**
 * The 12 words of init.wgsl's Params: count, layer, seed, first, kind, purpose, rows, cols, bits(f32 a), bits(f32 b),
 * 0, 0.
 * @throws RangeError if count, seed, layer, purpose, first, rows or cols is not an integer in 0..2^32−1, if
 *   first + count > 2^32, or if kind is identity and cols is not at least 1.
 */
export function initParamWords(p: InitParams): number[] {
  const ints: [string, number][] = [['count', p.count], ['layer', p.layer], ['seed', p.seed], ['first', p.first],
    ['purpose', p.purpose], ['rows', p.rows ?? 0], ['cols', p.cols ?? 0]];
  for (const [name, v] of ints) {
    if (!Number.isInteger(v) || v < 0 || v > U32_MAX) throw new RangeError(`init params: ${name} must be an integer in 0..${U32_MAX}, got ${v}`);
  }
  if (p.first + p.count > U32_MAX + 1) throw new RangeError(`init params: elements ${p.first}..${p.first + p.count - 1} run past ${U32_MAX}`);
  if (p.kind === 'identity' && !((p.cols ?? 0) >= 1)) throw new RangeError('init params: identity needs cols ≥ 1');
  const ab = new Uint32Array(new Float32Array([p.a, p.b ?? 0]).buffer);
  return [p.count, p.layer, p.seed, p.first, INIT_KIND[p.kind], p.purpose, p.rows ?? 0, p.cols ?? 0, ab[0], ab[1], 0, 0];
}
