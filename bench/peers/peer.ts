/**
 * What the peer bench asks of every contender — gradscope and each peer library — so that the runner times them
 * alike: a product C = A·B that can be repeated k times and read back, and a whole training step that returns
 * its loss J (read back, so the step is done).
 */
import type { NetData } from './nets';

/** One product C = A·B, A (M, K) and B (K, N) row-major, set up on the device. */
export interface MatmulRun {
  /** Compute the product k times; resolves once the device has finished all of them. */
  run(k: number): Promise<void>;
  /** Compute it once more and read C back, row-major (M, N). */
  read(): Promise<Float32Array>;
  dispose(): void;
}

/** One network set up on the device. */
export interface StepRun {
  /** One step; resolves with J, read back from the device, once the step (its every gradient) is done. */
  run(): Promise<number>;
  dispose(): void;
}

/** A peer library on the WebGPU adapter. */
export interface Peer {
  /** Short name, a table column: "tfjs", "jax-js". */
  readonly name: string;
  /** Name, version and backend, e.g. "@tensorflow/tfjs 4.22.0 (webgpu)". */
  readonly label: string;
  /** The adapter its device was made from, as vendor / architecture / device / description (what the library exposes). */
  readonly adapter: string;
  /** What its "step" is, for the table's note. */
  readonly stepIs: string;
  matmul(A: Float32Array, B: Float32Array, M: number, K: number, N: number): Promise<MatmulRun>;
  /** Forward, loss and backward (every dW, db) of the network; no statistics. */
  step(net: NetData): Promise<StepRun>;
  destroy(): void;
}

/** An adapter's info as one string (the fields WebGPU exposes, empty ones left out). */
export function adapterName(info: Partial<GPUAdapterInfo> | undefined | null): string {
  if (!info) return 'unknown adapter';
  return [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') || 'unknown adapter';
}

/** The exact version of a dev dependency, from package.json (installed with npm i -E). */
export async function devVersion(name: string): Promise<string> {
  const pkg = await import('../../package.json');
  return (pkg.devDependencies as Record<string, string>)[name] ?? '?';
}
