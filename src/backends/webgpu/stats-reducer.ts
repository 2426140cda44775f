/**
 * Statistics reduced on the GPU by shaders/stats.wgsl as planned by reduction-plan.ts: pass 1 (moments) partials per
 * source buffer, its merge levels, pass 2 (centred sums) partials and merge levels. The result records live in two
 * buffers (StatsRecords) that many reductions share: a network reduces its tensors group by group into one set of
 * records and reads all results back once per step.
 */
import { CENTRED_BYTES, decodeMoments, MOMENTS_BYTES, type Moments } from '../../stats/stats';
import { kernels } from './kernels';
import type { Dispatch, Recorder } from './recorder';
import { STATS_WORKGROUP, type ReductionPlan } from './reduction-plan';
import { ceilDiv } from './dispatch';
import { HIST_WORDS } from '../../stats/histogram';

/** Moments and Centred records: results [0, results), scratch after; with histograms, their counters. */
export interface StatsRecords {
  readonly moments: GPUBuffer;
  readonly centred: GPUBuffer;
  /** Number of result records (the reductions' scratchBase). */
  readonly results: number;
  /** HIST_WORDS u32 counters per result (shaders/histogram.wgsl), or null without histograms. */
  readonly hist: GPUBuffer | null;
  /** 2 u32 per layer (dead, saturated units), or null without histograms. */
  readonly units: GPUBuffer | null;
}

/**
 * Records for `results` tensors and `records` in all (results + scratch); with `unitSlots` ≥ 0, histograms of every
 * result and unit counters for that many layers.
 */
export function statsRecords(rec: Recorder, results: number, records: number, label = 'stats', unitSlots = -1): StatsRecords {
  return {
    moments: rec.buffer(`${label} moments`, records * MOMENTS_BYTES),
    centred: rec.buffer(`${label} centred`, records * CENTRED_BYTES),
    results,
    hist: unitSlots >= 0 ? rec.buffer(`${label} histograms`, results * HIST_WORDS * 4) : null,
    units: unitSlots >= 0 ? rec.buffer(`${label} units`, Math.max(1, 2 * unitSlots) * 4) : null,
  };
}

/**
 * The dispatches of one reduction, in order (pass 1, its merges, pass 2, its merges).
 * @param sources the data buffer of each source index of the plan (32-bit elements)
 * @throws LimitError if a dispatch does not fit; ShaderCompileError.
 */
export async function reductionDispatches(rec: Recorder, plan: ReductionPlan, sources: readonly GPUBuffer[], records: StatsRecords, label = 'stats'): Promise<Dispatch[]> {
  if (plan.scratchBase !== records.results) throw new RangeError(`reduction planned for ${plan.scratchBase} results, records hold ${records.results}`);
  const work = rec.upload(`${label} work`, plan.work);
  const merges = plan.merges.length > 0 ? rec.upload(`${label} merges`, plan.merges) : null;
  const param = (first: number, count: number) => rec.param([first, count, records.results]);
  const dispatches: Promise<Dispatch>[] = [];
  for (const pass2 of [false, true]) {
    const name = pass2 ? 'centred' : 'moments';
    for (const src of plan.sources) {
      const data = { buffer: sources[src.source] };
      const bindings = pass2
        ? [data, { buffer: work }, { buffer: records.moments }, { buffer: records.centred }, param(src.firstWork, src.numWork)]
        : [data, { buffer: work }, { buffer: records.moments }, param(src.firstWork, src.numWork)];
      dispatches.push(rec.dispatch(pass2 ? kernels.statsCentred() : kernels.statsPartial(), `${label} ${name} source ${src.source}`, bindings,
        ceilDiv(src.numWork, STATS_WORKGROUP)));
    }
    for (const [i, level] of plan.levels.entries()) {
      dispatches.push(rec.dispatch(kernels.statsMerge(pass2), `${label} ${name} merge ${i + 1}`,
        [{ buffer: merges! }, { buffer: pass2 ? records.centred : records.moments }, param(level.first, level.count)], ceilDiv(level.count, STATS_WORKGROUP)));
    }
    // Histograms: once the moments are merged (their linear bins span each tensor's min and max).
    if (!pass2 && records.hist) {
      for (const src of plan.sources) {
        dispatches.push(rec.dispatch(kernels.histogram(), `${label} histograms source ${src.source}`,
          [{ buffer: sources[src.source] }, { buffer: work }, { buffer: records.moments }, { buffer: records.hist }, rec.param([src.firstWork, src.numWork])],
          ceilDiv(src.numWork, STATS_WORKGROUP)));
      }
    }
  }
  return Promise.all(dispatches);
}

/**
 * A buffer to read the `results` records back into — and, optionally, a small extra buffer (the extended range's
 * scales) in the same map, so a step still reads back once — and the copies that fill it (after the reductions).
 */
export class StatsReadback {
  private readonly buffer: GPUBuffer;

  /** Byte offsets in the readback buffer: the extra buffer, the histograms, the unit counters, the end. */
  private readonly at: { extra: number; hist: number; units: number; end: number };

  constructor(rec: Recorder, private readonly records: StatsRecords, private readonly extra: GPUBuffer | null = null) {
    const extraAt = records.results * (MOMENTS_BYTES + CENTRED_BYTES);
    const hist = extraAt + (extra?.size ?? 0);
    const units = hist + (records.hist?.size ?? 0);
    this.at = { extra: extraAt, hist, units, end: units + (records.units?.size ?? 0) };
    this.buffer = rec.buffer('stats readback', this.at.end, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }

  /** Clear the histograms' and units' counters (the first encoder of a step). */
  clear(encoder: GPUCommandEncoder): void {
    if (this.records.hist) encoder.clearBuffer(this.records.hist);
    if (this.records.units) encoder.clearBuffer(this.records.units);
  }

  /** Copy the result records (the extra buffer, the histograms) into the readback buffer, after the dispatches. */
  copy(encoder: GPUCommandEncoder): void {
    const T = this.records.results;
    encoder.copyBufferToBuffer(this.records.moments, 0, this.buffer, 0, T * MOMENTS_BYTES);
    encoder.copyBufferToBuffer(this.records.centred, 0, this.buffer, T * MOMENTS_BYTES, T * CENTRED_BYTES);
    if (this.extra) encoder.copyBufferToBuffer(this.extra, 0, this.buffer, this.at.extra, this.extra.size);
    if (this.records.hist) encoder.copyBufferToBuffer(this.records.hist, 0, this.buffer, this.at.hist, this.records.hist.size);
    if (this.records.units) encoder.copyBufferToBuffer(this.records.units, 0, this.buffer, this.at.units, this.records.units.size);
  }

  /**
   * Map the readback buffer (once the submit holding copy() is done): one Moments per result record, the extra
   * buffer's words (i32) or null, and the histograms' and units' counters (u32) or null.
   */
  async read(): Promise<{ moments: Moments[]; extra: Int32Array | null; hist: Uint32Array | null; units: Uint32Array | null }> {
    const T = this.records.results;
    await this.buffer.mapAsync(GPUMapMode.READ);
    const bytes = this.buffer.getMappedRange().slice(0);
    this.buffer.unmap();
    const { extra, hist, units, end } = this.at;
    return {
      moments: decodeMoments(bytes.slice(0, T * MOMENTS_BYTES), bytes.slice(T * MOMENTS_BYTES, extra), T),
      extra: this.extra ? new Int32Array(bytes.slice(extra, hist)) : null,
      hist: this.records.hist ? new Uint32Array(bytes.slice(hist, units)) : null,
      units: this.records.units ? new Uint32Array(bytes.slice(units, end)) : null,
    };
  }
}
