/**
 * The scheduler: for one network shape, builds every buffer, pipeline and bind group once, then records a whole
 * step — forward l = 1..L, loss, backward l = L..1, statistics — into one command encoder, submitted once, with
 * one readback of all statistics.
 *
 * Per layer (llm.c style pairs; regions of the arenas of memory-plan.ts):
 *   forward:  z^[l] = W^[l] a^[l-1] + b^[l]  (matmul+bias);   a^[l] = g(z^[l])  (identity at l = L)
 *   loss:     dA^[L] = ∂J/∂ŷ, per-example loss
 *   backward: dZ^[l] = dA^[l] ⊙ g'(z^[l]);  dW^[l] = dZ^[l] a^[l-1]ᵀ;  db^[l] = Σ_j dZ^[l];  dA^[l-1] = W^[l]ᵀ dZ^[l]
 */
import type { Tensors } from '../backend';
import type { NetworkShape, Problem } from '../../engine/network';
import type { Moments } from '../../stats/stats';
import { ceilDiv, foldWorkgroups } from './dispatch';
import { kernels, WORKGROUP, type KernelVariant } from './kernels';
import { ARENA_NAMES, MOMENTS_BYTES, type ArenaName, type MemoryPlan, type Region } from './memory-plan';
import type { PipelineCache } from './pipelines';

/** One recorded dispatch. */
interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: [number, number];
}

/** A buffer binding: a whole buffer or a region of an arena. */
type Binding = GPUBufferBinding;

/** Decode Moments records (shaders/stats.wgsl layout: 4 u32 then 8 f32). */
export function decodeMoments(bytes: ArrayBuffer, count: number): Moments[] {
  const u = new Uint32Array(bytes, 0, count * 12);
  const f = new Float32Array(bytes, 0, count * 12);
  const out: Moments[] = [];
  for (let t = 0; t < count; t++) {
    const o = t * 12;
    out.push({
      count: u[o], zeros: u[o + 1], nans: u[o + 2], infs: u[o + 3],
      shift: f[o + 4], devScale: f[o + 5], devSum: f[o + 6], devSsq: f[o + 7],
      absScale: f[o + 8], absSsq: f[o + 9], min: f[o + 10], max: f[o + 11],
    });
  }
  return out;
}

/**
 * The compiled form of one network shape: its buffers (memory-plan.ts), bind groups and the dispatches of a step.
 * Calls must not overlap: await each step() before the next call.
 */
export class NetworkProgram {
  private readonly buffers = {} as Record<ArenaName, GPUBuffer>;
  private readonly statsBuffers: { work: GPUBuffer; tensors: GPUBuffer; partials: GPUBuffer; results: GPUBuffer; readback: GPUBuffer };
  private readonly uniforms = new Map<string, GPUBuffer>();
  private readonly dispatches: Dispatch[] = [];
  private readonly maxDim: number;

  private constructor(
    private readonly device: GPUDevice,
    readonly shape: NetworkShape,
    readonly plan: MemoryPlan,
  ) {
    this.maxDim = device.limits.maxComputeWorkgroupsPerDimension;
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    for (const name of ARENA_NAMES) {
      this.buffers[name] = device.createBuffer({ label: `arena ${name}`, size: plan.arenas[name].bytes, usage: storage });
    }
    const s = plan.stats;
    const resultsBytes = s.tensorList.length * MOMENTS_BYTES;
    this.statsBuffers = {
      work: this.upload('stats work', s.work),
      tensors: this.upload('stats tensors', s.tensors),
      partials: device.createBuffer({ label: 'stats partials', size: s.numWork * MOMENTS_BYTES, usage: storage }),
      results: device.createBuffer({ label: 'stats results', size: resultsBytes, usage: storage }),
      readback: device.createBuffer({ label: 'stats readback', size: resultsBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    };
  }

  /**
   * Build the program of a shape: buffers (as planned), pipelines (from the cache), bind groups and the list of
   * dispatches of one step. The plan must come from planMemory with this device's limits (it has been checked).
   */
  static async build(device: GPUDevice, cache: PipelineCache, shape: NetworkShape, plan: MemoryPlan): Promise<NetworkProgram> {
    const program = new NetworkProgram(device, shape, plan);
    try {
      await program.record(cache);
    } catch (e) {
      program.destroy(); // its buffers exist already
      throw e;
    }
    return program;
  }

  private upload(label: string, data: Uint32Array<ArrayBuffer>): GPUBuffer {
    const buffer = this.device.createBuffer({ label, size: Math.max(data.byteLength, 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /** A uniform buffer holding these u32 values (shared by every dispatch with the same values). */
  private uniform(values: number[]): Binding {
    const key = values.join(',');
    let buffer = this.uniforms.get(key);
    if (!buffer) {
      const data = new Uint32Array(4 * ceilDiv(Math.max(values.length, 1), 4));
      data.set(values);
      buffer = this.device.createBuffer({ label: `params ${key}`, size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      this.device.queue.writeBuffer(buffer, 0, data);
      this.uniforms.set(key, buffer);
    }
    return { buffer };
  }

  /** Region `index` of an arena as a binding. */
  private region(arena: ArenaName, index: number): Binding {
    const r: Region = this.plan.arenas[arena].regions[index];
    return { buffer: this.buffers[arena], offset: r.offset, size: r.elements * 4 };
  }

  private async add(cache: PipelineCache, variant: KernelVariant, label: string, bindings: Binding[], groups: number): Promise<void> {
    const kernel = await cache.get(variant);
    const bindGroup = this.device.createBindGroup({
      label,
      layout: kernel.layout,
      entries: bindings.map((resource, binding) => ({ binding, resource })),
    });
    this.dispatches.push({ pipeline: kernel.pipeline, bindGroup, groups: foldWorkgroups(groups, this.maxDim, label) });
  }

  private async record(cache: PipelineCache): Promise<void> {
    const { widths: n, m, activation, loss } = this.shape;
    const L = n.length - 1;
    const tile = WORKGROUP.matmulTile;
    const g = (l: number) => (l === L ? 'identity' : activation);
    // Compile every variant up front, in parallel.
    await Promise.all([
      kernels.matmul(false, false, true), kernels.matmul(false, true, false), kernels.matmul(true, false, false),
      kernels.activationForward(activation), kernels.activationForward('identity'),
      kernels.activationBackward(activation), kernels.activationBackward('identity'),
      kernels.biasGrad(), kernels.loss(loss), kernels.statsPartial(), kernels.statsMerge(),
    ].map((v) => cache.get(v)));

    for (let l = 1; l <= L; l++) {
      const count = n[l] * m;
      await this.add(cache, kernels.matmul(false, false, true), `forward z^[${l}]`,
        [this.region('W', l - 1), this.region('a', l - 1), this.region('z', l - 1), this.uniform([n[l], m, n[l - 1]]), this.region('b', l - 1)],
        ceilDiv(n[l], tile) * ceilDiv(m, tile));
      await this.add(cache, kernels.activationForward(g(l)), `forward a^[${l}]`,
        [this.region('z', l - 1), this.region('a', l), this.uniform([count])], ceilDiv(count, WORKGROUP.elementwise));
    }
    await this.add(cache, kernels.loss(loss), 'loss',
      [this.region('a', L), this.region('y', 0), this.region('labels', 0), this.region('dA', L - 1), this.region('loss', 0), this.uniform([n[L], m])],
      ceilDiv(m, WORKGROUP.loss));
    for (let l = L; l >= 1; l--) {
      const count = n[l] * m;
      await this.add(cache, kernels.activationBackward(g(l)), `backward dZ^[${l}]`,
        [this.region('z', l - 1), this.region('a', l), this.region('dA', l - 1), this.region('dZ', l - 1), this.uniform([count])],
        ceilDiv(count, WORKGROUP.elementwise));
      await this.add(cache, kernels.matmul(false, true, false), `backward dW^[${l}]`,
        [this.region('dZ', l - 1), this.region('a', l - 1), this.region('dW', l - 1), this.uniform([n[l], n[l - 1], m])],
        ceilDiv(n[l], tile) * ceilDiv(n[l - 1], tile));
      await this.add(cache, kernels.biasGrad(), `backward db^[${l}]`,
        [this.region('dZ', l - 1), this.region('db', l - 1), this.uniform([n[l], m])], ceilDiv(n[l], WORKGROUP.biasGrad));
      if (l > 1) {
        await this.add(cache, kernels.matmul(true, false, false), `backward dA^[${l - 1}]`,
          [this.region('W', l - 1), this.region('dZ', l - 1), this.region('dA', l - 2), this.uniform([n[l - 1], m, n[l]])],
          ceilDiv(n[l - 1], tile) * ceilDiv(m, tile));
      }
    }
    const s = this.plan.stats;
    const sb = this.statsBuffers;
    for (const src of s.sources) {
      await this.add(cache, kernels.statsPartial(), `stats partial ${src.arena}`,
        [{ buffer: this.buffers[src.arena] }, { buffer: sb.work }, { buffer: sb.partials }, this.uniform([src.firstWork, src.numWork])],
        src.numWork);
    }
    await this.add(cache, kernels.statsMerge(), 'stats merge',
      [{ buffer: sb.partials }, { buffer: sb.tensors }, { buffer: sb.results }, this.uniform([0, s.tensorList.length])],
      ceilDiv(s.tensorList.length, WORKGROUP.statsMerge));
  }

  /**
   * Upload the weights, biases and batch of a problem of this program's shape (one write per arena).
   * @throws RangeError if a W, b, X, Y or labels array is longer than its planned region.
   */
  load(problem: Problem): void {
    const write = (arena: ArenaName, parts: readonly ArrayLike<number>[], type: 'f32' | 'u32' = 'f32') => {
      const plan = this.plan.arenas[arena];
      const staging = type === 'f32' ? new Float32Array(plan.bytes / 4) : new Uint32Array(plan.bytes / 4);
      parts.forEach((p, i) => staging.set(p, plan.regions[i].offset / 4));
      this.device.queue.writeBuffer(this.buffers[arena], 0, staging);
    };
    write('W', problem.params.W);
    write('b', problem.params.b);
    write('y', [problem.batch.Y]);
    write('labels', [problem.batch.labels], 'u32');
    const a0 = this.plan.arenas.a.regions[0];
    this.device.queue.writeBuffer(this.buffers.a, a0.offset, problem.batch.X);
  }

  /** Record and submit one step (one encoder, one compute pass, one submit); resolves with Moments per tensor. */
  async step(): Promise<Moments[]> {
    const encoder = this.device.createCommandEncoder({ label: 'step' });
    const pass = encoder.beginComputePass({ label: 'step' });
    for (const d of this.dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.groups[0], d.groups[1]);
    }
    pass.end();
    const sb = this.statsBuffers;
    encoder.copyBufferToBuffer(sb.results, 0, sb.readback, 0, sb.results.size);
    this.device.queue.submit([encoder.finish()]);
    await sb.readback.mapAsync(GPUMapMode.READ);
    const moments = decodeMoments(sb.readback.getMappedRange().slice(0), this.plan.stats.tensorList.length);
    sb.readback.unmap();
    return moments;
  }

  /**
   * Every tensor of the last step as float32, read back (for tests and the bench: one staging copy of each arena,
   * allocated per call). Layout as Tensors (backend.ts): a has L+1 entries (a^[0] = x), the others L.
   */
  async readTensors(): Promise<Tensors> {
    const read = async (arena: ArenaName): Promise<Float32Array[]> => {
      const plan = this.plan.arenas[arena];
      const staging = this.device.createBuffer({ label: `read ${arena}`, size: plan.bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      try {
        const encoder = this.device.createCommandEncoder();
        encoder.copyBufferToBuffer(this.buffers[arena], 0, staging, 0, plan.bytes);
        this.device.queue.submit([encoder.finish()]);
        await staging.mapAsync(GPUMapMode.READ);
        const all = new Float32Array(staging.getMappedRange().slice(0));
        return plan.regions.map((r) => all.slice(r.offset / 4, r.offset / 4 + r.elements));
      } finally {
        staging.destroy();
      }
    };
    const [z, a, dA, dZ, dW, db, loss] = await Promise.all((['z', 'a', 'dA', 'dZ', 'dW', 'db', 'loss'] as const).map(read));
    return { z, a, dA, dZ, dW, db, lossPerExample: loss[0] };
  }

  /** Release every buffer of the program; it is unusable afterwards. */
  destroy(): void {
    for (const b of Object.values(this.buffers)) b.destroy();
    for (const b of Object.values(this.statsBuffers)) b.destroy();
    for (const b of this.uniforms.values()) b.destroy();
  }
}
