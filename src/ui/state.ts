/**
 * The page's observable state, exposed as `window.gradscope` for the end-to-end tests (e2e/gui.spec.ts)
 * and for anyone poking at the page from the browser console.
 */
import type { Phase } from '../backends/backend';
import type { RunConfig } from '../model/config';
import { toJson, type RunResult } from '../model/result';
import type { ChartInfo, ChartName } from './charts';
import type { DistributionsState } from './distributions/view';
import type { GrowthRow } from './growth-view';
import type { Prediction } from './prediction';
import type { TrainingHooks } from './training/view';
import type { TensorName } from '../model/network';
import type { Quantiles, SeedsSummary } from '../stats/seeds';

/** The Seeds action's summary as window.gradscope.seeds shows it: per layer, each tensor's rms quantiles over the seeds. */
export interface SeedsState {
  /** How many seeds ran (K). */
  count: number;
  /** The seeds, in the order they ran (seed, seed + 1, …). */
  seeds: number[];
  layers: ({ layer: number } & Record<TensorName, Quantiles>)[];
}

/** The rms-only view of `summary` for window.gradscope.seeds. */
export function seedsState(summary: SeedsSummary): SeedsState {
  return {
    count: summary.count,
    seeds: summary.seeds,
    layers: summary.layers.map((l) => ({ layer: l.layer, z: l.z.rms, a: l.a.rms, dA: l.dA.rms, dZ: l.dZ.rms, W: l.W.rms, dW: l.dW.rms })),
  };
}

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
  /**
   * toJson(lastResult): the stable JSON document (non-finite numbers as "NaN"/"Infinity"/"-Infinity"). Made when first
   * read (with histograms at 10,000 layers it is hundreds of MB) and kept until the next result.
   */
  readonly lastResultJson: string | null;
  /** Number of complete runs since the page loaded (runs made to be pinned included). */
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
  /** The pinned runs, in pin order: config, legend label and colour. */
  pinned: { config: RunConfig; label: string; color: string }[];
  /** The growth readout: one row per run on screen (pins, then the current run unless it is pinned). */
  growth: GrowthRow[];
  /** The prediction drawn for the current result (the theory's, or a hand-made one); null where none is drawn. */
  prediction: Prediction | null;
  /** What each chart draws: its axis, y-range and lines; null before the first result. */
  charts: Record<ChartName, ChartInfo> | null;
  /** The last link "Copy link" made (on the clipboard too where the browser allows it), or null. */
  link: string | null;
  /**
   * The theory hook, by hand: draw `p` as the current result's prediction (short-dashed line and band on the charts,
   * predicted factors in the growth readout) until the next result or setPrediction(null).
   * @throws TypeError if `p` is not a Prediction (prediction.ts)
   */
  setPrediction(p: Prediction | null): void;
  /** The Distributions section: its switch, what its heatmap and charts show, what is under the cursor; null before it exists. */
  distributions: DistributionsState | null;
  /** The training section (training/view.ts): its state, runs, curves, heatmaps and actions; null until it is built. */
  training: TrainingHooks | null;
  /**
   * The Seeds action's summary of the current network over K seeds (median, 10% and 90% quantiles of each tensor's rms
   * per layer); null before one, and again once the network changes.
   */
  seeds: SeedsState | null;
}

declare global {
  interface Window {
    gradscope: GradscopeState;
  }
}

/** Create the state object and publish it as window.gradscope. @param actions what cancel() and setPrediction() do */
export function publishState(actions: Pick<GradscopeState, 'cancel' | 'setPrediction'>): GradscopeState {
  let json: { result: RunResult; text: string } | null = null;
  const state: GradscopeState = {
    lastResult: null,
    get lastResultJson() {
      if (!state.lastResult) return null;
      if (json?.result !== state.lastResult) json = { result: state.lastResult, text: toJson(state.lastResult) };
      return json.text;
    },
    runs: 0, cancelled: 0, error: null, notice: null, busy: false, progress: null,
    pinned: [], growth: [], prediction: null, charts: null, link: null, distributions: null, training: null, seeds: null, ...actions,
  };
  window.gradscope = state;
  return state;
}
