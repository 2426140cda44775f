// stats.wgsl — per-tensor statistics, reduced on the GPU; no statistic depends on the order of the elements or on
// any single element chosen as a pivot.
//
// Two passes over each tensor, each a partial kernel plus tree merges (defines PASS2, MERGE):
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
// Error: every float sum is a chain of at most 16 additions per thread, then a tree of depth 6 per workgroup and
// depth 6 per merge level (≤ 3 levels up to 2^28 elements): ≤ 40 roundings of ≤ 1 ulp each on any path, so sums of
// non-negative terms (s2, t2) are within 40·2^-23 = 4.8e-6 relative and signed sums within that of Σ|·|: rms and
// std within 2.4e-6 relative, mean within 4.8e-6·rms (and 4.8e-6·std around the centre).
//
// Records: Moments {count, zeros, nans, infs, min_key, max_key, e, centre, s1, s2, _, _} (48 bytes), Centred {t1, t2}.
// Work items (partials): {start, end, tensor, out}: elements [start, end) of the data binding → record out.
// Merge items: {first, count, out, _}: records [first, first + count) (count ≤ 64, one tensor) → record out.
// Records [0, params.results) are the tensors' results (record t for tensor t); an item writing there is final.
// Bindings (pass 1 partial): 0 data (read), 1 work (read), 2 moments (read_write), 3 params.
// Bindings (pass 2 partial): 0 data (read), 1 work (read), 2 moments (read), 3 centred (read_write), 4 params.
// Bindings (merges):         0 merge items (read), 1 moments or centred (read_write), 2 params.
// Params {first, count, results, _}: items [first, first + count); results = the number of tensors.
// Dispatch: one workgroup of 64 per item, folded into (x, y); workgroups past the end return at once.

struct Moments {
  count: u32, zeros: u32, nans: u32, infs: u32,
  min_key: u32, max_key: u32, e: i32, centre: f32,
  s1: f32, s2: f32, pad0: f32, pad1: f32,
}

struct Params { first: u32, count: u32, results: u32, pad: u32 }
struct WorkItem { start: u32, end: u32, tensor: u32, out: u32 }
struct MergeItem { first: u32, count: u32, out: u32, pad: u32 }

const WG: u32 = 64u;
// Elements per thread of a partial work item (STATS_CHUNK = 16·64 in memory-plan.ts).
const PER_THREAD: u32 = 16u;
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

#if ${MERGE}
@group(0) @binding(0) var<storage, read> items: array<vec4<u32>>;
#if ${PASS2}
@group(0) @binding(1) var<storage, read_write> records: array<vec2<f32>>;
var<workgroup> shared_r: array<vec2<f32>, WG>;
fn empty_record() -> vec2<f32> { return vec2<f32>(0.0); }
fn merge_records(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return a + b; }
fn finish(r: vec2<f32>) -> vec2<f32> { return r; }
#else
@group(0) @binding(1) var<storage, read_write> records: array<Moments>;
var<workgroup> shared_r: array<Moments, WG>;
fn empty_record() -> Moments { return empty_moments(); }
fn merge_records(a: Moments, b: Moments) -> Moments { return merge_moments(a, b); }
fn finish(r: Moments) -> Moments { return with_centre(r); }
#endif
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.count) { return; }  // uniform per workgroup
  let item = items[p.first + w];  // MergeItem {first, count, out, _}
  if (lix < item.y) { shared_r[lix] = records[item.x + lix]; } else { shared_r[lix] = empty_record(); }
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    workgroupBarrier();
    if (lix < half) { shared_r[lix] = merge_records(shared_r[lix], shared_r[lix + half]); }
  }
  if (lix == 0u) {
    if (item.z < p.results) { records[item.z] = finish(shared_r[0]); } else { records[item.z] = shared_r[0]; }
  }
}
#else
@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> work: array<vec4<u32>>;
#if ${PASS2}
@group(0) @binding(2) var<storage, read> moments: array<Moments>;
@group(0) @binding(3) var<storage, read_write> centred: array<vec2<f32>>;
@group(0) @binding(4) var<uniform> p: Params;
var<workgroup> shared_r: array<vec2<f32>, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.count) { return; }
  let item = work[p.first + w];  // WorkItem {start, end, tensor, out}
  let t = moments[item.z];
  let shift = -(t.e + 1);
  var acc = vec2<f32>(0.0);
  for (var i = item.x + lix; i < item.y; i += WG) {
    let b = data[i];
    if ((b & 0x7f800000u) == 0x7f800000u) { continue; }  // NaN and ±∞ take no part in the moments
    let d = scaled(b, decode(b), shift) - t.centre;
    acc += vec2<f32>(d, d * d);
  }
  shared_r[lix] = acc;
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    workgroupBarrier();
    if (lix < half) { shared_r[lix] += shared_r[lix + half]; }
  }
  if (lix == 0u) { centred[item.w] = shared_r[0]; }
}
#else
@group(0) @binding(2) var<storage, read_write> moments: array<Moments>;
@group(0) @binding(3) var<uniform> p: Params;
var<workgroup> shared_r: array<Moments, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.count) { return; }
  let item = work[p.first + w];  // WorkItem {start, end, tensor, out}
  var m = empty_moments();
  for (var i = item.x + lix; i < item.y; i += WG) {
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
  shared_r[lix] = m;
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    workgroupBarrier();
    if (lix < half) { shared_r[lix] = merge_moments(shared_r[lix], shared_r[lix + half]); }
  }
  if (lix == 0u) {
    if (item.w < p.results) { moments[item.w] = with_centre(shared_r[0]); } else { moments[item.w] = shared_r[0]; }
  }
}
#endif
#endif
