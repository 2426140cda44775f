// stats.wgsl — per-tensor statistics, reduced on the GPU; no statistic depends on the order of the elements or on
// any single element chosen as a pivot.
//
// Two passes over each tensor, each a partial kernel plus merge levels (defines PASS2, MERGE); one thread per item:
//   pass 1 (Moments):  count, zeros, NaNs, ±∞ (by bit pattern), min and max (integer keys of the bits, so exact,
//                      subnormals included), and over finite x, with E the exponent of max|x| (2^E ≤ max|x| < 2^(E+1)),
//                      s1 = Σ x·2^-E and s2 = Σ (x·2^-E)²; each x is decoded from its bits as ±m·2^k (m < 2^24), so
//                      x·2^-E is exact whatever the device does with subnormal arithmetic. A thread keeps a running E
//                      and rescales its sums by a power of two (exact) when a larger |x| arrives; merges align the same way.
//                      The record that ends a tensor stores the centre c = fl(mean·2^-(E+1)).
//   pass 2 (Centred):  t1 = Σ d and t2 = Σ d² with d = x·2^-(E+1) − c (|d| < 2; exact when x is within a factor 2 of
//                      the mean, by Sterbenz's lemma). With the centre at the mean, t2 has no cancellation: the
//                      "two-pass" algorithm of Chan, Golub & LeVeque (1983), "Algorithms for computing the sample
//                      variance", eq. 1.2, with t1 as its correction term (eq. 1.7).
// The CPU (src/stats/stats.ts statsFromMoments) forms mean = 2^(E+1)(c + t1/n), std = 2^(E+1)·√(t2/n − (t1/n)²),
// rms = 2^E·√(s2/n), l2 = 2^E·√s2.
// Error: every float sum is a chain of at most 32 additions (a work item's elements), then a pairwise cascade of
// depth 6 per merge level (≤ 4 levels up to 2^28 elements): ≤ 56 roundings of ≤ 1 ulp each on any path, so sums of
// non-negative terms (s2, t2) are within 56·2^-23 = 6.7e-6 relative and signed sums within that of Σ|·|: rms and
// std within 3.4e-6 relative, mean within 6.7e-6·rms (and 6.7e-6·std around the centre).
//
// Records: Moments {count, zeros, nans, infs, min_key, max_key, e, centre, s1, s2, _, _} (48 bytes), Centred {t1, t2}.
// Work items (partials): {start, end, tensor, out}: elements [start, end) (≤ 32) of the data binding → record out.
// Merge items: {first, count, out, _}: records [first, first + count) (count ≤ 64, one tensor) → record out.
// Records [0, params.results) are the tensors' results (record t for tensor t); an item writing there is final.
// Bindings (pass 1 partial): 0 data (read), 1 work (read), 2 moments (read_write), 3 params.
// Bindings (pass 2 partial): 0 data (read), 1 work (read), 2 moments (read), 3 centred (read_write), 4 params.
// Bindings (merges):         0 merge items (read), 1 moments or centred (read_write), 2 params.
// Params {first, count, results, _}: items [first, first + count); results = the number of tensors.
// Dispatch: ceil(count/64) workgroups of 64 threads, one item each, folded into (x, y); threads past the end return.

struct Moments {
  count: u32, zeros: u32, nans: u32, infs: u32,
  min_key: u32, max_key: u32, e: i32, centre: f32,
  s1: f32, s2: f32, pad0: f32, pad1: f32,
}

struct Params { first: u32, count: u32, results: u32, pad: u32 }
struct WorkItem { start: u32, end: u32, tensor: u32, out: u32 }
struct MergeItem { first: u32, count: u32, out: u32, pad: u32 }

// Exponent of an empty record: 2^NO_VALUES is 0 wherever it is used.
const NO_VALUES: i32 = -1000;

// A total order of the non-NaN floats on u32 keys (−∞ < … < −0 < +0 < … < +∞).
fn order_key(b: u32) -> u32 {
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// |x| = m·2^k, m < 2^24 an integer, for finite x from its bits.
struct Decoded { m: u32, k: i32 }
fn decode(b: u32) -> Decoded {
  let field = (b >> 23u) & 0xffu;
  if (field == 0u) { return Decoded(b & 0x7fffffu, -149); }
  return Decoded((b & 0x7fffffu) | 0x800000u, i32(field) - 150);
}

// ±m·2^s for an integer m < 2^24 and a power of two that keeps the result below 2: exact when normal.
fn scaled(b: u32, d: Decoded, s: i32) -> f32 {
  let v = f32(d.m) * pow2(d.k + s);
  return select(v, -v, (b & 0x80000000u) != 0u);
}

fn empty_moments() -> Moments {
  return Moments(0u, 0u, 0u, 0u, 0xffffffffu, 0u, NO_VALUES, 0.0, 0.0, 0.0, 0.0, 0.0);
}

fn merge_moments(a: Moments, b: Moments) -> Moments {
  var r = a;
  r.count = a.count + b.count;
  r.zeros = a.zeros + b.zeros;
  r.nans = a.nans + b.nans;
  r.infs = a.infs + b.infs;
  r.min_key = min(a.min_key, b.min_key);
  r.max_key = max(a.max_key, b.max_key);
  r.e = max(a.e, b.e);
  let da = a.e - r.e;
  let db = b.e - r.e;
  r.s1 = a.s1 * pow2(da) + b.s1 * pow2(db);
  r.s2 = a.s2 * pow2(2 * da) + b.s2 * pow2(2 * db);
  return r;
}

// The centre c = fl(mean·2^-(E+1)) of a finished tensor (0 if it has no finite value).
fn with_centre(m: Moments) -> Moments {
  var r = m;
  let finite = m.count - m.nans - m.infs;
  r.centre = select(0.0, 0.5 * (m.s1 / f32(finite)), finite > 0u);
  return r;
}

// One thread per item, at every level: no workgroup memory, no barrier (a barrier costs more than a small
// tensor's whole reduction on a software adapter), and a tensor of a few elements costs one thread, not a workgroup.
const WG: u32 = 64u;

#if ${MERGE}
@group(0) @binding(0) var<storage, read> items: array<vec4<u32>>;
#if ${PASS2}
alias Record = vec2<f32>;
@group(0) @binding(1) var<storage, read_write> records: array<vec2<f32>>;
fn empty_record() -> vec2<f32> { return vec2<f32>(0.0); }
fn merge_records(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return a + b; }
fn finish(r: vec2<f32>) -> vec2<f32> { return r; }
#else
alias Record = Moments;
@group(0) @binding(1) var<storage, read_write> records: array<Moments>;
fn empty_record() -> Moments { return empty_moments(); }
fn merge_records(a: Moments, b: Moments) -> Moments { return merge_moments(a, b); }
fn finish(r: Moments) -> Moments { return with_centre(r); }
#endif
@group(0) @binding(2) var<uniform> p: Params;

// A merge item {first, count ≤ 64, out, _}: records [first, first + count) merged by cascade summation (pairwise
// order kept by a stack of log2(64) partial records: depth ≤ 6) into records[out].
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let w = workgroup_index(wid, nwg) * WG + lix;
  if (w >= p.count) { return; }
  let item = items[p.first + w];
  var stack: array<Record, 7>;
  var top = empty_record();
  for (var i = 0u; i < item.y; i++) {
    var v = records[item.x + i];
    var level = 0u;
    while (((i >> level) & 1u) == 1u) {
      v = merge_records(stack[level], v);
      level++;
    }
    stack[level] = v;
  }
  // Fold the stack, smallest partial first.
  for (var level = 0u; level < 7u; level++) {
    if (((item.y >> level) & 1u) == 1u) { top = merge_records(stack[level], top); }
  }
  if (item.z < p.results) { records[item.z] = finish(top); } else { records[item.z] = top; }
}
#else
@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> work: array<vec4<u32>>;
#if ${PASS2}
@group(0) @binding(2) var<storage, read> moments: array<Moments>;
@group(0) @binding(3) var<storage, read_write> centred: array<vec2<f32>>;
@group(0) @binding(4) var<uniform> p: Params;

// A work item {start, end, tensor, out}: elements [start, end) (≤ STATS_CHUNK) of one tensor → centred[out].
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let w = workgroup_index(wid, nwg) * WG + lix;
  if (w >= p.count) { return; }
  let item = work[p.first + w];
  let t = moments[item.z];
  let shift = -(t.e + 1);
  var acc = vec2<f32>(0.0);
  for (var i = item.x; i < item.y; i++) {
    let b = data[i];
    if ((b & 0x7f800000u) == 0x7f800000u) { continue; }  // NaN and ±∞ take no part in the moments
    let d = scaled(b, decode(b), shift) - t.centre;
    acc += vec2<f32>(d, d * d);
  }
  centred[item.w] = acc;
}
#else
@group(0) @binding(2) var<storage, read_write> moments: array<Moments>;
@group(0) @binding(3) var<uniform> p: Params;

// A work item {start, end, tensor, out}: elements [start, end) (≤ STATS_CHUNK) of one tensor → moments[out].
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let w = workgroup_index(wid, nwg) * WG + lix;
  if (w >= p.count) { return; }
  let item = work[p.first + w];
  var m = empty_moments();
  for (var i = item.x; i < item.y; i++) {
    let b = data[i];
    m.count += 1u;
    if ((b & 0x7f800000u) == 0x7f800000u) {
      if ((b & 0x7fffffu) != 0u) { m.nans += 1u; continue; }
      m.infs += 1u;
    }
    let k = order_key(b);
    m.min_key = min(m.min_key, k);
    m.max_key = max(m.max_key, k);
    if ((b & 0x7fffffffu) == 0u) { m.zeros += 1u; continue; }
    if ((b & 0x7f800000u) == 0x7f800000u) { continue; }
    let d = decode(b);
    let e = d.k + i32(firstLeadingBit(d.m));
    if (e > m.e) {
      m.s1 *= pow2(m.e - e);
      m.s2 *= pow2(2 * (m.e - e));
      m.e = e;
    }
    let x = scaled(b, d, -m.e);
    m.s1 += x;
    m.s2 += x * x;
  }
  if (item.w < p.results) { moments[item.w] = with_centre(m); } else { moments[item.w] = m; }
}
#endif
#endif
