/**
 * Runs one kernel variant on given inputs, in one dispatch and one readback, the way the scheduler does
 * (same PipelineCache, same workgroup folding). Outputs are pre-filled with a sentinel so that an element the
 * kernel did not write shows up as a mismatch.
 */
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend';
import { foldWorkgroups } from '../../src/backends/webgpu/dispatch';
import type { KernelVariant } from '../../src/backends/webgpu/kernels';

/** A value far from anything a kernel computes; NaN would hide behind NaN-producing cases. */
export const SENTINEL = -1.2345e33;

export type KernelArg =
  | { input: Float32Array | Uint32Array }
  | { output: number }
  | { uniform: number[] };

/**
 * @param args one per binding of the variant, in binding order
 * @param groups workgroups of the dispatch (folded past maxComputeWorkgroupsPerDimension, or by `maxPerDim`)
 * @returns the outputs' contents, in the order of the `output` args (raw bytes as Float32Array)
 */
export async function runKernel(backend: WebGpuBackend, variant: KernelVariant, args: KernelArg[], groups: number, maxPerDim?: number): Promise<Float32Array[]> {
  const device = backend.device;
  const kernel = await backend.cache.get(variant);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers: GPUBuffer[] = [];
  const outputs: { buffer: GPUBuffer; bytes: number }[] = [];
  for (const arg of args) {
    if ('input' in arg) {
      const b = device.createBuffer({ size: Math.max(arg.input.byteLength, 4), usage });
      device.queue.writeBuffer(b, 0, new Uint8Array(arg.input.buffer, arg.input.byteOffset, arg.input.byteLength).slice());
      buffers.push(b);
    } else if ('output' in arg) {
      const b = device.createBuffer({ size: Math.max(arg.output * 4, 4), usage });
      device.queue.writeBuffer(b, 0, new Float32Array(Math.max(arg.output, 1)).fill(SENTINEL));
      buffers.push(b);
      outputs.push({ buffer: b, bytes: arg.output * 4 });
    } else {
      const data = new Uint32Array(4 * Math.ceil(Math.max(arg.uniform.length, 1) / 4));
      data.set(arg.uniform);
      const b = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(b, 0, data);
      buffers.push(b);
    }
  }
  const bindGroup = device.createBindGroup({ layout: kernel.layout, entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const [x, y] = foldWorkgroups(groups, maxPerDim ?? device.limits.maxComputeWorkgroupsPerDimension, variant.key);
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(kernel.pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y);
  pass.end();
  const staging = outputs.map((o) => device.createBuffer({ size: Math.max(o.bytes, 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
  outputs.forEach((o, i) => encoder.copyBufferToBuffer(o.buffer, 0, staging[i], 0, Math.max(o.bytes, 4)));
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  if (error) throw new Error(`${variant.key}: ${error.message}`);
  const result: Float32Array[] = [];
  for (const [i, s] of staging.entries()) {
    await s.mapAsync(GPUMapMode.READ);
    result.push(new Float32Array(s.getMappedRange().slice(0, outputs[i].bytes)));
    s.destroy();
  }
  for (const b of buffers) b.destroy();
  return result;
}
