/**
 * Philox4x32-10, a counter-based random number generator (Salmon, Moraes, Dror & Shaw 2011, "Parallel random
 * numbers: as easy as 1, 2, 3", SC'11), and the uniform and normal variates gradscope draws from it. The same
 * stream is computed by shaders/philox.wgsl on the GPU: every word is bit-identical, every uniform is the identical
 * float32, and every normal is within the bound stated in shaders/philox.wgsl of this file's float64 reference.
 *
 * Stream layout — the contract with shaders/philox.wgsl (change both or neither):
 *   key     = (seed, KEY_TAG)                     KEY_TAG = 0x9E3779B9 (a fixed, nothing-up-my-sleeve word)
 *   counter = (block, layer, purpose, 0)          block = floor(element / 4); the last word is reserved (0)
 *   word    = philox4x32_10(counter, key)[element mod 4]
 * so element e of (seed, layer, purpose) is word e mod 4 of block floor(e/4), and any element of any layer can be
 * drawn on its own, in any order, on either side. seed, layer and purpose are u32 (0..2^32−1), the element is in
 * 0..2^32−1. `purpose` (see {@link PURPOSE}) separates the streams of the weights, the input batch, the Gaussian
 * matrix of the orthogonal initialiser, the labels, …; purposes that do not belong to a layer use layer 0.
 *
 * Uniform: word x ↦ u = (2·floor(x / 2^9) + 1)·2^-24, an odd multiple of 2^-24 in [2^-24, 1 − 2^-24]: the midpoint
 *   of one of 2^23 equal cells of (0, 1), exactly representable in float32 (24 significant bits), never 0 or 1.
 * Normal (Box & Muller 1958, "A note on the generation of random normal deviates", Ann. Math. Stat. 29(2),
 *   eq. 1): the elements 4b, 4b+1 take the uniforms u1, u2 of words 0, 1 of block b, the elements 4b+2, 4b+3 those
 *   of words 2, 3; with r = √(−2 ln u1), element 4b (or 4b+2) is r·cos(2π u2) and element 4b+1 (or 4b+3) is
 *   r·sin(2π u2). Here in float64, the reference; 2π u2 is reduced exactly to a quadrant q = round(4 u2) and
 *   f = 4 u2 − q, |f| ≤ 1/2, so that cos and sin are evaluated at f·π/2 (the same reduction as the GPU's).
 *   The GPU's normals are within 24 ulp of these rounded to float32 (the bound derived in shaders/philox.wgsl).
 */

/** The Philox4x32 multipliers and Weyl key increments (Salmon et al. 2011; Random123's philox.h). */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** The second key word of every gradscope stream (see the file comment). */
export const KEY_TAG = 0x9e3779b9;

/**
 * The `purpose` word of the counter: one independent stream per use. Values are part of the stream contract
 * (a changed value changes every weight drawn for that purpose).
 */
export const PURPOSE = {
  /** The weights W^[l] of layer l. */
  WEIGHTS: 0,
  /** The input batch x (layer 0). */
  BATCH: 1,
  /** The Gaussian matrix whose QR gives the orthogonal initialiser of layer l. */
  ORTHOGONAL: 2,
  /** Seeded labels (layer 0). */
  LABELS: 3,
  /** Spare (dropout masks or any later use). */
  DROP: 4,
  /** The random biases b^[l] of layer l (RunConfig.biasStd > 0, and the phase diagram's σ_b). */
  BIASES: 5,
  /** The phase diagram's random output gradient dA^[L] (layer 0). */
  PHASE_GRADIENT: 6,
} as const;
export type Purpose = (typeof PURPOSE)[keyof typeof PURPOSE];

const TWO_POW_32 = 2 ** 32;
const TWO_POW_M24 = 2 ** -24;

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= TWO_POW_32) throw new RangeError(`philox: ${name} must be an integer in 0..4294967295, got ${v}`);
}

/** High 32 bits of the 64-bit product of two u32, from 16-bit halves (every partial product is exact in a double). */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const lh = aLo * bHi, hl = aHi * bLo;
  const mid = ((aLo * bLo) >>> 16) + (lh & 0xffff) + (hl & 0xffff); // < 3·2^16: the carries into bit 32
  return (aHi * bHi + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** Ten Philox4x32 rounds on unchecked u32 words, written to out. */
function philoxInto(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0, n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/**
 * The Philox4x32-10 bijection (Salmon et al. 2011; word order of Random123's philox.h, whose known-answer vectors
 * test/philox.test.ts checks): 10 rounds of
 *   (c0, c1, c2, c3) ↦ (hi(M1·c2) ⊕ c1 ⊕ k0, lo(M1·c2), hi(M0·c0) ⊕ c3 ⊕ k1, lo(M0·c0)),
 * M0 = 0xD2511F53, M1 = 0xCD9E8D57, hi/lo the upper/lower 32 bits of the 64-bit product, the key (k0, k1) bumped
 * by the Weyl constants (0x9E3779B9, 0xBB67AE85) before rounds 2..10.
 * @param counter four u32 words
 * @param key two u32 words
 * @returns the four output words
 * @throws RangeError if a word is not an integer in 0..2^32−1 or the lengths are not 4 and 2.
 */
export function philox4x32_10(counter: ArrayLike<number>, key: ArrayLike<number>): Uint32Array {
  if (counter.length !== 4 || key.length !== 2) throw new RangeError(`philox: counter needs 4 words and key 2, got ${counter.length} and ${key.length}`);
  for (let i = 0; i < 4; i++) checkU32(`counter[${i}]`, counter[i]);
  for (let i = 0; i < 2; i++) checkU32(`key[${i}]`, key[i]);
  const out = new Uint32Array(4);
  philoxInto(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out);
  return out;
}

/**
 * The four words of block `block` of stream (seed, layer, purpose): philox4x32_10((block, layer, purpose, 0),
 * (seed, KEY_TAG)) — the stream layout of the file comment.
 * @throws RangeError if an argument is not an integer in 0..2^32−1.
 */
export function philoxBlock(seed: number, layer: number, purpose: number, block: number): Uint32Array {
  checkStream(seed, layer, purpose);
  checkU32('block', block);
  const out = new Uint32Array(4);
  philoxInto(block, layer, purpose, 0, seed, KEY_TAG, out);
  return out;
}

function checkStream(seed: number, layer: number, purpose: number): void {
  checkU32('seed', seed);
  checkU32('layer', layer);
  checkU32('purpose', purpose);
}

/**
 * A word x ↦ (2·floor(x/2^9) + 1)·2^-24: an odd multiple of 2^-24 in [2^-24, 1 − 2^-24], exact in float32.
 * @param x u32 (not checked)
 */
export function uniformFromWord(x: number): number {
  return ((x >>> 9) * 2 + 1) * TWO_POW_M24;
}

/**
 * [cos 2πu, sin 2πu] in float64 for u = uniformFromWord(x), reduced exactly as on the GPU: 4u = m·2^-22 with m odd,
 * q = round(4u) = (m + 2^21) >> 22 (never a tie), f = (m − q·2^22)·2^-22 with |f| ≤ 1/2, 2πu = q·π/2 + f·π/2;
 * cos and sin (JavaScript's, float64) are evaluated at f·π/2 only.
 * @param x u32 (not checked)
 */
export function cosSin2Pi(x: number): [number, number] {
  const m = (x >>> 9) * 2 + 1;
  const q = (m + 0x200000) >>> 22;
  const t = (m - q * 0x400000) * 2 ** -22 * (Math.PI / 2);
  const c = Math.cos(t), s = Math.sin(t);
  switch (q & 3) {
    case 0: return [c, s];
    case 1: return [-s, c];
    case 2: return [-c, -s];
    default: return [s, -c];
  }
}

/**
 * Box–Muller on two words (Box & Muller 1958, eq. 1), float64: [r·cos 2πu2, r·sin 2πu2], r = √(−2 ln u1),
 * u1, u2 = uniformFromWord(x0), uniformFromWord(x1). |n| ≤ √(−2 ln 2^-24) ≈ 5.77.
 * @param x0 u32 (not checked)
 * @param x1 u32 (not checked)
 */
export function normalPair(x0: number, x1: number): [number, number] {
  const r = Math.sqrt(-2 * Math.log(uniformFromWord(x0)));
  const [c, s] = cosSin2Pi(x1);
  return [r * c, r * s];
}

/**
 * The uniform variate of element `element` of stream (seed, layer, purpose): uniformFromWord of its word (see the
 * file comment). The value is an odd multiple of 2^-24 in (0, 1), exactly representable in float32.
 * @throws RangeError if an argument is not an integer in 0..2^32−1.
 */
export function uniformAt(seed: number, layer: number, purpose: number, element: number): number {
  checkU32('element', element);
  const w = philoxBlock(seed, layer, purpose, Math.floor(element / 4));
  return uniformFromWord(w[element % 4]);
}

/**
 * The standard normal variate of element `element` of stream (seed, layer, purpose), in float64: Box–Muller on the
 * words (0, 1) of block floor(element/4) for element mod 4 ∈ {0 (cos), 1 (sin)}, on the words (2, 3) for
 * {2 (cos), 3 (sin)} (see the file comment).
 * @throws RangeError if an argument is not an integer in 0..2^32−1.
 */
export function normalAt(seed: number, layer: number, purpose: number, element: number): number {
  checkU32('element', element);
  const w = philoxBlock(seed, layer, purpose, Math.floor(element / 4));
  const j = element % 4, pair = j < 2 ? 0 : 2;
  return normalPair(w[pair], w[pair + 1])[j & 1];
}

/**
 * Fill out[i] with the variate of element first + i, computing each Philox block once for its 4 elements.
 * @throws RangeError if seed, layer, purpose or first is not an integer in 0..2^32−1, or first + out.length > 2^32.
 */
function fill(out: Float64Array | Float32Array, seed: number, layer: number, purpose: number, first: number,
  block: (words: Uint32Array, into: number[]) => void): void {
  checkStream(seed, layer, purpose);
  checkU32('first', first);
  if (first + out.length > TWO_POW_32) throw new RangeError(`philox: elements ${first}..${first + out.length - 1} run past 4294967295`);
  const words = new Uint32Array(4);
  const values = [0, 0, 0, 0];
  let b = -1;
  for (let i = 0; i < out.length; i++) {
    const e = first + i;
    const eb = Math.floor(e / 4);
    if (eb !== b) {
      b = eb;
      philoxInto(b, layer, purpose, 0, seed, KEY_TAG, words);
      block(words, values);
    }
    out[i] = values[e % 4];
  }
}

/**
 * out[i] = uniformAt(seed, layer, purpose, first + i) for i in 0..out.length−1 (a Float32Array holds them exactly).
 * @param first the stream element of out[0] (default 0)
 * @throws RangeError if an argument is not an integer in 0..2^32−1, or first + out.length > 2^32.
 */
export function fillUniform(out: Float64Array | Float32Array, seed: number, layer: number, purpose: number, first = 0): void {
  fill(out, seed, layer, purpose, first, (w, v) => {
    for (let j = 0; j < 4; j++) v[j] = uniformFromWord(w[j]);
  });
}

/**
 * out[i] = normalAt(seed, layer, purpose, first + i) for i in 0..out.length−1 (rounded once when out is a
 * Float32Array).
 * @param first the stream element of out[0] (default 0)
 * @throws RangeError if an argument is not an integer in 0..2^32−1, or first + out.length > 2^32.
 */
export function fillNormal(out: Float64Array | Float32Array, seed: number, layer: number, purpose: number, first = 0): void {
  fill(out, seed, layer, purpose, first, (w, v) => {
    [v[0], v[1]] = normalPair(w[0], w[1]);
    [v[2], v[3]] = normalPair(w[2], w[3]);
  });
}
