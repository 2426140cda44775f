/**
 * The work lists of the statistics reduction (shaders/stats.wgsl) for a list of tensors: partial work items of
 * STATS_CHUNK elements, then tree merges of at most MERGE_FAN_IN records per level, down to one result record per
 * tensor. Each tensor names its result record; partials and intermediate merges use scratch records from
 * `scratchBase` on. A tensor of one chunk writes its result directly from the partial kernel.
 */
import { ceilDiv } from './dispatch';

/** Elements of one partial work item (one thread of shaders/stats.wgsl). */
export const STATS_CHUNK = 32;
/** Records merged by one merge item (one thread, a cascade of depth 6). */
export const MERGE_FAN_IN = 64;
/** Threads per workgroup of the statistics kernels: a dispatch of n items has ceil(n / STATS_WORKGROUP) workgroups. */
export const STATS_WORKGROUP = 64;

/** A tensor to reduce: `count` elements from element `start` of source buffer `source` (an index of the caller's). */
export interface ReducedTensor {
  source: number;
  start: number;
  count: number;
  /** Its result record (below the plan's scratchBase); by default its index in the list. */
  result?: number;
}

export interface ReductionPlan {
  /** Records below this index are results; the kernels treat a write there as final (params.results). */
  scratchBase: number;
  /** Records of each kind (Moments, Centred) the buffers must hold: scratchBase + the scratch used. */
  records: number;
  /** 4 u32 per partial work item: start, end (element indices in its source), tensor, output record. */
  work: Uint32Array<ArrayBuffer>;
  /** Partial work items grouped by source buffer: one dispatch each, items [firstWork, firstWork + numWork). */
  sources: { source: number; firstWork: number; numWork: number }[];
  /** 4 u32 per merge item: first input record, number of inputs (≤ MERGE_FAN_IN), output record, 0. */
  merges: Uint32Array<ArrayBuffer>;
  /** Merge levels, in order: one dispatch each, merge items [first, first + count). */
  levels: { first: number; count: number }[];
}

/**
 * Plan the reduction of `tensors` (each with count ≥ 1).
 * @param scratchBase first scratch record (default: the number of tensors, whose results are then 0..T−1)
 * @returns work lists whose sizes grow as O(Σ count / STATS_CHUNK); levels ≤ ⌈log64(max partials)⌉.
 */
export function planReduction(tensors: readonly ReducedTensor[], scratchBase = tensors.length): ReductionPlan {
  let next = scratchBase;
  const work: number[] = [];
  /** Records still to be merged, per tensor: a contiguous range [first, first + count). */
  const pending: { first: number; count: number; result: number }[] = [];
  const sources: ReductionPlan['sources'] = [];
  const order = tensors.map((_, t) => t).sort((a, b) => tensors[a].source - tensors[b].source || a - b);
  for (const t of order) {
    const { source, start, count } = tensors[t];
    const result = tensors[t].result ?? t;
    if (sources.length === 0 || sources[sources.length - 1].source !== source) sources.push({ source, firstWork: work.length / 4, numWork: 0 });
    const chunks = ceilDiv(count, STATS_CHUNK);
    const first = chunks === 1 ? result : next;
    if (chunks > 1) next += chunks;
    for (let c = 0; c < chunks; c++) work.push(start + c * STATS_CHUNK, start + Math.min((c + 1) * STATS_CHUNK, count), result, first + c);
    sources[sources.length - 1].numWork += chunks;
    pending.push({ first, count: chunks, result });
  }
  const merges: number[] = [];
  const levels: ReductionPlan['levels'] = [];
  for (;;) {
    const level = { first: merges.length / 4, count: 0 };
    for (const p of pending) {
      if (p.count === 1) continue;
      const groups = ceilDiv(p.count, MERGE_FAN_IN);
      const out = groups === 1 ? p.result : next;
      if (groups > 1) next += groups;
      for (let g = 0; g < groups; g++) {
        merges.push(p.first + g * MERGE_FAN_IN, Math.min(MERGE_FAN_IN, p.count - g * MERGE_FAN_IN), out + g, 0);
      }
      level.count += groups;
      p.first = out;
      p.count = groups;
    }
    if (level.count === 0) break;
    levels.push(level);
  }
  return { scratchBase, records: next, work: Uint32Array.from(work), sources, merges: Uint32Array.from(merges), levels };
}
