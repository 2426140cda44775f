/**
 * src/model/philox.ts on the CPU: Random123's known-answer vectors, the stream layout, the uniform mapping, the
 * independence of streams, and Kolmogorov–Smirnov tests of the uniforms and normals (seed from helpers/seed.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  fillNormal, fillUniform, KEY_TAG, normalAt, normalPair, philox4x32_10, philoxBlock, PURPOSE, uniformAt, uniformFromWord,
} from '../src/model/philox';
import { SEED_NOTE, TEST_SEED } from './helpers/seed';

const hex = (words: ArrayLike<number>) => Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(' ');
const words = (s: string) => s.trim().split(/\s+/).map((w) => parseInt(w, 16));

/**
 * Known-answer vectors of Random123 (D. E. Shaw Research), file examples/kat_vectors, lines
 * `philox4x32 10 CTR0 CTR1 CTR2 CTR3 KEY0 KEY1 EXPECTED0..3` (hex u32). The first three (all zeros, all ones, the
 * digits of π) are those of the current Random123 release; the others are from the Random123 1.0x file kept at
 * github.com/girving/random123-manual, examples/kat_vectors.
 */
const KAT = [
  '00000000 00000000 00000000 00000000   00000000 00000000   6627e8d5 e169c58d bc57ac4c 9b00dbd8',
  'ffffffff ffffffff ffffffff ffffffff   ffffffff ffffffff   408f276d 41c83b0e a20bc7c6 6d5451fd',
  '243f6a88 85a308d3 13198a2e 03707344   a4093822 299f31d0   d16cfe09 94fdcceb 5001e420 24126ea1',
  '00000001 00000000 00000000 00000000   00000001 00000000   ac08141b dfc5ccbe 79c07a47 a7f66093',
  '00000000 ffffffff 00000000 00000000   00000001 00000000   04e2eae1 463cc999 e7786310 65b3dc49',
  '243f6a88 85a308d3 13198a2e 03707344   00000001 00000000   38527b8f fad9a48c 20e675c0 f2fea26a',
  '00000000 00000000 00000000 80000000   00000000 ffffffff   2a460458 0a2709e5 47bc9115 0f96d8af',
  '452821e6 38d01377 be5466cf 34e90c6c   00000000 80000000   94ca5566 14924b2f 28214292 59faeaee',
];

describe('philox4x32_10', () => {
  for (const line of KAT) {
    const w = words(line);
    it(`Random123 known answer: ctr ${hex(w.slice(0, 4))} key ${hex(w.slice(4, 6))}`, () => {
      expect(hex(philox4x32_10(w.slice(0, 4), w.slice(4, 6)))).toBe(hex(w.slice(6, 10)));
      expect(hex(philox4x32_10(Uint32Array.from(w.slice(0, 4)), Uint32Array.from(w.slice(4, 6))))).toBe(hex(w.slice(6, 10)));
    });
  }

  it('rejects words outside u32 and wrong lengths', () => {
    expect(() => philox4x32_10([0, 0, 0, -1], [0, 0])).toThrow(RangeError);
    expect(() => philox4x32_10([0, 0, 0, 2 ** 32], [0, 0])).toThrow(RangeError);
    expect(() => philox4x32_10([0, 0, 0, 0.5], [0, 0])).toThrow(RangeError);
    expect(() => philox4x32_10([0, 0, 0], [0, 0])).toThrow(RangeError);
    expect(() => philox4x32_10([0, 0, 0, 0], [0])).toThrow(RangeError);
  });
});

describe('stream layout', () => {
  it('element e of (seed, layer, purpose) is word e mod 4 of philox((e/4, layer, purpose, 0), (seed, KEY_TAG))', () => {
    for (const [seed, layer, purpose, e] of [[TEST_SEED, 3, PURPOSE.WEIGHTS, 0], [0, 0, PURPOSE.BATCH, 7], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [12, 1, PURPOSE.ORTHOGONAL, 4097]]) {
      const w = philox4x32_10([Math.floor(e / 4), layer, purpose, 0], [seed, KEY_TAG]);
      expect(philoxBlock(seed, layer, purpose, Math.floor(e / 4))).toEqual(w);
      expect(uniformAt(seed, layer, purpose, e)).toBe(uniformFromWord(w[e % 4]));
      const pair = normalPair(w[e % 4 < 2 ? 0 : 2], w[e % 4 < 2 ? 1 : 3]);
      expect(normalAt(seed, layer, purpose, e)).toBe(pair[e % 2]);
    }
  });

  it(`a normal pair is (r cos 2πu2, r sin 2πu2) of the uniforms of its two elements ${SEED_NOTE}`, () => {
    for (let b = 0; b < 1000; b++) {
      for (const k of [0, 2]) {
        const e = 4 * b + k;
        const u1 = uniformAt(TEST_SEED, 5, PURPOSE.WEIGHTS, e), u2 = uniformAt(TEST_SEED, 5, PURPOSE.WEIGHTS, e + 1);
        const c = normalAt(TEST_SEED, 5, PURPOSE.WEIGHTS, e), s = normalAt(TEST_SEED, 5, PURPOSE.WEIGHTS, e + 1);
        const r2 = -2 * Math.log(u1);
        expect(Math.abs(c * c + s * s - r2)).toBeLessThan(1e-14 * Math.max(r2, 1));
        expect(Math.abs(c - Math.sqrt(r2) * Math.cos(2 * Math.PI * u2))).toBeLessThan(1e-13);
        expect(Math.abs(s - Math.sqrt(r2) * Math.sin(2 * Math.PI * u2))).toBeLessThan(1e-13);
      }
    }
  });

  it(`fillUniform and fillNormal equal the one-element functions, from any first element ${SEED_NOTE}`, () => {
    for (const first of [0, 1, 2, 3, 5, 1001, 2 ** 32 - 37]) {
      const u = new Float64Array(37), n = new Float64Array(37), n32 = new Float32Array(37), u32 = new Float32Array(37);
      fillUniform(u, TEST_SEED, 2, PURPOSE.BATCH, first);
      fillUniform(u32, TEST_SEED, 2, PURPOSE.BATCH, first);
      fillNormal(n, TEST_SEED, 2, PURPOSE.BATCH, first);
      fillNormal(n32, TEST_SEED, 2, PURPOSE.BATCH, first);
      for (let i = 0; i < 37; i++) {
        expect(u[i]).toBe(uniformAt(TEST_SEED, 2, PURPOSE.BATCH, first + i));
        expect(u32[i]).toBe(u[i]);
        expect(n[i]).toBe(normalAt(TEST_SEED, 2, PURPOSE.BATCH, first + i));
        expect(n32[i]).toBe(Math.fround(n[i]));
      }
    }
  });

  it('rejects seeds, layers, purposes and elements outside u32, and fills past element 2^32 − 1', () => {
    expect(() => uniformAt(-1, 0, 0, 0)).toThrow(RangeError);
    expect(() => uniformAt(0, 2 ** 32, 0, 0)).toThrow(RangeError);
    expect(() => normalAt(0, 0, 1.5, 0)).toThrow(RangeError);
    expect(() => normalAt(0, 0, 0, 2 ** 32)).toThrow(RangeError);
    expect(() => normalAt(0, 0, 0, NaN)).toThrow(RangeError);
    expect(() => fillUniform(new Float64Array(2), 0, 0, 0, 2 ** 32 - 1)).toThrow(RangeError);
    expect(() => fillNormal(new Float64Array(1), 0, 0, 0, 2 ** 32 - 1)).not.toThrow();
  });
});

describe('uniforms', () => {
  it('the extreme words give 2^-24 and 1 − 2^-24; every value is an odd multiple of 2^-24, exact in float32', () => {
    expect(uniformFromWord(0)).toBe(2 ** -24);
    expect(uniformFromWord(511)).toBe(2 ** -24);
    expect(uniformFromWord(512)).toBe(3 * 2 ** -24);
    expect(uniformFromWord(0xffffffff)).toBe(1 - 2 ** -24);
    expect(uniformFromWord(0x80000000)).toBe(0.5 + 2 ** -24);
    const u = new Float64Array(100_000);
    fillUniform(u, TEST_SEED, 0, PURPOSE.WEIGHTS);
    for (const v of u) {
      const k = v * 2 ** 24;
      if (!(v > 0 && v < 1 && Math.fround(v) === v && Number.isInteger(k) && k % 2 === 1)) expect.fail(`not an odd multiple of 2^-24 in (0, 1): ${v}`);
    }
  });
});

describe('independent streams', () => {
  const BLOCKS = 2000;
  const stream = (seed: number, layer: number, purpose: number) => {
    const out = new Set<number>();
    for (let b = 0; b < BLOCKS; b++) for (const w of philoxBlock(seed, layer, purpose, b)) out.add(w);
    return out;
  };
  const base = stream(TEST_SEED, 1, PURPOSE.WEIGHTS);
  const others: [string, Set<number>][] = [
    ['seed + 1', stream((TEST_SEED + 1) % 2 ** 32, 1, PURPOSE.WEIGHTS)],
    ['seed ^ 2^31', stream((TEST_SEED ^ 0x80000000) >>> 0, 1, PURPOSE.WEIGHTS)],
    ['layer 2', stream(TEST_SEED, 2, PURPOSE.WEIGHTS)],
    ['layer 0xffffffff', stream(TEST_SEED, 0xffffffff, PURPOSE.WEIGHTS)],
    ...Object.entries(PURPOSE).filter(([, p]) => p !== PURPOSE.WEIGHTS).map(([name, p]): [string, Set<number>] => [`purpose ${name}`, stream(TEST_SEED, 1, p)]),
  ];
  for (const [name, words] of others) {
    it(`${name} changes the words: no word of ${4 * BLOCKS} in common with the base stream ${SEED_NOTE}`, () => {
      // For independent uniform words the expected number of shared values is (4·2000)²/2^32 ≈ 0.015.
      let shared = 0;
      for (const w of words) if (base.has(w)) shared++;
      expect(shared).toBeLessThanOrEqual(1);
      expect(words.size).toBeGreaterThanOrEqual(4 * BLOCKS - 1);
    });
  }
});

/** Kolmogorov–Smirnov statistic D = sup |F_n(x) − F(x)| of a sample against a continuous CDF. */
function ksStatistic(sample: Float64Array, cdf: (x: number) => number): number {
  const x = Float64Array.from(sample).sort();
  const n = x.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(x[i]);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  return d;
}

/**
 * erfc(x), fractional error < 1.2e-7 everywhere (Chebyshev fit; Press et al., Numerical Recipes in C, 2nd ed.,
 * §6.2, erfcc): far below the KS critical value 1.949/√n ≈ 0.006.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
const normalCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

describe('Kolmogorov–Smirnov at α = 0.001 (critical value 1.949/√n, Smirnov\'s asymptotic distribution)', () => {
  const N = 100_000;
  const critical = 1.949 / Math.sqrt(N);

  it('the normal CDF used is accurate (Φ(0) = 1/2, Φ(1.959964) = 0.975, Φ(−3) = 0.0013499)', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980, 8);
  });

  for (const [layer, purpose] of [[1, PURPOSE.WEIGHTS], [0, PURPOSE.BATCH], [7, PURPOSE.ORTHOGONAL]]) {
    it(`${N} uniforms of layer ${layer}, purpose ${purpose} against U(0, 1) ${SEED_NOTE}`, () => {
      const u = new Float64Array(N);
      fillUniform(u, TEST_SEED, layer, purpose);
      expect(ksStatistic(u, (x) => Math.min(Math.max(x, 0), 1))).toBeLessThan(critical);
    });

    it(`${N} normals of layer ${layer}, purpose ${purpose} against N(0, 1) ${SEED_NOTE}`, () => {
      const n = new Float64Array(N);
      fillNormal(n, TEST_SEED, layer, purpose);
      expect(ksStatistic(n, normalCdf)).toBeLessThan(critical);
    });
  }

  it(`the cos and the sin halves of the normals are each N(0, 1) ${SEED_NOTE}`, () => {
    const n = new Float64Array(2 * N);
    fillNormal(n, TEST_SEED, 3, PURPOSE.WEIGHTS);
    const cos = n.filter((_, i) => i % 2 === 0), sin = n.filter((_, i) => i % 2 === 1);
    expect(ksStatistic(cos, normalCdf)).toBeLessThan(critical);
    expect(ksStatistic(sin, normalCdf)).toBeLessThan(critical);
  });

  it('the statistic rejects a wrong distribution (N(0.05, 1) and U(0, 0.99) samples fail)', () => {
    const n = new Float64Array(N), u = new Float64Array(N);
    fillNormal(n, TEST_SEED, 1, PURPOSE.WEIGHTS);
    fillUniform(u, TEST_SEED, 1, PURPOSE.WEIGHTS);
    expect(ksStatistic(n.map((x) => x + 0.05), normalCdf)).toBeGreaterThan(critical);
    expect(ksStatistic(u.map((x) => 0.99 * x), (x) => x)).toBeGreaterThan(critical);
  });
});
