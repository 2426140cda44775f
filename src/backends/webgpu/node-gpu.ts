/**
 * WebGPU in Node: the npm package `webgpu` (Dawn). On a machine without a GPU, Dawn is pointed at Chromium's
 * SwiftShader (a CPU Vulkan; Mesa's lavapipe is rejected by Dawn), see README "WebGPU without a GPU".
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** A GPU device node exists: a DRM render node (Mesa, AMD, Intel) or an NVIDIA device. */
function hasGpuDevice(): boolean {
  const dri = existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  return dri || existsSync('/dev/nvidia0');
}

let instance: GPU | null = null;

/**
 * The GPU entry point of Dawn for Node, with WebGPU's globals (GPUBufferUsage, …) installed on globalThis.
 * Sets VK_ICD_FILENAMES to SwiftShader when it is unset and the machine has no GPU device, and XDG_RUNTIME_DIR
 * to a private temporary folder when it is unset (Dawn's window-system probe prints an error line without it).
 * @returns the GPU object, or null (with the reason) when the package or its native module cannot load.
 */
export async function nodeGpu(): Promise<{ gpu: GPU | null; reason: string | null }> {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && !hasGpuDevice() && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), `gradscope-xdg-${userInfo().uid}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  try {
    const dawn = await import('webgpu');
    Object.assign(globalThis, dawn.globals);
    // Keep the instance referenced for the life of the process: if it were garbage-collected, Dawn would free it
    // under the adapters and devices made from it (crashes seen as futex / mutex assertion failures).
    instance ??= dawn.create([]);
    return { gpu: instance, reason: null };
  } catch (e) {
    return { gpu: null, reason: `the npm package webgpu (Dawn) could not load: ${(e as Error).message}` };
  }
}
