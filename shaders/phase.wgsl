// phase.wgsl — the phase diagram's batched networks (src/backends/webgpu/phase.ts; the model in src/model/phase.ts):
// P networks of one shape (depth L, widths n, batch m, activation g on every layer) per dispatch, network p with its
// scalars sw_p = σ_w/√n, sb_p = σ_b and the index s(p) of its set of draws (networks of one seed share a set):
//   W^[l]_p = sw_p·W̃^[l]_s(p),  b^[l]_p = sb_p·b̃^[l]_s(p),  W̃, b̃ drawn per layer from the Philox streams
//   (seed_s, l, WEIGHTS) and (seed_s, l, BIASES) — the same elements as init.wgsl draws for gradscope's networks.
// Row-major everywhere: W̃_s (n, n) at s·n², b̃_s (n) at s·n, x_s (n, m) at s·n·m; a^[l]_p, z^[l]_p, dA^[l]_p,
// dZ^[l]_p (n, m) at p·n·m of their buffers (z^[l] at offZ + p·n·m of its page).
// One define per kernel (each has its own bindings; MATMUL is set with FORWARD and BACKWARD; RELU / TANH select g
// as in activation_fns.wgsl):
//   DRAW      W̃^[l] (S·n² elements) and b̃^[l] (S·n): one thread per Philox block of 4 elements of a set's stream.
//             Bindings: 0 W̃ (write), 1 b̃ (write), 2 seeds (read, S u32), 3 params {n, S, layer}.
//   FORWARD   z^[l]_p = sw_p·(W̃_s a^[l-1]_p) + sb_p·b̃_s, a^[l]_p = g(z^[l]_p); a^[0]_p = x_s(p) (flag = 1 at l = 1).
//             Bindings: 0 W̃, 1 b̃, 2 nets, 3 a^[l-1] or x (read), 4 z page (write), 5 a^[l] (write), 6 params
//             {n, m, P, offZ, flag}.
//   OUTGRAD   dA^[L]_p = the normals of (seed_s, 0, PHASE_GRADIENT) (element i·m + j), dZ^[L]_p = dA ⊙ g′(z^[L]).
//             Bindings: 0 z page (read), 1 dA (write), 2 dZ (write), 3 nets, 4 seeds, 5 params {n, m, P, offZ}.
//   BACKWARD  dA^[l-1]_p = sw_p·(W̃_sᵀ dZ^[l]_p); with flag = 1 (l > 1) also dZ^[l-1]_p = dA^[l-1] ⊙ g′(z^[l-1]).
//             Bindings: 0 W̃, 1 nets, 2 dZ^[l] (read), 3 z page of z^[l-1] (read), 4 dA^[l-1] (write), 5 dZ^[l-1]
//             (write), 6 params {n, m, P, offZ, flag}.
//   STATS     one workgroup of 64 per network: flag 0: the elements x of dA_p (n·m); flag 1: the pairs (u, v) =
//             (z_p[i, 2k], z_p[i, 2k+1]), k < ⌊m/2⌋. First the largest biased exponent E = e + 150 of any finite
//             non-zero value (0: none) and the count of non-finite values, then with x' = x·2^-e (exact, join):
//             flag 0: [E, Σx'², non-finite count, 0]; flag 1: [E, Σu'², Σv'², Σ(u' − v')²] at out[offOut + 4p ..]
//             (the host forms ln rms and 1 − c from them in float64; every sum is of values below 4 in magnitude,
//             so nothing overflows whatever the magnitude of the tensor). Bindings: 0 source (read), 1 out (write),
//             2 params {n, m, P, offIn, offOut, flag}.
// Matrix products (FORWARD, BACKWARD) as matmul_regs.wgsl: no workgroup memory, each thread a 4×4 block of the
// (n, m) output in registers, threads (tx, ty) of a WG_X × WG_Y workgroup own rows i0 + ty + WG_Y·r and columns
// j0 + tx + WG_X·c; out-of-range loads are 0; workgroup t of the dispatch is tile t mod T of network ⌊t/T⌋
// (T = tiles per network). Dispatch: P·T workgroups (DRAW, OUTGRAD: ceil(count/256) of 256; STATS: P of 64), folded
// into (x, y); workgroups and threads past the end return at once. Accuracy: dot products of n float32 products
// (fma), then the scalings (2 roundings); g, g′ within the bounds of activation_fns.wgsl; normals within 24 ulp of
// the float64 reference (philox.wgsl).

override WG_X: u32 = 4u;
override WG_Y: u32 = 8u;

const PURPOSE_WEIGHTS: u32 = 0u;         // src/model/philox.ts PURPOSE
const PURPOSE_BIASES: u32 = 5u;
const PURPOSE_PHASE_GRADIENT: u32 = 6u;
const EXP_OFFSET: i32 = 150;             // biased exponents: e + 150 ≥ 1 for every non-zero float32

struct Params {
  n: u32,
  m: u32,
  P: u32,        // networks of the dispatch
  layer: u32,    // DRAW: the stream's layer
  offZ: u32,     // element offset of z^[l] (FORWARD, OUTGRAD) or z^[l-1] (BACKWARD) in its page; STATS: of the source
  flag: u32,     // FORWARD: input is x; BACKWARD: write dZ^[l-1]; STATS: pairs of z (1) or dA (0)
  S: u32,        // DRAW: sets
  offOut: u32,   // STATS: element offset of the records in out
  _p0: u32, _p1: u32, _p2: u32, _p3: u32,
}

struct Net { sw: f32, sb: f32, draws: u32, _pad: u32 }  // draws: the index of its seed (set of draws)

#if ${DRAW}
@group(0) @binding(0) var<storage, read_write> Wt: array<f32>;
@group(0) @binding(1) var<storage, read_write> bt: array<f32>;
@group(0) @binding(2) var<storage, read> seeds: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

// The 4 normals of block `block` of a stream: normal_at of elements 4·block .. 4·block + 3 (philox.wgsl), with one
// Philox evaluation and two Box–Muller pairs.
fn normals4(seed: u32, layer: u32, purpose: u32, block: u32) -> vec4<f32> {
  let w = philox_block(seed, layer, purpose, block);
  let lo = normal_pair(w.x, w.y);
  let hi = normal_pair(w.z, w.w);
  return vec4<f32>(lo.x, lo.y, hi.x, hi.y);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let t = workgroup_index(wid, nwg) * 256u + lix;
  let nn = p.n * p.n;
  let blocksW = (nn + 3u) / 4u;            // Philox blocks of one set's W̃
  let blocksB = (p.n + 3u) / 4u;           // and of its b̃
  if (t < p.S * blocksW) {
    let s = t / blocksW;
    let blk = t - s * blocksW;
    let v = normals4(seeds[s], p.layer, PURPOSE_WEIGHTS, blk);
    for (var k = 0u; k < 4u; k++) {
      let e = 4u * blk + k;
      if (e < nn) { Wt[s * nn + e] = v[k]; }
    }
    return;
  }
  let u = t - p.S * blocksW;
  if (u >= p.S * blocksB) { return; }
  let s = u / blocksB;
  let blk = u - s * blocksB;
  let v = normals4(seeds[s], p.layer, PURPOSE_BIASES, blk);
  for (var k = 0u; k < 4u; k++) {
    let e = 4u * blk + k;
    if (e < p.n) { bt[s * p.n + e] = v[k]; }
  }
}
#endif

#if ${FORWARD}
@group(0) @binding(0) var<storage, read> Wt: array<f32>;
@group(0) @binding(1) var<storage, read> bt: array<f32>;
@group(0) @binding(2) var<storage, read> nets: array<Net>;
@group(0) @binding(3) var<storage, read> a_in: array<f32>;
@group(0) @binding(4) var<storage, read_write> z_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> a_out: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
#endif

#if ${BACKWARD}
@group(0) @binding(0) var<storage, read> Wt: array<f32>;
@group(0) @binding(1) var<storage, read> nets: array<Net>;
@group(0) @binding(2) var<storage, read> dz_in: array<f32>;
@group(0) @binding(3) var<storage, read> z_prev: array<f32>;
@group(0) @binding(4) var<storage, read_write> da_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> dz_out: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
#endif

#if ${FORWARD}
// W̃_s[i, k], 0 outside the matrix.
fn load_w(base: u32, i: u32, k: u32) -> f32 {
  if (i >= p.n) { return 0.0; }
  return Wt[base + i * p.n + k];
}
// a^[l-1]_p[k, j] (or x_s), 0 outside.
fn load_b(base: u32, k: u32, j: u32) -> f32 {
  if (j >= p.m) { return 0.0; }
  return a_in[base + k * p.m + j];
}
#elif ${BACKWARD}
// W̃_sᵀ[i, k] = W̃_s[k, i], 0 outside.
fn load_w(base: u32, i: u32, k: u32) -> f32 {
  if (i >= p.n) { return 0.0; }
  return Wt[base + k * p.n + i];
}
// dZ^[l]_p[k, j], 0 outside.
fn load_b(base: u32, k: u32, j: u32) -> f32 {
  if (j >= p.m) { return 0.0; }
  return dz_in[base + k * p.m + j];
}
#endif

#if ${MATMUL}
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let tileRows = 4u * WG_Y;
  let tileCols = 4u * WG_X;
  let tilesN = (p.m + tileCols - 1u) / tileCols;
  let tiles = tilesN * ((p.n + tileRows - 1u) / tileRows);
  let t = workgroup_index(wid, nwg);
  let net = t / tiles;
  if (net >= p.P) { return; }
  let tile = t - net * tiles;
  let i0 = (tile / tilesN) * tileRows + lid.y;
  let j0 = (tile % tilesN) * tileCols + lid.x;
  let rows = vec4<u32>(i0, i0 + WG_Y, i0 + 2u * WG_Y, i0 + 3u * WG_Y);
  let cols = vec4<u32>(j0, j0 + WG_X, j0 + 2u * WG_X, j0 + 3u * WG_X);
  let me = nets[net];
  let nm = p.n * p.m;
  let wBase = me.draws * p.n * p.n;
#if ${FORWARD}
  let bBase = select(net, me.draws, p.flag == 1u) * nm;
#else
  let bBase = net * nm;
#endif
  var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  for (var k = 0u; k < p.n; k++) {
    let a = vec4<f32>(load_w(wBase, rows.x, k), load_w(wBase, rows.y, k), load_w(wBase, rows.z, k), load_w(wBase, rows.w, k));
    let b = vec4<f32>(load_b(bBase, k, cols.x), load_b(bBase, k, cols.y), load_b(bBase, k, cols.z), load_b(bBase, k, cols.w));
    for (var r = 0u; r < 4u; r++) {
      acc[r] = fma(vec4<f32>(a[r]), b, acc[r]);
    }
  }
  for (var r = 0u; r < 4u; r++) {
    let i = rows[r];
    if (i >= p.n) { continue; }
#if ${FORWARD}
    let bias = me.sb * bt[me.draws * p.n + i];
#endif
    for (var c = 0u; c < 4u; c++) {
      let j = cols[c];
      if (j >= p.m) { continue; }
      let o = net * nm + i * p.m + j;
#if ${FORWARD}
      let z = me.sw * acc[r][c] + bias;
      z_out[p.offZ + o] = z;
      a_out[o] = g(z);
#else
      let da = me.sw * acc[r][c];
      da_out[o] = da;
      if (p.flag == 1u) { dz_out[o] = g_backward(z_prev[p.offZ + o], da, 0); }
#endif
    }
  }
}
#endif

#if ${OUTGRAD}
@group(0) @binding(0) var<storage, read> z_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> da_out: array<f32>;
@group(0) @binding(2) var<storage, read_write> dz_out: array<f32>;
@group(0) @binding(3) var<storage, read> nets: array<Net>;
@group(0) @binding(4) var<storage, read> seeds: array<u32>;
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let o = workgroup_index(wid, nwg) * 256u + lix;
  let nm = p.n * p.m;
  if (o >= p.P * nm) { return; }
  let net = o / nm;
  let da = normal_at(seeds[nets[net].draws], 0u, PURPOSE_PHASE_GRADIENT, o - net * nm);
  da_out[o] = da;
  dz_out[o] = g_backward(z_in[p.offZ + o], da, 0);
}
#endif

#if ${STATS}
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> top: atomic<i32>;
var<workgroup> bad: atomic<u32>;
var<workgroup> partial: array<vec3<f32>, 64>;

// The biased exponent of a finite non-zero x (0 for ±0).
fn biased(x: f32) -> i32 {
  if (is_zero(x)) { return 0; }
  return split(x).e + EXP_OFFSET;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let net = workgroup_index(wid, nwg);   // uniform across the workgroup: all threads reach every barrier
  let live = net < p.P;
  let nm = p.n * p.m;
  let half = p.m / 2u;
  let count = select(nm, p.n * half, p.flag == 1u);
  let base = p.offZ + min(net, p.P - 1u) * nm;
  // Pass 1: the largest exponent and the non-finite values.
  var e = 0;
  var nonfinite = 0u;
  for (var t = lix; live && t < count; t += 64u) {
    if (p.flag == 1u) {
      let i = t / half;
      let k = t - i * half;
      let u = src[base + i * p.m + 2u * k];
      let v = src[base + i * p.m + 2u * k + 1u];
      if (is_finite(u) && is_finite(v)) { e = max(e, max(biased(u), biased(v))); } else { nonfinite++; }
    } else {
      let x = src[base + t];
      if (is_finite(x)) { e = max(e, biased(x)); } else { nonfinite++; }
    }
  }
  atomicMax(&top, e);
  atomicAdd(&bad, nonfinite);
  workgroupBarrier();
  let E = atomicLoad(&top);
  let shift = EXP_OFFSET - E;            // x' = x·2^shift has |x'| < 2
  // Pass 2: the scaled sums (non-finite values add themselves, so a sum shows them).
  var s = vec3<f32>(0.0);
  for (var t = lix; live && E > 0 && t < count; t += 64u) {
    if (p.flag == 1u) {
      let i = t / half;
      let k = t - i * half;
      let u = join(src[base + i * p.m + 2u * k], shift);
      let v = join(src[base + i * p.m + 2u * k + 1u], shift);
      s += vec3<f32>(u * u, v * v, (u - v) * (u - v));
    } else {
      let x = join(src[base + t], shift);
      s.x += x * x;
    }
  }
  partial[lix] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w /= 2u) {
    if (lix < w) { partial[lix] += partial[lix + w]; }
    workgroupBarrier();
  }
  if (lix == 0u && live) {
    let r = partial[0];
    let rec = p.offOut + 4u * net;
    out[rec] = f32(E);
    out[rec + 1u] = r.x;
    if (p.flag == 1u) {
      out[rec + 2u] = r.y;
      out[rec + 3u] = r.z;
    } else {
      out[rec + 2u] = f32(atomicLoad(&bad));
      out[rec + 3u] = 0.0;
    }
  }
}
#endif
