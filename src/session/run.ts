/**
 * One run: config → problem → backend (build, draw weights, step) → RunResult (the CLI's JSON and the GUI's
 * lastResult).
 */
import type { Backend, MemorySummary, RunControl } from '../backends/backend';
import type { RunConfig } from '../model/config';
import type { MemoryOptions } from '../model/network';
import { findFirstAllZero, findFirstNonFinite, type RunResult } from '../model/result';
import { makeProblem, memoryOf, shapeOf } from './problem';

/**
 * The memory plan of the network `cfg` describes on `backend`, allocating nothing (hostInit: whether its weights are
 * drawn on the host).
 * @throws LimitError naming the limit (device limit or memory budget) with the numbers.
 */
export function planRun(cfg: RunConfig, backend: Backend, memory: Partial<MemoryOptions> = {}): MemorySummary {
  const summary = backend.plan(shapeOf(cfg), memoryOf(cfg, memory));
  // The WebGPU backend draws every initialiser on the device except orthogonal (a QR per layer, on the host).
  return { ...summary, hostInit: summary.hostInit || cfg.init === 'orthogonal' };
}

/**
 * Run one step of the network `cfg` describes on `backend`, with progress and cancel.
 * The backend rebuilds only if the shape (widths, m, activation, loss, range, memory options) changed.
 * @param memory overrides of the memory options (tests: keepAll, checkpoint 'always')
 * @throws LimitError if the network exceeds a device limit or the budget (nothing is allocated then);
 *   CancelledError when control.signal fires; DataError if the data file is damaged.
 */
export async function runStep(cfg: RunConfig, backend: Backend, control: RunControl = {}, memory: Partial<MemoryOptions> = {}): Promise<RunResult> {
  planRun(cfg, backend, memory); // before the batch is built: a huge network fails fast, allocating nothing
  await backend.setProblem(makeProblem(cfg, memory), control);
  const t0 = performance.now();
  const step = await backend.step(control);
  const stepMs = performance.now() - t0;
  return {
    config: cfg,
    backend: backend.name,
    adapter: backend.adapter,
    loss: step.loss,
    firstNonFinite: findFirstNonFinite(step.layers),
    firstAllZero: findFirstAllZero(step.layers),
    stepMs,
    layers: step.layers,
  };
}
