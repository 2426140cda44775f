/**
 * Memory of one network, planned once per shape and checked against the device limits BEFORE anything is
 * allocated (llm.c style: plan, then carve up). Each tensor kind lives in one buffer (an arena) and each tensor
 * is a region of it, starting at a multiple of minStorageBufferOffsetAlignment so it can be bound on its own.
 *
 * Arenas (float32 unless noted, regions row-major):
 *   W, dW: W^[l], dW^[l] (n^[l], n^[l-1]), l = 1..L      b, db: b^[l], db^[l] (n^[l])
 *   z, dA, dZ: (n^[l], m), l = 1..L                       a: a^[l] (n^[l], m), l = 0..L (a^[0] = x)
 *   y: targets (n^[L], m)      labels: u32 (m)             loss: per-example loss (m)
 * Statistics: z, a, dA, dZ, W, dW of every layer and the loss vector, reduced by shaders/stats.wgsl as planned by
 * reduction-plan.ts (partial work items grouped by arena, then merge levels).
 */
import { LimitError } from '../backend';
import { TENSOR_NAMES, type NetworkShape, type TensorName } from '../../model/network';
import { ceilDiv, foldWorkgroups } from './dispatch';
import { WORKGROUP } from './kernels';
import { MOMENTS_BYTES } from '../../stats/stats';
import { planReduction, type ReducedTensor, type ReductionPlan } from './reduction-plan';

export type ArenaName = 'W' | 'b' | 'dW' | 'db' | 'z' | 'a' | 'dA' | 'dZ' | 'y' | 'labels' | 'loss';
export const ARENA_NAMES: readonly ArenaName[] = ['W', 'b', 'dW', 'db', 'z', 'a', 'dA', 'dZ', 'y', 'labels', 'loss'];

/** The device limits the plan depends on (a subset of GPUSupportedLimits). */
export interface EngineLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  minStorageBufferOffsetAlignment: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** A tensor inside an arena: byte offset and element count (4 bytes each). */
export interface Region {
  offset: number;
  elements: number;
}

export interface ArenaPlan {
  name: ArenaName;
  bytes: number;
  regions: Region[];
}

/** A tensor whose statistics are reduced: kind and layer (loss: the per-example loss vector, layer 0). */
export interface StatsTensor {
  name: TensorName | 'loss';
  layer: number;
}

export interface StatsPlan extends ReductionPlan {
  /** The reduced tensors, in result order: (l−1)·6 + index in TENSOR_NAMES for layer l, then the loss. */
  tensorList: StatsTensor[];
  /** The arena of each source index of the reduction plan. */
  sourceArenas: ArenaName[];
}

export interface MemoryPlan {
  arenas: Record<ArenaName, ArenaPlan>;
  stats: StatsPlan;
}

const ARENA_DESCRIPTION: Record<ArenaName, string> = {
  W: 'the weights W^[1..L]', b: 'the biases b^[1..L]', dW: 'the gradients dW^[1..L]', db: 'the gradients db^[1..L]',
  z: 'the pre-activations z^[1..L]', a: 'the activations a^[0..L]', dA: 'the gradients dA^[1..L]',
  dZ: 'the gradients dZ^[1..L]', y: 'the targets', labels: 'the labels', loss: 'the per-example loss',
};

function arena(name: ArenaName, sizes: number[], align: number): ArenaPlan {
  const regions: Region[] = [];
  let bytes = 0;
  for (const elements of sizes) {
    bytes = ceilDiv(bytes, align) * align;
    regions.push({ offset: bytes, elements });
    bytes += elements * 4;
  }
  return { name, bytes: Math.max(bytes, 4), regions };
}

/** The arena holding each reported tensor kind. */
const SOURCE_OF: Record<TensorName, ArenaName> = { z: 'z', a: 'a', dA: 'dA', dZ: 'dZ', W: 'W', dW: 'dW' };

function planStats(arenas: Record<ArenaName, ArenaPlan>, L: number): StatsPlan {
  const tensorList: StatsTensor[] = [];
  const reduced: ReducedTensor[] = [];
  const sourceArenas: ArenaName[] = [...TENSOR_NAMES.map((t) => SOURCE_OF[t]), 'loss'];
  for (let l = 1; l <= L; l++) {
    for (const [k, name] of TENSOR_NAMES.entries()) {
      // a^[l] is region l of the a arena (region 0 is x); the other arenas start at layer 1.
      const region = arenas[SOURCE_OF[name]].regions[name === 'a' ? l : l - 1];
      tensorList.push({ name, layer: l });
      reduced.push({ source: k, start: region.offset / 4, count: region.elements });
    }
  }
  tensorList.push({ name: 'loss', layer: 0 });
  reduced.push({ source: TENSOR_NAMES.length, start: 0, count: arenas.loss.regions[0].elements });
  return { ...planReduction(reduced), tensorList, sourceArenas };
}

/**
 * Plan every buffer of a network and check it against the device limits.
 * @param shape widths n^[0..L], batch m
 * @throws LimitError naming the limit (maxBufferSize, maxStorageBufferBindingSize — an arena is bound whole by
 *   the statistics kernel — or maxComputeWorkgroupsPerDimension) and the arena or dispatch that exceeds it.
 */
export function planMemory(shape: NetworkShape, limits: EngineLimits): MemoryPlan {
  const n = shape.widths, m = shape.m, L = n.length - 1;
  const layers = Array.from({ length: L }, (_, i) => i + 1);
  const align = limits.minStorageBufferOffsetAlignment;
  const arenas: Record<ArenaName, ArenaPlan> = {
    W: arena('W', layers.map((l) => n[l] * n[l - 1]), align),
    b: arena('b', layers.map((l) => n[l]), align),
    dW: arena('dW', layers.map((l) => n[l] * n[l - 1]), align),
    db: arena('db', layers.map((l) => n[l]), align),
    z: arena('z', layers.map((l) => n[l] * m), align),
    a: arena('a', n.map((w) => w * m), align),
    dA: arena('dA', layers.map((l) => n[l] * m), align),
    dZ: arena('dZ', layers.map((l) => n[l] * m), align),
    y: arena('y', [n[L] * m], align),
    labels: arena('labels', [m], align),
    loss: arena('loss', [m], align),
  };
  // Element indices are u32 in the shaders: WebGpuBackend requests binding sizes of at most 4 GiB (MAX_BINDING_BYTES).
  const bindLimit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const limitName = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  for (const a of Object.values(arenas)) {
    if (a.bytes > bindLimit) throw new LimitError(limitName, a.bytes, bindLimit, `the buffer of ${ARENA_DESCRIPTION[a.name]} (bytes)`);
  }
  const stats = planStats(arenas, L);
  if (stats.records * MOMENTS_BYTES > bindLimit) {
    throw new LimitError(limitName, stats.records * MOMENTS_BYTES, bindLimit, 'the statistics records (bytes)');
  }
  // Every dispatch must fit, folded into two dimensions.
  const maxDim = limits.maxComputeWorkgroupsPerDimension;
  const tile = WORKGROUP.matmulTile;
  for (const l of layers) {
    foldWorkgroups(ceilDiv(n[l], tile) * ceilDiv(m, tile), maxDim, `z^[${l}] = W a + b`);
    foldWorkgroups(ceilDiv(n[l], tile) * ceilDiv(n[l - 1], tile), maxDim, `dW^[${l}]`);
    foldWorkgroups(ceilDiv(n[l] * m, WORKGROUP.elementwise), maxDim, `a^[${l}] = g(z)`);
  }
  for (const src of stats.sources) foldWorkgroups(src.numWork, maxDim, 'statistics');
  for (const level of stats.levels) foldWorkgroups(level.count, maxDim, 'statistics merge');
  return { arenas, stats };
}
