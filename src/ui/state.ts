/**
 * The page's observable state, exposed as `window.gradscope` for the end-to-end tests (e2e/gui.spec.ts)
 * and for anyone poking at the page from the browser console.
 */
import type { Phase } from '../backends/backend';
import type { RunResult } from '../model/result';

/** Where the run in progress is: a phase, the layer it reached, and units of work done of total. */
export interface ProgressState {
  phase: Phase;
  /** The layer the phase reached (0 for the loss and the statistics). */
  layer: number;
  /** Units done and in all: layers of build/init, or 2L + 1 for the step (forward, loss, backward). */
  done: number;
  total: number;
}

export interface GradscopeState {
  /** The last complete run, the same object the CLI writes as JSON (model/result.ts); null before the first. */
  lastResult: RunResult | null;
  /** toJson(lastResult): the stable JSON document (non-finite numbers as "NaN"/"Infinity"/"-Infinity"). */
  lastResultJson: string | null;
  /** Number of complete runs since the page loaded. */
  runs: number;
  /** Number of runs cancelled (by the Cancel button, cancel(), or a newer request) since the page loaded. */
  cancelled: number;
  /** The message in the error area, or null when it is empty. */
  error: string | null;
  /** The notice from openBackend (why the CPU backend runs instead of WebGPU), or null. */
  notice: string | null;
  /** True while a run is in progress or waiting (an edit waits ~300 ms for the next one). */
  busy: boolean;
  /** The last progress report of the run in progress; null when idle (and before a run's first report). */
  progress: ProgressState | null;
  /** Cancel the run in progress and any waiting one, as the Cancel button does; the last result stays. */
  cancel(): void;
}

declare global {
  interface Window {
    gradscope: GradscopeState;
  }
}

/** Create the state object and publish it as window.gradscope. @param cancel what cancel() does */
export function publishState(cancel: () => void): GradscopeState {
  const state: GradscopeState = {
    lastResult: null, lastResultJson: null, runs: 0, cancelled: 0, error: null, notice: null, busy: false, progress: null, cancel,
  };
  window.gradscope = state;
  return state;
}
