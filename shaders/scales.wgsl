// scales.wgsl — the extended range: every per-layer tensor is stored with a power-of-two scale, true value =
// stored · 2^S, so magnitudes beyond float32's range (1.5^10000, 0.5^10000) are represented. The scales live in one
// i32 buffer (bound as array<atomic<i32>> by the EXTENDED variants), chosen on the device, read back with the
// statistics. Prepended (after common.wgsl) to matmul, activation and loss.
//
// Layout: words 0..15 global (G_EB: exponent of the bias, written by the host; G_LOSS: scale of the per-example
// loss), then a record of REC words per layer l = 0..L at record(l):
//   TZ   pre-scale of z^[l] as the forward matmul writes it (max of S_a[l-1] and the bias exponent)
//   MZ   max biased exponent over z^[l] as written (atomicMax; 0 = all zero)
//   SZ   scale of z^[l] once normalised (TZ + its max exponent, so max|stored z| is in [1, 2))
//   SA   scale of a^[l] (= SZ for identity and ReLU, positively homogeneous; tanh: SZ while max|z| < 2^-12, where
//        tanh z = z to float32 precision, else 0 — tanh of the true z, which saturates exactly at ±1)
//   SDA  scale of dA^[l] as written (loss or backward matmul); MDA its max biased exponent
//   SDZ  scale of dZ^[l] (normalised by dA's max exponent, and for tanh by its own, since sech² can be tiny)
//   MDZ  max biased exponent of dA·sech²(z) (tanh only)
// dW^[l] = dZ^[l] a^[l-1]ᵀ has scale SDZ[l] + SA[l-1] (formed on the host). Exact: every scaling is by a power of
// two through join (common.wgsl), and every product is of normalised values, which cannot overflow.

const REC: u32 = 16u;
const G_EB: u32 = 0u;
const G_LOSS: u32 = 1u;
const S_TZ: u32 = 0u;
const S_MZ: u32 = 1u;
const S_SZ: u32 = 2u;
const S_SA: u32 = 3u;
const S_SDA: u32 = 4u;
const S_MDA: u32 = 5u;
const S_SDZ: u32 = 6u;
const S_MDZ: u32 = 7u;
const EXP_BIAS: i32 = 1024;

// First word of layer l's record.
fn record(l: u32) -> u32 { return REC * (l + 1u); }

// The exponent e of |x| (2^e ≤ |x| < 2^(e+1)) plus EXP_BIAS, for an atomic max; 0 for ±0 and non-finite x.
fn biased_exponent(x: f32) -> i32 {
  if (is_zero(x) || !is_finite(x)) { return 0; }
  return split(x).e + EXP_BIAS;
}

// The exponent of a max slot (0 when the tensor was all zero: no rescaling).
fn unbias(m: i32) -> i32 {
  return select(0, m - EXP_BIAS, m != 0);
}
