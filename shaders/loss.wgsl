// loss.wgsl — per-example loss and its gradient dŷ = ∂J/∂ŷ, J = (1/m) Σ_j loss_j (defines SUM, MSE; neither = softmax-xent):
//   sum:  loss_j = Σ_i ŷ_ij;               dŷ_ij = 1/m
//   mse:  loss_j = Σ_i (ŷ_ij − y_ij)²;     dŷ_ij = 2(ŷ_ij − y_ij)/m
//   xent: loss_j = log Σ_i exp(ŷ_ij − max) + max − ŷ_{label_j, j};  dŷ_ij = (softmax_i − [i = label_j])/m;
//         an example with a non-finite logit (by bit pattern) gets loss and gradient NaN.
// One thread per example j. Shapes (row-major): ŷ, y, dŷ (nL, m); labels, loss (m).
// Bindings: 0 ŷ (read), 1 y (read), 2 labels (read, u32), 3 dŷ (write), 4 loss (write), 5 params {nL, m}.

struct Params { nL: u32, m: u32 }

@group(0) @binding(0) var<storage, read> yhat: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dyhat: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let j = workgroup_index(wid, nwg) * 64u + lix;
  if (j >= p.m) { return; }
  let inv_m = 1.0 / f32(p.m);
  var s = 0.0;
#if ${SUM}
  for (var i = 0u; i < p.nL; i++) {
    s += yhat[i * p.m + j];
    dyhat[i * p.m + j] = inv_m;
  }
#elif ${MSE}
  for (var i = 0u; i < p.nL; i++) {
    let d = yhat[i * p.m + j] - y[i * p.m + j];
    s += d * d;
    dyhat[i * p.m + j] = 2.0 * d * inv_m;
  }
#else
  var mx = neg_inf();
  var finite = true;
  for (var i = 0u; i < p.nL; i++) {
    let v = yhat[i * p.m + j];
    finite = finite && is_finite(v);
    mx = max(mx, v);
  }
  if (!finite) {
    for (var i = 0u; i < p.nL; i++) { dyhat[i * p.m + j] = nan_f32(); }
    loss[j] = nan_f32();
    return;
  }
  var se = 0.0;
  for (var i = 0u; i < p.nL; i++) { se += exp(yhat[i * p.m + j] - mx); }
  let label = labels[j];
  for (var i = 0u; i < p.nL; i++) {
    let prob = exp(yhat[i * p.m + j] - mx) / se;
    dyhat[i * p.m + j] = (prob - select(0.0, 1.0, i == label)) * inv_m;
  }
  s = mx + log(se) - yhat[label * p.m + j];
#endif
  loss[j] = s;
}
