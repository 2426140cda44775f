/**
 * Building blocks of recorded GPU work. A Recorder makes the buffers, parameter slots and bind groups of one
 * program and destroys what it made; a Dispatch is one kernel launch, recorded once and encoded into every step.
 *
 * Bind groups are few: per-layer kernels bind their tensors with dynamic offsets (the regions of memory-plan.ts) and
 * their shape parameters from slots of shared uniform buffers, also by dynamic offset, so a bind group is made per
 * (kernel, set of buffers), not per layer: building a 10,000-layer network makes a handful of them.
 */
import { foldWorkgroups } from './dispatch';
import type { KernelVariant } from './kernels';
import type { PipelineCache } from './pipelines';

/** One recorded dispatch: pipeline, bind group, its dynamic offsets (binding order) and workgroup counts. */
export interface Dispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly offsets: readonly number[];
  readonly groups: readonly [number, number];
  readonly label: string;
}

/** Encode `dispatches` in order into a compute pass. */
export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: Iterable<Dispatch>): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup, d.offsets);
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

/** A slot of shape parameters: PARAM_BYTES in one of the recorder's uniform buffers. */
export interface ParamSlot {
  readonly kind: 'param';
  readonly buffer: GPUBuffer;
  readonly offset: number;
}

/** A binding of a dispatch: a storage region (dynamic: bound at offset 0 of the bind group, offset given per dispatch), or a parameter slot. */
export type OpBinding = GPUBufferBinding | ParamSlot;

/** Bytes of one parameter slot as bound (12 words: u32 and f32 values). */
export const PARAM_BYTES = 48;
/** Slots per uniform buffer. */
const SLOTS_PER_BUFFER = 1024;

let nextBufferId = 0;
const bufferIds = new WeakMap<GPUBuffer, number>();
function bufferId(b: GPUBuffer): number {
  let id = bufferIds.get(b);
  if (id === undefined) bufferIds.set(b, (id = nextBufferId++));
  return id;
}

export class Recorder {
  private readonly owned: GPUBuffer[] = [];
  private readonly paramSlots = new Map<string, ParamSlot>();
  private paramBuffer: GPUBuffer | null = null;
  private paramUsed = SLOTS_PER_BUFFER;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly maxDim: number;
  private readonly slotStride: number;

  constructor(readonly device: GPUDevice, readonly cache: PipelineCache) {
    this.maxDim = device.limits.maxComputeWorkgroupsPerDimension;
    this.slotStride = Math.max(PARAM_BYTES, device.limits.minUniformBufferOffsetAlignment);
  }

  /** A storage buffer of `bytes` (at least 4, rounded up to 4), owned by this recorder. */
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
   * The parameter slot holding these values: `u32` words first, then `f32` words (12 words at most), shared by
   * every dispatch with the same values.
   * @throws RangeError for more than 12 words.
   */
  param(u32: readonly number[], f32: readonly number[] = []): ParamSlot {
    if (u32.length + f32.length > PARAM_BYTES / 4) throw new RangeError(`param: ${u32.length + f32.length} words, at most ${PARAM_BYTES / 4}`);
    const key = `${u32.join(',')}|${f32.join(',')}`;
    let slot = this.paramSlots.get(key);
    if (!slot) {
      if (this.paramUsed === SLOTS_PER_BUFFER) {
        this.paramBuffer = this.buffer('params', SLOTS_PER_BUFFER * this.slotStride, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
        this.paramUsed = 0;
      }
      const data = new ArrayBuffer(PARAM_BYTES);
      new Uint32Array(data).set(u32);
      new Float32Array(data, u32.length * 4).set(f32);
      const offset = this.paramUsed++ * this.slotStride;
      this.device.queue.writeBuffer(this.paramBuffer!, offset, data);
      slot = { kind: 'param', buffer: this.paramBuffer!, offset };
      this.paramSlots.set(key, slot);
    }
    return slot;
  }

  /**
   * A parameter slot of its own (never shared), for values rewritten between runs with {@link writeParam}
   * (e.g. the seed and initialiser of the weights): a network drawn again does not use up new slots.
   */
  ownParam(): ParamSlot {
    return this.param([0xffffffff, this.paramSlots.size]); // a key no shared slot has
  }

  /** Rewrite the values of a slot (u32 words, as {@link param}). */
  writeParam(slot: ParamSlot, u32: readonly number[]): void {
    if (u32.length > PARAM_BYTES / 4) throw new RangeError(`writeParam: ${u32.length} words, at most ${PARAM_BYTES / 4}`);
    const data = new Uint32Array(PARAM_BYTES / 4);
    data.set(u32);
    this.device.queue.writeBuffer(slot.buffer, slot.offset, data);
  }

  /**
   * One dispatch of `variant` over `groups` workgroups. Binding i is bindings[i]: a storage region (its offset is a
   * dynamic offset where the variant declares one, else part of the bind group) or a parameter slot.
   * @throws LimitError if the workgroups do not fit even folded into two dimensions; ShaderCompileError.
   */
  async dispatch(variant: KernelVariant, label: string, bindings: readonly OpBinding[], groups: number): Promise<Dispatch> {
    const kernel = await this.cache.get(variant);
    const offsets: number[] = [];
    const entries: GPUBindGroupEntry[] = [];
    const key: string[] = [variant.key];
    bindings.forEach((b, i) => {
      const dynamic = variant.bindings[i].dynamic;
      if ('kind' in b) {
        offsets.push(b.offset);
        entries.push({ binding: i, resource: { buffer: b.buffer, offset: 0, size: PARAM_BYTES } });
        key.push(`${bufferId(b.buffer)}`);
        return;
      }
      const size = b.size ?? b.buffer.size - (b.offset ?? 0);
      if (dynamic) offsets.push(b.offset ?? 0);
      const offset = dynamic ? 0 : b.offset ?? 0;
      entries.push({ binding: i, resource: { buffer: b.buffer, offset, size } });
      key.push(`${bufferId(b.buffer)}@${offset}+${size}`);
    });
    const k = key.join('|');
    let bindGroup = this.bindGroups.get(k);
    if (!bindGroup) {
      bindGroup = this.device.createBindGroup({ label, layout: kernel.layout, entries });
      this.bindGroups.set(k, bindGroup);
    }
    return { pipeline: kernel.pipeline, bindGroup, offsets, groups: foldWorkgroups(groups, this.maxDim, label), label };
  }

  /** Bind groups made so far (a build made O(1) of them per kernel, not per layer). */
  get bindGroupCount(): number {
    return this.bindGroups.size;
  }

  /** Destroy every buffer this recorder made. */
  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
    this.bindGroups.clear();
    this.paramSlots.clear();
  }
}
