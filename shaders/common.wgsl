// common.wgsl — helpers prepended to every kernel (src/backends/webgpu/shader-source.ts).
//
// What WGSL guarantees for f32 (WGSL §15.7), and therefore all that the error bounds below rely on:
//   x + y, x − y, x * y are "correctly rounded", which WGSL defines as either neighbour of the exact result
//   (≤ 1 ulp; exact when the exact result is representable); x / y is within 2.5 ulp for |y| in [2^-126, 2^126];
//   conversions between f32 and i32/u32 of integers below 2^24 are exact; bitcast and integer arithmetic are exact;
//   inputs and outputs of floating-point operations may be flushed to zero when subnormal; exp and log are only
//   accurate to 3 + 2|x| ulp and to 2^-21 absolute, so they are not used: exp_split and log_f32 below are built from
//   + − * / alone. An implementation may reassociate (SwiftShader does: it folds (1 + f) − 1 − f to 0), so no
//   error-free transformation (TwoSum, Fast2Sum) is relied upon; the one two-step reduction left (Cody–Waite, in
//   exp_split) is checked by the tests on the adapter in use.
//
// Special values are recognised by bit pattern, never by `x != x`: WGSL lets an implementation assume finite math
// and optimise such comparisons away. Subnormal values are decoded from their bits (split), so a device that
// flushes subnormal arithmetic still sees their exact value.

fn is_nan(x: f32) -> bool {
  let b = bitcast<u32>(x);
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}

fn is_inf(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// ±0 by bit pattern: a subnormal is not zero, whatever the device's arithmetic does with it.
fn is_zero(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0u;
}

// x > 0 by bit pattern (subnormals included, NaN excluded).
fn is_positive(x: f32) -> bool {
  let b = bitcast<u32>(x);
  return b != 0u && b < 0x7f800001u;
}

// ±∞ and NaN from runtime bit patterns: as const-expressions they would be a compile error.
fn from_bits(bits: u32) -> f32 { var b = bits; return bitcast<f32>(b); }
fn pos_inf() -> f32 { return from_bits(0x7f800000u); }
fn neg_inf() -> f32 { return from_bits(0xff800000u); }
fn nan_f32() -> f32 { return from_bits(0x7fc00000u); }

// Linear index of this workgroup in a dispatch folded into two dimensions (x fastest): dispatches larger than
// maxComputeWorkgroupsPerDimension are split as (x, y) with x·y ≥ groups (see webgpu/dispatch.ts).
fn workgroup_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// ---- exact scaling by powers of two, from the bits ------------------------------------------------------

// x = m·2^e exactly, with |m| in [1, 2) and x's sign, for finite non-zero x (subnormals included: decoded from
// the bits). For ±0, ±∞ and NaN: m = x, e = 0.
struct Split { m: f32, e: i32 }

fn split(x: f32) -> Split {
  let b = bitcast<u32>(x);
  let field = (b >> 23u) & 0xffu;
  if (field == 255u || (b & 0x7fffffffu) == 0u) { return Split(x, 0); }
  let sign = b & 0x80000000u;
  if (field == 0u) {
    let f = b & 0x7fffffu;                          // subnormal: x = f·2^-149, f's top bit at p
    let p = firstLeadingBit(f);
    return Split(bitcast<f32>(sign | 0x3f800000u | ((f << (23u - p)) & 0x7fffffu)), i32(p) - 149);
  }
  return Split(bitcast<f32>(sign | 0x3f800000u | (b & 0x7fffffu)), i32(field) - 127);
}

// m·2^e rounded to the nearest f32 (ties away from zero), for finite m: built from the bits, so the result is
// exact when normal, correctly rounded when subnormal, ±∞ above the range and ±0 below it (where WGSL's ldexp
// would be "indeterminate" or "may be zero").
fn join(m: f32, e: i32) -> f32 {
  if (is_zero(m) || !is_finite(m)) { return m; }
  let s = split(m);
  let exp2 = s.e + e;
  let b = bitcast<u32>(s.m);
  let sign = b & 0x80000000u;
  if (exp2 > 127) { return bitcast<f32>(sign | 0x7f800000u); }
  if (exp2 >= -126) { return bitcast<f32>(sign | (u32(exp2 + 127) << 23u) | (b & 0x7fffffu)); }
  let shift = u32(-126 - exp2);                     // subnormal: 24-bit significand shifted right, rounded
  if (shift > 24u) { return bitcast<f32>(sign); }
  let significand = (b & 0x7fffffu) | 0x800000u;
  return bitcast<f32>(sign | ((significand + (1u << (shift - 1u))) >> shift));
}

// 2^e for e in [-126, 127]; 0 below.
fn pow2(e: i32) -> f32 {
  if (e < -126) { return 0.0; }
  return bitcast<f32>(u32(min(e, 127) + 127) << 23u);
}

// ---- e^x and log x from + − * / ---------------------------------------------------------------------------

// e^x = r·2^k with r in [0.70, 1.42], for x ≤ 0 (x = −∞ and x < −300 give r = 1, k = −1000, which join turns
// into 0). Cody & Waite (1980) reduction: k = round(x·log2 e), ρ = (x − k·LN2_HI) − k·LN2_LO with LN2_HI = 355/512
// (k·LN2_HI is exact for |k| < 2^15 and the first subtraction is exact by Sterbenz's lemma), |ρ| ≤ 0.347 + 2^-20;
// then e^ρ = 1 + (ρ + ρ²·q(ρ)), q the Taylor series of (e^ρ − 1 − ρ)/ρ² to ρ^6 (remainder ρ^9/9! < 0.005 ulp).
// Error of r: ρ is off by ≤ 2^-25 absolute (0.6 ulp of r), the polynomial part ≤ 0.4 ulp, the last addition
// ≤ 1 ulp: |r − e^ρ| ≤ 2 ulp, and r·2^k is exact. Bound used: e^x within 2 ulp(e^x) · (1 + 2^-20).
struct ExpSplit { r: f32, k: i32 }

fn exp_split(x: f32) -> ExpSplit {
  if (x < -300.0 || is_nan(x)) { return ExpSplit(select(1.0, x, is_nan(x)), -1000); }
  let kf = round(x * 1.4426950408889634);
  let rho = (x - kf * 0.693359375) - kf * -2.12194440e-4;
  var q = 1.0 / 40320.0;
  q = q * rho + 1.0 / 5040.0;
  q = q * rho + 1.0 / 720.0;
  q = q * rho + 1.0 / 120.0;
  q = q * rho + 1.0 / 24.0;
  q = q * rho + 1.0 / 6.0;
  q = q * rho + 0.5;
  return ExpSplit(1.0 + (rho + rho * rho * q), i32(kf));
}

// log(1 + f) for f in [−0.2929, 0.4143] (1 + f in [√½, √2]): with s = f/(2 + f), |s| ≤ 0.172, log(1 + f) =
// 2·atanh s = 2(s + s³/3 + … + s^13/13) (remainder < 2^-40 relative). 2 + f costs ≤ 1 ulp and the division ≤ 2.5 ulp,
// so s is within 3.5 ulp, the series adds < 0.1 ulp and the last addition ≤ 1 ulp: within 5 ulp. f is never formed
// as a difference of rounded values (an implementation may reassociate, and does: SwiftShader folds (1 + f) − 1 − f
// to 0, so the usual log1p correction cannot be used).
fn log1p_small(f: f32) -> f32 {
  let s = f / (2.0 + f);
  let s2 = s * s;
  var p = 2.0 / 13.0;
  p = p * s2 + 2.0 / 11.0;
  p = p * s2 + 2.0 / 9.0;
  p = p * s2 + 2.0 / 7.0;
  p = p * s2 + 2.0 / 5.0;
  p = p * s2 + 2.0 / 3.0;
  return 2.0 * s + s * s2 * p;
}

// log x for finite x > 0 (subnormals decoded from the bits): x = m·2^e with m in [√½, √2), f = m − 1 exact by
// Sterbenz's lemma, log x = e·LN2_HI (exact) + (e·LN2_LO + log1p_small(f)): within 5 ulp for e = 0, and within
// 7 ulp otherwise (|log m| ≤ ½|e·ln 2|, so the sum cannot cancel more than half).
fn log_f32(x: f32) -> f32 {
  let s0 = split(x);
  var m = s0.m;
  var e = s0.e;
  if (m > 1.4142135) { m = m * 0.5; e = e + 1; }
  let ef = f32(e);
  return ef * 0.693359375 + (ef * -2.12194440e-4 + log1p_small(m - 1.0));
}

// log(1 + x) for finite x ≥ 0: log1p_small(x) up to x = √2 − 1 (within 5 ulp), log_f32(1 + x) beyond, where
// log(1 + x) ≥ 0.35 and the rounding of 1 + x costs ≤ 3 ulp more.
fn log1p_f32(x: f32) -> f32 {
  if (x <= 0.41421354) { return log1p_small(x); }
  return log_f32(1.0 + x);
}
