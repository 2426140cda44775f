// philox.wgsl — Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3",
// SC'11) and the uniform and normal variates of gradscope's random streams. A library, no entry point: prepended
// after common.wgsl to the kernels that ask for it (src/backends/webgpu/shader-source.ts). The CPU twin is
// src/model/philox.ts, whose header states the stream layout this file implements:
//   key = (seed, 0x9E3779B9), counter = (floor(e/4), layer, purpose, 0), element e = word e mod 4 of that block;
//   uniform u = (2·floor(x/2^9) + 1)·2^-24 (an odd multiple of 2^-24 in (0, 1), exact in f32);
//   normal: Box–Muller (Box & Muller 1958, Ann. Math. Stat. 29(2), eq. 1) on words (0, 1) for elements 4b (cos),
//   4b+1 (sin) and on words (2, 3) for 4b+2 (cos), 4b+3 (sin): r = √(−2 ln u1), n = r·cos 2πu2 or r·sin 2πu2.
// Words and uniforms are bit-identical to the CPU's (integer arithmetic, and exact conversions of integers below
// 2^24 and scalings by powers of two). WGSL has no mulhi: the 32×32→64-bit product is assembled from 16-bit halves.
//
// Accuracy of the normals, from what WGSL guarantees (common.wgsl; ε = 2^-24, and one "correctly rounded" + − ×
// is within 1 ulp, i.e. a relative error below 2ε; an error below kε relative is below k ulp):
//   cos 2πu, sin 2πu: 4u = m·2^-22 with m = 2·floor(x/2^9) + 1 odd, so the quadrant q = round(4u) and
//     f = 4u − q (|f| ≤ 1/2, never 0) are computed exactly in integers; cos/sin(πf/2) are Taylor polynomials in
//     g = f² (sin to f^9, cos to f^10) with the f32-rounded coefficients: approximation error (coefficient rounding
//     included) ≤ 0.60ε relative for sin, 0.21ε for cos, measured over every possible f; a first-order running
//     error bound of Horner's scheme with every operation (and g) off by < 2ε gives ≤ 4.7ε (sin, with the final
//     f·P) and 4.6ε (cos), maximal at |f| = 1/2. Total ≤ 5.3ε relative: within 6 ulp of the float64 value rounded
//     to f32. The quadrant swaps and sign changes are exact.
//   r = sqrt(−2·log_f32(u1)): log_f32 is within 7 ulp (common.wgsl), i.e. 14ε relative, halved by the square root
//     (7ε); −2· is exact; WGSL's sqrt is only "inherited from 1.0 / inverseSqrt(x)" (inverseSqrt 2 ulp, division
//     2.5 ulp): 9ε. Nothing better is assumed of sqrt: r within 16ε.
//   n = r·c: + 2ε. Total ≤ 16ε + 5.3ε + 2ε = 23.3ε relative (second-order terms < 10^-5 ε), i.e. < 23.3 ulp of the
//     exact value, and with the 0.5 ulp of rounding the float64 reference to f32:
//   NORMAL BOUND: |n_gpu − fround(n_cpu)| ≤ 24 ulp of fround(n_cpu). |n| ≤ 5.8 and |n| ≥ 10^-10: no subnormal is
//   involved. Measured on SwiftShader (whose + − × / and sqrt round to nearest; test/philox-gpu.test.ts): cos/sin
//   2πu within 2 ulp over all 2^23 values of u, normals within 3 ulp.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;
// The second key word of every stream (src/model/philox.ts KEY_TAG).
const PHILOX_KEY_TAG: u32 = 0x9E3779B9u;

// High 32 bits of a·b (the low 32 are a * b, which wraps): the four 16×16-bit partial products are exact in u32,
// `mid` collects the carries into bit 32 (< 3·2^16, no overflow).
fn philox_mulhi(a: u32, b: u32) -> u32 {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lh = a_lo * b_hi;
  let hl = a_hi * b_lo;
  let mid = ((a_lo * b_lo) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return a_hi * b_hi + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

// Philox4x32-10 in Random123's word order: 10 rounds of
// (c0, c1, c2, c3) ↦ (hi(M1·c2) ^ c1 ^ k0, lo(M1·c2), hi(M0·c0) ^ c3 ^ k1, lo(M0·c0)), the key bumped by the Weyl
// constants before rounds 2..10.
fn philox4x32_10(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    if (r > 0u) { k = k + vec2<u32>(PHILOX_W0, PHILOX_W1); }
    let hi0 = philox_mulhi(PHILOX_M0, c.x);
    let lo0 = PHILOX_M0 * c.x;
    let hi1 = philox_mulhi(PHILOX_M1, c.z);
    let lo1 = PHILOX_M1 * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
  }
  return c;
}

// The four words of block `block` of stream (seed, layer, purpose).
fn philox_block(seed: u32, layer: u32, purpose: u32, block: u32) -> vec4<u32> {
  return philox4x32_10(vec4<u32>(block, layer, purpose, 0u), vec2<u32>(seed, PHILOX_KEY_TAG));
}

// x ↦ (2·floor(x/2^9) + 1)·2^-24, exactly (an integer below 2^24 converts exactly; ·2^-24 is exact).
fn uniform_f32(x: u32) -> f32 {
  return f32((x >> 9u) * 2u + 1u) * 0x1p-24f;
}

// (cos(πf/2), sin(πf/2)) for |f| ≤ 1/2: Taylor polynomials in f² with coefficients (−1)^k (π/2)^n / n!, written as
// their exact f32 values (see the file comment for the error).
fn cos_sin_half_pi(f: f32) -> vec2<f32> {
  let g = f * f;
  var s = 0.00016044118092395365;
  s = s * g - 0.004681753925979137;
  s = s * g + 0.07969262450933456;
  s = s * g - 0.6459640860557556;
  s = s * g + 1.5707963705062866;
  var c = -2.520204179745633e-05;
  c = c * g + 0.0009192602592520416;
  c = c * g - 0.020863480865955353;
  c = c * g + 0.25366950035095215;
  c = c * g - 1.2337005138397217;
  c = c * g + 1.0;
  return vec2<f32>(c, f * s);
}

// (cos 2πu, sin 2πu) for u = uniform_f32(x): 4u = m·2^-22 with m odd, q = round(4u) = (m + 2^21) >> 22 (no ties),
// f = (m − q·2^22)·2^-22 exact, 2πu = q·π/2 + f·π/2.
fn cos_sin_2pi(x: u32) -> vec2<f32> {
  let m = (x >> 9u) * 2u + 1u;
  let q = (m + 0x200000u) >> 22u;
  let f = f32(i32(m) - i32(q << 22u)) * 0x1p-22f;
  let cs = cos_sin_half_pi(f);
  switch (q & 3u) {
    case 0u: { return cs; }
    case 1u: { return vec2<f32>(-cs.y, cs.x); }
    case 2u: { return -cs; }
    default: { return vec2<f32>(cs.y, -cs.x); }
  }
}

// Box–Muller on two words: (r·cos 2πu2, r·sin 2πu2), r = √(−2 ln u1), u1 = uniform_f32(x0), u2 = uniform_f32(x1);
// within 24 ulp of the float64 reference rounded to f32 (file comment).
fn normal_pair(x0: u32, x1: u32) -> vec2<f32> {
  let r = sqrt(-2.0 * log_f32(uniform_f32(x0)));
  return r * cos_sin_2pi(x1);
}

// The uniform of element e of stream (seed, layer, purpose): bit-identical to uniformAt in src/model/philox.ts.
fn uniform_at(seed: u32, layer: u32, purpose: u32, e: u32) -> f32 {
  let w = philox_block(seed, layer, purpose, e >> 2u);
  return uniform_f32(w[e & 3u]);
}

// The standard normal of element e of stream (seed, layer, purpose): normalAt in src/model/philox.ts, within 24 ulp.
fn normal_at(seed: u32, layer: u32, purpose: u32, e: u32) -> f32 {
  let w = philox_block(seed, layer, purpose, e >> 2u);
  let j = e & 3u;
  let low = j < 2u;
  let n = normal_pair(select(w.z, w.x, low), select(w.w, w.y, low));
  return select(n.x, n.y, (j & 1u) == 1u);
}
