// loss.wgsl — per-example loss and its gradient dŷ = ∂J/∂ŷ, J = (1/m) Σ_j loss_j (defines SUM, MSE; neither = softmax-xent):
//   sum:  loss_j = Σ_i ŷ_ij;               dŷ_ij = 1/m
//   mse:  loss_j = Σ_i (ŷ_ij − y_ij)²;     dŷ_ij = (2/m)(ŷ_ij − y_ij)
//   xent: with M = max_i ŷ_ij (first index i*), e_i = e^(ŷ_ij − M) (so e_i* = 1), S = Σ_{i≠i*} e_i, c = label_j:
//         loss_j = (M − ŷ_cj) + log1p(S)                      — two non-negative terms: nothing cancels, however
//                                                               large the logits (M + log Σ − ŷ_c would lose J);
//         dŷ_ij = e_i/((1 + S)·m) for i ≠ c,  dŷ_cj = −(Σ_{i≠c} e_i)/((1 + S)·m)   — not softmax − 1, which
//                                                               cancels when the label's probability is near 1.
//         e_i from exp_below (3 ulp), log1p from common.wgsl (5 ulp): loss_j within 8 ulp; dŷ within
//         3 + (nL − 1) + 3.5 ulp (sums of nL − 1 terms, a product and a quotient): ≤ 1e-6 relative for nL ≤ 10,
//         the claim the tests check. An example with a non-finite logit (by bit pattern) gets loss and gradient NaN.
//         A loss above the f32 range is +∞.
// One thread per example j. Shapes (row-major): ŷ, y, dŷ (nL, m); labels, loss (m).
// Extended range (define EXTENDED, scales.wgsl): ŷ = a^[L] has scale S = SA[L]; see main for the scales of the loss
// (G_LOSS) and of dŷ (SDA[L]).
// Bindings: 0 ŷ (read), 1 y (read), 2 labels (read, u32), 3 dŷ (write), 4 loss (write), 5 params {nL, m, layer L},
// 6 scales (EXTENDED only).

struct Params { nL: u32, m: u32, layer: u32 }

@group(0) @binding(0) var<storage, read> yhat: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dyhat: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

// e^(v − mx) for v ≤ mx, both finite, to within 3 ulp even where v − mx does not fit in f32 (v = −27.3…,
// mx = 12.3…: rounding the difference would cost |v − mx|·2^-24 relative). Past 150 below the maximum: 0.
// Where max(|v|, |mx|) ≥ 512, v − mx is exact (Sterbenz's lemma: both have one sign and lie within a factor 2).
// Otherwise each is split into a multiple of 2^-10 and the rest (v = vh + vl, exact: floor and scaling by powers of
// two are exact, and vl holds v's low bits), vh − mh is exact (a multiple of 2^-10 below 2^10), dl = vl − ml is
// off by ≤ 2^-34, and e^(v − mx) = e^(vh − mh)·(1 + dl + dl²/2) (|dl| < 2^-10: the rest is < 2^-32).
fn exp_below(v: f32, mx: f32) -> ExpSplit {
  if (0.5 * v - 0.5 * mx < -150.0) { return ExpSplit(1.0, -1000); }
  if (max(abs(v), abs(mx)) >= 512.0) { return exp_split(v - mx); }
  let vh = floor(v * 1024.0) * 0.0009765625;
  let mh = floor(mx * 1024.0) * 0.0009765625;
  let dl = (v - vh) - (mx - mh);
  let e = exp_split(vh - mh);
  return ExpSplit(e.r * (1.0 + dl * (1.0 + 0.5 * dl)), e.k);
}

// e^((v − mx)·2^S) for logits stored with scale S (extended range; S = 0 otherwise): the difference is formed in the
// stored scale and scaled exactly, so it is as accurate as exp_below for S = 0 and within |v − mx|·2^-24 otherwise.
fn exp_logit(v: f32, mx: f32, S: i32) -> ExpSplit {
  if (S == 0) { return exp_below(v, mx); }
  let d = join(0.5 * v - 0.5 * mx, S + 1);
  if (d < -300.0) { return ExpSplit(1.0, -1000); }
  return exp_split(d);
}

#if ${EXTENDED}
@group(0) @binding(6) var<storage, read_write> scales: array<atomic<i32>>;
#endif

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let j = workgroup_index(wid, nwg) * 64u + lix;
  // Extended range: ŷ is stored with scale S (true ŷ = stored·2^S). The loss and dŷ keep what is exact: sum
  // and mse (for S ≥ 0) stay in ŷ's scale, softmax-xent's dŷ is a probability (scale 0). Other S = 0.
#if ${EXTENDED}
  let S = atomicLoad(&scales[record(p.layer) + S_SA]);
#else
  let S = 0;
#endif
#if ${SUM}
  let loss_scale = S;
  let dy_scale = 0;
#elif ${MSE}
  let loss_scale = 2 * max(S, 0);
  let dy_scale = max(S, 0);
#else
  let loss_scale = max(S, 0);
  let dy_scale = 0;
#endif
#if ${EXTENDED}
  if (j == 0u) {
    atomicStore(&scales[G_LOSS], loss_scale);
    atomicStore(&scales[record(p.layer) + S_SDA], dy_scale);
  }
#endif
  if (j >= p.m) { return; }
  let mf = f32(p.m);
#if ${SUM}
  var s = 0.0;
  let inv_m = 1.0 / mf;
  for (var i = 0u; i < p.nL; i++) {
    s += yhat[i * p.m + j];
    dyhat[i * p.m + j] = inv_m;
  }
  loss[j] = s;
#elif ${MSE}
  var s = 0.0;
  let two_over_m = 2.0 / mf;
  for (var i = 0u; i < p.nL; i++) {
    // ŷ − y in the scale 2^max(S, 0): for S ≥ 0 the target is scaled down, for S < 0 ŷ is scaled up (exactly).
    let d = join(yhat[i * p.m + j], S - dy_scale) - join(y[i * p.m + j], -dy_scale);
    s += d * d;
    dyhat[i * p.m + j] = two_over_m * d;
  }
  loss[j] = s;
#else
  var mx = yhat[j];
  var imax = 0u;
  var finite = is_finite(mx);
  for (var i = 1u; i < p.nL; i++) {
    let v = yhat[i * p.m + j];
    finite = finite && is_finite(v);
    if (v > mx) { mx = v; imax = i; }
  }
  if (!finite) {
    for (var i = 0u; i < p.nL; i++) { dyhat[i * p.m + j] = nan_f32(); }
    loss[j] = nan_f32();
    return;
  }
  let label = labels[j];
  var not_max = 0.0;
  var not_label = 0.0;
  for (var i = 0u; i < p.nL; i++) {
    let e = exp_logit(yhat[i * p.m + j], mx, S);
    let v = join(e.r, e.k);
    if (i != imax) { not_max += v; }
    if (i != label) { not_label += v; }
  }
  let denom = (1.0 + not_max) * mf;
  for (var i = 0u; i < p.nL; i++) {
    if (i == label) {
      dyhat[i * p.m + j] = -(not_label / denom);
    } else {
      let e = exp_logit(yhat[i * p.m + j], mx, S);
      dyhat[i * p.m + j] = join(e.r / denom, e.k);
    }
  }
  // (M − ŷ_c) + log1p(S) in the scale 2^loss_scale; halved so that M − ŷ_c cannot overflow (join doubles it exactly,
  // or gives +∞ past the f32 range).
  let gap = 0.5 * mx - 0.5 * yhat[label * p.m + j];
  loss[j] = join(join(gap, S - loss_scale) + join(log1p_f32(not_max), -1 - loss_scale), 1);
#endif
#if ${EXTENDED}
  var top = 0;
  for (var i = 0u; i < p.nL; i++) { top = max(top, biased_exponent(dyhat[i * p.m + j])); }
  if (top > 0) { atomicMax(&scales[record(p.layer) + S_MDA], top); }
#endif
}
