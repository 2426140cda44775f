/**
 * From a RunConfig to a Problem: the weight spec (initialiser, parameters, seed; each backend draws the weights),
 * the batch and the memory options that every backend runs. The batch is rounded to float32 here, once, so the
 * float64 CPU reference and the float32 GPU engine start from identical inputs.
 */
import { optimizerOf, widthsOf, type RunConfig } from '../model/config';
import type { Batch, MemoryOptions, NetworkShape, Problem, WeightSpec } from '../model/network';
import { createRng } from '../model/rng';
import { loadDigits } from '../data/digits';

/** The network shape of a config: widths n^[0..L], batch m, activation, loss, range. */
export function shapeOf(cfg: RunConfig): NetworkShape {
  return { widths: widthsOf(cfg), m: cfg.batch, activation: cfg.activation, loss: cfg.loss, range: cfg.range };
}

/** The weights of a config: its initialiser and parameters, seed, bias and bias std. */
export function weightsOf(cfg: RunConfig): WeightSpec {
  const { gain, mean, std, low, high, value, mode, activation } = cfg;
  return { init: cfg.init, options: { gain, mean, std, low, high, value, mode, activation }, seed: cfg.seed, bias: cfg.bias, biasStd: cfg.biasStd };
}

/**
 * How a run may use memory: the config's budget (MiB); transient gradients in rings, checkpoints when needed; the
 * optimiser's state when the config trains (steps > 0).
 */
export function memoryOf(cfg: RunConfig, overrides: Partial<MemoryOptions> = {}): MemoryOptions {
  return { budgetBytes: cfg.memory * 2 ** 20, keepAll: false, checkpoint: 'auto', ...(cfg.steps > 0 ? { optimizer: cfg.optimizer } : {}), ...overrides };
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

/**
 * The whole problem of a config (memory options as memoryOf, with `memory` overriding them; the optimiser when the
 * config trains).
 */
export function makeProblem(cfg: RunConfig, memory: Partial<MemoryOptions> = {}): Problem {
  const shape = shapeOf(cfg);
  const training = cfg.steps > 0 ? { training: optimizerOf(cfg) } : {};
  return { shape, weights: weightsOf(cfg), batch: makeBatch(cfg, shape), memory: memoryOf(cfg, memory), ...training };
}
