/**
 * The training section of the page: Train / Pause / Resume / Cancel for the panel's network, "Compare
 * initialisations while training" (He, Glorot, N(0, 1), 0.5·I one after another on the same data and seed, with the
 * panel's optimiser or with Adam η = 1e-3), the loss and accuracy curves of every run on the same axes, updated at
 * each step and evaluation, the layer × step heatmaps of rms(dW^[l]) and rms(a^[l]) of one run, its progress (step k
 * of N, elapsed, remaining), a table of the runs' last evaluations, the lesson's note, and the exports (JSON, CSV).
 *
 * Runs go through the page's one Session, one at a time: a comparison trains its runs in order and fills the view in
 * as they go. Pause stops the run between two steps (the Session's cancel; the outcome keeps its Trainer) and Resume
 * continues it; if another run has used the backend meanwhile the Session refuses and the message says so. Cancel
 * stops the run in progress for good: its curves stay (state 'stopped'), the runs of a comparison still waiting are
 * dropped. A change in the panel (or any other run of the page) does the same as Cancel, with the field named in the
 * status line ({@link TrainingView.interrupt}).
 */
import './training.css';
import { ConfigError, resolveConfig, type FieldName, type RawConfig, type RunConfig } from '../../model/config';
import { StaleTrainerError, type RunProgress, type Session, type TrainingOutcome } from '../../session/session';
import { trainingCsv, trainingJson } from '../../session/training-json';
import type { Divergence, Evaluation, Trainer, TrainingEvents } from '../../session/train';
import { download, fileStem } from '../export';
import { formatDuration, formatNumber } from '../format';
import { TRAINING_TEXT } from '../explanations';
import { TrainingCurves, type CurveInfo } from './curves';
import { Heatmap, type HeatmapInfo } from './heatmap';
import {
  DEFAULT_TRAIN_STEPS, labelRuns, trainingComparison, trainingConfig, TrainingRun, type CompareVariant, type RunState,
} from './runs';

/** The section's elements (index.html #training). */
export interface TrainingElements {
  body: HTMLElement;
  train: HTMLButtonElement;
  pause: HTMLButtonElement;
  resume: HTMLButtonElement;
  cancel: HTMLButtonElement;
  compare: HTMLButtonElement;
  compareAdam: HTMLButtonElement;
  exportJson: HTMLButtonElement;
  exportCsv: HTMLButtonElement;
  progress: HTMLElement;
  progressBar: HTMLProgressElement;
  progressText: HTMLElement;
  status: HTMLElement;
  lesson: HTMLElement;
  runs: HTMLTableElement;
  lossCanvas: HTMLCanvasElement;
  accuracyCanvas: HTMLCanvasElement;
  heatmapRun: HTMLSelectElement;
  heatmapDW: HTMLCanvasElement;
  heatmapA: HTMLCanvasElement;
  tipDW: HTMLElement;
  tipA: HTMLElement;
}

/** What the section needs from the page. */
export interface TrainingDeps {
  session: Session;
  /** The panel's fields as typed (validated here, so a bad one is reported as the panel reports it). */
  readPanel(): RawConfig;
  showError(message: string): void;
  clearError(): void;
  /** Outline the panel's fields that an error names ([] clears). */
  markInvalid(fields: readonly (FieldName | 'preset')[]): void;
}

/** One run as window.gradscope.training.runs publishes it. */
export interface TrainingRunInfo {
  label: string;
  color: string;
  pinned: boolean;
  config: RunConfig;
  state: RunState;
  steps: number;
  evaluations: Evaluation[];
  divergence: Divergence | null;
  message: string | null;
}

/** window.gradscope.training: the section's state and actions, for the tests and the console. */
export interface TrainingHooks {
  /** The state of the current run (the one in progress or paused, else the last one started); 'idle' before any. */
  readonly state: RunState | 'idle';
  /** True while a run is starting or running (not when paused). */
  readonly busy: boolean;
  /** Updates done and planned (cfg.steps) of the current run. */
  readonly steps: number;
  readonly total: number;
  /** The current run's evaluations (step, train and test loss and accuracy) and divergence. */
  readonly evaluations: Evaluation[];
  readonly divergence: Divergence | null;
  /** The status line as shown, e.g. "diverged at step 3: first non-finite value in z^[2]". */
  readonly status: string;
  /** Every run on the axes, pins (a comparison) first. */
  readonly runs: TrainingRunInfo[];
  /** What the curves and heatmaps draw (updated at each redraw). */
  readonly curves: { loss: CurveInfo; accuracy: CurveInfo };
  readonly heatmaps: { run: string | null; dW: HeatmapInfo; a: HeatmapInfo };
  /** The buttons' actions. */
  train(): void;
  pause(): void;
  resume(): void;
  cancel(): void;
  compare(variant?: CompareVariant): void;
  /** trainingJson / trainingCsv of the heatmaps' run (null before it has a result: while running, use pause). */
  json(): string | null;
  csv(): string | null;
  /**
   * The per-layer records of the heatmaps' run as the view keeps them from the Session's onStep events ('view') or
   * as the Trainer kept them in its result ('trainer'; [] before the run has a result): step, and rms(dW^[l]) and
   * rms(a^[l]) with layer l at index l − 1.
   */
  records(from: 'view' | 'trainer'): { step: number; rmsDW: number[]; rmsA: number[] }[];
  /**
   * The value the heatmap `which` draws in the cell of layer `layer` (1..L) and step `step` (1..N): the geometric
   * mean of the cell's values (the value itself when the heatmap is not binned), 0 for a cell of zeros, NaN for one
   * with a non-finite value; null for a cell not filled yet or outside the grid.
   */
  heatmapValue(which: 'dW' | 'a', layer: number, step: number): number | null;
}

/** What a stop of the run in progress was asked for. */
type Stop = { kind: 'pause' } | { kind: 'cancel'; reason: string } | null;

/**
 * The training section's controller: owns the runs on the axes, hands them to the Session one at a time and draws
 * their curves, heatmaps, table, progress and status. Its buttons are wired in the constructor; `hooks` is what
 * window.gradscope.training publishes.
 */
export class TrainingView {
  /** The runs on the axes: pins of a comparison, then the Train run. */
  private runs: TrainingRun[] = [];
  /** Runs of a comparison still to train, in order. */
  private queue: TrainingRun[] = [];
  /** The run handed to the Session (starting or running), or paused; null when none. */
  private active: TrainingRun | null = null;
  /** The run last started (the current run when none is active). */
  private last: TrainingRun | null = null;
  private stop: Stop = null;
  /** The run the heatmaps show by the user's choice; null: follow the current run. */
  private heatmapChoice: TrainingRun | null = null;
  /** A note on the current Train run (e.g. the default number of steps), or null. */
  private note: string | null = null;
  private progressReport: RunProgress | null = null;
  private panelSteps = 0;
  private frame: number | null = null;
  private readonly curves: TrainingCurves;
  private readonly dW: Heatmap;
  private readonly a: Heatmap;
  readonly hooks: TrainingHooks;

  /**
   * @param el the section's elements (index.html #training); the charts and heatmaps are drawn on its canvases
   * @param deps the page's Session (shared with the page's runs) and its panel and error line
   */
  constructor(private readonly el: TrainingElements, private readonly deps: TrainingDeps) {
    this.curves = new TrainingCurves({ loss: el.lossCanvas, accuracy: el.accuracyCanvas });
    this.dW = new Heatmap(el.heatmapDW, el.tipDW, 'rms(dW[l])', (r) => r.rmsDW);
    this.a = new Heatmap(el.heatmapA, el.tipA, 'rms(a[l])', (r) => r.rmsA);
    el.train.addEventListener('click', () => this.train());
    el.pause.addEventListener('click', () => this.pause());
    el.resume.addEventListener('click', () => this.resume());
    el.cancel.addEventListener('click', () => this.cancel());
    el.compare.addEventListener('click', () => this.compare('panel'));
    el.compareAdam.addEventListener('click', () => this.compare('adam'));
    el.exportJson.addEventListener('click', () => this.export('json'));
    el.exportCsv.addEventListener('click', () => this.export('csv'));
    el.heatmapRun.addEventListener('change', () => {
      this.heatmapChoice = this.runs[Number(el.heatmapRun.value)] ?? null;
      this.render();
    });
    // Live values (getters): the tests read them at any moment, not only after a redraw.
    const live = <T>(get: () => T): PropertyDescriptor => ({ get, enumerable: true });
    const actions = {
      train: () => this.train(),
      pause: () => this.pause(),
      resume: () => this.resume(),
      cancel: () => this.cancel(),
      compare: (variant: CompareVariant = 'panel') => this.compare(variant),
      json: () => { const r = this.heatmapRun?.result; return r ? trainingJson(r) : null; },
      csv: () => { const r = this.heatmapRun?.result; return r ? trainingCsv(r) : null; },
      records: (from: 'view' | 'trainer') => {
        const run = this.heatmapRun;
        const records = from === 'view' ? run?.records : run?.result?.records;
        return (records ?? []).map((r) => ({ step: r.step, rmsDW: Array.from(r.rmsDW), rmsA: Array.from(r.rmsA) }));
      },
      heatmapValue: (which: 'dW' | 'a', layer: number, step: number) => (which === 'dW' ? this.dW : this.a).valueAt(layer, step),
    };
    this.hooks = Object.defineProperties(actions, {
      state: live(() => this.current?.state ?? 'idle'),
      busy: live(() => this.active !== null && (this.active.state === 'starting' || this.active.state === 'running')),
      steps: live(() => this.current?.steps ?? 0),
      total: live(() => this.current?.config.steps ?? 0),
      evaluations: live(() => this.current?.evaluations ?? []),
      divergence: live(() => this.current?.divergence ?? null),
      status: live(() => this.statusText()),
      runs: live(() => this.runs.map((r) => this.runInfo(r))),
      curves: live(() => this.curves.info()),
      heatmaps: live(() => ({ run: this.heatmapRun?.label ?? null, dW: this.dW.info(), a: this.a.info() })),
    }) as TrainingHooks;
    this.render();
  }

  /**
   * A Session progress report: true (and shown here) if it is of the run in progress of this section, false for the
   * page's other runs.
   */
  onProgress(p: RunProgress): boolean {
    if (this.active === null || p.config !== this.active.config) return false;
    this.progressReport = p;
    this.scheduleRender();
    return true;
  }

  /** The panel's current network (its steps decide whether the section's body shows before any run). */
  showConfig(cfg: RunConfig): void {
    this.panelSteps = cfg.steps;
    this.scheduleRender();
  }

  /** Train the panel's network (steps from the panel; DEFAULT_TRAIN_STEPS if it says 0). */
  train(): void {
    const panel = this.panelConfig();
    if (!panel) return;
    let t: ReturnType<typeof trainingConfig>;
    try {
      t = trainingConfig(panel);
    } catch (e) {
      this.reportConfigError(e);
      return;
    }
    this.endBatch();
    this.runs = this.runs.filter((r) => r.pinned);
    const run = new TrainingRun(t.cfg, false);
    this.note = t.note;
    this.runs.push(run);
    this.queue = [run];
    this.heatmapChoice = null;
    this.next();
  }

  /**
   * Train the panel's architecture with He, Glorot, N(0, 1) and 0.5·I one after another (replacing every run on the
   * axes), with the panel's optimiser or with Adam η = 1e-3.
   */
  compare(variant: CompareVariant): void {
    const panel = this.panelConfig();
    if (!panel) return;
    let configs: RunConfig[];
    try {
      configs = trainingComparison(panel, variant);
    } catch (e) {
      this.reportConfigError(e);
      return;
    }
    this.endBatch();
    this.runs = configs.map((c) => new TrainingRun(c, true));
    this.note = panel.steps === 0 ? `steps is 0 in the panel (one step, no update): each run trains ${DEFAULT_TRAIN_STEPS} steps.` : null;
    this.queue = [...this.runs];
    this.heatmapChoice = null;
    this.next();
  }

  /** Stop the run in progress between two steps, keeping it to resume. */
  pause(): void {
    const run = this.active;
    if (!run || (run.state !== 'starting' && run.state !== 'running')) return;
    this.stop = { kind: 'pause' };
    this.deps.session.cancel();
  }

  /** Continue the paused run (and then the comparison's waiting runs). */
  resume(): void {
    const run = this.active;
    if (!run || run.state !== 'paused') return;
    this.deps.clearError();
    this.launch(run, run.trainer);
  }

  /**
   * Stop the run in progress or paused for good (its curves stay, state 'stopped'), and drop the comparison's
   * waiting runs.
   */
  cancel(): void {
    this.stopActive('cancelled');
  }

  /**
   * Another run of the page is about to take the backend (a change in the panel, Run, Pin, …): stop the training
   * like Cancel, with `reason` in the status line ("the panel's lr changed"). Nothing happens when no run is
   * active. Call it before the page's request reaches the Session.
   */
  interrupt(reason: string): void {
    this.stopActive(reason);
  }

  private stopActive(reason: string): void {
    const run = this.active;
    if (!run) return;
    this.dropWaiting();
    if (run.state === 'starting' || run.state === 'running') {
      this.stop = { kind: 'cancel', reason };
      this.deps.session.cancel();
    } else {
      this.stopped(run, reason);
    }
  }

  // ---- running ------------------------------------------------------------------------------------------

  /** The run the status line and the hooks describe: the active run, else the last one started. */
  private get current(): TrainingRun | null {
    return this.active ?? this.last;
  }

  /** The run the heatmaps and the exports show. */
  private get heatmapRun(): TrainingRun | null {
    const chosen = this.heatmapChoice && this.runs.includes(this.heatmapChoice) ? this.heatmapChoice : null;
    return chosen ?? this.current ?? this.runs[this.runs.length - 1] ?? null;
  }

  /** The panel's config, validated; null (error shown, field outlined) if a field is bad. */
  private panelConfig(): RunConfig | null {
    try {
      const cfg = resolveConfig(this.deps.readPanel());
      this.deps.clearError();
      this.deps.markInvalid([]);
      return cfg;
    } catch (e) {
      this.reportConfigError(e);
      return null;
    }
  }

  private reportConfigError(e: unknown): void {
    if (!(e instanceof ConfigError)) throw e;
    this.deps.showError(`Not trained: ${e.message}. The curves so far are kept.`);
    this.deps.markInvalid([e.field]);
  }

  /** End what is running or paused (a new Train or comparison replaces it): its run and the waiting ones leave the axes. */
  private endBatch(): void {
    const gone = new Set<TrainingRun>(this.queue);
    if (this.active) gone.add(this.active);
    this.runs = this.runs.filter((r) => !gone.has(r));
    this.queue = [];
    this.active = null;
    this.stop = null;
    this.progressReport = null;
    // The Session itself cancels a running training when the next request reaches it.
  }

  /** Remove the comparison's waiting runs from the axes. */
  private dropWaiting(): void {
    const waiting = new Set(this.queue);
    this.runs = this.runs.filter((r) => !waiting.has(r));
    this.queue = [];
  }

  /**
   * End `run` (the active one) for good: state 'stopped' with `reason`, its curves kept; a run with nothing measured
   * (stopped while loading) leaves the axes.
   */
  private stopped(run: TrainingRun, reason: string): void {
    run.state = 'stopped';
    run.trainer = null;
    run.message = reason;
    if (run.evaluations.length === 0) {
      this.runs = this.runs.filter((r) => r !== run);
      if (this.last === run) this.last = this.runs[this.runs.length - 1] ?? null;
    }
    this.dropWaiting();
    this.active = null;
    this.stop = null;
    this.progressReport = null;
    this.render();
  }

  /** Start the next waiting run, or finish. */
  private next(): void {
    const run = this.queue.shift() ?? null;
    this.active = run;
    this.progressReport = null;
    if (run) this.launch(run, null);
    else this.render();
  }

  /** Hand `run` to the Session: from its initial weights (trainer null) or continuing its paused trainer. */
  private launch(run: TrainingRun, trainer: Trainer | null): void {
    if (trainer === null) run.reset();
    run.state = trainer === null ? 'starting' : 'running';
    run.message = null;
    this.last = run;
    this.stop = null;
    const events: TrainingEvents = {
      onStep: (record) => {
        if (run.state === 'starting') run.state = 'running';
        run.addStep(record);
        this.scheduleRender();
      },
      onEvaluation: (e) => {
        run.addEvaluation(e);
        this.scheduleRender();
      },
    };
    this.render();
    void this.deps.session.train(run.config, events, trainer).then((outcome) => this.settle(run, outcome));
  }

  /** The Session's outcome of `run` (ignored if the run was replaced meanwhile). */
  private settle(run: TrainingRun, outcome: TrainingOutcome): void {
    if (run !== this.active) return;
    const stop = this.stop;
    this.stop = null;
    this.progressReport = null;
    if (outcome.kind === 'failed') {
      const stale = outcome.error instanceof StaleTrainerError;
      const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      run.state = stale ? 'stopped' : 'failed';
      run.trainer = null;
      run.message = message;
      this.deps.showError(`${stale ? 'Not resumed' : 'Training failed'}: ${message}. The curves so far are kept.`);
      // The comparison's waiting runs leave with it; what was measured stays.
      const waiting = new Set(this.queue);
      this.runs = this.runs.filter((r) => !waiting.has(r));
      this.queue = [];
      this.active = null;
      this.render();
      return;
    }
    if (outcome.kind === 'trained') {
      run.result = outcome.result;
      run.steps = outcome.result.steps;
      run.divergence = outcome.result.divergence;
    }
    const finished = outcome.kind === 'trained' && (outcome.result.state === 'done' || outcome.result.state === 'diverged');
    if (!finished && stop?.kind !== 'pause') {
      // Cancel, a change in the panel, or another run of the page (stop null: it took the backend unannounced).
      this.stopped(run, stop?.kind === 'cancel' ? stop.reason : 'another run of the page took the backend');
      return;
    }
    if (outcome.kind === 'cancelled') {
      // Paused while loading, before its first evaluation: nothing measured; Resume starts it again.
      run.state = 'paused';
      run.trainer = null;
      this.render();
      return;
    }
    const result = outcome.result;
    if (!finished) {
      run.state = 'paused';
      run.trainer = outcome.trainer;
      this.render();
      return;
    }
    run.state = result.state; // done or diverged
    run.trainer = null;
    this.next();
  }

  // ---- drawing ------------------------------------------------------------------------------------------

  /** Redraw at the next animation frame (steps may come faster than frames). */
  private scheduleRender(): void {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.render();
    });
  }

  private render(): void {
    if (this.frame !== null) {
      cancelAnimationFrame(this.frame);
      this.frame = null;
    }
    labelRuns(this.runs);
    const el = this.el, run = this.current, active = this.active;
    el.body.hidden = this.runs.length === 0 && this.panelSteps === 0;
    el.pause.disabled = !(active && (active.state === 'starting' || active.state === 'running'));
    el.resume.disabled = !(active && active.state === 'paused');
    el.cancel.disabled = active === null;
    const shown = this.heatmapRun;
    el.exportJson.disabled = el.exportCsv.disabled = !shown?.result;
    el.status.textContent = this.statusText();
    el.status.classList.toggle('bad', run?.state === 'diverged' || run?.state === 'failed' || run?.state === 'stopped');
    this.renderProgress();
    this.renderLesson();
    this.renderRuns();
    this.curves.show(this.runs);
    // The heatmaps' run list.
    const options = this.runs.map((r, i) => new Option(r.label, String(i), false, r === shown));
    el.heatmapRun.replaceChildren(...options);
    el.heatmapRun.disabled = this.runs.length < 2;
    const L = shown ? shown.config.depth : 0;
    const data = shown ? { records: shown.records, layers: L, steps: shown.config.steps } : null;
    this.dW.show(data);
    this.a.show(data);
  }

  /** The status line: what runs (with its place in a comparison), or how the last run ended. */
  private statusText(): string {
    const run = this.current;
    if (!run) return this.panelSteps > 0 ? `Press Train to train ${this.panelSteps} steps.` : `Press Train to train ${DEFAULT_TRAIN_STEPS} steps (steps is 0 in the panel).`;
    const pins = this.runs.filter((r) => r.pinned);
    const place = run.pinned && pins.length > 1 ? `run ${pins.indexOf(run) + 1} of ${pins.length} (${run.label}): ` : '';
    const note = this.note ? ` · ${this.note}` : '';
    const message = run.message ? ` — ${run.message}` : '';
    return `${place}${run.statusText()}${message}${note}`;
  }

  /** The progress bar: step k of N with elapsed and remaining time, or the loading phase. */
  private renderProgress(): void {
    const el = this.el, run = this.active, p = this.progressReport;
    const running = run !== null && (run.state === 'starting' || run.state === 'running');
    el.progress.hidden = !running;
    if (!running) return;
    if (p === null || p.phase !== 'train') {
      el.progressBar.removeAttribute('value');
      el.progressText.textContent = p === null ? 'starting…' : run.state === 'starting' ? `loading: ${p.phase} ${p.done}/${p.total}` : `step ${run.steps} of ${run.config.steps}`;
      return;
    }
    el.progressBar.max = p.total;
    el.progressBar.value = p.done;
    const left = p.remainingMs === null ? '' : `, ~${formatDuration(p.remainingMs)} left`;
    el.progressText.textContent = `step ${p.done} of ${p.total}, ${formatDuration(p.elapsedMs)}${left}`;
  }

  /** What the runs on the axes show (the comparison's lesson; deep networks that 500 steps do not train). */
  private renderLesson(): void {
    const texts: string[] = [];
    if (this.runs.some((r) => r.pinned)) texts.push(this.runs.some((r) => r.pinned && r.config.optimizer === 'adam') ? TRAINING_TEXT.adam : TRAINING_TEXT.lesson);
    if (this.runs.some((r) => r.config.depth >= 50 && r.config.activation === 'relu')) texts.push(TRAINING_TEXT.deep);
    this.el.lesson.textContent = texts.join(' ');
    this.el.lesson.hidden = texts.length === 0;
  }

  /** The table of runs: colour and label, state, and the last evaluation's loss and accuracy. */
  private renderRuns(): void {
    const table = this.el.runs;
    table.hidden = this.runs.length === 0;
    const head = document.createElement('thead');
    head.innerHTML = '<tr><th scope="col">run</th><th scope="col">state</th><th scope="col">at step</th><th scope="col">train loss</th>'
      + '<th scope="col">train acc</th><th scope="col">test loss</th><th scope="col">test acc</th></tr>';
    const body = document.createElement('tbody');
    const percent = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : formatNumber(x));
    for (const run of this.runs) {
      const tr = document.createElement('tr');
      const e = run.lastEvaluation;
      const name = document.createElement('th');
      name.scope = 'row';
      name.style.borderLeftColor = run.color;
      name.textContent = run.label;
      const cells = [run.statusText(), e ? String(e.step) : '—', e ? formatNumber(e.train.loss) : '—', e ? percent(e.train.accuracy) : '—',
        e ? formatNumber(e.test.loss) : '—', e ? percent(e.test.accuracy) : '—'];
      tr.append(name, ...cells.map((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 0) td.className = 'state';
        return td;
      }));
      tr.dataset.state = run.state;
      body.append(tr);
    }
    table.replaceChildren(head, body);
  }

  private runInfo(r: TrainingRun): TrainingRunInfo {
    return {
      label: r.label, color: r.color, pinned: r.pinned, config: r.config, state: r.state, steps: r.steps, evaluations: r.evaluations,
      divergence: r.divergence, message: r.message,
    };
  }

  /** Download the heatmaps' run as JSON (trainingJson) or its evaluations as CSV (trainingCsv). */
  private export(kind: 'json' | 'csv'): void {
    const run = this.heatmapRun, r = run?.result;
    if (!run || !r) return;
    const stem = `${fileStem(run.config)}-train-${run.config.init}-${run.config.optimizer}`;
    if (kind === 'json') download(new Blob([trainingJson(r)], { type: 'application/json' }), `${stem}.json`);
    else download(new Blob([trainingCsv(r)], { type: 'text/csv' }), `${stem}.csv`);
  }
}
