/**
 * The WebGPU backend: float32 WGSL kernels (shaders/), a step as units of a NetworkProgram (program.ts) submitted in
 * chunks by runner.ts with progress and cancel, statistics reduced on the GPU and read back once per step. Runs unchanged in the browser (navigator.gpu) and in Node
 * (Dawn, backends/webgpu/node-gpu.ts).
 */
import { CancelledError, checkTraining, throwIfCancelled, type Backend, type MemorySummary, type RunControl, type StepOptions, type Tensors } from '../backend';
import { biasBound, hostLayer, layerDraw } from '../../model/init';
import { shapeKey, type Batch, type MemoryOptions, type NetworkShape, type Problem, TENSOR_NAMES, type TensorName } from '../../model/network';
import type { OptimizerSpec } from '../../model/optimizers';
import type { LayerReport, StepResult } from '../../model/result';
import { scaleStats, statsFromMoments, type Stats } from '../../stats/stats';
import { decodeHistogram, HIST_WORDS, type Histogram } from '../../stats/histogram';
import { planMemory, summarize, type EngineLimits } from './memory-plan';
import { PipelineCache } from './pipelines';
import { KernelChooser, kernelName, type ChoiceStore } from './kernel-choice';
import { NetworkProgram, resultIndex } from './program';
import { runUnits } from './runner';

/** A GPU error (validation, out of memory, device lost) with the operation that raised it. */
export class GpuError extends Error {
  override name = 'GpuError';
}

/**
 * Run `work` inside validation and out-of-memory error scopes, always popping both.
 * @throws the error of `work`, else GpuError with the first GPU error raised meanwhile (after `discard` of the result)
 */
async function withErrorScopes<T>(device: GPUDevice, what: string, work: () => Promise<T>, discard?: (t: T) => void): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    result = { ok: true, value: await work() };
  } catch (error) {
    result = { ok: false, error };
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (!result.ok) throw result.error;
  const gpuError = validation ?? oom;
  if (gpuError) {
    discard?.(result.value);
    throw new GpuError(`${what} failed: ${gpuError.message}`);
  }
  return result.value;
}

/** The one sentence for a lost device: what was lost, that nothing of the step was kept, what to do. */
function deviceLost(reason: string): GpuError {
  return new GpuError(`the GPU device was lost (${reason || 'no reason given'}): nothing of this step was kept; `
    + 'run again to start a new device, and if it keeps happening, reduce the network or use the cpu backend');
}

/** Largest buffer and binding size requested (4 GiB): the kernels index elements with u32. */
export const MAX_BINDING_BYTES = 2 ** 32;

/** Most milliseconds of host work (drawing weights on the host) between two looks at progress and cancel. */
const HOST_SLICE_MS = 100;

/**
 * The WebGPU backend (see the file comment). One network at a time; calls must not overlap (await each).
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly cache: PipelineCache;
  /** How many times buffers and bind groups were built (a rebuild happens only when the shape changes). */
  builds = 0;
  /** Measured device milliseconds per step unit of the last step (for estimates), or null before the first. */
  lastMsPerUnit: number | null = null;
  /** Submits of the last step (chunks). */
  lastSubmits = 0;
  /** Units per submit, fixed (tests compare one submit with one per unit); null: sized from measured times. */
  fixedChunk: number | null = null;
  /** Milliseconds of the last build (buffers, bind groups, dispatches; 0 when the shape was unchanged) and weight draw. */
  lastBuildMs = 0;
  lastInitMs = 0;
  private program: NetworkProgram | null = null;
  private programKey: string | null = null;
  /** The loaded problem's optimiser, and the updating steps taken since its weights were drawn. */
  private training: OptimizerSpec | null = null;
  private updates = 0;
  private lost: string | null = null;

  /** The matmul kernel of each product shape, measured on this adapter (kernel-choice.ts). */
  chooser: KernelChooser;

  private constructor(readonly device: GPUDevice, readonly adapter: string, readonly software: boolean, kernels?: ChoiceStore) {
    this.cache = new PipelineCache(device);
    this.chooser = new KernelChooser(device, this.cache, adapter, kernels);
    device.lost.then((info) => { this.lost = info.message || info.reason; });
  }

  /**
   * Request an adapter and a device with the adapter's largest buffer limits.
   * @param gpu navigator.gpu, or Dawn's GPU object in Node
   * @param kernels where measured kernel choices persist (default: memory, for the life of the process)
   * @throws GpuError if no adapter or device is available
   */
  static async create(gpu: GPU, kernels?: ChoiceStore): Promise<WebGpuBackend> {
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new GpuError('no WebGPU adapter found');
    const device = await adapter.requestDevice({
      label: 'gradscope',
      requiredLimits: {
        maxBufferSize: Math.min(adapter.limits.maxBufferSize, MAX_BINDING_BYTES),
        maxStorageBufferBindingSize: Math.min(adapter.limits.maxStorageBufferBindingSize, MAX_BINDING_BYTES),
      },
    });
    const info = adapter.info;
    const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') || 'unknown adapter';
    // A software adapter: the fallback adapter, or SwiftShader (which some browsers do not flag as fallback).
    const software = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true || /swiftshader/i.test(name);
    return new WebGpuBackend(device, name, software, kernels);
  }

  /** The limits memory plans are checked against. */
  get limits(): EngineLimits {
    return this.device.limits;
  }

  /** The program of the loaded network (tests: bind groups, dispatches), or null. */
  get loaded(): NetworkProgram | null {
    return this.program;
  }

  plan(shape: NetworkShape, memory: MemoryOptions): MemorySummary {
    const plan = planMemory(shape, memory, this.limits);
    // Per step: 2 dispatches per forward layer, 4 per backward layer (3 at l = 1), the loss, the statistics.
    const L = plan.L;
    const recompute = plan.s < L ? 2 * (L - (L - Math.floor((L - 1) / plan.s) * plan.s)) : 0;
    const statsGroups = 2 * Math.ceil(L / plan.G) + 1;
    return summarize(plan, shape, memory.budgetBytes, 2 * L + 4 * L - 1 + 1 + recompute + 8 * statsGroups, false);
  }

  async setProblem(problem: Problem, control: RunControl = {}): Promise<void> {
    this.assertAlive();
    checkTraining(problem);
    const key = shapeKey(problem.shape, problem.memory);
    const t0 = performance.now();
    this.lastBuildMs = 0;
    if (!this.program || this.programKey !== key) {
      const plan = planMemory(problem.shape, problem.memory, this.limits); // throws LimitError before any allocation
      this.program?.destroy();
      this.program = null;
      this.programKey = null;
      control.onProgress?.({ phase: 'build', layer: 0, done: 0, total: 2 * (problem.shape.widths.length - 1) });
      try {
        this.program = await withErrorScopes(this.device, 'building the network',
          () => NetworkProgram.build(this.device, this.cache, problem.shape, plan, this.chooser, control), (p) => p.destroy());
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        throw await this.lostError(e);
      }
      this.programKey = key;
      this.builds++;
      this.lastBuildMs = performance.now() - t0;
      const total = 2 * (problem.shape.widths.length - 1);
      control.onProgress?.({ phase: 'build', layer: total / 2, done: total, total });
    }
    const t1 = performance.now();
    try {
      await this.drawWeights(this.program, problem, control);
      this.lastInitMs = performance.now() - t1;
    } catch (e) {
      // A half-drawn network is no network: the next setProblem draws all of it again.
      this.programKey = null;
      throw e;
    }
    this.program.loadBatch(problem.batch);
    this.program.resetOptimizer();
    this.training = problem.training ?? null;
    this.updates = 0;
  }

  setBatch(batch: Batch): void {
    if (!this.program || this.programKey === null) throw new Error('WebGpuBackend.setBatch: no problem set (call setProblem first)');
    this.program.setBatch(batch);
  }

  async predict(X: Float32Array<ArrayBuffer>, control: RunControl = {}): Promise<Float32Array> {
    this.assertAlive();
    const program = this.program;
    if (!program || this.programKey === null) throw new Error('WebGpuBackend.predict: no problem set (call setProblem first)');
    const n = program.shape.widths, m = program.shape.m;
    if (X.length !== n[0] * m) throw new RangeError(`predict: x must hold n^[0]·m = ${n[0] * m} values, got ${X.length}`);
    program.setBatch({ X, Y: new Float32Array(n[n.length - 1] * m), labels: new Uint32Array(m) });
    try {
      return await withErrorScopes(this.device, 'the forward pass', async () => {
        await runUnits(this.device, program.forwardUnits, control, {}, this.fixedChunk);
        return program.readOutput();
      });
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      throw await this.lostError(e);
    }
  }

  async readWeights(): Promise<{ W: Float32Array[]; b: Float32Array[] }> {
    if (!this.program || this.programKey === null) throw new Error('WebGpuBackend.readWeights: no problem set');
    return this.program.readWeights();
  }

  /**
   * Draw W^[l], b^[l] of every layer: on the device (shaders/init.wgsl, the Philox stream), except the layers whose
   * weights are given or need a QR (orthogonal), drawn on the host first (model/init.ts) with progress and cancel
   * every HOST_SLICE_MS.
   */
  private async drawWeights(program: NetworkProgram, problem: Problem, control: RunControl): Promise<void> {
    const n = problem.shape.widths, L = n.length - 1, spec = problem.weights;
    const onHost = (l: number) => spec.values !== undefined || layerDraw(spec.init, n[l], n[l - 1], spec.options).kind === 'orthogonal';
    let last = performance.now();
    for (let l = 1; l <= L; l++) {
      if (!onHost(l)) continue;
      program.writeWeights(l, hostLayer(spec, l, n[l], n[l - 1]).W);
      if (performance.now() - last > HOST_SLICE_MS) {
        control.onProgress?.({ phase: 'init', layer: l, done: l, total: L });
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
        throwIfCancelled(control.signal);
        last = performance.now();
      }
    }
    await runUnits(this.device, [...await program.initUnits(spec, onHost), await program.weightStatsUnit()], control);
    program.writeBiasExponent(biasBound(spec));
  }

  async step(control: RunControl = {}, options: StepOptions = {}): Promise<StepResult> {
    this.assertAlive();
    const program = this.program;
    if (!program || this.programKey === null) throw new Error('WebGpuBackend.step: no problem set (call setProblem first)');
    if (options.update && !this.training) throw new Error('WebGpuBackend.step: update asked, but the problem has no optimiser (problem.training)');
    throwIfCancelled(control.signal);
    if (options.update) program.writeHyper(this.training!, ++this.updates);
    // An updating step runs to its end: cancel would leave the weights half-updated.
    const units = await program.stepUnits(options.update === true);
    const runControl: RunControl = options.update ? { onProgress: control.onProgress } : control;
    let results: Awaited<ReturnType<NetworkProgram['readResults']>>;
    try {
      results = await withErrorScopes(this.device, 'the step', async () => {
        const run = await runUnits(this.device, units, runControl,
          { start: (encoder) => program.startStep(encoder), finish: (encoder) => program.copyResults(encoder) }, this.fixedChunk);
        this.lastMsPerUnit = run.msPerUnit;
        this.lastSubmits = run.submits;
        return program.readResults();
      });
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      throw await this.lostError(e);
    }
    this.assertAlive();
    const stored = results.moments.map(statsFromMoments);
    const stats = stored.map((s, i) => scaleStats(s, results.scales[i]));
    const n = program.shape.widths, L = n.length - 1;
    const layers: LayerReport[] = [];
    for (let l = 1; l <= L; l++) {
      const at = (t: TensorName): Stats => stats[resultIndex(t, l)];
      const report: LayerReport = { layer: l, fanIn: n[l - 1], fanOut: n[l], z: at('z'), a: at('a'), dA: at('dA'), dZ: at('dZ'), W: at('W'), dW: at('dW') };
      const { hist, units } = results;
      if (hist && units) {
        const histogram = (t: TensorName) => {
          const i = resultIndex(t, l);
          return decodeHistogram(hist.subarray(i * HIST_WORDS, (i + 1) * HIST_WORDS), stored[i].min, stored[i].max, results.scales[i]);
        };
        report.histograms = Object.fromEntries(TENSOR_NAMES.map((t) => [t, histogram(t)])) as Record<TensorName, Histogram>;
        if (l < L) {
          report.deadUnits = units[2 * (l - 1)] / n[l];
          report.saturatedUnits = units[2 * (l - 1) + 1] / n[l];
        }
      }
      layers.push(report);
    }
    return { loss: stats[stats.length - 1].mean, layers };
  }

  kernelReport(): { line: string; measured: boolean }[] {
    return [...this.chooser.choices.values()].map((c) => {
      const others = c.timings.filter((t) => t.kernel !== kernelName(c.kernel)).map((t) => `${t.kernel} ${t.ms.toPrecision(3)} ms`);
      const mine = c.timings.find((t) => t.kernel === kernelName(c.kernel));
      const rejected = c.rejected.map((r) => `${r.kernel} rejected, error ${r.error.toPrecision(2)}`);
      const detail = mine ? `, measured ${mine.ms.toPrecision(3)} ms (${[...others, ...rejected].join(', ')})` : ' (chosen earlier on this adapter)';
      return { line: `${c.shape} → ${kernelName(c.kernel)}${detail}`, measured: mine !== undefined };
    });
  }

  async readTensors(): Promise<Tensors> {
    if (!this.program) throw new Error('WebGpuBackend.readTensors: no problem set');
    return this.program.readTensors();
  }

  private assertAlive(): void {
    if (this.lost !== null) throw deviceLost(this.lost);
  }

  /**
   * The error to report for a failure of GPU work: a lost device (a read back aborted, the device destroyed, a
   * driver reset) becomes one GpuError sentence; anything else is returned as it is.
   */
  private async lostError(e: unknown): Promise<unknown> {
    if (e instanceof GpuError) return e;
    // A mapAsync aborted by a lost device rejects (AbortError, often with no message) before device.lost settles.
    const aborted = e instanceof Error && (e.name === 'AbortError' || e.name === 'OperationError');
    if (!aborted && this.lost === null) return e;
    const info = await Promise.race([this.device.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000))]);
    const reason = this.lost ?? (info ? info.message || info.reason : `${(e as Error).name} while reading the results back`);
    return deviceLost(reason);
  }

  destroy(): void {
    this.program?.destroy();
    this.program = null;
    this.device.destroy();
  }
}
