/**
 * The CPU reference backend: float64, plain loops (backends/cpu/ops.ts). The oracle of every GPU test, and the
 * fallback of the GUI and CLI where WebGPU is missing. Checked itself against finite differences
 * (test/cpu-backend.test.ts). It runs a step as the same segments as the WebGPU backend (forward layers, loss,
 * backward layers), returning to the event loop every ~50 ms for progress and cancel; transient gradients (dA, dZ,
 * dW, db) are dropped once their statistics are taken, unless the problem asks to keep every tensor.
 */
import { checkTraining, LimitError, throwIfCancelled, type Backend, type MemorySummary, type Phase, type RunControl, type StepOptions, type Tensors } from '../backend';
import { biasBound, hostLayer } from '../../model/init';
import type { Batch, MemoryOptions, NetworkShape, Problem, TensorName } from '../../model/network';
import { OPTIMIZER_STATE, updateReference, type OptimizerSpec } from '../../model/optimizers';
import type { LayerReport, StepResult } from '../../model/result';
import { computeStats, scaleStats, type Stats } from '../../stats/stats';
import { decodeHistogram, histogramWords, unitFractions, type Histogram } from '../../stats/histogram';
import { backwardScaled, forwardScaled, lossScaled } from './extended';
import { activationBackward, activationForward, biasGrad, lossAndGrad, matmul } from './ops';

/** Most float64 elements the CPU backend holds at once (1 GiB), so a huge network is refused, not swapped. */
export const CPU_MAX_ELEMENTS = 2 ** 27;

/**
 * Elements the CPU backend holds for a network: W, b, z, a of every layer and a^[0]; the gradients dA, dZ, dW, db of
 * every layer with keepAll, else of one layer at a time; `states` optimiser state tensors per W^[l] and b^[l].
 */
export function tensorElements(widths: readonly number[], m: number, keepAll = true, states = 0): number {
  const L = widths.length - 1;
  let total = widths[0] * m, transient = 0;
  for (let l = 1; l <= L; l++) {
    const grads = 2 * widths[l] * m + widths[l] * widths[l - 1] + widths[l];
    total += 2 * widths[l] * m + (1 + states) * (widths[l] * widths[l - 1] + widths[l]);
    if (keepAll) total += grads;
    else transient = Math.max(transient, grads + widths[l - 1] * m);
  }
  return total + transient;
}

/** Longest stretch of computation between two returns to the event loop (signals, the GUI, progress). */
const SLICE_MS = 50;

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly adapter = 'cpu (float64 reference)';
  readonly lastMsPerUnit = null;

  kernelReport(): { line: string; measured: boolean }[] {
    return [];
  }
  private problem: Problem | null = null;
  /** W^[l] and b^[l], float64 (drawn as float32, as every backend; updated in float64 when training). */
  private W: Float64Array[] = [];
  private b: Float64Array[] = [];
  /** The optimiser's state per layer (momentum buffer or Adam's m and v of W and b), and updates taken. */
  private state: { W1: Float64Array; W2: Float64Array; b1: Float64Array; b2: Float64Array }[] = [];
  private updates = 0;
  private tensors: Tensors | null = null;

  plan(shape: NetworkShape, memory: MemoryOptions): MemorySummary {
    const needed = tensorElements(shape.widths, shape.m, memory.keepAll, memory.optimizer ? OPTIMIZER_STATE[memory.optimizer] : 0);
    const limit = Math.min(CPU_MAX_ELEMENTS, Math.floor(memory.budgetBytes / 8));
    if (needed > limit) {
      throw needed > CPU_MAX_ELEMENTS
        ? new LimitError('CPU_MAX_ELEMENTS', needed, CPU_MAX_ELEMENTS, 'the CPU backend (float64 elements)')
        : new LimitError('memory budget (--memory, MiB)', needed * 8, memory.budgetBytes, 'the network on the CPU backend (bytes, float64)');
    }
    const L = shape.widths.length - 1;
    return {
      kinds: [{ name: 'float64', description: `W, b, z and a of every layer, the gradients${memory.optimizer ? ', the optimiser state' : ''}`, bytes: needed * 8, pages: 1 }],
      totalBytes: needed * 8, budgetBytes: memory.budgetBytes, checkpointEvery: null, dispatchesPerStep: 7 * L, hostInit: true,
    };
  }

  async setProblem(problem: Problem, control: RunControl = {}): Promise<void> {
    checkTraining(problem);
    this.plan(problem.shape, problem.memory);
    this.problem = null;
    this.tensors = null;
    const n = problem.shape.widths, L = n.length - 1;
    const W: Float64Array[] = [], b: Float64Array[] = [];
    const pause = pauser(control, 'init', L);
    for (let l = 1; l <= L; l++) {
      await pause(l);
      const layer = hostLayer(problem.weights, l, n[l], n[l - 1]);
      W.push(Float64Array.from(layer.W));
      b.push(Float64Array.from(layer.b));
    }
    this.W = W;
    this.b = b;
    const states = problem.training ? OPTIMIZER_STATE[problem.training.optimizer] : 0;
    const zeros = (count: number, k: number) => new Float64Array(states >= k ? count : 0);
    this.state = W.map((w, i) => ({ W1: zeros(w.length, 1), W2: zeros(w.length, 2), b1: zeros(b[i].length, 1), b2: zeros(b[i].length, 2) }));
    this.updates = 0;
    this.problem = problem;
  }

  setBatch(batch: Batch): void {
    if (!this.problem) throw new Error('CpuBackend.setBatch: no problem set (call setProblem first)');
    const { widths: n, m } = this.problem.shape;
    if (batch.X.length !== n[0] * m || batch.Y.length !== n[n.length - 1] * m || batch.labels.length !== m) {
      throw new RangeError(`setBatch: the batch must be x (${n[0]}, ${m}), targets (${n[n.length - 1]}, ${m}) and ${m} labels`);
    }
    this.problem = { ...this.problem, batch };
  }

  async predict(X: Float32Array<ArrayBuffer>, control: RunControl = {}): Promise<Float64Array> {
    if (!this.problem) throw new Error('CpuBackend.predict: no problem set (call setProblem first)');
    const { widths: n, m, activation } = this.problem.shape, L = n.length - 1;
    if (X.length !== n[0] * m) throw new RangeError(`predict: x must hold n^[0]·m = ${n[0] * m} values, got ${X.length}`);
    const pause = pauser(control, 'forward', L);
    let a: Float64Array = Float64Array.from(X);
    for (let l = 1; l <= L; l++) {
      await pause(l - 1, 'forward', l);
      a = activationForward(l === L ? 'identity' : activation, matmul(this.W[l - 1], a, n[l], m, n[l - 1], false, false, this.b[l - 1]));
    }
    return a;
  }

  async readWeights(): Promise<{ W: Float64Array[]; b: Float64Array[] }> {
    if (!this.problem) throw new Error('CpuBackend.readWeights: no problem set');
    return { W: this.W.map((w) => w.slice()), b: this.b.map((b) => b.slice()) };
  }

  /**
   * Forward l = 1..L: z^[l] = W^[l] a^[l-1] + b^[l], a^[l] = g(z^[l]) (identity at l = L);
   * loss; backward l = L..1: dZ = dA ⊙ g'(z), dW = dZ a^[l-1]ᵀ, db = Σ_j dZ, dA^[l-1] = W^[l]ᵀ dZ;
   * statistics of each tensor as it is produced. In the extended range every tensor carries a power-of-two scale
   * (backends/cpu/extended.ts), and its statistics are scaled by it.
   */
  async step(control: RunControl = {}, options: StepOptions = {}): Promise<StepResult> {
    if (!this.problem) throw new Error('CpuBackend.step: no problem set (call setProblem first)');
    const { shape, batch, memory, weights, training } = this.problem;
    if (options.update && !training) throw new Error('CpuBackend.step: update asked, but the problem has no optimiser (problem.training)');
    throwIfCancelled(control.signal);
    // An updating step runs to its end: cancel would leave the weights half-updated.
    if (options.update) control = { onProgress: control.onProgress };
    const update: OptimizerSpec | null = options.update ? training! : null;
    const t = update ? ++this.updates : 0;
    const Wused = memory.keepAll && update ? this.W.map((w) => w.slice()) : this.W; // the W of this step's tensors
    const n = shape.widths, m = shape.m, L = n.length - 1;
    const ext = shape.range === 'extended';
    const g = (l: number) => (l === L ? 'identity' : shape.activation);
    const keep = memory.keepAll;
    const total = 2 * L + 1;
    let done = 0;
    const pause = pauser(control, 'forward', total);
    const a: Float64Array[] = [Float64Array.from(batch.X)];
    const z: Float64Array[] = [];
    const Sa = [0], Sz = [0];
    const bound = Math.fround(biasBound(weights));
    const eb = bound === 0 ? -Infinity : Math.floor(Math.log2(Math.abs(bound)));
    const stats: Omit<LayerReport, 'dA' | 'dZ' | 'dW'>[] = [];
    // Statistics of a stored tensor (2^S·x in the extended range) and, when asked, its histograms (stats/histogram.ts).
    const hists = memory.histograms === true;
    const histograms: Partial<Record<TensorName, Histogram>>[] = Array.from({ length: L }, () => ({}));
    const measure = (t: TensorName, l: number, x: ArrayLike<number>, S: number): Stats => {
      const raw = computeStats(x);
      if (hists) histograms[l - 1][t] = decodeHistogram(histogramWords(x, raw.min, raw.max), raw.min, raw.max, S);
      return scaleStats(raw, S);
    };
    for (let l = 1; l <= L; l++) {
      await pause(done++, 'forward', l);
      if (ext) {
        const r = forwardScaled(this.W[l - 1], a[l - 1], Sa[l - 1], this.b[l - 1], eb, n[l], m, n[l - 1], g(l));
        z.push(r.z);
        a.push(r.a);
        Sz.push(r.Sz);
        Sa.push(r.Sa);
      } else {
        z.push(matmul(this.W[l - 1], a[l - 1], n[l], m, n[l - 1], false, false, this.b[l - 1]));
        a.push(activationForward(g(l), z[l - 1]));
        Sz.push(0);
        Sa.push(0);
      }
      stats.push({
        layer: l, fanIn: n[l - 1], fanOut: n[l],
        z: measure('z', l, z[l - 1], Sz[l]), a: measure('a', l, a[l], Sa[l]), W: measure('W', l, this.W[l - 1], 0),
        ...(hists && l < L ? (({ dead, saturated }) => ({ deadUnits: dead, saturatedUnits: saturated }))(unitFractions(a[l], n[l], m)) : {}),
      });
    }
    await pause(done++, 'loss', L);
    const lossed = ext ? lossScaled(shape.loss, a[L], Sa[L], batch.Y, batch.labels, n[L], m)
      : { ...lossAndGrad(shape.loss, a[L], batch.Y, batch.labels, n[L], m), lossScale: 0, dyScale: 0 };
    const grads: { dA: Stats; dZ: Stats; dW: Stats }[] = new Array(L);
    const kept = { dA: [] as Float64Array[], dZ: [] as Float64Array[], dW: [] as Float64Array[], db: [] as Float64Array[] };
    let dA = lossed.dYhat, SdA = lossed.dyScale;
    for (let l = L; l >= 1; l--) {
      await pause(done++, 'backward', l);
      const { dZ, Sdz } = ext ? backwardScaled(g(l), z[l - 1], Sz[l], dA, SdA) : { dZ: activationBackward(g(l), z[l - 1], dA), Sdz: 0 };
      const dW = matmul(dZ, a[l - 1], n[l], n[l - 1], m, false, true);
      grads[l - 1] = { dA: measure('dA', l, dA, SdA), dZ: measure('dZ', l, dZ, Sdz), dW: measure('dW', l, dW, Sdz + Sa[l - 1]) };
      if (keep) {
        kept.dA[l - 1] = dA;
        kept.dZ[l - 1] = dZ;
        kept.dW[l - 1] = dW;
        kept.db[l - 1] = biasGrad(dZ, n[l], m);
      }
      if (l > 1) {
        dA = matmul(this.W[l - 1], dZ, n[l - 1], m, n[l], true, false);
        SdA = Sdz;
      }
      if (update) {
        const s = this.state[l - 1];
        updateReference(update, t, this.W[l - 1], dW, s.W1, s.W2);
        updateReference(update, t, this.b[l - 1], kept.db[l - 1] ?? biasGrad(dZ, n[l], m), s.b1, s.b2);
      }
    }
    control.onProgress?.({ phase: 'stats', layer: 0, done: total, total });
    this.tensors = keep ? { W: Wused, z, a, ...kept, lossPerExample: lossed.perExample } : null;
    return {
      loss: scaleStats(computeStats(lossed.perExample), lossed.lossScale).mean,
      layers: stats.map((s, i) => ({ ...s, ...grads[i], ...(hists ? { histograms: histograms[i] as Record<TensorName, Histogram> } : {}) })),
    };
  }

  async readTensors(): Promise<Tensors> {
    if (!this.tensors) throw new Error('CpuBackend.readTensors: no step has run with keepAll');
    return this.tensors;
  }

  destroy(): void {
    this.problem = null;
    this.tensors = null;
    this.W = [];
    this.b = [];
  }
}

/**
 * A function to await between pieces of work: once SLICE_MS have passed since the last pause it reports progress,
 * yields to the event loop and throws CancelledError if the signal fired.
 */
function pauser(control: RunControl, phase: Phase, total: number): (done: number, p?: Phase, layer?: number) => Promise<void> {
  let last = performance.now();
  return async (done, p = phase, layer = done) => {
    if (performance.now() - last < SLICE_MS) return;
    control.onProgress?.({ phase: p, layer, done, total });
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    throwIfCancelled(control.signal);
    last = performance.now();
  };
}

