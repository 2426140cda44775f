/**
 * From a RunConfig to a Problem: the seeded weights, biases and batch that every backend runs.
 * All numbers are rounded to float32 here, once, so the float64 CPU reference and the float32 GPU
 * engine start from identical values.
 */
import { widthsOf, type RunConfig } from '../model/config';
import { initWeights } from '../model/init';
import type { Batch, NetworkParams, NetworkShape, Problem } from '../model/network';
import { createRng } from '../model/rng';
import { loadDigits } from '../data/digits';

/** The network shape of a config: widths n^[0..L], batch m, activation, loss. */
export function shapeOf(cfg: RunConfig): NetworkShape {
  return { widths: widthsOf(cfg), m: cfg.batch, activation: cfg.activation, loss: cfg.loss };
}

/**
 * W^[l] from stream "W/l" of the seed, b^[l] = cfg.bias; float32.
 * @returns W[l-1] row-major (n^[l], n^[l-1]), b[l-1] length n^[l].
 */
export function makeParams(cfg: RunConfig, shape: NetworkShape): NetworkParams {
  const W: Float32Array<ArrayBuffer>[] = [];
  const b: Float32Array<ArrayBuffer>[] = [];
  for (let l = 1; l < shape.widths.length; l++) {
    const fanIn = shape.widths[l - 1], fanOut = shape.widths[l];
    W.push(Float32Array.from(initWeights(cfg.init, fanOut, fanIn, cfg, createRng(cfg.seed, `W/${l}`))));
    b.push(new Float32Array(fanOut).fill(cfg.bias));
  }
  return { W, b };
}

/**
 * The batch of m examples, from stream "batch" of the seed:
 * - digits: m distinct examples drawn without replacement (partial Fisher–Yates), standardised features,
 *   one-hot targets, the digit as label;
 * - gaussian: N(0, 1) features, zero targets, labels uniform in 0..n^[L]-1;
 * - ones: all features 1, zero targets, labels uniform in 0..n^[L]-1.
 * @returns X row-major (n^[0], m), Y row-major (n^[L], m), labels (m).
 */
export function makeBatch(cfg: RunConfig, shape: NetworkShape): Batch {
  const m = shape.m, n0 = shape.widths[0], nL = shape.widths[shape.widths.length - 1];
  const rng = createRng(cfg.seed, 'batch');
  const X = new Float32Array(n0 * m);
  const Y = new Float32Array(nL * m);
  const labels = new Uint32Array(m);
  if (cfg.input === 'digits') {
    const digits = loadDigits();
    const order = Array.from({ length: digits.examples }, (_, i) => i);
    for (let j = 0; j < m; j++) {
      const k = j + Math.floor(rng.uniform() * (digits.examples - j));
      [order[j], order[k]] = [order[k], order[j]];
      const e = order[j];
      for (let i = 0; i < n0; i++) X[i * m + j] = digits.features[e * n0 + i];
      labels[j] = digits.labels[e];
      if (labels[j] < nL) Y[labels[j] * m + j] = 1;
    }
    return { X, Y, labels };
  }
  for (let i = 0; i < X.length; i++) X[i] = cfg.input === 'ones' ? 1 : rng.normal();
  for (let j = 0; j < m; j++) labels[j] = Math.floor(rng.uniform() * nL);
  return { X, Y, labels };
}

/** The whole problem of a config. */
export function makeProblem(cfg: RunConfig): Problem {
  const shape = shapeOf(cfg);
  return { shape, params: makeParams(cfg, shape), batch: makeBatch(cfg, shape) };
}
