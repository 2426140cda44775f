// init.wgsl — fills a region of a weight buffer from the Philox streams of philox.wgsl (prepended, after
// common.wgsl): thread i writes W[i] from element e = first + i of stream (seed, layer, purpose), so any region of
// any tensor can be filled on its own and gives the values src/model/philox.ts computes for the same elements.
//   kind 0  normal(mean a, std b):    W[i] = a + b·n_e,        n_e = normal_at(…, e)
//   kind 1  uniform(low a, high b):   W[i] = a + (b − a)·u_e,  u_e = uniform_at(…, e), in (0, 1)
//   kind 2  constant a:               W[i] = a
//   kind 3  identity with gain a:     W[i] = a if e is on the main diagonal of the row-major (rows, cols) matrix
//                                     (row = e / cols, col = e mod cols, row == col < rows), else 0 — rectangular
//                                     as torch.nn.init.eye_; no random numbers.
//   any other kind: NaN.
// Accuracy (WGSL's guarantees, common.wgsl; ε = 2^-24): u_e is exact; n_e within 23.3ε relative (philox.wgsl).
// kind 0: |W − (a + b·n)| ≤ 25.3ε·|b·n| + 2ε·|W| (the product and the sum add < 2ε each); kind 1:
// |W − (a + (b − a)·u)| ≤ 4ε·|(b − a)·u| + 2ε·|W| (b − a and the product, then the sum); kinds 2 and 3 exact.
// Bindings: 0 W (read_write, f32; bound at the region), 1 params (uniform; 12 words: 8 u32, then a, b as f32).
// Dispatch: ceil(count/256) workgroups of 256, folded into (x, y); an in-shader guard skips the tail. The caller
// keeps first + count ≤ 2^32 (the element index is a u32).

struct Params {
  count: u32,    // elements to write
  layer: u32,
  seed: u32,
  first: u32,    // stream element of W[0]
  kind: u32,     // 0 normal, 1 uniform, 2 constant, 3 identity
  purpose: u32,  // PURPOSE in src/model/philox.ts (weights 0)
  rows: u32,     // identity only
  cols: u32,     // identity only
  a: f32,        // mean, low, value or gain
  b: f32,        // std or high
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 256u + lix;
  if (i >= p.count) { return; }
  let e = p.first + i;
  var v: f32;
  switch (p.kind) {
    case 0u: { v = p.a + p.b * normal_at(p.seed, p.layer, p.purpose, e); }
    case 1u: { v = p.a + (p.b - p.a) * uniform_at(p.seed, p.layer, p.purpose, e); }
    case 2u: { v = p.a; }
    case 3u: {
      let row = e / p.cols;
      v = select(0.0, p.a, row == e % p.cols && row < p.rows);
    }
    default: { v = nan_f32(); }  // an unknown kind shows as NaN, never as plausible weights
  }
  W[i] = v;
}
