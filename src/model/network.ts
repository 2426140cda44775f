/**
 * The model, in the lecture's notation (see README "The model").
 *
 * Layers l = 1..L. W^[l] has shape (n^[l], n^[l-1]) = (fan_out, fan_in), b^[l] has n^[l] entries.
 *   z^[l] = W^[l] a^[l-1] + b^[l],   a^[l] = g(z^[l]) for l < L,   a^[L] = ŷ = z^[L] (identity),
 *   a^[0] = x, a batch of m examples.
 *
 * Memory layout, everywhere (CPU and GPU): every matrix is stored ROW-MAJOR.
 *   W^[l]:           (n^[l], n^[l-1]), element (i, k) at i·n^[l-1] + k
 *   z^[l], a^[l]:    (n^[l], m),       element (i, j) at i·m + j  — row i is unit i, column j is example j
 *   dA, dZ:          same shapes as a, z;  dW like W;  b, db: (n^[l])
 */

import type { Activation } from './activations';
import type { LossName } from './losses';
import type { InitName } from './config';
import type { InitOptions } from './init';
import type { OptimizerName, OptimizerSpec } from './optimizers';

export { ACTIVATIONS, type Activation } from './activations';
export { LOSSES, type LossName } from './losses';

/** The names of the per-layer tensors whose statistics are reported, in report order. */
export type TensorName = 'z' | 'a' | 'dA' | 'dZ' | 'W' | 'dW';
export const TENSOR_NAMES: readonly TensorName[] = ['z', 'a', 'dA', 'dZ', 'W', 'dW'];

/**
 * How magnitudes are represented. float32: as a real float32 network computes (overflow to ∞, underflow to 0).
 * extended: every per-layer tensor carries a power-of-two scale chosen on the device, so magnitudes beyond float32's
 * range are represented (exact for identity and ReLU forward and for every backward pass; see README).
 */
export type Range = 'float32' | 'extended';
export const RANGES: readonly Range[] = ['float32', 'extended'];

/** Shape and kind of a network: everything that decides buffer sizes and kernels. */
export interface NetworkShape {
  /** n^[0..L]: widths[0] = input dimension n^[0], widths[L] = output dimension n^[L]; length L+1 ≥ 2. */
  readonly widths: readonly number[];
  /** Batch size m (examples per step). */
  readonly m: number;
  /** Hidden-layer activation g. */
  readonly activation: Activation;
  /** Loss J. */
  readonly loss: LossName;
  /** float32 or extended (power-of-two scales per tensor). */
  readonly range: Range;
}

/** How a backend may spend memory on a network. */
export interface MemoryOptions {
  /** Most bytes of device memory the network may use (the budget the plan is checked against). */
  readonly budgetBytes: number;
  /**
   * Keep every tensor of a step (dA, dZ, dW, db of every layer, z and a without recomputation), so that
   * readTensors can return them: for tests and exports. Otherwise transient gradients live in rings.
   */
  readonly keepAll: boolean;
  /** Recompute activations from checkpoints: 'auto' only when they do not fit the budget, 'always' (tests). */
  readonly checkpoint: 'auto' | 'always';
  /** The optimiser whose state (OPTIMIZER_STATE tensors per W^[l] and b^[l]) is planned: training; absent: none. */
  readonly optimizer?: OptimizerName;
  /** Histograms of every tensor and the dead / saturated units of every layer, reduced with the statistics. */
  readonly histograms?: boolean;
}

/** What the weights and biases are: an initialiser with its parameters and the seed (drawn by each backend). */
export interface WeightSpec {
  readonly init: InitName;
  readonly options: InitOptions;
  /** Seed of the counter-based generator (model/philox.ts): W^[l] element e is a function of (seed, l, e). */
  readonly seed: number;
  /** Constant value of every bias b^[l]; with biasStd > 0 their mean. */
  readonly bias: number;
  /**
   * Standard deviation of the biases (absent or 0: every b^[l]_i = bias): b^[l]_i = bias + biasStd·n_i with n_i
   * element i of the Philox stream (seed, l, BIASES).
   */
  readonly biasStd?: number;
  /**
   * Given values instead of drawn ones (finite-difference tests, re-running exported weights): W[l-1] row-major
   * (n^[l], n^[l-1]) and b[l-1] (n^[l]) for every layer; init, seed and bias are then ignored.
   */
  readonly values?: { readonly W: readonly Float32Array<ArrayBuffer>[]; readonly b: readonly Float32Array<ArrayBuffer>[] };
}

/** One batch of inputs and targets. */
export interface Batch {
  /** x = a^[0], row-major (n^[0], m). */
  readonly X: Float32Array<ArrayBuffer>;
  /** Targets for `mse`, row-major (n^[L], m): one-hot labels for digits, zeros otherwise. */
  readonly Y: Float32Array<ArrayBuffer>;
  /** Class index in 0..n^[L]-1 of each example, length m (used by `softmax-xent`). */
  readonly labels: Uint32Array<ArrayBuffer>;
}

/** A complete problem: what a backend needs to run forward + backward steps. */
export interface Problem {
  readonly shape: NetworkShape;
  readonly weights: WeightSpec;
  readonly batch: Batch;
  readonly memory: MemoryOptions;
  /** Training: the optimiser of step(control, { update: true }); memory.optimizer must name the same. */
  readonly training?: OptimizerSpec;
}

/** Identity of everything that forces a rebuild (buffers, pipelines) when it changes. */
export function shapeKey(shape: NetworkShape, memory: MemoryOptions): string {
  return `${shape.widths.join(',')}|m=${shape.m}|${shape.activation}|${shape.loss}|${shape.range}`
    + `|${memory.budgetBytes}|${memory.keepAll}|${memory.checkpoint}|${memory.optimizer ?? 'none'}|${memory.histograms === true}`;
}
