/**
 * Runs one kernel variant on given inputs, in one dispatch and one readback, the way the scheduler does
 * (same PipelineCache, same workgroup folding). Every buffer carries a guard band (as the WebGPU conformance tests
 * do): outputs are pre-filled with a sentinel and bound together with GUARD sentinel elements past their end, so a
 * write past the end (a missing bounds check) lands in the band and fails the run; inputs are bound with GUARD NaN
 * elements past their end, so a read past the end poisons the result. Before each binding lies another band of the
 * same kind, outside the binding, checked as well.
 */
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend';
import { foldWorkgroups } from '../../src/backends/webgpu/dispatch';
import type { KernelVariant } from '../../src/backends/webgpu/kernels';
import { PARAM_BYTES } from '../../src/backends/webgpu/recorder';

/** A value far from anything a kernel computes; NaN would hide behind NaN-producing cases. */
export const SENTINEL = -1.2345e33;
/** Elements of each guard band (256 bytes: the minimum storage offset alignment, so the data can start after it). */
export const GUARD = 64;

export type KernelArg =
  | { input: Float32Array | Uint32Array }
  | { output: number }
  /** Read and written in place (an optimiser's parameters and state): its values, guarded by sentinels like an output. */
  | { inout: Float32Array }
  | { uniform: number[] };

/**
 * @param args one per binding of the variant, in binding order
 * @param groups workgroups of the dispatch (folded past maxComputeWorkgroupsPerDimension, or by `maxPerDim`)
 * @returns the outputs' contents, in the order of the `output` and `inout` args (raw bytes as Float32Array)
 * @throws Error naming the output and the index if a guard band was written.
 */
export async function runKernel(backend: WebGpuBackend, variant: KernelVariant, args: KernelArg[], groups: number, maxPerDim?: number): Promise<Float32Array[]> {
  const device = backend.device;
  const kernel = await backend.cache.get(variant);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers: GPUBuffer[] = [];
  const bindings: GPUBufferBinding[] = [];
  /** Dynamic offsets, in binding order, for the bindings the variant declares dynamic (bound at offset 0). */
  const offsets: number[] = [];
  const outputs: { buffer: GPUBuffer; count: number; binding: number }[] = [];
  for (const [binding, arg] of args.entries()) {
    if ('uniform' in arg) {
      // A parameter slot as the engine binds it: PARAM_BYTES at a dynamic offset (here 0).
      const data = new Uint32Array(PARAM_BYTES / 4);
      data.set(arg.uniform);
      const b = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(b, 0, data);
      buffers.push(b);
      bindings.push({ buffer: b });
      offsets.push(0);
      continue;
    }
    const values = 'input' in arg ? arg.input : 'inout' in arg ? arg.inout : null;
    const count = values ? values.length : (arg as { output: number }).output;
    const data = new Float32Array(GUARD + count + GUARD).fill('input' in arg ? NaN : SENTINEL);
    if (values) new Uint32Array(data.buffer).set(new Uint32Array(values.buffer, values.byteOffset, values.length), GUARD);
    const b = device.createBuffer({ size: data.byteLength, usage });
    device.queue.writeBuffer(b, 0, data);
    buffers.push(b);
    if (variant.bindings[binding].dynamic) {
      bindings.push({ buffer: b, offset: 0, size: (count + GUARD) * 4 });
      offsets.push(GUARD * 4);
    } else {
      bindings.push({ buffer: b, offset: GUARD * 4, size: (count + GUARD) * 4 });
    }
    if (!('input' in arg)) outputs.push({ buffer: b, count, binding });
  }
  const bindGroup = device.createBindGroup({ layout: kernel.layout, entries: bindings.map((resource, binding) => ({ binding, resource })) });
  const [x, y] = foldWorkgroups(groups, maxPerDim ?? device.limits.maxComputeWorkgroupsPerDimension, variant.key);
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(kernel.pipeline);
  pass.setBindGroup(0, bindGroup, offsets);
  pass.dispatchWorkgroups(x, y);
  pass.end();
  const staging = outputs.map((o) => device.createBuffer({ size: o.buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
  outputs.forEach((o, i) => encoder.copyBufferToBuffer(o.buffer, 0, staging[i], 0, o.buffer.size));
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  if (error) throw new Error(`${variant.key}: ${error.message}`);
  const result: Float32Array[] = [];
  for (const [i, s] of staging.entries()) {
    await s.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(s.getMappedRange().slice(0));
    s.destroy();
    const { count, binding } = outputs[i];
    for (let k = 0; k < all.length; k++) {
      if ((k < GUARD || k >= GUARD + count) && all[k] !== Math.fround(SENTINEL)) {
        throw new Error(`${variant.key}: binding ${binding} written at element ${k - GUARD} (outside 0..${count - 1}): ${all[k]}`);
      }
    }
    result.push(all.slice(GUARD, GUARD + count));
  }
  for (const b of buffers) b.destroy();
  return result;
}
