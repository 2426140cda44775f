// stats.wgsl — per-tensor statistics, reduced on the GPU in two kernels (define MERGE):
//   partial: one workgroup of 64 per work item (a chunk [start, end) of one tensor in a data buffer) → partials[w]
//   merge:   one thread per tensor, merging its partials in order → results[t] (a tensor has few partials:
//            ceil(length / 4096); a thread per tensor avoids barriers, which dominate for small tensors)
// Each thread folds its elements into Moments (src/stats/stats.ts documents the fields and how the CPU turns
// them into mean, std, rms, l2): counts of NaN / ±∞ (by bit pattern), zeros, min/max over non-NaN values, and,
// over finite values only, scaled sums of d = (x − K)/2 and of x (K = the tensor's first element if finite, else 0):
//   dev_sum = Σ d/dev_scale, dev_ssq = Σ (d/dev_scale)²,  abs_ssq = Σ (x/abs_scale)²,  d = (x − K)/2,
// with each scale a power of two, max|·|/2 ≤ scale ≤ max|·| (see add_scaled).
// The shift is the "shifted data" algorithm (Chan, Golub & LeVeque 1983, §3): std stays exact when all values
// are equal; the running rescale is LAPACK dnrm2's, by powers of two, so squares of values up to 3.4e38 never
// overflow and sums of small integers are exact in any order.
// In the partial kernel, a tree reduction over the workgroup's 64 threads with the same merge.
// Bindings (partial): 0 data (read), 1 work {start, end, shift_at, _} (read), 2 partials (write), 3 params {first, count}.
// Bindings (merge):   0 partials (read), 1 tensors {first_partial, num_partials} (read), 2 results (write), 3 params {first, count}.
// Dispatch: partial, params.count workgroups; merge, ceil(params.count / 64) workgroups; folded into (x, y),
// past the end return at once.

struct Moments {
  count: u32, zeros: u32, nans: u32, infs: u32,
  shift: f32, dev_scale: f32, dev_sum: f32, dev_ssq: f32,
  abs_scale: f32, abs_ssq: f32, min_v: f32, max_v: f32,
}

struct Params { first: u32, count: u32 }

fn empty_moments(shift: f32) -> Moments {
  return Moments(0u, 0u, 0u, 0u, shift, 0.0, 0.0, 0.0, 0.0, 0.0, pos_inf(), neg_inf());
}

// Scaled sum and sum of squares (s, sum, ssq) after adding v, with s a power of two and every |v| < 2s:
// dividing by s and rescaling by ratios of powers of two are exact, so sums of integers stay exact.
// s ≥ 2^-126 (normal) so subnormal v never divide by a flushed zero; s ≤ 2^127 so s never overflows.
fn add_scaled(acc: vec3<f32>, v: f32) -> vec3<f32> {
  let av = abs(v);
  if (av == 0.0) { return acc; }
  if (av >= 2.0 * acc.x) {
    let s = ldexp(1.0, max(frexp(av).exp - 1, -126));
    let r = acc.x / s;
    let q = v / s;
    return vec3<f32>(s, acc.y * r + q, acc.z * r * r + q * q);
  }
  let q = v / acc.x;
  return vec3<f32>(acc.x, acc.y + q, acc.z + q * q);
}

fn merge_scaled(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  let s = max(a.x, b.x);
  if (s == 0.0) { return vec3<f32>(0.0); }
  let ra = a.x / s;
  let rb = b.x / s;
  return vec3<f32>(s, a.y * ra + b.y * rb, a.z * ra * ra + b.z * rb * rb);
}

fn add_value(m: Moments, x: f32) -> Moments {
  var r = m;
  r.count += 1u;
  if (is_nan(x)) { r.nans += 1u; return r; }
  r.min_v = min(r.min_v, x);
  r.max_v = max(r.max_v, x);
  if (x == 0.0) { r.zeros += 1u; }
  if (is_inf(x)) { r.infs += 1u; return r; }
  // Halved deviation: x/2 − K/2 cannot overflow (x − K can, e.g. 3e38 − (−3e38)); the halvings are exact
  // for normal numbers, the subtraction rounds once.
  let dev = add_scaled(vec3<f32>(r.dev_scale, r.dev_sum, r.dev_ssq), 0.5 * x - 0.5 * r.shift);
  r.dev_scale = dev.x; r.dev_sum = dev.y; r.dev_ssq = dev.z;
  let ab = add_scaled(vec3<f32>(r.abs_scale, 0.0, r.abs_ssq), x);
  r.abs_scale = ab.x; r.abs_ssq = ab.z;
  return r;
}

fn merge(a: Moments, b: Moments) -> Moments {
  var r = a;
  r.count = a.count + b.count;
  r.zeros = a.zeros + b.zeros;
  r.nans = a.nans + b.nans;
  r.infs = a.infs + b.infs;
  r.min_v = min(a.min_v, b.min_v);
  r.max_v = max(a.max_v, b.max_v);
  let dev = merge_scaled(vec3<f32>(a.dev_scale, a.dev_sum, a.dev_ssq), vec3<f32>(b.dev_scale, b.dev_sum, b.dev_ssq));
  r.dev_scale = dev.x; r.dev_sum = dev.y; r.dev_ssq = dev.z;
  let ab = merge_scaled(vec3<f32>(a.abs_scale, 0.0, a.abs_ssq), vec3<f32>(b.abs_scale, 0.0, b.abs_ssq));
  r.abs_scale = ab.x; r.abs_ssq = ab.z;
  return r;
}

const WG: u32 = 64u;

var<workgroup> shared_m: array<Moments, WG>;

// Tree reduction of shared_m[0..WG) into shared_m[0]; every thread of the workgroup must call it.
fn reduce_workgroup(lix: u32) {
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    workgroupBarrier();
    if (lix < half) { shared_m[lix] = merge(shared_m[lix], shared_m[lix + half]); }
  }
  workgroupBarrier();
}

@group(0) @binding(3) var<uniform> p: Params;

#if ${MERGE}
struct TensorRange { first_partial: u32, num_partials: u32 }
@group(0) @binding(0) var<storage, read> partials: array<Moments>;
@group(0) @binding(1) var<storage, read> tensors: array<TensorRange>;
@group(0) @binding(2) var<storage, read_write> results: array<Moments>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let w = workgroup_index(wid, nwg) * WG + lix;
  if (w >= p.count) { return; }
  let t = tensors[p.first + w];
  var m = partials[t.first_partial];
  for (var k = 1u; k < t.num_partials; k++) {
    m = merge(m, partials[t.first_partial + k]);
  }
  results[p.first + w] = m;
}
#else
struct WorkItem { start: u32, end: u32, shift_at: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(1) var<storage, read> work: array<WorkItem>;
@group(0) @binding(2) var<storage, read_write> partials: array<Moments>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.count) { return; }
  let item = work[p.first + w];
  let k0 = data[item.shift_at];
  var m = empty_moments(select(0.0, k0, is_finite(k0)));
  for (var i = item.start + lix; i < item.end; i += WG) {
    m = add_value(m, data[i]);
  }
  shared_m[lix] = m;
  reduce_workgroup(lix);
  if (lix == 0u) { partials[p.first + w] = shared_m[0]; }
}
#endif
