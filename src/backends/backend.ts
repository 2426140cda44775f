/**
 * The interface every backend implements: the float64 CPU reference (backends/cpu) and the WebGPU engine
 * (backends/webgpu). A backend holds one network at a time; `setProblem` rebuilds only when the shape changes.
 * A step is a sequence of segments (forward layers, loss, backward layers, statistics); a backend reports
 * progress between segments and stops at the next segment boundary when its AbortSignal fires.
 */
import type { BackendName } from '../model/config';
import type { MemoryOptions, NetworkShape, Problem } from '../model/network';
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

/** What a backend is doing: building, drawing the weights, or a phase of a step, with layers done of total. */
export type Phase = 'build' | 'init' | 'forward' | 'loss' | 'backward' | 'stats';

export interface Progress {
  phase: Phase;
  /** The layer the phase reached (0 for the loss and the statistics). */
  layer: number;
  /** Units of work done and in all: layers of the phase (build, init) or of the step (2L + 1 for forward, loss, backward). */
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
   * One step: forward, loss, backward, statistics of every layer, as segments with progress.
   * @throws Error if no problem is set; CancelledError if cancelled (the backend stays usable).
   */
  step(control?: RunControl): Promise<StepResult>;
  /** Full tensors of the last step. @throws Error if no step has run or the problem was not loaded with keepAll. */
  readTensors(): Promise<Tensors>;
  /** Release device memory; the backend is unusable afterwards. */
  destroy(): void;
}
