/**
 * Choose and open a backend. WebGPU where it works; otherwise the CPU reference, with a notice that says why.
 */
import type { Backend } from './backend';
import { CpuBackend } from './cpu/cpu-backend';
import { WebGpuBackend } from './webgpu/webgpu-backend';
import type { BackendName } from '../model/config';
import type { ChoiceStore } from './webgpu/kernel-choice';

/**
 * Said when WebGPU runs on a software adapter (SwiftShader, or one that reports isFallbackAdapter): its "GPU" is the
 * CPU, where the float64 CPU backend is usually faster (README "WebGPU without a GPU"; npm run bench measures both).
 */
export const SOFTWARE_NOTICE = 'WebGPU runs on a software adapter (the CPU, e.g. SwiftShader), not a GPU: the cpu backend is usually '
  + 'faster here (npm run bench compares them on this machine); results are the same to float32 precision.';

export interface OpenedBackend {
  backend: Backend;
  /** Why the requested backend is not the one running (e.g. no WebGPU adapter), or null. */
  notice: string | null;
}

/**
 * @param name the backend asked for
 * @param gpu navigator.gpu in the browser, Dawn's GPU in Node (backends/webgpu/node-gpu.ts), or null if missing
 * @param gpuMissingReason why gpu is null, for the notice
 * @param kernels where the measured kernel choices persist (the GUI's localStorage, the CLI's cache file)
 * @returns the backend; falls back to the CPU backend with a notice when WebGPU is unavailable. Never throws.
 */
export async function openBackend(name: BackendName, gpu: GPU | null, gpuMissingReason = 'WebGPU is not available', kernels?: ChoiceStore): Promise<OpenedBackend> {
  if (name === 'cpu') return { backend: new CpuBackend(), notice: null };
  if (!gpu) return { backend: new CpuBackend(), notice: `${gpuMissingReason}: running the CPU reference backend (float64) instead.` };
  try {
    const backend = await WebGpuBackend.create(gpu, kernels);
    return { backend, notice: backend.software ? SOFTWARE_NOTICE : null };
  } catch (e) {
    return { backend: new CpuBackend(), notice: `WebGPU failed (${(e as Error).message}): running the CPU reference backend (float64) instead.` };
  }
}
