/**
 * WGSL sources (shaders/*.wgsl, imported as strings by Vite's `?raw`, so browser, Vitest and the Node CLI share
 * one copy) and their variants. A kernel file marks variant code with wgsl-preprocessor's `#if ${NAME}` /
 * `#elif ${NAME}` / `#else` / `#endif`; {@link shaderSource} binds each `${NAME}` to a boolean define.
 * shaders/common.wgsl (bit-pattern tests for NaN/∞, the folded workgroup index) is prepended to every kernel, and
 * the libraries a kernel lists in {@link LIBRARIES} (shaders/philox.wgsl: the Philox random streams;
 * shaders/scales.wgsl: the extended range's scales) after it.
 */
import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js'; // the package has no main field
import common from '../../../shaders/common.wgsl?raw';
import matmul from '../../../shaders/matmul.wgsl?raw';
import activation from '../../../shaders/activation.wgsl?raw';
import biasGrad from '../../../shaders/bias_grad.wgsl?raw';
import loss from '../../../shaders/loss.wgsl?raw';
import stats from '../../../shaders/stats.wgsl?raw';
import init from '../../../shaders/init.wgsl?raw';
import matmulRegs from '../../../shaders/matmul_regs.wgsl?raw';
import philox from '../../../shaders/philox.wgsl?raw';
import scales from '../../../shaders/scales.wgsl?raw';
import activationFns from '../../../shaders/activation_fns.wgsl?raw';
import update from '../../../shaders/update.wgsl?raw';
import histogram from '../../../shaders/histogram.wgsl?raw';
import phase from '../../../shaders/phase.wgsl?raw';

export const SHADERS = { matmul, matmul_regs: matmulRegs, activation, bias_grad: biasGrad, loss, stats, init, update, histogram, phase } as const;
export type ShaderName = keyof typeof SHADERS;

/**
 * Library files (no entry point) put, after common.wgsl and in this order, before the kernels that need them, and
 * preprocessed with the kernel's defines (activation_fns.wgsl reads RELU and TANH).
 */
export const LIBRARIES: Readonly<Partial<Record<ShaderName, readonly string[]>>> = {
  init: [philox], matmul: [scales], matmul_regs: [scales, activationFns], activation: [scales, activationFns], loss: [scales],
  phase: [philox, scales, activationFns],
};

/** Boolean defines of a variant, e.g. { TRANS_A: true, BIAS: false }. */
export type Defines = Readonly<Record<string, boolean>>;

/**
 * The WGSL of one variant: common.wgsl + the kernel's LIBRARIES + the kernel file, with every `${NAME}` of the
 * libraries and the kernel replaced by defines[NAME].
 * @throws Error naming the shader and the placeholder when a define is missing (a typo must not silently
 *   select the #else branch).
 */
export function shaderSource(name: ShaderName, defines: Defines): string {
  const text = [...(LIBRARIES[name] ?? []), SHADERS[name]].join('\n');
  const parts = text.split(/\$\{(\w+)\}/);
  const strings: string[] = [];
  const values: boolean[] = [];
  parts.forEach((part, i) => {
    if (i % 2 === 0) {
      strings.push(part);
      return;
    }
    if (!(part in defines)) throw new Error(`shaders/${name}.wgsl (with its libraries): no value for \${${part}} in defines ${JSON.stringify(defines)}`);
    values.push(defines[part]);
  });
  const raw = Object.assign([...strings], { raw: strings });
  return `${common}\n${wgsl(raw, ...values)}`;
}
