// activation.wgsl — elementwise activation g, forward and backward, one variant per g (defines RELU, TANH;
// neither = identity). Tensors are flat (n^[l]·m elements, row-major (n^[l], m)).
//   forward:  a  = g(z)
//   backward: dZ = dA ⊙ g'(z):  identity dA;  relu  z > 0 ? dA : 0  (ReLU'(0) = 0, as PyTorch/TensorFlow; a select,
//             so 0·∞ never appears);  tanh  dA·(1 − a²) with a = tanh(z) saved by the forward pass.
// Special values: relu(NaN) = NaN (as PyTorch); tanh is evaluated as sign(z)·(1 − t)/(1 + t), t = exp(−2|z|) ≤ 1,
// so it cannot overflow to ∞/∞ = NaN for large |z| (some backends' builtin tanh does); for |z| < 0.5, where
// 1 − t would cancel, the Taylor series to z¹⁷ (Abramowitz & Stegun 4.5.64; truncation < 1e-9 relative).
// Bindings (forward):  0 z (read), 1 a (write), 2 params {count}.
// Bindings (backward): 0 z (read), 1 a (read), 2 dA (read), 3 dZ (write), 4 params {count}.
// Dispatch: ceil(count/256) workgroups of 256, folded into (x, y); an in-shader guard skips the tail.

struct Params { count: u32 }

fn tanh_stable(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let ax = abs(x);
  if (ax < 0.5) {
    let x2 = x * x;
    var p = 6404582.0 / 10854718875.0;
    p = p * x2 - 929569.0 / 638512875.0;
    p = p * x2 + 21844.0 / 6081075.0;
    p = p * x2 - 1382.0 / 155925.0;
    p = p * x2 + 62.0 / 2835.0;
    p = p * x2 - 17.0 / 315.0;
    p = p * x2 + 2.0 / 15.0;
    p = p * x2 - 1.0 / 3.0;
    return x + x * x2 * p;
  }
  let t = exp(-2.0 * ax);
  let r = (1.0 - t) / (1.0 + t);
  return select(r, -r, x < 0.0);
}

fn g(x: f32) -> f32 {
#if ${RELU}
  if (is_nan(x)) { return x; }
  return select(0.0, x, x > 0.0);
#elif ${TANH}
  return tanh_stable(x);
#else
  return x;
#endif
}

fn g_backward(z: f32, a: f32, da: f32) -> f32 {
#if ${RELU}
  return select(0.0, da, z > 0.0);
#elif ${TANH}
  return da * (1.0 - a * a);
#else
  return da;
#endif
}

#if ${FORWARD}
@group(0) @binding(0) var<storage, read> z_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> a_out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 256u + lix;
  if (i >= p.count) { return; }
  a_out[i] = g(z_in[i]);
}
#else
@group(0) @binding(0) var<storage, read> z_in: array<f32>;
@group(0) @binding(1) var<storage, read> a_in: array<f32>;
@group(0) @binding(2) var<storage, read> dA: array<f32>;
@group(0) @binding(3) var<storage, read_write> dZ: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 256u + lix;
  if (i >= p.count) { return; }
  dZ[i] = g_backward(z_in[i], a_in[i], dA[i]);
}
#endif
