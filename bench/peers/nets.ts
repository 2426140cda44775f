/**
 * The networks of the whole-step comparison, and the data every contender runs on them: the same weights (drawn on
 * the host by model/init.ts hostLayer — what the float64 CPU reference uses; gradscope draws the same streams on
 * the device) and the same batch (session/problem.ts makeBatch).
 */
import { resolveConfig, type RawConfig, type RunConfig } from '../../src/model/config';
import { hostLayer } from '../../src/model/init';
import type { Activation, LossName } from '../../src/model/network';
import { makeBatch, shapeOf, weightsOf } from '../../src/session/problem';

export interface BenchNet {
  /** Row name in the table. */
  readonly name: string;
  readonly raw: RawConfig;
}

/** The four networks: the default preset, the closed-form case, a deep narrow and a wide one. */
export const BENCH_NETS: readonly BenchNet[] = [
  { name: 'relu-he', raw: { preset: 'relu-he' } },
  { name: 'seed-explode', raw: { preset: 'seed-explode' } },
  {
    name: 'deep-narrow',
    raw: { depth: 2000, width: 8, batch: 8, input: 'gaussian', inputDim: 8, outputDim: 8, activation: 'tanh', init: 'orthogonal', loss: 'softmax-xent' },
  },
  {
    name: 'wide',
    raw: { depth: 16, width: 1024, batch: 128, input: 'gaussian', inputDim: 1024, outputDim: 1024, activation: 'relu', init: 'kaiming_normal', loss: 'softmax-xent' },
  },
];

/** A network as the peers build it: widths n^[0..L], batch m, hidden activation g, loss, weights and batch. */
export interface NetData {
  readonly widths: readonly number[];
  readonly m: number;
  readonly activation: Activation;
  readonly loss: LossName;
  /** W^[l] row-major (n^[l], n^[l-1]) at index l-1. */
  readonly W: readonly Float32Array[];
  /** b^[l] (n^[l]) at index l-1. */
  readonly b: readonly Float32Array[];
  /** x = a^[0], row-major (n^[0], m). */
  readonly X: Float32Array;
  /** Targets (mse), row-major (n^[L], m). */
  readonly Y: Float32Array;
  /** One-hot labels (softmax-xent), row-major (n^[L], m). */
  readonly onehot: Float32Array;
}

export function netConfig(net: BenchNet): RunConfig {
  return resolveConfig(net.raw);
}

/** The peers' copy of a network: weights from hostLayer, the batch from makeBatch. */
export function netData(cfg: RunConfig): NetData {
  const shape = shapeOf(cfg);
  const n = shape.widths, L = n.length - 1, m = shape.m;
  const spec = weightsOf(cfg);
  const W: Float32Array[] = [], b: Float32Array[] = [];
  for (let l = 1; l <= L; l++) {
    const layer = hostLayer(spec, l, n[l], n[l - 1]);
    W.push(layer.W);
    b.push(layer.b);
  }
  const batch = makeBatch(cfg, shape);
  const onehot = new Float32Array(n[L] * m);
  batch.labels.forEach((c, j) => { onehot[c * m + j] = 1; });
  return { widths: n, m, activation: shape.activation, loss: shape.loss, W, b, X: batch.X, Y: batch.Y, onehot };
}

/**
 * Floating-point operations of the products of one step: forward z = W a (2·n^[l]·n^[l-1]·m per layer), backward
 * dW = dZ aᵀ (the same) and dA = Wᵀ dZ (the same, for l ≥ 2). Elementwise work, the loss and the statistics are
 * not counted.
 */
export function stepFlops(widths: readonly number[], m: number): number {
  let flops = 0;
  for (let l = 1; l < widths.length; l++) flops += 2 * widths[l] * widths[l - 1] * m * (l > 1 ? 3 : 2);
  return flops;
}

/** "L = 50, n = 128, m = 64" (n: the hidden width; the input and output widths when they differ). */
export function describeNet(cfg: RunConfig): string {
  const n = shapeOf(cfg).widths;
  const ends = n[0] !== cfg.width || n[n.length - 1] !== cfg.width ? ` (${n[0]}→…→${n[n.length - 1]})` : '';
  return `L = ${cfg.depth.toLocaleString('en-US')}, n = ${cfg.width}${ends}, m = ${cfg.batch}, ${cfg.activation}, ${cfg.loss}`;
}
