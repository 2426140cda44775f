/**
 * The kernel variants of the engine: which shader, which defines, which bindings (in binding order).
 * Only specialisation (activation, transposes, loss) is part of a variant; shapes travel in parameter slots.
 * The activation and loss variants come from the registries (model/activations.ts, model/losses.ts) through maps
 * typed over every entry: a new activation or loss without its WGSL define does not compile.
 */
import type { Activation } from '../../model/activations';
import type { LossName } from '../../model/losses';
import type { OptimizerName } from '../../model/optimizers';
import type { Defines, ShaderName } from './shader-source';

/** How a binding is used: storage read-only, storage read-write, or uniform. */
export type BindingUse = 'read' | 'write' | 'uniform';

/** A binding as a variant lists it: a use, or 'scales' (the extended range's buffer: read-write, whole, static). */
type UseOrScales = BindingUse | 'scales';

export interface BindingSpec {
  readonly use: BindingUse;
  /**
   * Bound with a dynamic offset: the per-layer kernels' tensors (one bind group for all layers of a page) and every
   * parameter slot.
   */
  readonly dynamic: boolean;
}

export interface KernelVariant {
  /** Label and cache key, e.g. "matmul[TRANS_B]" or "matmul_regs[BIAS]{WG_X=8,WG_Y=8}". */
  readonly key: string;
  readonly shader: ShaderName;
  readonly defines: Defines;
  /** Values of the shader's override constants (sizes WGSL can express), set when the pipeline is made. */
  readonly constants: Readonly<Record<string, number>>;
  /** Binding i of group 0 is bindings[i]. */
  readonly bindings: readonly BindingSpec[];
}

/**
 * @param uses binding uses in order; uniforms are always dynamic (parameter slots)
 * @param perLayer storage bindings bound with dynamic offsets (kernels run once per layer)
 */
function variant(shader: ShaderName, defines: Defines, uses: readonly UseOrScales[], perLayer: boolean, constants: Record<string, number> = {}): KernelVariant {
  const on = Object.keys(defines).filter((k) => defines[k]).sort();
  const bindings = uses.map((use): BindingSpec => (use === 'scales' ? { use: 'write', dynamic: false } : { use, dynamic: use === 'uniform' || perLayer }));
  const c = Object.keys(constants).sort().map((k) => `${k}=${constants[k]}`);
  return { key: `${shader}[${on.join(',')}]${c.length > 0 ? `{${c.join(',')}}` : ''}`, shader, defines, bindings, constants };
}

/** The WGSL define of each activation (activation.wgsl): every registry entry must have one. */
const ACTIVATION_DEFINES: { readonly [g in Activation]: Defines } = {
  identity: { RELU: false, TANH: false },
  relu: { RELU: true, TANH: false },
  tanh: { RELU: false, TANH: true },
};

/** The WGSL defines of each loss (loss.wgsl): every registry entry must have one. */
const LOSS_DEFINES: { readonly [l in LossName]: Defines } = {
  sum: { SUM: true, MSE: false },
  mse: { SUM: false, MSE: true },
  'softmax-xent': { SUM: false, MSE: false },
};

/** The scales binding of the extended range (scales.wgsl): read_write storage, whole buffer. */
const scalesUse = (extended: boolean): UseOrScales[] => (extended ? ['scales'] : []);
/** The state bindings of each optimiser's update: every registry entry must have one. */
const UPDATE_STATE: { readonly [o in OptimizerName]: readonly BindingUse[] } = { sgd: [], momentum: ['write'], adam: ['write', 'write'] };

export const kernels = {
  /**
   * C = op(A)·op(B) (+bias); bindings A, B, C, params{M,N,K,layer}, [bias], [scales].
   * @param extended the extended range's variant (scales.wgsl)
   */
  matmul: (transA: boolean, transB: boolean, bias: boolean, extended = false): KernelVariant =>
    variant('matmul', { TRANS_A: transA, TRANS_B: transB, BIAS: bias, EXTENDED: extended },
      [...(bias ? ['read', 'read', 'write', 'uniform', 'read'] as const : ['read', 'read', 'write', 'uniform'] as const), ...scalesUse(extended)], true),
  /** a = g(z); bindings z (read_write when extended: normalised in place), a, params{count,layer}, [scales]. */
  activationForward: (g: Activation, extended = false): KernelVariant =>
    variant('activation', { ...ACTIVATION_DEFINES[g], FORWARD: true, EXTENDED: extended, SCALE_PASS: false },
      [extended ? 'write' : 'read', 'write', 'uniform', ...scalesUse(extended)], true),
  /**
   * dZ = dA ⊙ g'(z); bindings z, dA, dZ, params{count,layer}, [scales]. scalePass: the extended range's first pass
   * of tanh (the max exponent of dA·sech²(z); writes no dZ).
   */
  activationBackward: (g: Activation, extended = false, scalePass = false): KernelVariant =>
    variant('activation', { ...ACTIVATION_DEFINES[g], FORWARD: false, EXTENDED: extended, SCALE_PASS: scalePass },
      ['read', 'read', 'write', 'uniform', ...scalesUse(extended)], true),
  /**
   * The barrier-free product (matmul_regs.wgsl) with a workgroup of wg = [WG_X, WG_Y] threads, each a 4×4 block;
   * fused epilogues: `act` (forward, with bias: also a = g(z)), `db` (dW: also the bias gradient). Bindings A, B, C,
   * params {M, N, K, layer, element offsets}, [bias | db], [a] — whole pages, offsets in the params.
   */
  matmulRegs: (transA: boolean, transB: boolean, bias: boolean, act: Activation | null, db: boolean, wg: readonly [number, number], extended = false): KernelVariant =>
    variant('matmul_regs', { TRANS_A: transA, TRANS_B: transB, BIAS: bias, DB: db, ACT: act !== null, ...ACTIVATION_DEFINES[act ?? 'identity'], EXTENDED: extended },
      ['read', 'read', 'write', 'uniform', ...(bias ? ['read'] as const : db ? ['write'] as const : []), ...(act !== null ? ['write'] as const : []), ...scalesUse(extended)],
      false, { WG_X: wg[0], WG_Y: wg[1] }),
  /** db = row sums of dZ; bindings dZ, db, params{n,m}. */
  biasGrad: (): KernelVariant => variant('bias_grad', {}, ['read', 'write', 'uniform'], true),
  /** loss and dŷ; bindings ŷ, y, labels, dŷ, loss, params{nL,m,L}, [scales]. */
  loss: (loss: LossName, extended = false): KernelVariant =>
    variant('loss', { ...LOSS_DEFINES[loss], EXTENDED: extended }, ['read', 'read', 'read', 'write', 'write', 'uniform', ...scalesUse(extended)], false),
  /** Statistics pass 1 (moments), partial; bindings data, work, moments, params{first,count,results}. */
  statsPartial: (): KernelVariant => variant('stats', { MERGE: false, PASS2: false }, ['read', 'read', 'write', 'uniform'], false),
  /** Statistics pass 2 (centred sums), partial; bindings data, work, moments, centred, params. */
  statsCentred: (): KernelVariant => variant('stats', { MERGE: false, PASS2: true }, ['read', 'read', 'read', 'write', 'uniform'], false),
  /** Statistics merge of pass 1 (pass2 false) or pass 2 records; bindings merge items, records, params. */
  statsMerge: (pass2: boolean): KernelVariant => variant('stats', { MERGE: true, PASS2: pass2 }, ['read', 'write', 'uniform'], false),
  /** Histograms of a reduction's tensors (after pass 1's merges); bindings data, work, moments, hist, params{first,count}. */
  histogram: (): KernelVariant => variant('histogram', { UNITS: false }, ['read', 'read', 'read', 'write', 'uniform'], false),
  /** Dead and saturated units of a^[l]; bindings a, units, params{n,m,slot}. */
  units: (): KernelVariant => variant('histogram', { UNITS: true }, ['read', 'write', 'uniform'], true),
  /** Fill a region of W from the Philox streams (normal, uniform, constant, identity); bindings W, params (init-params.ts). */
  init: (): KernelVariant => variant('init', {}, ['write', 'uniform'], true),
  /**
   * One optimiser step of W^[l] or b^[l] in place (update.wgsl); bindings w, g, params{count}, hyper (uniform),
   * then the optimiser's state tensors (OPTIMIZER_STATE: none, v, or m and v).
   */
  update: (optimizer: OptimizerName): KernelVariant =>
    variant('update', { MOMENTUM: optimizer === 'momentum', ADAM: optimizer === 'adam' },
      ['write', 'read', 'uniform', 'uniform', ...UPDATE_STATE[optimizer]], true),
};

/** Workgroup sizes (threads) of the 1-D kernels and the output tile of matmul, as written in the shaders. */
export const WORKGROUP = { elementwise: 256, loss: 64, biasGrad: 64, matmulTile: 64, stats: 64, init: 256, update: 256 } as const;
