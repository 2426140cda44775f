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
import type { NetworkShape, Problem } from '../../model/network';
import type { Moments } from '../../stats/stats';
import { ceilDiv } from './dispatch';
import { kernels, WORKGROUP, type KernelVariant } from './kernels';
import { ARENA_NAMES, type ArenaName, type MemoryPlan, type Region } from './memory-plan';
import type { PipelineCache } from './pipelines';
import { encodeDispatches, Recorder, type Dispatch } from './recorder';
import { StatsReducer } from './stats-reducer';

/**
 * The compiled form of one network shape: its buffers (memory-plan.ts), bind groups and the dispatches of a step.
 * Calls must not overlap: await each step() before the next call.
 */
export class NetworkProgram {
  private readonly buffers = {} as Record<ArenaName, GPUBuffer>;
  private readonly rec: Recorder;
  private readonly dispatches: Dispatch[] = [];
  private stats: StatsReducer | null = null;

  private constructor(device: GPUDevice, cache: PipelineCache, readonly shape: NetworkShape, readonly plan: MemoryPlan) {
    this.rec = new Recorder(device, cache);
    for (const name of ARENA_NAMES) this.buffers[name] = this.rec.buffer(`arena ${name}`, plan.arenas[name].bytes);
  }

  private get device(): GPUDevice {
    return this.rec.device;
  }

  /**
   * Build the program of a shape: buffers (as planned), pipelines (from the cache), bind groups and the list of
   * dispatches of one step. The plan must come from planMemory with this device's limits (it has been checked).
   */
  static async build(device: GPUDevice, cache: PipelineCache, shape: NetworkShape, plan: MemoryPlan): Promise<NetworkProgram> {
    const program = new NetworkProgram(device, cache, shape, plan);
    try {
      await program.record();
    } catch (e) {
      program.destroy(); // its buffers exist already
      throw e;
    }
    return program;
  }

  /** Region `index` of an arena as a binding. */
  private region(arena: ArenaName, index: number): GPUBufferBinding {
    const r: Region = this.plan.arenas[arena].regions[index];
    return { buffer: this.buffers[arena], offset: r.offset, size: r.elements * 4 };
  }

  private async add(variant: KernelVariant, label: string, bindings: GPUBufferBinding[], groups: number): Promise<void> {
    this.dispatches.push(await this.rec.dispatch(variant, label, bindings, groups));
  }

  private async record(): Promise<void> {
    const { widths: n, m, activation, loss } = this.shape;
    const L = n.length - 1;
    const tile = WORKGROUP.matmulTile;
    const g = (l: number) => (l === L ? 'identity' : activation);
    const u = (values: number[]) => this.rec.uniform(values);
    // Compile every variant up front, in parallel.
    await Promise.all([
      kernels.matmul(false, false, true), kernels.matmul(false, true, false), kernels.matmul(true, false, false),
      kernels.activationForward(activation), kernels.activationForward('identity'),
      kernels.activationBackward(activation), kernels.activationBackward('identity'),
      kernels.biasGrad(), kernels.loss(loss), kernels.statsPartial(), kernels.statsCentred(), kernels.statsMerge(false), kernels.statsMerge(true),
    ].map((v) => this.rec.cache.get(v)));

    for (let l = 1; l <= L; l++) {
      const count = n[l] * m;
      await this.add(kernels.matmul(false, false, true), `forward z^[${l}]`,
        [this.region('W', l - 1), this.region('a', l - 1), this.region('z', l - 1), u([n[l], m, n[l - 1]]), this.region('b', l - 1)],
        ceilDiv(n[l], tile) * ceilDiv(m, tile));
      await this.add(kernels.activationForward(g(l)), `forward a^[${l}]`,
        [this.region('z', l - 1), this.region('a', l), u([count])], ceilDiv(count, WORKGROUP.elementwise));
    }
    await this.add(kernels.loss(loss), 'loss',
      [this.region('a', L), this.region('y', 0), this.region('labels', 0), this.region('dA', L - 1), this.region('loss', 0), u([n[L], m])],
      ceilDiv(m, WORKGROUP.loss));
    for (let l = L; l >= 1; l--) {
      const count = n[l] * m;
      await this.add(kernels.activationBackward(g(l)), `backward dZ^[${l}]`,
        [this.region('z', l - 1), this.region('dA', l - 1), this.region('dZ', l - 1), u([count])],
        ceilDiv(count, WORKGROUP.elementwise));
      await this.add(kernels.matmul(false, true, false), `backward dW^[${l}]`,
        [this.region('dZ', l - 1), this.region('a', l - 1), this.region('dW', l - 1), u([n[l], n[l - 1], m])],
        ceilDiv(n[l], tile) * ceilDiv(n[l - 1], tile));
      await this.add(kernels.biasGrad(), `backward db^[${l}]`,
        [this.region('dZ', l - 1), this.region('db', l - 1), u([n[l], m])], ceilDiv(n[l], WORKGROUP.biasGrad));
      if (l > 1) {
        await this.add(kernels.matmul(true, false, false), `backward dA^[${l - 1}]`,
          [this.region('W', l - 1), this.region('dZ', l - 1), this.region('dA', l - 2), u([n[l - 1], m, n[l]])],
          ceilDiv(n[l - 1], tile) * ceilDiv(m, tile));
      }
    }
    const s = this.plan.stats;
    this.stats = await StatsReducer.build(this.rec, s, s.sourceArenas.map((a) => this.buffers[a]));
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
    const stats = this.stats!;
    const encoder = this.device.createCommandEncoder({ label: 'step' });
    const pass = encoder.beginComputePass({ label: 'step' });
    encodeDispatches(pass, this.dispatches);
    encodeDispatches(pass, stats.dispatches);
    pass.end();
    stats.copyResults(encoder);
    this.device.queue.submit([encoder.finish()]);
    return stats.read();
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
    this.rec.destroy();
  }
}
