// matmul_regs.wgsl — C = op(A)·op(B) (+ bias), the three products of a dense layer, with no workgroup memory and no
// barrier: each thread accumulates a 4×4 block of C in registers, reading its operands straight from storage
// (row-major everywhere; shapes as matmul.wgsl):
//   forward   z^[l]     = W^[l] · a^[l-1] + b^[l]   (M = n^[l],   N = m,       K = n^[l-1], BIAS)
//   backward  dW^[l]    = dZ^[l] · a^[l-1]ᵀ         (M = n^[l],   N = n^[l-1], K = m,       TRANS_B)
//   backward  dA^[l-1]  = W^[l]ᵀ · dZ^[l]           (M = n^[l-1], N = m,       K = n^[l],   TRANS_A)
// Where a workgroup barrier is dear (software adapters: SwiftShader, and small layers anywhere) this beats the
// tiled kernel; where workgroup memory is cheap (GPUs, large layers) the tiled one wins: the engine measures both
// on the adapter in use (kernel-choice.ts).
// Thread (tx, ty) of a workgroup of WG_X × WG_Y (override constants, set from TypeScript) owns rows i0 + ty + WG_Y·r
// and columns j0 + tx + WG_X·c, r, c < 4: consecutive threads read consecutive columns of B. A tile is
// (4·WG_Y) × (4·WG_X). Out-of-range loads are 0 on both operands, so padded products are 0·0 (never 0·∞).
// Fused epilogues (defines; each has an unfused reference path in the separate kernels):
//   ACT (with BIAS): also a = g(z) (RELU / TANH / identity as activation.wgsl), written to binding 5;
//   DB (with TRANS_B): also db_i = Σ_k A[i, k] (the bias gradient Σ_j dZ_ij), by the threads of tile column 0,
//   written to binding 4.
// Extended range (define EXTENDED, not with ACT: z must be normalised first): as matmul.wgsl — the forward scales
// the product and the bias to t = max(SA[l-1], bias exponent) and records TZ, MZ; dA records MDA.
// Bindings: 0 A (read), 1 B (read), 2 C (write), 3 params, 4 bias (read, BIAS) or db (write, DB), 5 a (write, ACT);
// scales (EXTENDED, forward or dA only) follow the last of these.
// Every storage binding is a whole page; params {M, N, K, layer, offA, offB, offC, off4, off5} give the element
// offset of each tensor in its page (the fused forward binds five tensors, one more than the dynamic offsets a
// pipeline layout may have on some adapters, e.g. SwiftShader's 4).
// Dispatch: ceil(M/(4·WG_Y))·ceil(N/(4·WG_X)) workgroups, folded into (x, y); tiles past the end return at once.

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

struct Params { M: u32, N: u32, K: u32, layer: u32, offA: u32, offB: u32, offC: u32, off4: u32, off5: u32 }

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
#if ${BIAS}
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#elif ${DB}
@group(0) @binding(4) var<storage, read_write> db: array<f32>;
#endif
#if ${ACT}
@group(0) @binding(5) var<storage, read_write> a_out: array<f32>;
#endif
#if ${EXTENDED}
#if ${BIAS}
@group(0) @binding(5) var<storage, read_write> scales: array<atomic<i32>>;
#else
@group(0) @binding(4) var<storage, read_write> scales: array<atomic<i32>>;
#endif
#endif

// op(A)[i, k], 0 outside the matrix.
fn load_a(i: u32, k: u32) -> f32 {
  if (i >= p.M || k >= p.K) { return 0.0; }
#if ${TRANS_A}
  return A[p.offA + k * p.M + i];
#else
  return A[p.offA + i * p.K + k];
#endif
}

// op(B)[k, j], 0 outside the matrix.
fn load_b(k: u32, j: u32) -> f32 {
  if (k >= p.K || j >= p.N) { return 0.0; }
#if ${TRANS_B}
  return B[p.offB + j * p.K + k];
#else
  return B[p.offB + k * p.N + j];
#endif
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let tileRows = 4u * WG_Y;
  let tileCols = 4u * WG_X;
  let tilesN = (p.N + tileCols - 1u) / tileCols;
  let tile = workgroup_index(wid, nwg);
  if (tile >= tilesN * ((p.M + tileRows - 1u) / tileRows)) { return; }
  let i0 = (tile / tilesN) * tileRows + lid.y;
  let j0 = (tile % tilesN) * tileCols + lid.x;
  let rows = vec4<u32>(i0, i0 + WG_Y, i0 + 2u * WG_Y, i0 + 3u * WG_Y);
  let cols = vec4<u32>(j0, j0 + WG_X, j0 + 2u * WG_X, j0 + 3u * WG_X);
  var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
#if ${DB}
  var rowSum = vec4<f32>(0.0);
#endif
  for (var k = 0u; k < p.K; k++) {
    let a = vec4<f32>(load_a(rows.x, k), load_a(rows.y, k), load_a(rows.z, k), load_a(rows.w, k));
    let b = vec4<f32>(load_b(k, cols.x), load_b(k, cols.y), load_b(k, cols.z), load_b(k, cols.w));
    for (var r = 0u; r < 4u; r++) {
      acc[r] = fma(vec4<f32>(a[r]), b, acc[r]);
    }
#if ${DB}
    rowSum += a;
#endif
  }
  var fa = 1.0;  // scale of the product (extended forward only)
#if ${EXTENDED}
  var top = 0;   // max biased exponent written by this thread
#if ${BIAS}
  let sa = atomicLoad(&scales[record(p.layer - 1u) + S_SA]);
  let t = max(sa, atomicLoad(&scales[G_EB]));
  fa = pow2(max(sa - t, -127));
  if (tile == 0u && lid.x == 0u && lid.y == 0u) { atomicStore(&scales[record(p.layer) + S_TZ], t); }
#endif
#endif
  for (var r = 0u; r < 4u; r++) {
    let i = rows[r];
    if (i >= p.M) { continue; }
#if ${BIAS}
#if ${EXTENDED}
    let bi = join(bias[p.off4 + i], -t);
#else
    let bi = bias[p.off4 + i];
#endif
#else
    let bi = 0.0;
#endif
#if ${DB}
    if (j0 == 0u) { db[p.off4 + i] = rowSum[r]; }  // tile column 0, thread column 0: once per row
#endif
    for (var c = 0u; c < 4u; c++) {
      let j = cols[c];
      if (j < p.N) {
        let z = acc[r][c] * fa + bi;
        C[p.offC + i * p.N + j] = z;
#if ${ACT}
        a_out[p.off5 + i * p.N + j] = g(z);
#endif
#if ${EXTENDED}
        top = max(top, biased_exponent(z));
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
