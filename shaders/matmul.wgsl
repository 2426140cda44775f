// matmul.wgsl — C = op(A)·op(B) (+ bias), the three products of a dense layer (row-major everywhere):
//   forward   z^[l]     = W^[l] · a^[l-1] + b^[l]   (M = n^[l],   N = m,       K = n^[l-1], BIAS)
//   backward  dW^[l]    = dZ^[l] · a^[l-1]ᵀ         (M = n^[l],   N = n^[l-1], K = m,       TRANS_B)
//   backward  dA^[l-1]  = W^[l]ᵀ · dZ^[l]           (M = n^[l-1], N = m,       K = n^[l],   TRANS_A)
// Algorithm: one 64×64 output tile per workgroup of 16×16 threads, each thread accumulating a 4×4 block
// (rows ty + 16r, columns tx + 16c, r, c < 4) in registers; K is walked in 16-wide slabs staged in workgroup
// memory (As[k][i], Bs[k][j]), each loaded by consecutive threads along the operand's contiguous axis.
// Out-of-range loads are 0 on both operands, so padded products are 0·0 (never 0·∞).
// Extended range (define EXTENDED, scales.wgsl): forward z' = (W·a)·2^(SA[l-1] − t) + b·2^(−t) with
// t = max(SA[l-1], bias exponent), so neither term overflows (TZ[l] = t); backward dA^[l-1] has the scale of dZ^[l]
// (set by the activation kernel); both record the max exponent of what they write (MZ[l], MDA[l-1]) for the next
// kernel to normalise. dW needs nothing: its scale is SDZ[l] + SA[l-1].
// Bindings: 0 A (read), 1 B (read), 2 C (write), 3 params {M, N, K, layer}, 4 bias (read, BIAS variant only),
// then scales (EXTENDED only; params.layer = the layer whose record the output belongs to: l forward, l−1 for dA).
// Shapes: A (M,K) or (K,M) if TRANS_A; B (K,N) or (N,K) if TRANS_B; C (M,N); bias (M).
// Dispatch: ceil(M/64)·ceil(N/64) workgroups, folded into (x, y); tiles past the end return at once.

const TILE: u32 = 64u;
const SLAB: u32 = 16u;

struct Params { M: u32, N: u32, K: u32, layer: u32 }

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
#if ${BIAS}
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#if ${EXTENDED}
@group(0) @binding(5) var<storage, read_write> scales: array<atomic<i32>>;
#endif
#elif ${EXTENDED}
@group(0) @binding(4) var<storage, read_write> scales: array<atomic<i32>>;
#endif

var<workgroup> As: array<array<f32, 64>, 16>;
var<workgroup> Bs: array<array<f32, 64>, 16>;

// op(A)[i, k], 0 outside the matrix.
fn load_a(i: u32, k: u32) -> f32 {
  if (i >= p.M || k >= p.K) { return 0.0; }
#if ${TRANS_A}
  return A[k * p.M + i];
#else
  return A[i * p.K + k];
#endif
}

// op(B)[k, j], 0 outside the matrix.
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
        @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) lix: u32) {
  let tilesN = (p.N + TILE - 1u) / TILE;
  let tile = workgroup_index(wid, nwg);
  if (tile >= tilesN * ((p.M + TILE - 1u) / TILE)) { return; }  // uniform per workgroup
  let i0 = (tile / tilesN) * TILE;
  let j0 = (tile % tilesN) * TILE;
  var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  for (var k0 = 0u; k0 < p.K; k0 += SLAB) {
    // 64×16 elements of each operand, 4 per thread.
    for (var r = 0u; r < 4u; r++) {
      let e = lix + 256u * r;
#if ${TRANS_A}
      let ai = e % TILE; let ak = e / TILE;   // A is (K, M): consecutive threads read consecutive i
#else
      let ai = e / SLAB; let ak = e % SLAB;   // A is (M, K): consecutive threads read consecutive k
#endif
      As[ak][ai] = load_a(i0 + ai, k0 + ak);
#if ${TRANS_B}
      let bj = e / SLAB; let bk = e % SLAB;   // B is (N, K)
#else
      let bj = e % TILE; let bk = e / TILE;   // B is (K, N)
#endif
      Bs[bk][bj] = load_b(k0 + bk, j0 + bj);
    }
    workgroupBarrier();
    for (var k = 0u; k < SLAB; k++) {
      let a = vec4<f32>(As[k][lid.y], As[k][lid.y + 16u], As[k][lid.y + 32u], As[k][lid.y + 48u]);
      let b = vec4<f32>(Bs[k][lid.x], Bs[k][lid.x + 16u], Bs[k][lid.x + 32u], Bs[k][lid.x + 48u]);
      for (var r = 0u; r < 4u; r++) {
        acc[r] = fma(vec4<f32>(a[r]), b, acc[r]);
      }
    }
    workgroupBarrier();
  }
  var fa = 1.0;  // scale of the product (extended forward only)
#if ${EXTENDED}
  var top = 0;   // max biased exponent written by this thread
#if ${BIAS}
  let sa = atomicLoad(&scales[record(p.layer - 1u) + S_SA]);
  let t = max(sa, atomicLoad(&scales[G_EB]));
  fa = pow2(max(sa - t, -127));
  if (tile == 0u && lix == 0u) { atomicStore(&scales[record(p.layer) + S_TZ], t); }
#endif
#endif
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + lid.y + 16u * r;
    if (i >= p.M) { continue; }
#if ${BIAS}
#if ${EXTENDED}
    let bi = join(bias[i], -t);
#else
    let bi = bias[i];
#endif
#else
    let bi = 0.0;
#endif
    for (var c = 0u; c < 4u; c++) {
      let j = j0 + lid.x + 16u * c;
      if (j < p.N) {
        let v = acc[r][c] * fa + bi;
        C[i * p.N + j] = v;
#if ${EXTENDED}
        top = max(top, biased_exponent(v));
#endif
      }
    }
  }
#if ${EXTENDED}
#if ${BIAS}
  if (top > 0) { atomicMax(&scales[record(p.layer) + S_MZ], top); }
#elif ${TRANS_A}
  if (top > 0) { atomicMax(&scales[record(p.layer) + S_MDA], top); }
#endif
#endif
}
