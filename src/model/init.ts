/**
 * Weight initialisers, named and parameterised as PyTorch's torch.nn.init so users recognise them.
 * All return W^[l] ROW-MAJOR with shape (fan_out, fan_in) = (n^[l], n^[l-1]), in float64; the caller rounds
 * to float32 so that every backend sees the same numbers.
 */
import { ACTIVATION_SPECS, type Activation } from './activations';
import type { InitName, RunConfig } from './config';
import { fillNormal, fillUniform, normalAt, PURPOSE, uniformAt } from './philox';
import type { Rng } from './rng';
import type { WeightSpec } from './network';

/**
 * Options of an initialiser (the fields of RunConfig); each initialiser uses only its own (see {@link initWeights}).
 * gain null = default: calculateGain(activation) for kaiming_*, else 1; activation is the network's hidden
 * activation g, used for every layer including the output layer (as calling kaiming_normal_(w, nonlinearity=g) on
 * each layer in PyTorch).
 */
export type InitOptions = Pick<RunConfig, 'gain' | 'mean' | 'std' | 'low' | 'high' | 'value' | 'mode' | 'activation'>;

/** The init parameters (RunConfig fields) of all initialisers. */
export const INIT_PARAM_FIELDS = ['gain', 'mean', 'std', 'low', 'high', 'value', 'mode'] as const;
export type InitParamField = (typeof INIT_PARAM_FIELDS)[number];

/** Which init parameters each initialiser reads (see {@link initWeights}). */
export const INIT_PARAMS: Readonly<Record<InitName, readonly InitParamField[]>> = {
  zeros: [],
  constant: ['value'],
  identity: ['gain'],
  normal: ['mean', 'std'],
  uniform: ['low', 'high'],
  orthogonal: ['gain'],
  xavier_normal: ['gain'],
  xavier_uniform: ['gain'],
  kaiming_normal: ['gain', 'mode'],
  kaiming_uniform: ['gain', 'mode'],
  lecun_normal: ['gain'],
  lecun_uniform: ['gain'],
};

/**
 * How the lecture and the papers name each initialiser, and its variance: shown next to the PyTorch names in the
 * GUI's list (label and tooltip). He et al. (2015) = kaiming_*, Glorot & Bengio (2010) = xavier_*, LeCun = lecun_*.
 */
export const INIT_ALSO_KNOWN_AS: Readonly<Partial<Record<InitName, { name: string; variance: string }>>> = {
  xavier_normal: { name: 'Glorot', variance: 'N(0, gain²·2/(fan_in + fan_out)), Glorot & Bengio 2010' },
  xavier_uniform: { name: 'Glorot', variance: 'U with Var = gain²·2/(fan_in + fan_out), Glorot & Bengio 2010' },
  kaiming_normal: { name: 'He', variance: 'N(0, gain²/fan), He et al. 2015 (gain √2 for ReLU)' },
  kaiming_uniform: { name: 'He', variance: 'U with Var = gain²/fan, He et al. 2015' },
  lecun_normal: { name: 'LeCun', variance: 'N(0, gain²/fan_in), LeCun et al. 1998' },
  lecun_uniform: { name: 'LeCun', variance: 'U with Var = gain²/fan_in, LeCun et al. 1998' },
  orthogonal: { name: 'Saxe', variance: 'gain·Q, Q orthogonal, Saxe et al. 2014' },
};

/**
 * Init parameters given explicitly in `raw` that `init` does not read (e.g. --std with kaiming_normal):
 * not an error, but worth a notice. @returns the field names, in INIT_PARAM_FIELDS order.
 */
export function unusedInitParams(init: InitName, raw: Partial<Record<InitParamField, unknown>>): InitParamField[] {
  return INIT_PARAM_FIELDS.filter((f) => raw[f] !== undefined && !INIT_PARAMS[init].includes(f));
}

/**
 * Recommended gain for a nonlinearity, as torch.nn.init.calculate_gain:
 * identity (linear) 1, relu √2 (He et al. 2015, eq. 10), tanh 5/3.
 */
export function calculateGain(nonlinearity: Activation): number {
  return ACTIVATION_SPECS[nonlinearity].gain;
}

/** The gain an initialiser uses: `gain` if given, else calculateGain(activation) for kaiming_*, else 1. */
export function effectiveGain(name: InitName, gain: number | null, activation: Activation): number {
  return gain ?? (name.startsWith('kaiming') ? calculateGain(activation) : 1);
}

/**
 * Standard deviation (normal variants) or bound (uniform variants, U(−bound, bound)) of the
 * variance-scaling initialisers:
 * - xavier (Glorot & Bengio 2010, eq. 12/16): Var(w) = gain²·2/(fan_in + fan_out); bound = gain·√(6/(fan_in+fan_out)).
 * - kaiming (He et al. 2015, eq. 10 with mode fan_in, eq. 14 with fan_out): Var(w) = gain²/fan; bound = gain·√(3/fan).
 * - lecun (LeCun et al. 1998, "Efficient BackProp", §4.6): Var(w) = gain²/fan_in; bound = gain·√(3/fan_in).
 * A uniform U(−c, c) has variance c²/3, hence the √3.
 * @returns std (for *_normal) or bound (for *_uniform); throws RangeError for other names.
 */
export function varianceScale(name: InitName, fanIn: number, fanOut: number, opts: Pick<InitOptions, 'gain' | 'mode' | 'activation'>): number {
  const gain = effectiveGain(name, opts.gain, opts.activation);
  let variance: number;
  if (name.startsWith('xavier')) variance = (gain * gain * 2) / (fanIn + fanOut);
  else if (name.startsWith('kaiming')) variance = (gain * gain) / (opts.mode === 'fan_in' ? fanIn : fanOut);
  else if (name.startsWith('lecun')) variance = (gain * gain) / fanIn;
  else throw new RangeError(`varianceScale: ${name} is not a variance-scaling initialiser`);
  return name.endsWith('_uniform') ? Math.sqrt(3 * variance) : Math.sqrt(variance);
}

/**
 * Orthogonal matrix times gain, as torch.nn.init.orthogonal_ (Saxe et al. 2014, "Exact solutions to the
 * nonlinear dynamics of learning in deep linear networks"): QR of a (max, min) Gaussian matrix, Q's columns
 * multiplied by sign(diag R), transposed back when fan_out < fan_in. QR by modified Gram–Schmidt applied
 * twice ("twice is enough", Giraud et al. 2005), which yields diag R > 0, i.e. already the sign fix.
 * @returns row-major (fanOut, fanIn); rows orthonormal·gain if fanOut ≤ fanIn, else columns.
 */
export function orthogonal(fanOut: number, fanIn: number, gain: number, rng: Rng): Float64Array {
  const rows = Math.max(fanOut, fanIn);
  const cols = Math.min(fanOut, fanIn);
  // q: column-major (rows, cols): column c at c·rows.
  const q = new Float64Array(rows * cols);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let c = 0; c < cols; c++) {
    const v = q.subarray(c * rows, (c + 1) * rows);
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < c; p++) {
        const u = q.subarray(p * rows, (p + 1) * rows);
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += u[i] * v[i];
        for (let i = 0; i < rows; i++) v[i] -= dot * u[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < rows; i++) v[i] /= norm;
  }
  const w = new Float64Array(fanOut * fanIn);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      const val = gain * q[c * rows + r];
      // fanOut ≥ fanIn: W (rows, cols) = Q; else W = Qᵀ, shape (cols, rows).
      if (fanOut >= fanIn) w[r * fanIn + c] = val;
      else w[c * fanIn + r] = val;
    }
  }
  return w;
}

/**
 * How W^[l] is drawn: one of the four elementwise forms that both backends compute from the Philox stream of
 * (seed, layer, WEIGHTS) element by element (the GPU in shaders/init.wgsl, the host in {@link initWeights}), or the
 * orthogonal initialiser, which needs a QR and is drawn on the host.
 *   normal: a + b·n_e (mean a, std b);  uniform: a + (b − a)·u_e (low a, high b);  constant a;
 *   identity: a on the main diagonal of the (fanOut, fanIn) matrix.
 */
export type LayerDraw =
  | { kind: 'normal' | 'uniform'; a: number; b: number }
  | { kind: 'constant' | 'identity'; a: number }
  | { kind: 'orthogonal'; gain: number };

/**
 * The draw of an initialiser for a layer of shape (fanOut, fanIn), as torch.nn.init defines it: zeros and constant
 * are constants; normal(mean, std), uniform(low, high); xavier_*, kaiming_*, lecun_* are normal(0, σ) or
 * uniform(−c, c) with σ and c from {@link varianceScale}; identity(gain) = gain·I (rectangular: ones on the main
 * diagonal, as torch.nn.init.eye_); orthogonal(gain) (see {@link orthogonal}).
 */
export function layerDraw(name: InitName, fanOut: number, fanIn: number, opts: InitOptions): LayerDraw {
  const gain = effectiveGain(name, opts.gain, opts.activation);
  switch (name) {
    case 'zeros': return { kind: 'constant', a: 0 };
    case 'constant': return { kind: 'constant', a: opts.value };
    case 'identity': return { kind: 'identity', a: gain };
    case 'normal': return { kind: 'normal', a: opts.mean, b: opts.std };
    case 'uniform': return { kind: 'uniform', a: opts.low, b: opts.high };
    case 'orthogonal': return { kind: 'orthogonal', gain };
    case 'xavier_normal': case 'kaiming_normal': case 'lecun_normal':
      return { kind: 'normal', a: 0, b: varianceScale(name, fanIn, fanOut, opts) };
    case 'xavier_uniform': case 'kaiming_uniform': case 'lecun_uniform': {
      const c = varianceScale(name, fanIn, fanOut, opts);
      return { kind: 'uniform', a: -c, b: c };
    }
  }
}

/** Sequential N(0, 1) variates of a Philox stream (element 0, 1, 2, …), as the Rng the QR of orthogonal reads. */
function philoxNormals(seed: number, layer: number, purpose: number): Rng {
  let e = 0;
  return { uniform: () => uniformAt(seed, layer, purpose, e++), normal: () => normalAt(seed, layer, purpose, e++) };
}

/**
 * W^[l] of an initialiser, in float64: the reference of both backends. Element e of the row-major (fanOut, fanIn)
 * matrix comes from element e of the Philox stream (seed, l, WEIGHTS) (model/philox.ts), as on the GPU; orthogonal
 * reads its Gaussian matrix from the stream (seed, l, ORTHOGONAL).
 * @param fanOut n^[l]; @param fanIn n^[l-1]; @param layer l (the stream), ≥ 1
 * @returns Float64Array, row-major (fanOut, fanIn).
 */
export function initWeights(name: InitName, fanOut: number, fanIn: number, opts: InitOptions, seed: number, layer: number): Float64Array {
  const d = layerDraw(name, fanOut, fanIn, opts);
  const w = new Float64Array(fanOut * fanIn);
  switch (d.kind) {
    case 'constant': return w.fill(d.a);
    case 'identity':
      for (let i = 0; i < Math.min(fanOut, fanIn); i++) w[i * fanIn + i] = d.a;
      return w;
    case 'orthogonal': return orthogonal(fanOut, fanIn, d.gain, philoxNormals(seed, layer, PURPOSE.ORTHOGONAL));
    case 'normal':
      fillNormal(w, seed, layer, PURPOSE.WEIGHTS);
      for (let i = 0; i < w.length; i++) w[i] = d.a + d.b * w[i];
      return w;
    case 'uniform':
      fillUniform(w, seed, layer, PURPOSE.WEIGHTS);
      for (let i = 0; i < w.length; i++) w[i] = d.a + (d.b - d.a) * w[i];
      return w;
  }
}

/**
 * b^[l] of a weight spec in float64, before rounding: the constant bias, or with biasStd > 0 b_i = bias + biasStd·n_i,
 * n_i element i of the Philox stream (seed, l, BIASES) (the GPU draws the same elements in shaders/init.wgsl, kind
 * normal with mean bias and std biasStd).
 * @param fanOut n^[l]; @param layer l ≥ 1
 */
export function initBiases(spec: Pick<WeightSpec, 'bias' | 'biasStd' | 'seed'>, fanOut: number, layer: number): Float64Array {
  const b = new Float64Array(fanOut);
  const std = spec.biasStd ?? 0;
  if (std === 0) return b.fill(spec.bias);
  fillNormal(b, spec.seed, layer, PURPOSE.BIASES);
  for (let i = 0; i < b.length; i++) b[i] = spec.bias + std * b[i];
  return b;
}

/**
 * A value whose float32 magnitude bounds every |b^[l]_i| of a spec (for the extended range's bias exponent): the
 * bias itself when biasStd is 0 (unchanged behaviour), else |bias| + 6·biasStd (Box–Muller normals satisfy
 * |n| ≤ √(−2 ln 2^-24) ≈ 5.77, model/philox.ts).
 */
export function biasBound(spec: Pick<WeightSpec, 'bias' | 'biasStd'>): number {
  const std = spec.biasStd ?? 0;
  return std === 0 ? spec.bias : Math.abs(spec.bias) + 6 * std;
}

/**
 * W^[l] and b^[l] of a weight spec, drawn on the host (the CPU backend, and the WebGPU backend for initialisers it
 * does not draw on the device): W from {@link initWeights}, b^[l] from {@link initBiases}; rounded to float32. Given
 * values (spec.values) are returned as they are.
 * @returns W row-major (fanOut, fanIn) and b (fanOut).
 * @throws RangeError if given values have the wrong sizes.
 */
export function hostLayer(spec: WeightSpec, l: number, fanOut: number, fanIn: number): { W: Float32Array<ArrayBuffer>; b: Float32Array<ArrayBuffer> } {
  if (spec.values) {
    const W = spec.values.W[l - 1], b = spec.values.b[l - 1];
    if (W?.length !== fanOut * fanIn || b?.length !== fanOut) throw new RangeError(`weights of layer ${l}: W needs ${fanOut}×${fanIn}, b ${fanOut} values`);
    return { W, b };
  }
  return {
    W: Float32Array.from(initWeights(spec.init, fanOut, fanIn, spec.options, spec.seed, l)),
    b: Float32Array.from(initBiases(spec, fanOut, l)),
  };
}
