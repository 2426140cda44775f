/**
 * One run: config → seeded problem → backend step → RunResult (the CLI's JSON and the GUI's lastResult).
 */
import type { Backend } from '../backends/backend';
import type { RunConfig } from '../model/config';
import { makeProblem, shapeOf } from './problem';
import { findFirstAllZero, findFirstNonFinite, type RunResult } from '../model/result';

/**
 * Run one step of the network `cfg` describes on `backend`.
 * The backend rebuilds only if the shape (widths, m, activation, loss) changed since its last problem.
 * @throws LimitError if the network exceeds a device limit (nothing is allocated then); DataError if the data
 *   file is damaged.
 */
export async function runStep(cfg: RunConfig, backend: Backend): Promise<RunResult> {
  backend.checkLimits(shapeOf(cfg)); // before the weights are built: a huge network fails fast, allocating nothing
  await backend.setProblem(makeProblem(cfg));
  const t0 = performance.now();
  const step = await backend.step();
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
