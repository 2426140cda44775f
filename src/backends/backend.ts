/**
 * The interface every backend implements: the float64 CPU reference (backends/cpu) and the WebGPU engine
 * (backends/webgpu). A backend holds one network at a time; `setProblem` rebuilds only when the shape changes.
 * A step is a sequence of segments (forward layers, loss, backward layers, statistics); a backend reports
 * progress between segments and stops at the next segment boundary when its AbortSignal fires.
 */
import type { BackendName } from '../model/config';
import type { Batch, MemoryOptions, NetworkShape, Problem } from '../model/network';
import type { StepResult } from '../model/result';

/** A network too large for a device limit or the memory budget; thrown before anything is allocated. */
export class LimitError extends Error {
  override name = 'LimitError';
  /**
   * @param limit the limit's name, e.g. "maxBufferSize" or "memory budget (--memory)"
   * @param needed bytes (or count) the network needs; @param allowed the device's value
   */
  constructor(readonly limit: string, readonly needed: number, readonly allowed: number, what: string) {
    super(`network too large: ${what} needs ${needed.toLocaleString('en-US')} but the device limit ${limit} is ${allowed.toLocaleString('en-US')}`);
  }
}

/** A run stopped by its AbortSignal: nothing of the interrupted step is returned; the backend stays usable. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(what = 'the run') {
    super(`${what} was cancelled`);
  }
}

/**
 * What a backend is doing: building, drawing the weights, or a phase of a step, with layers done of total; 'train':
 * a training run (session/train.ts), steps done of total.
 */
export type Phase = 'build' | 'init' | 'forward' | 'loss' | 'backward' | 'stats' | 'train';

export interface Progress {
  phase: Phase;
  /** The layer the phase reached (0 for the loss and the statistics). */
  layer: number;
  /**
   * Units of work done and in all: layers of the phase (build, init), units of the step (2L + 1 for forward, loss,
   * backward), or training steps (train).
   */
  done: number;
  total: number;
}

/** How a caller controls a long call: cancel it, and hear about its progress (at least every ~200 ms of work). */
export interface RunControl {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** @throws CancelledError if `signal` has fired. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * Training problems must be consistent: an optimiser planned (memory.optimizer) equal to problem.training's, and the
 * float32 range (the extended range's scales are per step, the optimiser's state is not scaled).
 * @throws Error naming the mismatch.
 */
export function checkTraining(problem: Problem): void {
  const planned = problem.memory.optimizer ?? null, asked = problem.training?.optimizer ?? null;
  if (planned !== asked) throw new Error(`problem: memory.optimizer (${planned}) must match training.optimizer (${asked})`);
  if (asked && problem.shape.range !== 'float32') throw new Error('problem: training needs range float32 (the extended range is for single steps)');
}

/** The memory a network will use on a backend, before anything is allocated. */
export interface MemorySummary {
  /** One row per kind of tensor: what it holds, bytes, and how many buffers (pages) it is split into. */
  kinds: { name: string; description: string; bytes: number; pages: number }[];
  totalBytes: number;
  budgetBytes: number;
  /** Activations kept every `checkpointEvery` layers and recomputed in between, or null when all are kept. */
  checkpointEvery: number | null;
  /** Compute dispatches (WebGPU) or layer operations (CPU) of one step. */
  dispatchesPerStep: number;
  /** Whether the weights are drawn on the host (orthogonal) rather than on the device. */
  hostInit: boolean;
}

/** Options of one step. */
export interface StepOptions {
  /** Apply the optimiser's update after the backward pass (training; needs problem.training). */
  readonly update?: boolean;
}

/** Full tensors of the last step (for tests), index l-1 for layer l unless noted. */
export interface Tensors {
  /** W^[l], row-major (n^[l], n^[l-1]). */
  W: ArrayLike<number>[];
  /** z^[l], row-major (n^[l], m). */
  z: ArrayLike<number>[];
  /** a^[l] for l = 0..L (index l): a[0] = x; row-major (n^[l], m). */
  a: ArrayLike<number>[];
  /** dA^[l] = ∂J/∂a^[l], row-major (n^[l], m); dA^[L] = ∂J/∂ŷ. */
  dA: ArrayLike<number>[];
  /** dZ^[l] = ∂J/∂z^[l], row-major (n^[l], m). */
  dZ: ArrayLike<number>[];
  /** dW^[l], row-major (n^[l], n^[l-1]). */
  dW: ArrayLike<number>[];
  /** db^[l], length n^[l]. */
  db: ArrayLike<number>[];
  /** Per-example loss, length m (J is its mean). */
  lossPerExample: ArrayLike<number>;
}

/** A backend holds one network at a time. Its calls must not overlap: await each before the next. */
export interface Backend {
  readonly name: BackendName;
  /** Human-readable adapter, e.g. "google swiftshader (webgpu)". */
  readonly adapter: string;
  /** Measured milliseconds per step unit (a forward or backward layer) of the last step, or null (none yet, or CPU). */
  readonly lastMsPerUnit: number | null;
  /**
   * The kernels chosen by measurement on this adapter so far, one line per product shape class, e.g.
   * "forward 128×64×128 → registers 8×8 (tile 32×32), measured 4.1 ms (tiled 64×64 6.0 ms, …)"; measured marks the
   * ones measured in this process (others came from the store). Empty for the CPU backend.
   */
  kernelReport(): { line: string; measured: boolean }[];
  /**
   * The memory plan of a network on this backend, allocating nothing.
   * @throws LimitError naming the limit (a device limit, or the memory budget) with the numbers.
   */
  plan(shape: NetworkShape, memory: MemoryOptions): MemorySummary;
  /**
   * Load a problem: build (only when shapeKey changed) and draw the weights. Progress phases 'build' and 'init'.
   * @throws LimitError before any allocation if the network does not fit (the previous network stays loaded);
   *   CancelledError (no network loaded afterwards); any other error of a rebuild leaves no network loaded.
   */
  setProblem(problem: Problem, control?: RunControl): Promise<void>;
  /**
   * One step: forward, loss, backward, statistics of every layer, as segments with progress. With `update`
   * (training), each backward layer ends with the optimiser's update of W^[l] and b^[l] (problem.training; step t
   * counts the updating steps since setProblem); the statistics are those of the weights before the update. An
   * updating step is not stopped midway (it would leave the weights half-updated): its signal is checked before it
   * starts.
   * @throws Error if no problem is set, or `update` without problem.training; CancelledError if cancelled (the
   *   backend stays usable).
   */
  step(control?: RunControl, options?: StepOptions): Promise<StepResult>;
  /**
   * Replace the batch (x, targets, labels) of the loaded problem with another of the same m: the next minibatch.
   * @throws Error if no problem is set; RangeError if the batch's sizes differ from the problem's.
   */
  setBatch(batch: Batch): void;
  /**
   * The forward pass alone on the batch x of m examples (replacing the problem's x): ŷ = a^[L], row-major (n^[L], m).
   * Used to measure loss and accuracy on held-out data; no statistics, weights unchanged.
   * @param X row-major (n^[0], m)
   * @throws Error if no problem is set; RangeError if X is not n^[0]·m long; CancelledError.
   */
  predict(X: Float32Array<ArrayBuffer>, control?: RunControl): Promise<ArrayLike<number>>;
  /** W^[l] row-major (n^[l], n^[l-1]) and b^[l] (n^[l]), index l-1, as they are now. @throws Error if no problem is set. */
  readWeights(): Promise<{ W: ArrayLike<number>[]; b: ArrayLike<number>[] }>;
  /** Full tensors of the last step. @throws Error if no step has run or the problem was not loaded with keepAll. */
  readTensors(): Promise<Tensors>;
  /** Release device memory; the backend is unusable afterwards. */
  destroy(): void;
}
