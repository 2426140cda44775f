// update.wgsl — one optimiser step of a parameter tensor (W^[l] or b^[l]) in place, element-wise: the float32 twin
// of updateReference in src/model/optimizers.ts (PyTorch's torch.optim.SGD / Adam formulas):
//   g ← g + λ·w
//   SGD:       w ← w − η·g
//   MOMENTUM:  v ← μ·v + g;  w ← w − η·v
//   ADAM:      m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  w ← w − s·m / (√v / c₂ + ε)
// with s = η/(1 − β₁^t) and c₂ = √(1 − β₂^t) computed on the host in float64 for step t (stepScalars).
// Accuracy: a few roundings per element (each ≤ ε/2 relative, ε = 2^-23; sqrt within 2.5 ulp by the WGSL spec):
// the float32 result of the same formula, no cancellation beyond what the formula itself has.
// Bindings: 0 w (read_write), 1 g (read), 2 params {count} (uniform), 3 hyper (uniform, HyperParams, written once
// per step), [4 s1 (read_write) with MOMENTUM or ADAM], [5 s2 (read_write) with ADAM].
// Dispatch: ceil(count/256) workgroups of 256, folded into (x, y); threads past count return.

struct Params { count: u32 }

struct HyperParams {
  step_size: f32,     // η (SGD, momentum) or η/(1 − β₁^t) (Adam)
  sqrt_c2: f32,       // √(1 − β₂^t) (Adam)
  momentum: f32,      // μ
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  eps: f32,
  weight_decay: f32,  // λ
}

@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> h: HyperParams;
#if ${MOMENTUM}
@group(0) @binding(4) var<storage, read_write> s1: array<f32>;
#elif ${ADAM}
@group(0) @binding(4) var<storage, read_write> s1: array<f32>;
@group(0) @binding(5) var<storage, read_write> s2: array<f32>;
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 256u + lix;
  if (i >= p.count) { return; }
  let wi = w[i];
  let gi = g[i] + h.weight_decay * wi;
#if ${MOMENTUM}
  let v = h.momentum * s1[i] + gi;
  s1[i] = v;
  w[i] = wi - h.step_size * v;
#elif ${ADAM}
  let m = h.beta1 * s1[i] + h.one_minus_beta1 * gi;
  let v = h.beta2 * s2[i] + h.one_minus_beta2 * (gi * gi);
  s1[i] = m;
  s2[i] = v;
  w[i] = wi - h.step_size * m / (sqrt(v) / h.sqrt_c2 + h.eps);
#else
  w[i] = wi - h.step_size * gi;
#endif
}
