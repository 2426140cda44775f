// histogram.wgsl — per-tensor histograms (the default variant) and the dead / saturated units of a^[l] (UNITS).
//
// Histograms: HIST_WORDS = 576 u32 counters per tensor, at hist[tensor·576 …] (tensor = the work item's result
// record), cleared before each step and counted with atomics:
//   [0, 254)    positive normal values by exponent: x in [2^e, 2^(e+1)) → bin e + 126, e = −126..127
//   [254, 508)  negative normal values, the same bins by |x|
//   508 zero (±0), 509 subnormal (0 < |x| < 2^-126), 510 ±∞, 511 NaN      — all from the bits, never from arithmetic
//   [512, 576)  64 linear bins over the tensor's own [min, max] (finite elements; only when min and max are finite):
//               bin ⌊64·(x − min)/(max − min)⌋, the last bin closed; everything in bin 0 when max = min.
// The linear bins need the tensor's min and max, so this kernel runs after the moments' merges (stats.wgsl pass 1),
// over the same work items; it reads min and max from the result record's keys, and computes with x, min, max
// scaled exactly by 2^-(E+1) (E: the exponent of max|x|, from the record), so subnormal operands are never flushed.
// Bindings: 0 data (read), 1 work (read), 2 moments (read), 3 hist (read_write, atomic), 4 params {first, count}.
//
// UNITS: one thread per unit (row i of a^[l], row-major (n, m)): dead when its m values are all ±0, saturated when
// all |a| > 0.99 (tanh). units[2·slot] += dead, units[2·slot + 1] += saturated.
// Bindings: 0 a (read), 1 units (read_write, atomic), 2 params {n, m, slot}.
// Dispatch: ceil(count/64) workgroups of 64, folded into (x, y); threads past the end return.

const WG: u32 = 64u;
const HIST_WORDS: u32 = 576u;
const LINEAR_BASE: u32 = 512u;
const LINEAR_BINS: u32 = 64u;

#if ${UNITS}
struct Params { n: u32, m: u32, slot: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> units: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * WG + lix;
  if (i >= p.n) { return; }
  var dead = true;
  var saturated = true;
  for (var j = 0u; j < p.m; j++) {
    let v = a[i * p.m + j];
    dead = dead && is_zero(v);
    saturated = saturated && abs(v) > 0.99;   // NaN compares false: a NaN unit is not saturated
  }
  if (dead) { atomicAdd(&units[2u * p.slot], 1u); }
  if (saturated) { atomicAdd(&units[2u * p.slot + 1u], 1u); }
}
#else
struct Moments {
  count: u32, zeros: u32, nans: u32, infs: u32,
  min_key: u32, max_key: u32, e: i32, centre: f32,
  s1: f32, s2: f32, pad0: f32, pad1: f32,
}
struct Params { first: u32, count: u32 }

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> work: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> moments: array<Moments>;
@group(0) @binding(3) var<storage, read_write> hist: array<atomic<u32>>;
@group(0) @binding(4) var<uniform> p: Params;

// The bits of the float whose order key (stats.wgsl order_key) is k.
fn key_bits(k: u32) -> u32 {
  return select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u);
}

// ±m·2^(k+s) from the bits of a finite x (stats.wgsl decode and scaled): exact while the result is normal.
fn scaled_bits(b: u32, s: i32) -> f32 {
  let field = (b >> 23u) & 0xffu;
  var m = (b & 0x7fffffu) | 0x800000u;
  var k = i32(field) - 150;
  if (field == 0u) { m = b & 0x7fffffu; k = -149; }
  let v = f32(m) * pow2(k + s);
  return select(v, -v, (b & 0x80000000u) != 0u);
}

// The magnitude bin of x's bits (0..511, see the header).
fn magnitude_bin(b: u32) -> u32 {
  let field = (b >> 23u) & 0xffu;
  let mantissa = b & 0x7fffffu;
  if (field == 255u) { return select(510u, 511u, mantissa != 0u); }
  if (field == 0u) { return select(508u, 509u, mantissa != 0u); }
  return field - 1u + select(0u, 254u, (b & 0x80000000u) != 0u);
}

fn finite_bits(b: u32) -> bool { return (b & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let w = workgroup_index(wid, nwg) * WG + lix;
  if (w >= p.count) { return; }
  let item = work[p.first + w];
  let t = moments[item.z];
  let base = item.z * HIST_WORDS;
  let lo_bits = key_bits(t.min_key);
  let hi_bits = key_bits(t.max_key);
  // Linear bins only over a finite [min, max] (a tensor with ±∞ or no finite value has none).
  let linear = t.count > t.nans && finite_bits(lo_bits) && finite_bits(hi_bits);
  // No non-zero finite value (e = stats.wgsl's NO_VALUES): every finite value is ±0, in linear bin 0.
  let only_zeros = t.e < -500;
  let shift = select(-(t.e + 1), 0, only_zeros);
  let lo = scaled_bits(lo_bits, shift);
  let width = scaled_bits(hi_bits, shift) - lo;
  for (var i = item.x; i < item.y; i++) {
    let b = data[i];
    atomicAdd(&hist[base + magnitude_bin(b)], 1u);
    if (!linear || !finite_bits(b)) { continue; }
    var bin = 0u;
    if (!only_zeros && width > 0.0) {
      let x = f32(LINEAR_BINS) * ((scaled_bits(b, shift) - lo) / width);
      bin = min(LINEAR_BINS - 1u, u32(max(x, 0.0)));
    }
    atomicAdd(&hist[base + LINEAR_BASE + bin], 1u);
  }
}
#endif
