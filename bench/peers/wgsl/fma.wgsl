// The adapter's multiply-add ceiling. Every invocation runs `iters` iterations of 4·K independent multiply-adds on
// registers: K vec4 accumulators, x ← x·m + c (no dependency between them, so the hardware can overlap them).
// Nothing is read from memory in the loop; the one store is guarded by a test that never holds at run time
// (`never` is not a value x reaches; the compiler cannot know), so the loop is kept.
// K is a count of variables, which WGSL cannot express: ceiling.ts writes the lines marked {{…}} for K = 1, 2, 4, 8
// (the best K depends on the adapter's registers: a CPU adapter spills 8 vec4 per invocation, a GPU does not).
// Bindings: 0 params {iters, m, c, never} (uniform), 1 out (storage, written only if the test held).
// Work: 2 · 4K · iters floating-point operations per invocation; WG invocations per workgroup (override).

struct Params { iters: u32, m: f32, c: f32, never: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let s = f32(gid.x) * 1e-7;
  let x = vec4f(s, s + 0.1, s + 0.2, s + 0.3);
  {{declare}}  // var x0 = x + 0.00; var x1 = x + 0.01; …
  let m = vec4f(params.m);
  let c = vec4f(params.c);
  for (var i = 0u; i < params.iters; i++) {
    {{update}}  // x0 = x0 * m + c; x1 = x1 * m + c; …
  }
  let t = {{sum}};  // x0 + x1 + …
  if (t.x == params.never) {
    out[gid.x] = t;
  }
}
