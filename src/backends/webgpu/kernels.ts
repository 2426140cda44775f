/**
 * The kernel variants of the engine: which shader, which defines, which bindings (in binding order).
 * Only specialisation (activation, transposes, loss) is part of a variant; shapes travel in uniforms.
 */
import type { Activation, LossName } from '../../model/network';
import type { Defines, ShaderName } from './shader-source';

/** How a binding is used: storage read-only, storage read-write, or uniform. */
export type BindingUse = 'read' | 'write' | 'uniform';

export interface KernelVariant {
  /** Label and cache key, e.g. "matmul[TRANS_B]". */
  readonly key: string;
  readonly shader: ShaderName;
  readonly defines: Defines;
  /** Binding i of group 0 has use bindings[i]. */
  readonly bindings: readonly BindingUse[];
}

function variant(shader: ShaderName, defines: Defines, bindings: readonly BindingUse[]): KernelVariant {
  const on = Object.keys(defines).filter((k) => defines[k]).sort();
  return { key: `${shader}[${on.join(',')}]`, shader, defines, bindings };
}

const activationDefines = (g: Activation, forward: boolean): Defines =>
  ({ RELU: g === 'relu', TANH: g === 'tanh', FORWARD: forward });

export const kernels = {
  /** C = op(A)·op(B) (+bias); bindings A, B, C, params{M,N,K}, [bias]. */
  matmul: (transA: boolean, transB: boolean, bias: boolean): KernelVariant =>
    variant('matmul', { TRANS_A: transA, TRANS_B: transB, BIAS: bias },
      bias ? ['read', 'read', 'write', 'uniform', 'read'] : ['read', 'read', 'write', 'uniform']),
  /** a = g(z); bindings z, a, params{count}. */
  activationForward: (g: Activation): KernelVariant =>
    variant('activation', activationDefines(g, true), ['read', 'write', 'uniform']),
  /** dZ = dA ⊙ g'(z); bindings z, dA, dZ, params{count}. */
  activationBackward: (g: Activation): KernelVariant =>
    variant('activation', activationDefines(g, false), ['read', 'read', 'write', 'uniform']),
  /** db = row sums of dZ; bindings dZ, db, params{n,m}. */
  biasGrad: (): KernelVariant => variant('bias_grad', {}, ['read', 'write', 'uniform']),
  /** loss and dŷ; bindings ŷ, y, labels, dŷ, loss, params{nL,m}. */
  loss: (loss: LossName): KernelVariant =>
    variant('loss', { SUM: loss === 'sum', MSE: loss === 'mse' }, ['read', 'read', 'read', 'write', 'write', 'uniform']),
  /** Statistics pass 1 (moments), partial; bindings data, work, moments, params{first,count,results}. */
  statsPartial: (): KernelVariant => variant('stats', { MERGE: false, PASS2: false }, ['read', 'read', 'write', 'uniform']),
  /** Statistics pass 2 (centred sums), partial; bindings data, work, moments, centred, params. */
  statsCentred: (): KernelVariant => variant('stats', { MERGE: false, PASS2: true }, ['read', 'read', 'read', 'write', 'uniform']),
  /** Statistics merge of pass 1 (pass2 false) or pass 2 records; bindings merge items, records, params. */
  statsMerge: (pass2: boolean): KernelVariant => variant('stats', { MERGE: true, PASS2: pass2 }, ['read', 'write', 'uniform']),
  /** Fill a region of W from the Philox streams (normal, uniform, constant, identity); bindings W, params (init-params.ts). */
  init: (): KernelVariant => variant('init', {}, ['write', 'uniform']),
};

/** Workgroup sizes (threads) of the 1-D kernels and the output tile of matmul, as written in the shaders. */
export const WORKGROUP = { elementwise: 256, loss: 64, biasGrad: 64, matmulTile: 64, stats: 64, init: 256 } as const;
