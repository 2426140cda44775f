/**
 * Runs a list of units on the device in chunks: each chunk is one command encoder and one submit, and the runner
 * waits for it (queue.onSubmittedWorkDone, no data read back) before reporting progress, checking for cancel and
 * submitting the next. The chunk size adapts so that a chunk takes about TARGET_MS of device time, measured: few
 * submits for small networks, progress at least every ~200 ms for deep ones.
 */
import { CancelledError, type Phase, type RunControl } from '../backend';
import { encodeDispatches, type Dispatch } from './recorder';

/**
 * Device time a chunk should take. A software adapter (SwiftShader) runs a submit on the calling thread, so this is
 * also how long the page or the CLI stops answering at a time.
 */
export const TARGET_MS = 100;

/** A piece of work: dispatches, or a host action (a buffer write) that must come between submits. */
export interface RunUnit {
  readonly phase: Phase;
  readonly layer: number;
  readonly dispatches: readonly Dispatch[];
  /** Done on the host before this unit's dispatches are encoded (it starts a new chunk). */
  readonly before?: () => void;
}

/** How a run went: submits and the measured device time per unit (for plans and estimates). */
export interface RunStats {
  submits: number;
  msPerUnit: number;
}

/**
 * Run `units` in order: `start(encoder)` in the first encoder (e.g. clearing buffers), `finish(encoder)` in the last
 * (e.g. the statistics copy).
 * @param fixedChunk units per chunk, fixed (tests: 1 = a submit per unit, Infinity = one submit); by default the
 *   first chunk is 4 units and the next ones are sized from the measured times
 * @throws CancelledError (between chunks) when control.signal fires; the units already submitted have completed.
 */
export async function runUnits(device: GPUDevice, units: readonly RunUnit[], control: RunControl,
  hooks: { start?: (encoder: GPUCommandEncoder) => void; finish?: (encoder: GPUCommandEncoder) => void } = {}, fixedChunk: number | null = null): Promise<RunStats> {
  let chunk = fixedChunk ?? 4;
  let submits = 0, unitsTimed = 0, msTimed = 0;
  if (units.length === 0) throw new RangeError('runUnits: no units');
  for (let i = 0; i < units.length;) {
    if (control.signal?.aborted) throw new CancelledError();
    const end = Math.min(units.length, i + Math.max(1, Math.round(Math.min(chunk, units.length))));
    const encoder = device.createCommandEncoder({ label: `units ${i}..${end - 1}` });
    if (i === 0) hooks.start?.(encoder);
    const pass = encoder.beginComputePass();
    let j = i;
    for (; j < end; j++) {
      const u = units[j];
      if (u.before) {
        if (j > i) break; // host work starts a chunk of its own
        u.before();
      }
      encodeDispatches(pass, u.dispatches);
    }
    pass.end();
    if (j === units.length) hooks.finish?.(encoder);
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const ms = performance.now() - t0;
    submits++;
    unitsTimed += j - i;
    msTimed += ms;
    const last = units[j - 1];
    control.onProgress?.({ phase: last.phase, layer: last.layer, done: j, total: units.length });
    // Aim the next chunk at TARGET_MS, growing at most 2× at a time (a small chunk's time is mostly overhead).
    if (fixedChunk === null) chunk = Math.min(chunk * 2, Math.max(1, (j - i) * TARGET_MS / Math.max(ms, 1)));
    i = j;
  }
  return { submits, msPerUnit: unitsTimed > 0 ? msTimed / unitsTimed : 0 };
}
