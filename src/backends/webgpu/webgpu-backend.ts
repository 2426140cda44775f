/**
 * The WebGPU backend: float32 WGSL kernels (shaders/), scheduled by NetworkProgram (scheduler.ts), statistics
 * reduced on the GPU and read back once per step. Runs unchanged in the browser (navigator.gpu) and in Node
 * (Dawn, backends/webgpu/node-gpu.ts).
 */
import type { Backend, Tensors } from '../backend';
import { shapeKey, TENSOR_NAMES, type NetworkShape, type Problem } from '../../model/network';
import type { LayerReport, StepResult } from '../../model/result';
import { statsFromMoments, type Moments, type Stats } from '../../stats/stats';
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

/** The one sentence for a lost device: what was lost, that nothing of the step was kept, what to do. */
function deviceLost(reason: string): GpuError {
  return new GpuError(`the GPU device was lost (${reason || 'no reason given'}): nothing of this step was kept; `
    + 'run again to start a new device, and if it keeps happening, reduce the network or use the cpu backend');
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
      try {
        this.program = await withErrorScopes(this.device, 'building the network',
          () => NetworkProgram.build(this.device, this.cache, problem.shape, plan), (p) => p.destroy());
      } catch (e) {
        throw await this.lostError(e);
      }
      this.builds++;
    }
    this.program.load(problem);
  }

  async step(): Promise<StepResult> {
    this.assertAlive();
    const program = this.program;
    if (!program) throw new Error('WebGpuBackend.step: no problem set (call setProblem first)');
    let moments: Moments[];
    try {
      moments = await withErrorScopes(this.device, 'the step', () => program.step());
    } catch (e) {
      throw await this.lostError(e);
    }
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
    if (this.lost !== null) throw deviceLost(this.lost);
  }

  /**
   * The error to report for a failure of GPU work: a lost device (a read back aborted, the device destroyed, a
   * driver reset) becomes one GpuError sentence; anything else is returned as it is.
   */
  private async lostError(e: unknown): Promise<unknown> {
    if (e instanceof GpuError) return e;
    // A mapAsync aborted by a lost device rejects (AbortError, often with no message) before device.lost settles.
    const aborted = e instanceof Error && (e.name === 'AbortError' || e.name === 'OperationError');
    if (!aborted && this.lost === null) return e;
    const info = await Promise.race([this.device.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000))]);
    const reason = this.lost ?? (info ? info.message || info.reason : `${(e as Error).name} while reading the results back`);
    return deviceLost(reason);
  }

  destroy(): void {
    this.program?.destroy();
    this.program = null;
    this.device.destroy();
  }
}
