/**
 * The registry of optimisers: their names, the state each keeps per parameter, and the float64 reference of one
 * update (the CPU backend runs it; shaders/update.wgsl is its float32 twin). The formulas are PyTorch's
 * (torch.optim.SGD and torch.optim.Adam, documentation of version 1.13), so an exported experiment trains the same:
 *
 *   g ← g + λ·w                                       (weight_decay λ: L2, added to the gradient; biases too)
 *   sgd:       w ← w − η·g
 *   momentum:  v ← μ·v + g;  w ← w − η·v               (dampening 0, not Nesterov; v starts at 0, so v₁ = g₁)
 *   adam:      m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²
 *              w ← w − (η / (1 − β₁^t))·m / (√v / √(1 − β₂^t) + ε)     (Kingma & Ba 2015, Algorithm 1, ε outside √)
 * with t = 1, 2, … the step number.
 */

export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Per-parameter state tensors (as many as the parameter's elements each) an optimiser keeps. */
export const OPTIMIZER_STATE: { readonly [o in OptimizerName]: number } = { sgd: 0, momentum: 1, adam: 2 };

/** An optimiser and its hyperparameters (dimensionless). */
export interface OptimizerSpec {
  readonly optimizer: OptimizerName;
  /** η, the learning rate. */
  readonly lr: number;
  /** μ of momentum. */
  readonly momentum: number;
  /** β₁, β₂ and ε of Adam. */
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** λ, L2 weight decay added to the gradient (applied to W and b, as torch.optim does to every parameter). */
  readonly weightDecay: number;
}

/** The scalars of step t that every element of an update shares (computed in float64 on the host). */
export interface StepScalars {
  /** η for sgd and momentum; η / (1 − β₁^t) for adam. */
  readonly stepSize: number;
  /** √(1 − β₂^t) for adam, 1 otherwise. */
  readonly sqrtCorrection2: number;
}

/**
 * The shared scalars of step t (t ≥ 1) of `spec`, as torch.optim.Adam computes them (bias_correction1,
 * bias_correction2_sqrt).
 * @throws RangeError if t < 1.
 */
export function stepScalars(spec: OptimizerSpec, t: number): StepScalars {
  if (!(t >= 1)) throw new RangeError(`optimizer step t must be ≥ 1, got ${t}`);
  if (spec.optimizer !== 'adam') return { stepSize: spec.lr, sqrtCorrection2: 1 };
  return { stepSize: spec.lr / (1 - spec.beta1 ** t), sqrtCorrection2: Math.sqrt(1 - spec.beta2 ** t) };
}

/**
 * One update of a parameter tensor in place, float64 (the reference of shaders/update.wgsl).
 * @param w parameters (any layout: element-wise); @param g their gradient, same length
 * @param s1 momentum buffer or Adam's m (length of w; unused for sgd); @param s2 Adam's v
 * @param t step number, 1 for the first update
 * @param round applied after every operation: identity (float64), or Math.fround to follow float32 arithmetic
 *   operation by operation, as update.wgsl does (tests at float32's edges: g² overflowing, subnormals)
 */
export function updateReference(spec: OptimizerSpec, t: number, w: Float64Array | Float32Array, g: ArrayLike<number>,
  s1: Float64Array | Float32Array, s2: Float64Array | Float32Array, round: (x: number) => number = (x) => x): void {
  const { stepSize, sqrtCorrection2 } = stepScalars(spec, t);
  const r = round;
  const [eta, c2, mu, b1, b2, eps, wd] = [stepSize, sqrtCorrection2, spec.momentum, spec.beta1, spec.beta2, spec.eps, spec.weightDecay].map(r);
  const [ob1, ob2] = [1 - spec.beta1, 1 - spec.beta2].map(r);
  for (let i = 0; i < w.length; i++) {
    const gi = r(g[i] + r(wd * w[i]));
    if (spec.optimizer === 'sgd') {
      w[i] = r(w[i] - r(eta * gi));
    } else if (spec.optimizer === 'momentum') {
      s1[i] = r(r(mu * s1[i]) + gi);
      w[i] = r(w[i] - r(eta * s1[i]));
    } else {
      s1[i] = r(r(b1 * s1[i]) + r(ob1 * gi));
      s2[i] = r(r(b2 * s2[i]) + r(ob2 * r(gi * gi)));
      w[i] = r(w[i] - r(r(eta * s1[i]) / r(r(r(Math.sqrt(s2[i])) / c2) + eps)));
    }
  }
}
