/**
 * What the adapter can do at best, measured on gradscope's device with the bench's own kernels (peers/wgsl/):
 * the multiply-add ceiling (register-only kernels, GFLOP/s), the cost of one workgroupBarrier() at 64 and 256
 * invocations per workgroup, and the cost of an empty dispatch. Every measurement is sized by doubling until it takes
 * `targetMs`, then repeated `rounds` times, interleaved where there are two kernels to compare.
 */
import fmaWgsl from './wgsl/fma.wgsl?raw';
import barrierWgsl from './wgsl/barrier.wgsl?raw';
import emptyWgsl from './wgsl/empty.wgsl?raw';
import { summarize, type Sample } from './measure';

export interface Ceiling {
  /** Multiply-add ceiling, GFLOP/s (2 per multiply-add): the best of the kernels with K vec4 accumulators. */
  gflops: Sample;
  /** K of the best kernel, and the median GFLOP/s of each K tried. */
  accumulators: number;
  byAccumulators: Record<number, number>;
  /** Workgroups (of 256) of the ceiling kernel's dispatch. */
  groups: number;
  /** Nanoseconds per workgroupBarrier() per workgroup, at 64 and 256 invocations per workgroup. */
  barrierNs: { wg64: Sample; wg256: Sample };
  /** Microseconds per empty dispatch (one workgroup of one invocation), in a pass of many. */
  emptyDispatchUs: Sample;
}

/** Invocations of the ceiling kernel: enough to fill any GPU there is (2048 workgroups of 256). */
const FMA_GROUPS = 2048;
const FMA_WG = 256;
/** The fewest workgroups the ceiling kernel is shrunk to on an adapter that is slow to start invocations. */
const MIN_FMA_GROUPS = 16;
/** Accumulators (vec4) per invocation of the ceiling kernels tried. */
const FMA_ACCUMULATORS = [1, 2, 4, 8, 16];
/** Workgroups of the barrier kernel. */
const BARRIER_GROUPS = 64;
/** Dispatches of the empty kernel in one pass (against one). */
const EMPTY_DISPATCHES = 1000;

/**
 * GFLOP/s of the ceiling kernel with `k` vec4 accumulators: `iters` iterations (2 flops per multiply-add, 4k
 * multiply-adds per iteration) over `invocations` invocations took `ms` milliseconds. NaN unless ms > 0.
 */
export function fmaRate(k: number, iters: number, invocations: number, ms: number): number {
  return ms > 0 ? (2 * 4 * k * iters * invocations) / (ms * 1e6) : NaN;
}

/** fma.wgsl with K vec4 accumulators. */
function fmaSource(k: number): string {
  const xs = Array.from({ length: k }, (_, i) => `x${i}`);
  return fmaWgsl
    .replace(/\{\{declare\}\}.*/, xs.map((x, i) => `var ${x} = x + ${(i / 100).toFixed(2)};`).join(' '))
    .replace(/\{\{update\}\}.*/, xs.map((x) => `${x} = ${x} * m + c;`).join(' '))
    .replace(/\{\{sum\}\};.*/, `${xs.join(' + ')};`);
}

/** A pipeline of a bench kernel, its uniform params {iters, m, c, never} and its output, ready to dispatch. */
async function kernel(device: GPUDevice, code: string, constants: Record<string, number>, label: string) {
  const module = device.createShaderModule({ label, code });
  const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  if (errors.length > 0) throw new Error(`${label}: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
  const pipeline = await device.createComputePipelineAsync({ label, layout: 'auto', compute: { module, entryPoint: 'main', constants } });
  return pipeline;
}

export async function measureCeiling(device: GPUDevice, rounds: number, targetMs: number): Promise<Ceiling> {
  const params = device.createBuffer({ label: 'bench ceiling params', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const out = device.createBuffer({ label: 'bench ceiling out', size: FMA_GROUPS * FMA_WG * 16, usage: GPUBufferUsage.STORAGE });
  const setIters = (iters: number) => {
    const data = new ArrayBuffer(16);
    new Uint32Array(data, 0, 1)[0] = iters;
    new Float32Array(data, 4, 3).set([0.999999, 1e-6, -12345.5]); // x → c/(1 − m) = 1: never −12345.5
    device.queue.writeBuffer(params, 0, data);
  };
  const bindGroup = (pipeline: GPUComputePipeline) => device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: params } }, { binding: 1, resource: { buffer: out } }],
  });
  /** Milliseconds of one submit of `pipeline` over `groups` workgroups with `iters` iterations. */
  const time = async (pipeline: GPUComputePipeline, bg: GPUBindGroup, groups: number, iters: number) => {
    setIters(iters);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(groups);
    pass.end();
    await device.queue.onSubmittedWorkDone(); // the params write is not part of the time
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  /** Iterations (a power of two) that make `measure` take at least targetMs. */
  const calibrate = async (measure: (iters: number) => Promise<number>) => {
    let iters = 1;
    while (iters < 2 ** 24 && (await measure(iters)) < targetMs) iters *= 2;
    return iters;
  };
  try {
    // Multiply-add ceiling. The workgroups are halved (from FMA_GROUPS, at least MIN_FMA_GROUPS) until one iteration
    // takes under a tenth of targetMs — a software adapter pays per invocation started, a GPU does not — then each
    // K's iterations are doubled until a dispatch takes targetMs, so that the fixed costs are at most about a tenth of
    // it (the ceiling is, if anything, underestimated). The K's are interleaved; the best K's rounds are the ceiling.
    const fmas = await Promise.all(FMA_ACCUMULATORS.map(async (k) => {
      const pipeline = await kernel(device, fmaSource(k), { WG: FMA_WG }, `bench fma ×${k}`);
      return { k, pipeline, bg: bindGroup(pipeline), iters: 0, gflops: [] as number[] };
    }));
    let groups = FMA_GROUPS;
    const widest = fmas[fmas.length - 1];
    await time(widest.pipeline, widest.bg, groups, 1); // warm
    while (groups > MIN_FMA_GROUPS && (await time(widest.pipeline, widest.bg, groups, 1)) > targetMs / 10) groups /= 2;
    for (const f of fmas) f.iters = await calibrate((i) => time(f.pipeline, f.bg, groups, i));
    for (let r = 0; r < rounds; r++) {
      for (const f of fmas) {
        const rate = fmaRate(f.k, f.iters, groups * FMA_WG, await time(f.pipeline, f.bg, groups, f.iters));
        if (Number.isFinite(rate)) f.gflops.push(rate);
      }
    }
    const medianOf = (f: (typeof fmas)[number]) => (f.gflops.length > 0 ? summarize(f.gflops).median : NaN);
    const byAccumulators = Object.fromEntries(fmas.map((f) => [f.k, medianOf(f)]));
    const measured = fmas.filter((f) => f.gflops.length > 0);
    if (measured.length === 0) throw new Error('multiply-add ceiling: no dispatch took measurable time');
    const best = measured.reduce((a, b) => (medianOf(b) > medianOf(a) ? b : a));
    const gflops = summarize(best.gflops);

    // Barriers: with minus without, interleaved.
    const barrier = async (wg: number): Promise<Sample> => {
      const [withB, withoutB] = await Promise.all([
        kernel(device, barrierWgsl, { WG: wg, BARRIERS: 1 }, `bench barrier ${wg}`),
        kernel(device, barrierWgsl, { WG: wg, BARRIERS: 0 }, `bench no barrier ${wg}`),
      ]);
      const [bgWith, bgWithout] = [bindGroup(withB), bindGroup(withoutB)];
      const iters = await calibrate((i) => time(withB, bgWith, BARRIER_GROUPS, i));
      await time(withoutB, bgWithout, BARRIER_GROUPS, iters);
      const ns: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const a = await time(withB, bgWith, BARRIER_GROUPS, iters);
        const b = await time(withoutB, bgWithout, BARRIER_GROUPS, iters);
        ns.push(((a - b) * 1e6) / (iters * BARRIER_GROUPS));
      }
      return summarize(ns);
    };
    const barrierNs = { wg64: await barrier(64), wg256: await barrier(256) };

    // Empty dispatches: a pass of many minus a pass of one, per extra dispatch.
    const empty = await kernel(device, emptyWgsl, {}, 'bench empty');
    const passOf = async (n: number) => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(empty);
      for (let i = 0; i < n; i++) pass.dispatchWorkgroups(1);
      pass.end();
      const t0 = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    await passOf(EMPTY_DISPATCHES);
    const us: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const many = await passOf(EMPTY_DISPATCHES), one = await passOf(1);
      us.push(((many - one) * 1000) / (EMPTY_DISPATCHES - 1));
    }
    return { gflops, accumulators: best.k, byAccumulators, groups, barrierNs, emptyDispatchUs: summarize(us) };
  } finally {
    params.destroy();
    out.destroy();
  }
}
