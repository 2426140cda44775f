// activation.wgsl — elementwise activation g, forward and backward, one variant per g (defines RELU, TANH;
// neither = identity). Tensors are flat (n^[l]·m elements, row-major (n^[l], m)).
//   forward:  a  = g(z)
//   backward: dZ = dA ⊙ g'(z), g' computed from z (never from the rounded a):
//             identity dA;  relu  z > 0 ? dA : 0 (ReLU'(0) = 0, as PyTorch/TensorFlow; a select, so 0·∞ never
//             appears);  tanh  dA·sech²(z).
// Special values: relu(NaN) = NaN (as PyTorch); tanh(±∞) = ±1, sech²(±∞) = 0; z > 0 is decided from the bits, so a
// subnormal z counts as positive (as on the CPU) and identity/relu pass values through bit for bit.
//
// g and g' (with their error bounds) are defined in activation_fns.wgsl.
// Extended range (define EXTENDED, scales.wgsl): forward normalises z^[l] in place and sets the scales of z and a;
// backward normalises dA^[l] by its max exponent and, for tanh, runs twice (SCALE_PASS first: the max exponent of
// dA·sech²(z)), so dZ is stored normalised even where sech² is far below float32's range.
// Bindings (forward):  0 z (read; read_write when EXTENDED), 1 a (write), 2 params {count, layer}, 3 scales (EXTENDED).
// Bindings (backward): 0 z (read), 1 dA (read), 2 dZ (write), 3 params {count, layer}, 4 scales (EXTENDED).
// Dispatch: ceil(count/256) workgroups of 256, folded into (x, y); an in-shader guard skips the tail.

struct Params { count: u32, layer: u32 }

#if ${FORWARD}
#if ${EXTENDED}
@group(0) @binding(0) var<storage, read_write> z_in: array<f32>;
#else
@group(0) @binding(0) var<storage, read> z_in: array<f32>;
#endif
@group(0) @binding(1) var<storage, read_write> a_out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
#if ${EXTENDED}
@group(0) @binding(3) var<storage, read_write> scales: array<atomic<i32>>;
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 256u + lix;
#if ${EXTENDED}
  // Normalise z^[l] in place (max|z| in [1, 2)), then a = g(z) with its scale (scales.wgsl).
  let rec = record(p.layer);
  let ez = unbias(atomicLoad(&scales[rec + S_MZ]));
  let sz = atomicLoad(&scales[rec + S_TZ]) + ez;
#if ${TANH}
  let linear = sz + 1 <= -12;  // max|z| < 2^(sz+1) ≤ 2^-12: tanh z = z in float32
  let sa = select(0, sz, linear);
#else
  let sa = sz;
#endif
  if (i == 0u) {
    atomicStore(&scales[rec + S_SZ], sz);
    atomicStore(&scales[rec + S_SA], sa);
  }
  if (i >= p.count) { return; }
  let z = join(z_in[i], -ez);
  z_in[i] = z;
#if ${TANH}
  a_out[i] = select(tanh_f32(join(z, sz)), z, linear);
#else
  a_out[i] = g(z);
#endif
#else
  if (i >= p.count) { return; }
  a_out[i] = g(z_in[i]);
#endif
}
#else
@group(0) @binding(0) var<storage, read> z_in: array<f32>;
@group(0) @binding(1) var<storage, read> dA: array<f32>;
@group(0) @binding(2) var<storage, read_write> dZ: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
#if ${EXTENDED}
@group(0) @binding(4) var<storage, read_write> scales: array<atomic<i32>>;
#endif

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lix: u32) {
  let i = workgroup_index(wid, nwg) * 256u + lix;
#if ${EXTENDED}
  // dA^[l] normalised by its max exponent; z^[l] at its true scale (for g'); dZ^[l] stored with scale SDZ, which is
  // also the scale of dA^[l-1] = W^[l]ᵀ dZ^[l] (scales.wgsl).
  let rec = record(p.layer);
  let eda = unbias(atomicLoad(&scales[rec + S_MDA]));
  let sz = atomicLoad(&scales[rec + S_SZ]);
#if ${SCALE_PASS}
  // tanh, first pass: the max exponent of dA·sech²(z), so that the second pass stores dZ normalised.
  if (i >= p.count) { return; }
  let top = tanh_backward_exponent(join(z_in[i], sz), join(dA[i], -eda));
  if (top > 0) { atomicMax(&scales[rec + S_MDZ], top); }
#else
#if ${TANH}
  let edz = unbias(atomicLoad(&scales[rec + S_MDZ]));
#else
  let edz = 0;
#endif
  let sdz = atomicLoad(&scales[rec + S_SDA]) + eda + edz;
  if (i == 0u) {
    atomicStore(&scales[rec + S_SDZ], sdz);
    if (p.layer > 1u) { atomicStore(&scales[record(p.layer - 1u) + S_SDA], sdz); }
  }
  if (i >= p.count) { return; }
#if ${TANH}
  let z = join(z_in[i], sz);  // the true z: sech² depends on it
#else
  let z = z_in[i];            // only its sign matters, which the scale keeps
#endif
  dZ[i] = g_backward(z, join(dA[i], -eda), edz);
#endif
#else
  if (i >= p.count) { return; }
  dZ[i] = g_backward(z_in[i], dA[i], 0);
#endif
}
#endif
