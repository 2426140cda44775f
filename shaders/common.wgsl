// common.wgsl — helpers prepended to every kernel (src/backends/webgpu/shader-source.ts).
//
// Special values are recognised by bit pattern, never by `x != x`: WGSL lets an implementation assume
// finite math and optimise such comparisons away.


fn is_nan(x: f32) -> bool {
  let b = bitcast<u32>(x);
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}

fn is_inf(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// ±∞ and NaN from runtime bit patterns: as const-expressions they would be a compile error.
fn from_bits(bits: u32) -> f32 { var b = bits; return bitcast<f32>(b); }
fn pos_inf() -> f32 { return from_bits(0x7f800000u); }
fn neg_inf() -> f32 { return from_bits(0xff800000u); }
fn nan_f32() -> f32 { return from_bits(0x7fc00000u); }

// Linear index of this workgroup in a dispatch folded into two dimensions (x fastest): dispatches larger than
// maxComputeWorkgroupsPerDimension are split as (x, y) with x·y ≥ groups (see webgpu/dispatch.ts).
fn workgroup_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}
