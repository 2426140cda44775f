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
