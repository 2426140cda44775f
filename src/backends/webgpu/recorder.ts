/**
 * Building blocks of recorded GPU work: a Recorder makes the bind groups, uniform buffers and uploads of one
 * program (and destroys what it made), and a Dispatch is one recorded kernel launch, encoded many times.
 */
import { foldWorkgroups } from './dispatch';
import type { KernelVariant } from './kernels';
import type { PipelineCache } from './pipelines';

/** One recorded dispatch: pipeline, bind group and workgroup counts (folded into two dimensions). */
export interface Dispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly groups: readonly [number, number];
}

/** Encode `dispatches` in order into a compute pass. */
export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: Iterable<Dispatch>): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.groups[0], d.groups[1]);
  }
}

/**
 * Usage of every buffer the engine computes in (read back by tests, written by queue writes). A function: in Node
 * the GPUBufferUsage global exists only once Dawn is loaded.
 */
export function storageUsage(): GPUBufferUsageFlags {
  return GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
}

export class Recorder {
  private readonly uniforms = new Map<string, GPUBuffer>();
  private readonly owned: GPUBuffer[] = [];
  private readonly maxDim: number;

  constructor(readonly device: GPUDevice, readonly cache: PipelineCache) {
    this.maxDim = device.limits.maxComputeWorkgroupsPerDimension;
  }

  /** A uniform buffer holding these u32 values, padded to 16 bytes (shared by every binding with the same values). */
  uniform(values: readonly number[]): GPUBufferBinding {
    const key = values.join(',');
    let buffer = this.uniforms.get(key);
    if (!buffer) {
      const data = new Uint32Array(4 * Math.ceil(Math.max(values.length, 1) / 4));
      data.set(values);
      buffer = this.device.createBuffer({ label: `params ${key}`, size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      this.device.queue.writeBuffer(buffer, 0, data);
      this.uniforms.set(key, buffer);
    }
    return { buffer };
  }

  /** A storage buffer of `bytes` (at least 4), owned by this recorder. */
  buffer(label: string, bytes: number, usage = storageUsage()): GPUBuffer {
    const b = this.device.createBuffer({ label, size: Math.max(4, Math.ceil(bytes / 4) * 4), usage });
    this.owned.push(b);
    return b;
  }

  /** A read-only storage buffer holding `data`, owned by this recorder. */
  upload(label: string, data: Uint32Array<ArrayBuffer>): GPUBuffer {
    const b = this.buffer(label, data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    if (data.byteLength > 0) this.device.queue.writeBuffer(b, 0, data);
    return b;
  }

  /**
   * One dispatch of `variant` over `groups` workgroups with `bindings` (binding i = bindings[i]).
   * @throws LimitError if the workgroups do not fit even folded into two dimensions; ShaderCompileError.
   */
  async dispatch(variant: KernelVariant, label: string, bindings: readonly GPUBufferBinding[], groups: number): Promise<Dispatch> {
    const kernel = await this.cache.get(variant);
    const bindGroup = this.device.createBindGroup({ label, layout: kernel.layout, entries: bindings.map((resource, binding) => ({ binding, resource })) });
    return { pipeline: kernel.pipeline, bindGroup, groups: foldWorkgroups(groups, this.maxDim, label) };
  }

  /** Destroy every buffer this recorder made. */
  destroy(): void {
    for (const b of this.uniforms.values()) b.destroy();
    for (const b of this.owned) b.destroy();
    this.uniforms.clear();
    this.owned.length = 0;
  }
}
