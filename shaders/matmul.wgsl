// matmul.wgsl — C = op(A)·op(B) (+ bias), the three products of a dense layer (row-major everywhere):
//   forward   z^[l]     = W^[l] · a^[l-1] + b^[l]   (M = n^[l],   N = m,       K = n^[l-1], BIAS)
//   backward  dW^[l]    = dZ^[l] · a^[l-1]ᵀ         (M = n^[l],   N = n^[l-1], K = m,       TRANS_B)
//   backward  dA^[l-1]  = W^[l]ᵀ · dZ^[l]           (M = n^[l-1], N = m,       K = n^[l],   TRANS_A)
// Algorithm: one 16×16 output tile per workgroup, one output per thread; K walked in 16-wide slabs staged in
// workgroup memory. Out-of-range loads are 0 on both operands, so padded products are 0·0 (never 0·∞).
// Bindings: 0 A (read), 1 B (read), 2 C (write), 3 params {M, N, K}, 4 bias (read, BIAS variant only).
// Shapes: A (M,K) or (K,M) if TRANS_A; B (K,N) or (N,K) if TRANS_B; C (M,N); bias (M).
// Dispatch: ceil(M/16)·ceil(N/16) workgroups, folded into (x, y); tiles past the end return at once.

const TILE: u32 = 16u;

struct Params { M: u32, N: u32, K: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
#if ${BIAS}
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#endif

var<workgroup> As: array<array<f32, 16>, 16>;
var<workgroup> Bs: array<array<f32, 16>, 16>;

fn load_a(i: u32, k: u32) -> f32 {
  if (i >= p.M || k >= p.K) { return 0.0; }
#if ${TRANS_A}
  return A[k * p.M + i];
#else
  return A[i * p.K + k];
#endif
}

fn load_b(k: u32, j: u32) -> f32 {
  if (k >= p.K || j >= p.N) { return 0.0; }
#if ${TRANS_B}
  return B[j * p.K + k];
#else
  return B[k * p.N + j];
#endif
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let tilesN = (p.N + TILE - 1u) / TILE;
  let tile = workgroup_index(wid, nwg);
  if (tile >= tilesN * ((p.M + TILE - 1u) / TILE)) { return; }  // uniform per workgroup
  let i = (tile / tilesN) * TILE + lid.y;
  let j = (tile % tilesN) * TILE + lid.x;
  var acc = 0.0;
  for (var k0 = 0u; k0 < p.K; k0 += TILE) {
    As[lid.y][lid.x] = load_a(i, k0 + lid.x);
    Bs[lid.y][lid.x] = load_b(k0 + lid.y, j);
    workgroupBarrier();
    for (var k = 0u; k < TILE; k++) {
      acc = fma(As[lid.y][k], Bs[k][lid.x], acc);
    }
    workgroupBarrier();
  }
  if (i < p.M && j < p.N) {
#if ${BIAS}
    acc = acc + bias[i];
#endif
    C[i * p.N + j] = acc;
  }
}
