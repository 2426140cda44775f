// bias_grad.wgsl — db_i = Σ_j dZ_ij, the bias gradient: a row sum of dZ^[l], row-major (n^[l], m).
// Algorithm: one workgroup of 64 per row i; thread t sums j = t, t+64, …; then a tree reduction in workgroup memory.
// Bindings: 0 dZ (read), 1 db (write, n entries), 2 params {n, m}.
// Dispatch: n workgroups, folded into (x, y); rows past n return at once (uniform per workgroup).

struct Params { n: u32, m: u32 }

@group(0) @binding(0) var<storage, read> dZ: array<f32>;
@group(0) @binding(1) var<storage, read_write> db: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let row = workgroup_index(wid, nwg);
  if (row >= p.n) { return; }
  var s = 0.0;
  for (var j = lix; j < p.m; j += 64u) {
    s += dZ[row * p.m + j];
  }
  partial[lix] = s;
  workgroupBarrier();
  for (var half = 32u; half > 0u; half >>= 1u) {
    if (lix < half) { partial[lix] += partial[lix + half]; }
    workgroupBarrier();
  }
  if (lix == 0u) { db[row] = partial[0]; }
}
