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
// Bindings (forward):  0 z (read), 1 a (write), 2 params {count}.
// Bindings (backward): 0 z (read), 1 dA (read), 2 dZ (write), 3 params {count}.
// Dispatch: ceil(count/256) workgroups of 256, folded into (x, y); an in-shader guard skips the tail.

struct Params { count: u32 }

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

// dA·tanh'(z) = dA·sech²(z) (see the file comment).
fn tanh_backward(z: f32, da: f32) -> f32 {
  if (is_nan(z) || is_nan(da)) { return nan_f32(); }
  if (is_inf(da)) { return select(da, nan_f32(), is_inf(z)); }
  let az = abs(z);
  // sech²(z) < 2^-430 past 150, and |dA| < 2^128: the product is below the smallest subnormal.
  if (is_inf(z) || az > 150.0) { return 0.0 * da; }
  var s: f32;
  var k = 0;
  if (az < TANH_SERIES_END) {
    let a = tanh_series(az);
    s = 1.0 - a * a;
  } else {
    let e = exp_split(-2.0 * az);
    let t = join(e.r, e.k);
    let u = 1.0 + t;
    s = 4.0 * e.r / (u * u);
    k = e.k;
  }
  let d = split(da);
  return join(d.m * s, d.e + k);
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

fn g_backward(z: f32, da: f32) -> f32 {
#if ${RELU}
  return select(0.0, da, is_positive(z));
#elif ${TANH}
  return tanh_backward(z, da);
#else
  return da;
#endif
}

#if ${FORWARD}
@group(0) @binding(0) var<storage, read> z_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> a_out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 256u + lix;
  if (i >= p.count) { return; }
  a_out[i] = g(z_in[i]);
}
#else
@group(0) @binding(0) var<storage, read> z_in: array<f32>;
@group(0) @binding(1) var<storage, read> dA: array<f32>;
@group(0) @binding(2) var<storage, read_write> dZ: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 256u + lix;
  if (i >= p.count) { return; }
  dZ[i] = g_backward(z_in[i], dA[i]);
}
#endif
