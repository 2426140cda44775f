// activation.wgsl — elementwise activation g, forward and backward, one variant per g (defines RELU, TANH;
// neither = identity). Tensors are flat (n^[l]·m elements, row-major (n^[l], m)).
//   forward:  a  = g(z)
//   backward: dZ = dA ⊙ g'(z), g' computed from z (never from the rounded a):
//             identity dA;  relu  z > 0 ? dA : 0 (ReLU'(0) = 0, as PyTorch/TensorFlow; a select, so 0·∞ never
//             appears);  tanh  dA·sech²(z).
// Special values: relu(NaN) = NaN (as PyTorch); tanh(±∞) = ±1, sech²(±∞) = 0; z > 0 is decided from the bits, so a
// subnormal z counts as positive (as on the CPU) and identity/relu pass values through bit for bit.
//
// tanh (error bounds in ulp of the exact value, from the guarantees listed in common.wgsl):
//   |z| < 2^-12:     tanh z = z (the next term, z³/3, is below half an ulp).
//   |z| < 0.55:      z + z³·p(z²), p the Taylor series of tanh to z^19 (Abramowitz & Stegun 4.5.64; alternating, so the
//                    remainder is below the first omitted term, z^21: < 2^-30 relative at 0.55); tanh z < 0.5 there and z³p < 0.11 z, so
//                    the rounding of p contributes < 0.7 ulp and the last addition 1 ulp: ≤ 2 ulp.
//   0.55 ≤ |z| < 10: 1 − 2t/(1 + t) with t = e^(−2|z|) ≤ 1/3 (exp_split, 2 ulp): the quotient y ≤ 0.5 is within
//                    6 ulp of itself, i.e. 3 ulp of the result (≥ 0.5), plus 1 ulp for 1 − y: ≤ 4 ulp.
//   |z| ≥ 10:        ±1, the correctly rounded value (1 − tanh 10 < 2^-27).
// sech²(z) = 1 − tanh²(z) for |z| < 0.55 (tanh² ≤ 0.25: no cancellation; ≤ 3 ulp), else 4t/(1 + t)² with
// t = r·2^k from exp_split kept as r and k: sech² = (4r/(1 + t)²)·2^k, so it never underflows on its own
// (|z| up to ~100 still gives a finite dZ when dA is large); 4r/(1+t)² is within 2 + 3 + 2.5 = 7.5 ulp.
// dZ = dA·sech²(z) is formed as join(m_dA·s, e_dA + k) from the split of dA: within 9 ulp (2^-20 relative) of
// the exact product, rounded once where it is subnormal, ±∞ only where the exact product overflows;
// dA = ±∞ gives ±∞ for finite z and NaN for z = ±∞ (∞·0), as IEEE multiplication would.
// Extended range (define EXTENDED, scales.wgsl): forward normalises z^[l] in place and sets the scales of z and a;
// backward normalises dA^[l] by its max exponent and, for tanh, runs twice (SCALE_PASS first: the max exponent of
// dA·sech²(z)), so dZ is stored normalised even where sech² is far below float32's range.
// Bindings (forward):  0 z (read; read_write when EXTENDED), 1 a (write), 2 params {count, layer}, 3 scales (EXTENDED).
// Bindings (backward): 0 z (read), 1 dA (read), 2 dZ (write), 3 params {count, layer}, 4 scales (EXTENDED).
// Dispatch: ceil(count/256) workgroups of 256, folded into (x, y); an in-shader guard skips the tail.

struct Params { count: u32, layer: u32 }

const TANH_SERIES_END: f32 = 0.55;

// tanh for |x| < 0.55 (see the file comment).
fn tanh_series(x: f32) -> f32 {
  if (abs(x) < 2.4414062e-4) { return x; }
  let x2 = x * x;
  var p = -443861162.0 / 1856156927625.0;
  p = p * x2 + 6404582.0 / 10854718875.0;
  p = p * x2 - 929569.0 / 638512875.0;
  p = p * x2 + 21844.0 / 6081075.0;
  p = p * x2 - 1382.0 / 155925.0;
  p = p * x2 + 62.0 / 2835.0;
  p = p * x2 - 17.0 / 315.0;
  p = p * x2 + 2.0 / 15.0;
  p = p * x2 - 1.0 / 3.0;
  return x + x * x2 * p;
}

fn tanh_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let ax = abs(x);
  if (ax < TANH_SERIES_END) { return tanh_series(x); }
  var r = 1.0;
  if (ax < 10.0) {
    let e = exp_split(-2.0 * ax);
    let t = join(e.r, e.k);
    r = 1.0 - 2.0 * t / (1.0 + t);
  }
  return select(r, -r, x < 0.0);
}

// sech²(z) = s·2^k (see the file comment), for finite z with |z| ≤ 150.
struct Sech2 { s: f32, k: i32 }
fn sech2(z: f32) -> Sech2 {
  let az = abs(z);
  if (az < TANH_SERIES_END) {
    let a = tanh_series(az);
    return Sech2(1.0 - a * a, 0);
  }
  let e = exp_split(-2.0 * az);
  let t = join(e.r, e.k);
  let u = 1.0 + t;
  return Sech2(4.0 * e.r / (u * u), e.k);
}

// dA·tanh'(z)·2^-shift = dA·sech²(z)·2^-shift (see the file comment; shift 0 outside the extended range).
fn tanh_backward(z: f32, da: f32, shift: i32) -> f32 {
  if (is_nan(z) || is_nan(da)) { return nan_f32(); }
  if (is_inf(da)) { return select(da, nan_f32(), is_inf(z)); }
  // sech²(z) < 2^-430 past 150, and |dA| < 2^128: the product is below the smallest subnormal.
  if (is_inf(z) || abs(z) > 150.0) { return 0.0 * da; }
  let q = sech2(z);
  let d = split(da);
  return join(d.m * q.s, d.e + q.k - shift);
}

// The exponent of dA·sech²(z) plus EXP_BIAS (0 if it is 0 or not finite): for the extended range's rescaling.
fn tanh_backward_exponent(z: f32, da: f32) -> i32 {
  if (is_nan(z) || !is_finite(da) || is_zero(da) || is_inf(z) || abs(z) > 150.0) { return 0; }
  let q = sech2(z);
  let d = split(da);
  return split(d.m * q.s).e + d.e + q.k + EXP_BIAS;
}

fn g(x: f32) -> f32 {
#if ${RELU}
  if (is_nan(x)) { return x; }
  return select(0.0, x, is_positive(x));
#elif ${TANH}
  return tanh_f32(x);
#else
  return x;
#endif
}

// dA·g'(z)·2^-shift (shift: the extended range's rescaling of tanh; 0 otherwise, and for relu and identity, whose
// g' is 0 or 1).
fn g_backward(z: f32, da: f32, shift: i32) -> f32 {
#if ${RELU}
  return select(0.0, da, is_positive(z));
#elif ${TANH}
  return tanh_backward(z, da, shift);
#else
  return da;
#endif
}

#if ${FORWARD}
#if ${EXTENDED}
@group(0) @binding(0) var<storage, read_write> z_in: array<f32>;
#else
@group(0) @binding(0) var<storage, read> z_in: array<f32>;
#endif
@group(0) @binding(1) var<storage, read_write> a_out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
#if ${EXTENDED}
@group(0) @binding(3) var<storage, read_write> scales: array<atomic<i32>>;
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 256u + lix;
#if ${EXTENDED}
  // Normalise z^[l] in place (max|z| in [1, 2)), then a = g(z) with its scale (scales.wgsl).
  let rec = record(p.layer);
  let ez = unbias(atomicLoad(&scales[rec + S_MZ]));
  let sz = atomicLoad(&scales[rec + S_TZ]) + ez;
#if ${TANH}
  let linear = sz + 1 <= -12;  // max|z| < 2^(sz+1) ≤ 2^-12: tanh z = z in float32
  let sa = select(0, sz, linear);
#else
  let sa = sz;
#endif
  if (i == 0u) {
    atomicStore(&scales[rec + S_SZ], sz);
    atomicStore(&scales[rec + S_SA], sa);
  }
  if (i >= p.count) { return; }
  let z = join(z_in[i], -ez);
  z_in[i] = z;
#if ${TANH}
  a_out[i] = select(tanh_f32(join(z, sz)), z, linear);
#else
  a_out[i] = g(z);
#endif
#else
  if (i >= p.count) { return; }
  a_out[i] = g(z_in[i]);
#endif
}
#else
@group(0) @binding(0) var<storage, read> z_in: array<f32>;
@group(0) @binding(1) var<storage, read> dA: array<f32>;
@group(0) @binding(2) var<storage, read_write> dZ: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
#if ${EXTENDED}
@group(0) @binding(4) var<storage, read_write> scales: array<atomic<i32>>;
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 256u + lix;
#if ${EXTENDED}
  // dA^[l] normalised by its max exponent; z^[l] at its true scale (for g'); dZ^[l] stored with scale SDZ, which is
  // also the scale of dA^[l-1] = W^[l]ᵀ dZ^[l] (scales.wgsl).
  let rec = record(p.layer);
  let eda = unbias(atomicLoad(&scales[rec + S_MDA]));
  let sz = atomicLoad(&scales[rec + S_SZ]);
#if ${SCALE_PASS}
  // tanh, first pass: the max exponent of dA·sech²(z), so that the second pass stores dZ normalised.
  if (i >= p.count) { return; }
  let top = tanh_backward_exponent(join(z_in[i], sz), join(dA[i], -eda));
  if (top > 0) { atomicMax(&scales[rec + S_MDZ], top); }
#else
#if ${TANH}
  let edz = unbias(atomicLoad(&scales[rec + S_MDZ]));
#else
  let edz = 0;
#endif
  let sdz = atomicLoad(&scales[rec + S_SDA]) + eda + edz;
  if (i == 0u) {
    atomicStore(&scales[rec + S_SDZ], sdz);
    if (p.layer > 1u) { atomicStore(&scales[record(p.layer - 1u) + S_SDA], sdz); }
  }
  if (i >= p.count) { return; }
#if ${TANH}
  let z = join(z_in[i], sz);  // the true z: sech² depends on it
#else
  let z = z_in[i];            // only its sign matters, which the scale keeps
#endif
  dZ[i] = g_backward(z, join(dA[i], -eda), edz);
#endif
#else
  if (i >= p.count) { return; }
  dZ[i] = g_backward(z_in[i], dA[i], 0);
#endif
}
#endif
