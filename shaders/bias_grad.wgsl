// bias_grad.wgsl — db_i = Σ_j dZ_ij, the bias gradient: a row sum of dZ^[l], row-major (n^[l], m).
// Algorithm: one thread per row i, summing its m entries in order (no barriers: on software adapters a
// workgroup barrier costs more than the sum of a row).
// Bindings: 0 dZ (read), 1 db (write, n entries), 2 params {n, m}.
// Dispatch: ceil(n/64) workgroups of 64, folded into (x, y); rows past n return at once.

struct Params { n: u32, m: u32 }

@group(0) @binding(0) var<storage, read> dZ: array<f32>;
@group(0) @binding(1) var<storage, read_write> db: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let row = workgroup_index(wid, nwg) * 64u + lix;
  if (row >= p.n) { return; }
  var s = 0.0;
  for (var j = 0u; j < p.m; j++) {
    s += dZ[row * p.m + j];
  }
  db[row] = s;
}
