/**
 * The CPU reference backend: float64, plain loops (backends/cpu/ops.ts). The oracle of every GPU test, and the
 * fallback of the GUI and CLI where WebGPU is missing. Checked itself against finite differences
 * (test/cpu-backend.test.ts).
 */
import { LimitError, type Backend, type Tensors } from '../backend';
import type { NetworkShape, Problem } from '../../model/network';
import type { LayerReport, StepResult } from '../../model/result';
import { computeStats } from '../../stats/stats';
import { activationBackward, activationForward, biasGrad, lossAndGrad, matmul } from './ops';

/** Most float64 elements the CPU backend holds at once (1 GiB), so a huge network is refused, not swapped. */
export const CPU_MAX_ELEMENTS = 2 ** 27;

/** Elements of every tensor of one step: z, a, dA, dZ of each layer, W and dW, a^[0]. */
export function tensorElements(widths: readonly number[], m: number): number {
  let total = widths[0] * m;
  for (let l = 1; l < widths.length; l++) total += 4 * widths[l] * m + 2 * widths[l] * widths[l - 1];
  return total;
}

/** Longest stretch of computation between two returns to the event loop (signals, the GUI, progress). */
const SLICE_MS = 50;

/** A function to await between layers: it yields to the event loop once SLICE_MS have passed since the last yield. */
function pauser(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < SLICE_MS) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    last = performance.now();
  };
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly adapter = 'cpu (float64 reference)';
  private problem: Problem | null = null;
  private tensors: Tensors | null = null;

  checkLimits(shape: NetworkShape): void {
    const needed = tensorElements(shape.widths, shape.m);
    if (needed > CPU_MAX_ELEMENTS) throw new LimitError('CPU_MAX_ELEMENTS', needed, CPU_MAX_ELEMENTS, 'the CPU backend (float64 elements)');
  }

  async setProblem(problem: Problem): Promise<void> {
    this.checkLimits(problem.shape);
    this.problem = problem;
    this.tensors = null;
  }

  /**
   * Forward l = 1..L: z^[l] = W^[l] a^[l-1] + b^[l], a^[l] = g(z^[l]) (identity at l = L);
   * loss; backward l = L..1: dZ = dA ⊙ g'(z), dW = dZ a^[l-1]ᵀ, db = Σ_j dZ, dA^[l-1] = W^[l]ᵀ dZ.
   */
  async step(): Promise<StepResult> {
    if (!this.problem) throw new Error('CpuBackend.step: no problem set (call setProblem first)');
    const { shape, params, batch } = this.problem;
    const n = shape.widths, m = shape.m, L = n.length - 1;
    const a: Float64Array[] = [Float64Array.from(batch.X)];
    const z: Float64Array[] = [];
    const pause = pauser();
    for (let l = 1; l <= L; l++) {
      await pause();
      z.push(matmul(params.W[l - 1], a[l - 1], n[l], m, n[l - 1], false, false, params.b[l - 1]));
      a.push(activationForward(l === L ? 'identity' : shape.activation, z[l - 1]));
    }
    const { perExample, dYhat } = lossAndGrad(shape.loss, a[L], batch.Y, batch.labels, n[L], m);
    const dA: Float64Array[] = new Array(L);
    const dZ: Float64Array[] = new Array(L);
    const dW: Float64Array[] = new Array(L);
    const db: Float64Array[] = new Array(L);
    dA[L - 1] = dYhat;
    for (let l = L; l >= 1; l--) {
      await pause();
      dZ[l - 1] = activationBackward(l === L ? 'identity' : shape.activation, z[l - 1], dA[l - 1]);
      dW[l - 1] = matmul(dZ[l - 1], a[l - 1], n[l], n[l - 1], m, false, true);
      db[l - 1] = biasGrad(dZ[l - 1], n[l], m);
      if (l > 1) dA[l - 2] = matmul(params.W[l - 1], dZ[l - 1], n[l - 1], m, n[l], true, false);
    }
    this.tensors = { z, a, dA, dZ, dW, db, lossPerExample: perExample };
    const layers: LayerReport[] = [];
    for (let l = 1; l <= L; l++) {
      layers.push({
        layer: l, fanIn: n[l - 1], fanOut: n[l],
        z: computeStats(z[l - 1]), a: computeStats(a[l]), dA: computeStats(dA[l - 1]),
        dZ: computeStats(dZ[l - 1]), W: computeStats(params.W[l - 1]), dW: computeStats(dW[l - 1]),
      });
    }
    return { loss: computeStats(perExample).mean, layers };
  }

  async readTensors(): Promise<Tensors> {
    if (!this.tensors) throw new Error('CpuBackend.readTensors: no step has run');
    return this.tensors;
  }

  destroy(): void {
    this.problem = null;
    this.tensors = null;
  }
}
