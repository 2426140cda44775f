/**
 * The runs on screen: the pinned results (at most MAX_PINNED, in pin order) and the current one, each with its
 * colour, its legend label (what differs between them) and its prediction. A current run whose network is pinned is
 * that pin (drawn once).
 */
import type { RunResult } from '../model/result';
import { MAX_PINNED, differenceLabels, sameConfig } from './compare';
import type { ChartRun } from './charts';
import type { Prediction } from './prediction';

/** The colours of pins 1..4, and of a current run that is not pinned. */
export const PIN_COLORS = ['#1f3fb3', '#e08a3c', '#2e9e5b', '#a0307a'] as const;
export const CURRENT_COLOR = '#1d2330';

/** A run on screen (a ChartRun with where it comes from). */
export interface ShownRun extends ChartRun {
  /** Its index among the pins, or null for a current run that is not pinned. */
  pin: number | null;
  /** True for the current result (the one the panel, the table and the exports show). */
  current: boolean;
}

/** The pinned results. */
export class Pins {
  private readonly results: RunResult[] = [];

  get list(): readonly RunResult[] {
    return this.results;
  }

  get full(): boolean {
    return this.results.length >= MAX_PINNED;
  }

  /** True if a result of `r`'s network is pinned. */
  has(r: RunResult): boolean {
    return this.find(r) !== null;
  }

  /** The pinned result of the same network as `r`, or null. */
  find(r: RunResult): RunResult | null {
    return this.results.find((p) => sameConfig(p.config, r.config)) ?? null;
  }

  /** Pin `r`, unless its network is pinned already or MAX_PINNED are. @returns whether it was pinned. */
  add(r: RunResult): boolean {
    if (this.full || this.has(r)) return false;
    this.results.push(r);
    return true;
  }

  /** Unpin pin `i` (0-based); the later pins move up. */
  remove(i: number): void {
    this.results.splice(i, 1);
  }

  clear(): void {
    this.results.length = 0;
  }
}

/**
 * The runs to draw: the current result alone (in its tensors' colours, no label) when nothing is pinned; otherwise
 * every pin in its colour, and the current result in CURRENT_COLOR unless it is one of them, each labelled with what
 * differs between them ("xavier_normal (Glorot)", "current: L = 50").
 * @param predict the prediction for a run (`current`: the current result's, which may be a hand-made one)
 */
export function shownRuns(pins: readonly RunResult[], current: RunResult | null, predict: (r: RunResult, current: boolean) => Prediction | null): ShownRun[] {
  if (pins.length === 0) return current ? [{ result: current, prediction: predict(current, true), color: null, label: '', pin: null, current: true }] : [];
  const at = current ? pins.findIndex((p) => sameConfig(p.config, current.config)) : -1;
  const runs: ShownRun[] = pins.map((p, i) => {
    const isCurrent = i === at;
    const result = isCurrent ? current! : p;
    return { result, prediction: predict(result, isCurrent), color: PIN_COLORS[i], label: '', pin: i, current: isCurrent };
  });
  if (current && at < 0) runs.push({ result: current, prediction: predict(current, true), color: CURRENT_COLOR, label: '', pin: null, current: true });
  const labels = differenceLabels(runs.map((r) => r.result.config));
  runs.forEach((r, i) => {
    r.label = r.pin === null ? `current${labels[i] ? `: ${labels[i]}` : ''}` : labels[i] || `pin ${r.pin + 1}`;
  });
  return runs;
}
