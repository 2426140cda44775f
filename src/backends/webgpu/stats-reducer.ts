/**
 * The statistics of a list of tensors, reduced on the GPU by shaders/stats.wgsl as planned by reduction-plan.ts:
 * pass 1 (moments) partials per source buffer, its merge levels, pass 2 (centred sums) partials and merge levels,
 * then one copy of the result records into a readback buffer. Records and work lists are built once; the
 * dispatches are encoded into each step.
 */
import { CENTRED_BYTES, decodeMoments, MOMENTS_BYTES, type Moments } from '../../stats/stats';
import { kernels } from './kernels';
import type { Dispatch, Recorder } from './recorder';
import type { ReductionPlan } from './reduction-plan';

export class StatsReducer {
  private constructor(
    readonly plan: ReductionPlan,
    readonly dispatches: readonly Dispatch[],
    private readonly moments: GPUBuffer,
    private readonly centred: GPUBuffer,
    private readonly readback: GPUBuffer,
  ) {}

  /**
   * @param sources the data buffer of each source index of the plan (f32 or any 32-bit elements)
   * @throws LimitError if a dispatch does not fit; ShaderCompileError.
   */
  static async build(rec: Recorder, plan: ReductionPlan, sources: readonly GPUBuffer[], label = 'stats'): Promise<StatsReducer> {
    const work = rec.upload(`${label} work`, plan.work);
    const merges = rec.upload(`${label} merges`, plan.merges);
    const moments = rec.buffer(`${label} moments`, plan.records * MOMENTS_BYTES);
    const centred = rec.buffer(`${label} centred`, plan.records * CENTRED_BYTES);
    const readback = rec.buffer(`${label} readback`, plan.tensors * (MOMENTS_BYTES + CENTRED_BYTES), GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const params = (first: number, count: number) => rec.uniform([first, count, plan.tensors]);
    const dispatches: Promise<Dispatch>[] = [];
    for (const pass2 of [false, true]) {
      const name = pass2 ? 'centred' : 'moments';
      for (const src of plan.sources) {
        const data = { buffer: sources[src.source] };
        const bindings = pass2
          ? [data, { buffer: work }, { buffer: moments }, { buffer: centred }, params(src.firstWork, src.numWork)]
          : [data, { buffer: work }, { buffer: moments }, params(src.firstWork, src.numWork)];
        dispatches.push(rec.dispatch(pass2 ? kernels.statsCentred() : kernels.statsPartial(), `${label} ${name} source ${src.source}`, bindings, src.numWork));
      }
      for (const [i, level] of plan.levels.entries()) {
        dispatches.push(rec.dispatch(kernels.statsMerge(pass2), `${label} ${name} merge ${i + 1}`,
          [{ buffer: merges }, { buffer: pass2 ? centred : moments }, params(level.first, level.count)], level.count));
      }
    }
    return new StatsReducer(plan, await Promise.all(dispatches), moments, centred, readback);
  }

  /** Copy the result records into the readback buffer (after the dispatches, in the same encoder). */
  copyResults(encoder: GPUCommandEncoder): void {
    const T = this.plan.tensors;
    encoder.copyBufferToBuffer(this.moments, 0, this.readback, 0, T * MOMENTS_BYTES);
    encoder.copyBufferToBuffer(this.centred, 0, this.readback, T * MOMENTS_BYTES, T * CENTRED_BYTES);
  }

  /** Map the readback buffer (once the submit holding copyResults is done) and decode one Moments per tensor. */
  async read(): Promise<Moments[]> {
    const T = this.plan.tensors;
    await this.readback.mapAsync(GPUMapMode.READ);
    const bytes = this.readback.getMappedRange().slice(0);
    this.readback.unmap();
    return decodeMoments(bytes.slice(0, T * MOMENTS_BYTES), bytes.slice(T * MOMENTS_BYTES), T);
  }
}
