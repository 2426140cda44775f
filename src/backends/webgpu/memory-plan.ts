/**
 * The memory of one network, planned once per shape and checked against the device limits and the memory budget
 * BEFORE anything is allocated (llm.c style: plan, then carve up). Each kind of tensor lives in one or more pages
 * (buffers of at most maxStorageBufferBindingSize bytes); a tensor is a region of one page, at a multiple of
 * minStorageBufferOffsetAlignment, so that kernels bind it with a dynamic offset and no bind group is made per layer.
 *
 * Kinds (float32 unless noted; rows-major shapes as in model/network.ts):
 *   W, b       W^[l] (n^[l], n^[l-1]), b^[l] (n^[l]) for every layer l = 1..L.
 *   z          z^[l] (n^[l], m) in slot (l−1) mod s: all L layers when s = L, else a scratch of s slots.
 *   act0, act1, ckpt, out  a^[l] (n^[l], m): a^[L] = ŷ in out, layers l = k·s < L (a^[0] = x, the checkpoints) in ckpt, the others
 *              in act0 (even l) or act1 (odd l) slot ⌊(l mod s)/2⌋ — separate buffers, so a layer that reads a^[l-1] and
 *              writes a^[l] in one dispatch never binds one buffer twice. With s = L nothing is recomputed; with s ≈ √L the backward pass
 *              recomputes each segment's z and a from its checkpoint (Chen et al. 2016, "Training deep nets with
 *              sublinear memory cost").
 *   dA, dZ, dW, db  rings of R = G + 1 slots (layer l in slot l mod R), whose statistics are reduced every G
 *              layers; with keepAll, one slot per layer.
 *   y, labels (u32), loss   targets (n^[L], m), labels (m), per-example loss (m).
 *   optW1, optb1, optW2, optb2  training only: the optimiser's state per W^[l] and b^[l] (OPTIMIZER_STATE tensors:
 *              momentum's buffer in optW1/optb1; Adam's m there and v in optW2/optb2); no slots otherwise.
 * Statistics: results records for every tensor (6L + 1), reduced group by group (G layers) by reduction-plan.ts,
 * with scratch records for a group's work items (one per STATS_CHUNK elements) and merges.
 */
import { LimitError, type MemorySummary } from '../backend';
import type { MemoryOptions, NetworkShape } from '../../model/network';
import { OPTIMIZER_STATE, type OptimizerName } from '../../model/optimizers';
import { CENTRED_BYTES, MOMENTS_BYTES } from '../../stats/stats';
import { HIST_WORDS } from '../../stats/histogram';
import { ceilDiv, foldWorkgroups } from './dispatch';
import { WORKGROUP } from './kernels';
import { STATS_CHUNK, STATS_WORKGROUP } from './reduction-plan';

export type KindName = 'W' | 'b' | 'z' | 'act0' | 'act1' | 'ckpt' | 'out' | 'dA' | 'dZ' | 'dW' | 'db' | 'y' | 'labels' | 'loss'
  | 'optW1' | 'optb1' | 'optW2' | 'optb2';
export const KIND_NAMES: readonly KindName[] = ['W', 'b', 'z', 'act0', 'act1', 'ckpt', 'out', 'dA', 'dZ', 'dW', 'db', 'y', 'labels', 'loss',
  'optW1', 'optb1', 'optW2', 'optb2'];

const KIND_DESCRIPTION: Record<KindName, string> = {
  W: 'the weights W^[1..L]', b: 'the biases b^[1..L]', z: 'the pre-activations z^[l]',
  act0: 'the activations a^[l] of even l between checkpoints', act1: 'the activations a^[l] of odd l between checkpoints',
  ckpt: 'the input a^[0] and the checkpoints', out: 'the output ŷ = a^[L]', dA: 'the gradients dA^[l]', dZ: 'the gradients dZ^[l]',
  dW: 'the gradients dW^[l]', db: 'the gradients db^[l]', y: 'the targets', labels: 'the labels', loss: 'the per-example loss',
  optW1: 'the optimiser state of W (momentum buffer, or Adam\'s first moment m)', optb1: 'the optimiser state of b (momentum buffer, or Adam\'s m)',
  optW2: 'the optimiser state of W (Adam\'s second moment v)', optb2: 'the optimiser state of b (Adam\'s v)',
};

/** The device limits the plan depends on (a subset of GPUSupportedLimits). */
export interface EngineLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  minStorageBufferOffsetAlignment: number;
  minUniformBufferOffsetAlignment: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** A tensor's place: page index within its kind, byte offset in that page, elements (4 bytes each). */
export interface Region {
  page: number;
  offset: number;
  elements: number;
}

export interface KindPlan {
  name: KindName;
  /** Bytes of each page (buffer). */
  pages: number[];
  /** Every slot of the kind, in slot order. */
  slots: Region[];
  /** Bytes of the largest slot: the size of every binding of this kind (bound with a dynamic offset). */
  bindingBytes: number;
}

export interface MemoryPlan {
  L: number;
  /** Layers per checkpoint segment; s = L when every activation is kept. */
  s: number;
  /** Layers per statistics group (the rings hold G + 1 layers). */
  G: number;
  /** Ring slots of dA, dZ, dW, db (L + 1 with keepAll). */
  R: number;
  kinds: Record<KindName, KindPlan>;
  /** The optimiser whose state is planned (training), or null. */
  optimizer: OptimizerName | null;
  /** Result records (6L + 1) plus the scratch the largest group's reduction needs. */
  statsRecords: number;
  /** Bytes of the histograms' counters (HIST_WORDS per result, 2 per layer for the units), 0 without histograms. */
  histogramBytes: number;
  totalBytes: number;
}

/** The region of a kind's slot. */
export function slot(plan: MemoryPlan, kind: KindName, index: number): Region {
  const r = plan.kinds[kind].slots[index];
  if (!r) throw new RangeError(`memory plan: no slot ${index} of ${kind}`);
  return r;
}

/** Where a^[l] lives (l = 0..L): its kind and slot. */
export function activationSlot(plan: MemoryPlan, l: number): { kind: 'act0' | 'act1' | 'ckpt' | 'out'; index: number } {
  if (l === plan.L) return { kind: 'out', index: 0 };
  if (l % plan.s === 0) return { kind: 'ckpt', index: l / plan.s };
  // Even and odd layers in separate buffers: a fused layer reads a^[l-1] and writes a^[l] in one dispatch.
  return { kind: l % 2 === 0 ? 'act0' : 'act1', index: Math.floor((l % plan.s) / 2) };
}

/** Slot of z^[l] (l = 1..L), and of the ring tensors dA^[l], dZ^[l], dW^[l], db^[l]. */
export const zSlot = (plan: MemoryPlan, l: number) => (l - 1) % plan.s;
export const ringSlot = (plan: MemoryPlan, l: number) => l % plan.R;

/**
 * Pack regions of `sizes` elements (one per slot) into pages of at most `pageLimit` bytes, each region at a multiple
 * of `align`. Every page has room for a binding of `bindingBytes` at each of its regions.
 * @throws LimitError when one region alone is larger than a page.
 */
function packKind(name: KindName, sizes: readonly number[], pageLimit: number, align: number, limitName: string): KindPlan {
  const bindingBytes = Math.max(4, ...sizes.map((n) => n * 4));
  if (bindingBytes > pageLimit) throw new LimitError(limitName, bindingBytes, pageLimit, `one tensor of ${KIND_DESCRIPTION[name]} (bytes)`);
  if (sizes.length === 0) return { name, pages: [], slots: [], bindingBytes: 4 }; // a kind this network does not use
  const pages: number[] = [0];
  const slots: Region[] = [];
  let next = 0;
  for (const elements of sizes) {
    let offset = ceilDiv(next, align) * align;
    if (offset + bindingBytes > pageLimit) {
      pages.push(0);
      offset = 0;
    }
    const page = pages.length - 1;
    slots.push({ page, offset, elements });
    pages[page] = offset + bindingBytes; // room for a whole binding at the last region
    next = offset + elements * 4;
  }
  return { name, pages, slots, bindingBytes };
}

/** Bytes of a plan's statistics records and other small buffers (outside the kinds). */
function statsBytes(records: number): number {
  return records * (MOMENTS_BYTES + CENTRED_BYTES);
}

/** Ring bytes that make a statistics group large enough, but not huge (transient gradients stay small). */
const RING_BUDGET_BYTES = 64 * 2 ** 20;

/** The memory plan for segment length s and statistics group G (no limit checks). */
function layout(shape: NetworkShape, memory: MemoryOptions, limits: EngineLimits, s: number, G: number): MemoryPlan {
  const n = shape.widths, m = shape.m, L = n.length - 1;
  const layers = Array.from({ length: L }, (_, i) => i + 1);
  const pageLimit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const limitName = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  const align = limits.minStorageBufferOffsetAlignment;
  const maxNM = Math.max(...n.map((w) => w * m));
  const maxW = Math.max(...layers.map((l) => n[l] * n[l - 1]));
  const R = memory.keepAll ? L + 1 : G + 1;
  const ckpts = Math.ceil(L / s);
  const states = memory.optimizer ? OPTIMIZER_STATE[memory.optimizer] : 0;
  const state = (k: number, sizes: number[]) => (states >= k ? sizes : []);
  const pack = (name: KindName, sizes: number[]) => packKind(name, sizes, pageLimit, align, limitName);
  const kinds: Record<KindName, KindPlan> = {
    W: pack('W', layers.map((l) => n[l] * n[l - 1])),
    b: pack('b', layers.map((l) => n[l])),
    z: pack('z', Array.from({ length: Math.min(s, L) }, () => maxNM)),
    act0: pack('act0', Array.from({ length: Math.max(1, Math.ceil(Math.min(s, L) / 2)) }, () => maxNM)),
    act1: pack('act1', Array.from({ length: Math.max(1, Math.ceil(Math.min(s, L) / 2)) }, () => maxNM)),
    ckpt: pack('ckpt', Array.from({ length: ckpts }, () => maxNM)),
    out: pack('out', [n[L] * m]),
    dA: pack('dA', Array.from({ length: R }, () => maxNM)),
    dZ: pack('dZ', Array.from({ length: R }, () => maxNM)),
    dW: pack('dW', Array.from({ length: R }, () => maxW)),
    db: pack('db', Array.from({ length: R }, () => Math.max(...n))),
    y: pack('y', [n[L] * m]),
    labels: pack('labels', [m]),
    loss: pack('loss', [m]),
    optW1: pack('optW1', state(1, layers.map((l) => n[l] * n[l - 1]))),
    optb1: pack('optb1', state(1, layers.map((l) => n[l]))),
    optW2: pack('optW2', state(2, layers.map((l) => n[l] * n[l - 1]))),
    optb2: pack('optb2', state(2, layers.map((l) => n[l]))),
  };
  // Scratch records of one group's reduction (at most 3G + 1 tensors): their chunks, plus the merge outputs
  // (fewer than the chunks).
  // (Without checkpoints the forward tensors of all L layers join the last group.)
  const groupElements = (G + (s < L ? G : L)) * (2 * maxNM + maxW) + maxNM;
  const statsRecords = 6 * L + 1 + 2 * (ceilDiv(groupElements, STATS_CHUNK) + 6 * L + 1);
  const kindBytes = Object.values(kinds).reduce((t, k) => t + k.pages.reduce((a, b) => a + b, 0), 0);
  const histogramBytes = memory.histograms ? 4 * ((6 * L + 1) * HIST_WORDS + 2 * L) : 0;
  return {
    L, s, G, R, kinds, optimizer: memory.optimizer ?? null, statsRecords, histogramBytes,
    // The statistics (and histograms) are also read back: their staging copy counts too.
    totalBytes: kindBytes + statsBytes(statsRecords) + 2 * histogramBytes,
  };
}

/**
 * Plan every buffer of a network: keep every activation if it fits the budget (or checkpoint 'always' is not
 * asked), else recompute from checkpoints every s = ⌈√L⌉ layers.
 * @param shape widths n^[0..L], batch m; @param memory budget and options
 * @throws LimitError naming the limit and the numbers: a tensor over maxStorageBufferBindingSize / maxBufferSize,
 *   a dispatch over maxComputeWorkgroupsPerDimension, or the memory budget (with and without checkpoints).
 */
export function planMemory(shape: NetworkShape, memory: MemoryOptions, limits: EngineLimits): MemoryPlan {
  const n = shape.widths, m = shape.m, L = n.length - 1;
  const maxNM = Math.max(...n.map((w) => w * m));
  const maxW = Math.max(...n.slice(1).map((w, i) => w * n[i]));
  // Statistics groups as large as the ring budget allows (one group, like keeping every gradient, for most networks):
  // each group's reduction is a few dispatches.
  const G = Math.max(1, Math.min(L, Math.floor(RING_BUDGET_BYTES / (4 * (2 * maxNM + maxW + Math.max(...n)))) - 1));
  const full = layout(shape, memory, limits, L, G);
  const checkpointed = () => {
    const s = Math.max(1, Math.ceil(Math.sqrt(L)));
    return layout(shape, memory, limits, s, Math.min(G, s));
  };
  const plan = memory.checkpoint === 'always' && !memory.keepAll ? checkpointed()
    : full.totalBytes <= memory.budgetBytes || memory.keepAll ? full : checkpointed();
  if (plan.totalBytes > memory.budgetBytes) {
    const what = plan.s < L
      ? `the network (bytes, with activations recomputed every ${plan.s} layers; W^[1..L] alone needs ${plan.kinds.W.pages.reduce((a, b) => a + b, 0).toLocaleString('en-US')})`
      : 'the network (bytes)';
    throw new LimitError('memory budget (--memory, MiB)', plan.totalBytes, memory.budgetBytes, what);
  }
  // Every dispatch must fit, folded into two dimensions.
  const maxDim = limits.maxComputeWorkgroupsPerDimension;
  const tile = WORKGROUP.matmulTile;
  for (let l = 1; l <= L; l++) {
    foldWorkgroups(ceilDiv(n[l], tile) * ceilDiv(m, tile), maxDim, `z^[${l}] = W a + b`);
    foldWorkgroups(ceilDiv(n[l], tile) * ceilDiv(n[l - 1], tile), maxDim, `dW^[${l}]`);
    foldWorkgroups(ceilDiv(n[l] * m, WORKGROUP.elementwise), maxDim, `a^[${l}] = g(z)`);
    foldWorkgroups(ceilDiv(n[l] * n[l - 1], WORKGROUP.elementwise), maxDim, `W^[${l}] drawn`);
  }
  foldWorkgroups(ceilDiv(ceilDiv(2 * L * (2 * maxNM + maxW) + maxNM, STATS_CHUNK) + 6 * L + 1, STATS_WORKGROUP), maxDim, 'statistics');
  return plan;
}

/** The plan as the user sees it (--plan, the GUI): bytes and pages per kind, checkpointing, dispatches per step. */
export function summarize(plan: MemoryPlan, shape: NetworkShape, budgetBytes: number, dispatchesPerStep: number, hostInit: boolean): MemorySummary {
  const kinds: MemorySummary['kinds'] = KIND_NAMES.filter((name) => plan.kinds[name].slots.length > 0).map((name) => ({
    name, description: KIND_DESCRIPTION[name],
    bytes: plan.kinds[name].pages.reduce((a, b) => a + b, 0), pages: plan.kinds[name].pages.length,
  }));
  kinds.push({ name: 'stats', description: 'the statistics records', bytes: statsBytes(plan.statsRecords), pages: 2 });
  if (plan.histogramBytes > 0) {
    kinds.push({ name: 'hist', description: 'the histograms and unit counts, and their read-back copy', bytes: 2 * plan.histogramBytes, pages: 2 });
  }
  return {
    kinds, totalBytes: plan.totalBytes, budgetBytes, checkpointEvery: plan.s < plan.L ? plan.s : null,
    dispatchesPerStep, hostInit,
  };
}
