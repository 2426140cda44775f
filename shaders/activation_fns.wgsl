// activation_fns.wgsl — the activations g and their derivatives, one definition for every kernel that applies
// them (activation.wgsl, and matmul_regs.wgsl's fused epilogue); a library prepended after common.wgsl and
// scales.wgsl, preprocessed with the kernel's defines RELU, TANH (neither = identity).
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

