/**
 * The progress box, shown while a run is in progress: a bar (units done of total), the phase with the layer it
 * reached, elapsed and estimated remaining time, the run's memory plan, and a Cancel button.
 */
import type { MemorySummary } from '../backends/backend';
import type { RunProgress } from '../session/session';
import { formatBytes, formatDuration } from './format';

/** The box's elements (index.html #progress). */
export interface ProgressElements {
  box: HTMLElement;
  bar: HTMLProgressElement;
  text: HTMLElement;
  plan: HTMLElement;
  cancel: HTMLButtonElement;
}

/** Phases with a layer count; the others (build, loss, stats) are one piece of work each. */
const LAYER_PHASES = new Set<RunProgress['phase']>(['init', 'forward', 'backward']);

/**
 * One line for a progress report: the phase, "layer/L" for per-layer phases, the time spent and the estimate of
 * what is left, e.g. "forward 1234/5000, 12 s, ~40 s left".
 */
export function progressText(p: RunProgress): string {
  const phase = p.phase === 'stats' ? 'statistics' : p.phase;
  const where = LAYER_PHASES.has(p.phase) ? `${phase} ${p.layer}/${p.config.depth}` : p.phase === 'train' ? `training step ${p.done}/${p.total}` : phase;
  const left = p.remainingMs === null ? '' : `, ~${formatDuration(p.remainingMs)} left`;
  return `${where}, ${formatDuration(p.elapsedMs)}${left}`;
}

/**
 * The memory plan in one line, e.g. "memory 123.4 MiB of 2 GiB (activations recomputed every 71 layers)".
 */
export function planText(m: MemorySummary): string {
  const recompute = m.checkpointEvery === null ? '' : ` (activations recomputed every ${m.checkpointEvery} layers)`;
  return `memory ${formatBytes(m.totalBytes)} of ${formatBytes(m.budgetBytes)}${recompute}`;
}

export class ProgressView {
  /** @param onCancel called when the Cancel button is pressed */
  constructor(private readonly el: ProgressElements, onCancel: () => void) {
    el.cancel.addEventListener('click', onCancel);
    this.hide();
  }

  /** Show the box with `p`, or as "starting…" (an indeterminate bar) before the first report of a run. */
  show(p: RunProgress | null): void {
    this.el.box.hidden = false;
    if (p === null) {
      this.el.bar.removeAttribute('value'); // indeterminate
      this.el.text.textContent = 'starting…';
      return;
    }
    this.el.bar.max = p.total;
    this.el.bar.value = p.done;
    this.el.text.textContent = progressText(p);
  }

  /** Show the memory plan of the run in progress, or nothing. */
  showPlan(m: MemorySummary | null): void {
    this.el.plan.textContent = m === null ? '' : planText(m);
  }

  /** Hide the box (no run in progress). */
  hide(): void {
    this.el.box.hidden = true;
    this.showPlan(null);
  }
}
