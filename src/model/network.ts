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

/** Activation g of the hidden layers. The output layer is always identity. */
export type Activation = 'identity' | 'relu' | 'tanh';
export const ACTIVATIONS: readonly Activation[] = ['identity', 'relu', 'tanh'];

/** Loss J, averaged over the m examples of the batch. */
export type LossName = 'sum' | 'mse' | 'softmax-xent';
export const LOSSES: readonly LossName[] = ['sum', 'mse', 'softmax-xent'];

/** The names of the per-layer tensors whose statistics are reported, in report order. */
export type TensorName = 'z' | 'a' | 'dA' | 'dZ' | 'W' | 'dW';
export const TENSOR_NAMES: readonly TensorName[] = ['z', 'a', 'dA', 'dZ', 'W', 'dW'];

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
}

/** Parameters of every layer, index l-1 for layer l. Values are float32-representable. */
export interface NetworkParams {
  /** W^[l], row-major (n^[l], n^[l-1]). */
  readonly W: readonly Float32Array<ArrayBuffer>[];
  /** b^[l], length n^[l]. */
  readonly b: readonly Float32Array<ArrayBuffer>[];
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

/** A complete problem: what a backend needs to run one forward + backward step. */
export interface Problem {
  readonly shape: NetworkShape;
  readonly params: NetworkParams;
  readonly batch: Batch;
}

/** Identity of everything that forces a rebuild (buffers, pipelines) when it changes. */
export function shapeKey(shape: NetworkShape): string {
  return `${shape.widths.join(',')}|m=${shape.m}|${shape.activation}|${shape.loss}`;
}
