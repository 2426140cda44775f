/**
 * The interface every backend implements: the float64 CPU reference (backends/cpu) and the WebGPU engine
 * (backends/webgpu). A backend holds one network at a time; `setProblem` rebuilds only when the shape changes.
 */
import type { BackendName } from '../model/config';
import type { NetworkShape, Problem } from '../model/network';
import type { StepResult } from '../model/result';

/** A network too large for a device limit; thrown before anything is allocated. */
export class LimitError extends Error {
  override name = 'LimitError';
  /**
   * @param limit the limit's name, e.g. "maxBufferSize"
   * @param needed bytes (or count) the network needs; @param allowed the device's value
   */
  constructor(readonly limit: string, readonly needed: number, readonly allowed: number, what: string) {
    super(`network too large: ${what} needs ${needed.toLocaleString('en-US')} but the device limit ${limit} is ${allowed.toLocaleString('en-US')}`);
  }
}

/** Full tensors of the last step (for tests), index l-1 for layer l unless noted. */
export interface Tensors {
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
  /**
   * Check a shape against this backend's limits without allocating anything (call it before building the
   * weights of a large network). @throws LimitError naming the limit.
   */
  checkLimits(shape: NetworkShape): void;
  /**
   * Load a problem. Same shape as before (shapeKey): only the weights and the batch are re-uploaded;
   * otherwise every buffer, pipeline and bind group is rebuilt.
   * @throws LimitError naming the device limit, before any allocation, if the network does not fit (the previous
   *   network stays loaded); any other error of a rebuild leaves no network loaded.
   */
  setProblem(problem: Problem): Promise<void>;
  /** One step: forward, loss, backward, statistics of every layer. @throws Error if no problem is set. */
  step(): Promise<StepResult>;
  /** Full tensors of the last step. @throws Error if no step has run. */
  readTensors(): Promise<Tensors>;
  /** Release device memory; the backend is unusable afterwards. */
  destroy(): void;
}
