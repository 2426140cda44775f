// The cost of workgroupBarrier(): `iters` iterations of one register multiply-add, each followed by a barrier
// when BARRIERS (override) is true. The kernel with barriers minus the one without, per barrier and workgroup, is the
// barrier's cost at WG invocations per workgroup. The loop bound is uniform, so the barrier is in uniform control flow.
// Bindings: 0 params {iters, m, c, never} (uniform), 1 out (storage, written only if x reached `never`).

struct Params { iters: u32, m: f32, c: f32, never: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;

override WG: u32 = 64u;
override BARRIERS: bool = true;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  var x = f32(gid.x) * 1e-7;
  for (var i = 0u; i < params.iters; i++) {
    x = x * params.m + params.c;
    if (BARRIERS) {
      workgroupBarrier();
    }
  }
  if (x == params.never) {
    out[gid.x] = vec4f(x);
  }
}
