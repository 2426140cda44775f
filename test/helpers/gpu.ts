/**
 * A WebGPU backend for tests: Dawn in Node (on SwiftShader where there is no GPU). One device per test file;
 * call `releaseGpu()` in afterAll so the process can exit.
 */
import { nodeGpu } from '../../src/backends/webgpu/node-gpu';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend';

let backend: Promise<WebGpuBackend> | null = null;

/** The shared backend of this test file. @throws if no adapter is found (the test then fails: no silent skip). */
export function gpuBackend(): Promise<WebGpuBackend> {
  backend ??= (async () => {
    const { gpu, reason } = await nodeGpu();
    if (!gpu) throw new Error(`no WebGPU in Node: ${reason}`);
    return WebGpuBackend.create(gpu);
  })();
  return backend;
}

export async function releaseGpu(): Promise<void> {
  if (backend) (await backend).destroy();
  backend = null;
}

/**
 * Tensors laid out one after another in one float32 buffer, with `gap` NaNs before, between and after them (so a
 * reduction that reads past a tensor's end sees NaN), and each tensor's region { source: 0, start, count }.
 */
export function packWithGaps(tensors: readonly Float32Array[], gap = 7): { data: Float32Array<ArrayBuffer>; reduced: { source: number; start: number; count: number }[] } {
  const data = new Float32Array(tensors.reduce((s, t) => s + t.length + gap, gap)).fill(NaN);
  const reduced: { source: number; start: number; count: number }[] = [];
  let offset = gap;
  for (const t of tensors) {
    data.set(t, offset);
    reduced.push({ source: 0, start: offset, count: t.length });
    offset += t.length + gap;
  }
  return { data, reduced };
}
