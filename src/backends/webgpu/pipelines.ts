/**
 * The one pipeline cache: compiles each kernel variant once per device, asynchronously, de-duplicating compiles
 * in flight; explicit bind-group layouts; compile errors reported with getCompilationInfo() line numbers.
 */
import type { KernelVariant } from './kernels';
import { shaderSource } from './shader-source';

export interface CompiledKernel {
  readonly variant: KernelVariant;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** A WGSL compile error, with each message's line and column in the generated source. */
export class ShaderCompileError extends Error {
  override name = 'ShaderCompileError';
}

export class PipelineCache {
  private readonly compiled = new Map<string, Promise<CompiledKernel>>();

  constructor(private readonly device: GPUDevice) {}

  /**
   * The compiled kernel of a variant (cached; concurrent calls share one compile).
   * @throws ShaderCompileError with "shader:line:col message" lines if WGSL does not compile.
   */
  get(variant: KernelVariant): Promise<CompiledKernel> {
    let entry = this.compiled.get(variant.key);
    if (!entry) {
      entry = this.compile(variant);
      this.compiled.set(variant.key, entry);
      entry.catch(() => this.compiled.delete(variant.key));
    }
    return entry;
  }

  private async compile(variant: KernelVariant): Promise<CompiledKernel> {
    const code = shaderSource(variant.shader, variant.defines);
    const module = this.device.createShaderModule({ label: variant.key, code });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const lines = errors.map((m) => `${variant.shader}.wgsl(${variant.key}):${m.lineNum}:${m.linePos} ${m.message}`);
      throw new ShaderCompileError(lines.join('\n'));
    }
    const layout = this.device.createBindGroupLayout({
      label: variant.key,
      entries: variant.bindings.map(({ use, dynamic }, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: use === 'uniform' ? 'uniform' : use === 'read' ? 'read-only-storage' : 'storage', hasDynamicOffset: dynamic },
      })),
    });
    const pipeline = await this.device.createComputePipelineAsync({
      label: variant.key,
      layout: this.device.createPipelineLayout({ label: variant.key, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main', constants: { ...variant.constants } },
    });
    return { variant, pipeline, layout };
  }
}
