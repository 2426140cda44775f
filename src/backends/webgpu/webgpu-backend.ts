/**
 * The WebGPU backend: float32 WGSL kernels (shaders/), scheduled by NetworkProgram (scheduler.ts), statistics
 * reduced on the GPU and read back once per step. Runs unchanged in the browser (navigator.gpu) and in Node
 * (Dawn, backends/webgpu/node-gpu.ts).
 */
import type { Backend, Tensors } from '../backend';
import { shapeKey, TENSOR_NAMES, type NetworkShape, type Problem } from '../../engine/network';
import type { LayerReport, StepResult } from '../../engine/result';
import { statsFromMoments, type Stats } from '../../stats/stats';
import { planMemory, type EngineLimits, type MemoryPlan } from './memory-plan';
import { PipelineCache } from './pipelines';
import { NetworkProgram } from './scheduler';

/** A GPU error (validation, out of memory, device lost) with the operation that raised it. */
export class GpuError extends Error {
  override name = 'GpuError';
}

/**
 * Run `work` inside validation and out-of-memory error scopes, always popping both.
 * @throws the error of `work`, else GpuError with the first GPU error raised meanwhile (after `discard` of the result)
 */
async function withErrorScopes<T>(device: GPUDevice, what: string, work: () => Promise<T>, discard?: (t: T) => void): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    result = { ok: true, value: await work() };
  } catch (error) {
    result = { ok: false, error };
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (!result.ok) throw result.error;
  const gpuError = validation ?? oom;
  if (gpuError) {
    discard?.(result.value);
    throw new GpuError(`${what} failed: ${gpuError.message}`);
  }
  return result.value;
}

/** Largest buffer and binding size requested (4 GiB): the kernels index elements with u32. */
export const MAX_BINDING_BYTES = 2 ** 32;

/**
 * The WebGPU backend (see the file comment). One network at a time; calls must not overlap (await each).
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly cache: PipelineCache;
  /** How many times buffers and bind groups were built (a rebuild happens only when the shape changes). */
  builds = 0;
  private program: NetworkProgram | null = null;
  /** The last memory plan and its shape key: runStep's checkLimits and setProblem plan the same shape once. */
  private planned: { key: string; plan: MemoryPlan } | null = null;
  private lost: string | null = null;

  private constructor(readonly device: GPUDevice, readonly adapter: string) {
    this.cache = new PipelineCache(device);
    device.lost.then((info) => { this.lost = info.message || info.reason; });
  }

  /**
   * Request an adapter and a device with the adapter's largest buffer limits.
   * @param gpu navigator.gpu, or Dawn's GPU object in Node
   * @throws GpuError if no adapter or device is available
   */
  static async create(gpu: GPU): Promise<WebGpuBackend> {
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new GpuError('no WebGPU adapter found');
    const device = await adapter.requestDevice({
      label: 'gradscope',
      requiredLimits: {
        maxBufferSize: Math.min(adapter.limits.maxBufferSize, MAX_BINDING_BYTES),
        maxStorageBufferBindingSize: Math.min(adapter.limits.maxStorageBufferBindingSize, MAX_BINDING_BYTES),
      },
    });
    const info = adapter.info;
    const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') || 'unknown adapter';
    return new WebGpuBackend(device, name);
  }

  /** The limits memory plans are checked against. */
  get limits(): EngineLimits {
    return this.device.limits;
  }

  checkLimits(shape: NetworkShape): void {
    this.planFor(shape);
  }

  /** planMemory for this device, remembered for the last shape. @throws LimitError as planMemory. */
  private planFor(shape: NetworkShape): MemoryPlan {
    const key = shapeKey(shape);
    if (this.planned?.key !== key) this.planned = { key, plan: planMemory(shape, this.limits) };
    return this.planned.plan;
  }

  async setProblem(problem: Problem): Promise<void> {
    this.assertAlive();
    if (!this.program || shapeKey(this.program.shape) !== shapeKey(problem.shape)) {
      const plan = this.planFor(problem.shape); // throws LimitError before any allocation
      this.program?.destroy();
      this.program = null;
      this.program = await withErrorScopes(this.device, 'building the network',
        () => NetworkProgram.build(this.device, this.cache, problem.shape, plan), (p) => p.destroy());
      this.builds++;
    }
    this.program.load(problem);
  }

  async step(): Promise<StepResult> {
    this.assertAlive();
    const program = this.program;
    if (!program) throw new Error('WebGpuBackend.step: no problem set (call setProblem first)');
    const moments = await withErrorScopes(this.device, 'the step', () => program.step());
    this.assertAlive();
    const stats = moments.map(statsFromMoments);
    const n = program.shape.widths;
    const layers: LayerReport[] = [];
    for (let l = 1; l < n.length; l++) {
      const at = (k: number): Stats => stats[(l - 1) * TENSOR_NAMES.length + k];
      layers.push({ layer: l, fanIn: n[l - 1], fanOut: n[l], z: at(0), a: at(1), dA: at(2), dZ: at(3), W: at(4), dW: at(5) });
    }
    return { loss: stats[stats.length - 1].mean, layers };
  }

  async readTensors(): Promise<Tensors> {
    if (!this.program) throw new Error('WebGpuBackend.readTensors: no problem set');
    return this.program.readTensors();
  }

  private assertAlive(): void {
    if (this.lost !== null) throw new GpuError(`the GPU device was lost: ${this.lost}`);
  }

  destroy(): void {
    this.program?.destroy();
    this.program = null;
    this.device.destroy();
  }
}
