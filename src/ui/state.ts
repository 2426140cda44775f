/**
 * The page's observable state, exposed as `window.gradscope` for the end-to-end tests (e2e/gui.spec.ts)
 * and for anyone poking at the page from the browser console.
 */
import type { RunResult } from '../model/result';

export interface GradscopeState {
  /** The last successful run, the same object the CLI writes as JSON (model/result.ts); null before the first. */
  lastResult: RunResult | null;
  /** toJson(lastResult): the stable JSON document (non-finite numbers as "NaN"/"Infinity"/"-Infinity"). */
  lastResultJson: string | null;
  /** Number of successful runs since the page loaded. */
  runs: number;
  /** The message in the error area, or null when it is empty. */
  error: string | null;
  /** The notice from openBackend (why the CPU backend runs instead of WebGPU), or null. */
  notice: string | null;
  /** True while a run is in progress or queued. */
  busy: boolean;
}

declare global {
  interface Window {
    gradscope: GradscopeState;
  }
}

/** Create the state object and publish it as window.gradscope. */
export function publishState(): GradscopeState {
  const state: GradscopeState = { lastResult: null, lastResultJson: null, runs: 0, error: null, notice: null, busy: false };
  window.gradscope = state;
  return state;
}
