/**
 * A Session owns what the faces (GUI, CLI) must not: the backend's life (opened on first use, reopened when the
 * backend choice changes or after a failure that may have broken it), the queue of requested runs (a new request
 * cancels the running one; only the latest waiting request runs), progress with elapsed and estimated remaining
 * time, cancel, and errors.
 */
import { CancelledError, LimitError, type Backend, type MemorySummary, type Progress } from '../backends/backend';
import type { OpenedBackend } from '../backends/open';
import type { BackendName, RunConfig } from '../model/config';
import type { MemoryOptions } from '../model/network';
import type { RunResult } from '../model/result';
import type { PhaseOptions, PhaseResult } from '../model/phase';
import { runPhase } from './phase';
import { planRun, runStep } from './run';
import { Trainer, type TrainingEvents, type TrainingResult } from './train';

/** Progress of the run in progress, as the faces show it. */
export interface RunProgress extends Progress {
  /** The config being run. */
  config: RunConfig;
  /** Milliseconds since this part began (build, weights, or the step: forward, loss, backward). */
  elapsedMs: number;
  /** Estimated milliseconds left in this part (from the rate so far), or null before any rate is known. */
  remainingMs: number | null;
}

export interface SessionEvents {
  /** Progress of the running request (at least every ~200 ms of work). */
  onProgress?(p: RunProgress): void;
  /** The backend that runs (and why it is not the one asked for), whenever it is opened. */
  onBackend?(backend: Backend, notice: string | null): void;
  /** The memory plan of a request, once its backend is open and before anything is built. */
  onPlan?(config: RunConfig, plan: MemorySummary): void;
}

/** The outcome of a request: its result, or why there is none. */
export type Outcome =
  | { kind: 'done'; result: RunResult }
  | { kind: 'cancelled' }   // by cancel(), or by a newer request
  | { kind: 'failed'; error: unknown };

/**
 * The outcome of a training request: the training so far (state done, diverged, or paused when cancel() or a newer
 * request stopped it between two steps) with its Trainer (to continue a paused one), or why there is none.
 */
export type TrainingOutcome =
  | { kind: 'trained'; result: TrainingResult; trainer: Trainer }
  | { kind: 'cancelled' }   // before the first evaluation was done
  | { kind: 'failed'; error: unknown };

/** Why Session.train refused to continue a paused trainer: another run has used the backend since it was paused. */
export class StaleTrainerError extends Error {
  constructor() {
    super('this training cannot continue: another run has used the backend since it was paused; start it again');
    this.name = 'StaleTrainerError';
  }
}

/** The outcome of a phase-diagram request (session/phase.ts): the diagram, or why there is none. */
export type PhaseOutcome =
  | { kind: 'done'; result: PhaseResult }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: unknown };

export class Session {
  /** The trainer whose network the backend holds (a paused one can continue), or null. */
  private resident: Trainer | null = null;
  private opened: { name: BackendName; backend: Promise<Backend> } | null = null;
  private controller: AbortController | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private latest = 0;
  /** Runs completed, cancelled and failed since the session began. */
  readonly counts = { done: 0, cancelled: 0, failed: 0 };

  /**
   * @param open opens a backend by name (backends/open.ts openBackend with the face's GPU object)
   */
  constructor(private readonly open: (name: BackendName) => Promise<OpenedBackend>, private readonly events: SessionEvents = {}) {}

  /** True while a request is running or waiting. */
  get busy(): boolean {
    return this.controller !== null;
  }

  /**
   * Run `cfg`: cancels the run in progress (it resolves 'cancelled' at its next segment boundary) and runs this one
   * after it; a request superseded while waiting resolves 'cancelled' without running. Never rejects.
   * @param memory overrides of the memory options, e.g. { histograms: true }
   */
  request(cfg: RunConfig, memory: Partial<MemoryOptions> = {}): Promise<Outcome> {
    const id = ++this.latest;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const run = this.queue.then(async (): Promise<Outcome> => {
      if (id !== this.latest || controller.signal.aborted) return this.finish(controller, { kind: 'cancelled' });
      this.resident = null; // the step loads another network
      try {
        const backend = await this.backendFor(cfg.backend);
        this.events.onPlan?.(cfg, planRun(cfg, backend, memory)); // throws LimitError before anything is built
        let clock = '', start = performance.now();
        const result = await runStep(cfg, backend, {
          signal: controller.signal,
          onProgress: (p) => {
            // build and init count their own layers; the step's phases share one count (units of the step), so
            // they share one clock.
            const c = p.phase === 'build' || p.phase === 'init' ? p.phase : 'step';
            if (c !== clock) { clock = c; start = performance.now(); }
            const elapsedMs = performance.now() - start;
            const remainingMs = p.done > 0 ? elapsedMs * (p.total - p.done) / p.done : null;
            this.events.onProgress?.({ ...p, config: cfg, elapsedMs, remainingMs });
          },
        }, memory);
        return this.finish(controller, { kind: 'done', result });
      } catch (error) {
        if (error instanceof CancelledError) return this.finish(controller, { kind: 'cancelled' });
        // Anything but a refused size may have left the backend unusable (e.g. a lost GPU device): reopen next time.
        if (!(error instanceof LimitError)) this.closeBackend();
        return this.finish(controller, { kind: 'failed', error });
      }
    });
    this.queue = run;
    return run;
  }

  /**
   * Train `cfg` (cfg.steps > 0), or continue `paused` (a trainer a 'trained' outcome returned in state 'paused', whose
   * network the backend still holds: no other request ran since; otherwise the outcome is 'failed' with a
   * StaleTrainerError, and the backend is kept). Queued like {@link request}: it cancels the run in progress; cancel()
   * stops it between two steps, with the training so far. Progress: phase 'build'/'init' while
   * loading, then 'train' (steps done of cfg.steps). Never rejects.
   */
  train(cfg: RunConfig, events: TrainingEvents = {}, paused: Trainer | null = null): Promise<TrainingOutcome> {
    const id = ++this.latest;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const run = this.queue.then(async (): Promise<TrainingOutcome> => {
      const done = (o: TrainingOutcome) => {
        if (this.controller === controller) this.controller = null;
        this.counts[o.kind === 'trained' ? 'done' : o.kind]++;
        return o;
      };
      if (id !== this.latest || controller.signal.aborted) return done({ kind: 'cancelled' });
      const start = performance.now();
      const progress = (p: Progress, startMs: number) => {
        const elapsedMs = performance.now() - startMs;
        const remainingMs = p.done > 0 ? elapsedMs * (p.total - p.done) / p.done : null;
        this.events.onProgress?.({ ...p, config: cfg, elapsedMs, remainingMs });
      };
      // A paused trainer whose network the backend no longer holds cannot continue. Refused before anything is
      // touched: the backend and the resident trainer (possibly another paused one) stay as they are.
      if (paused !== null && paused !== this.resident) return done({ kind: 'failed', error: new StaleTrainerError() });
      try {
        let trainer = paused;
        if (trainer === null) {
          this.resident = null;
          const backend = await this.backendFor(cfg.backend);
          this.events.onPlan?.(cfg, planRun(cfg, backend));
          trainer = await Trainer.start(cfg, backend, { signal: controller.signal, onProgress: (p) => progress(p, start) }, events);
          this.resident = trainer;
        }
        const t = trainer;
        const trainStart = performance.now() - (t.result.msPerStep ?? 0) * t.result.steps;
        await t.run({ signal: controller.signal }, {
          ...events,
          onStep: (record, result) => {
            events.onStep?.(record, result);
            progress({ phase: 'train', layer: 0, done: record.step, total: cfg.steps }, trainStart);
          },
        });
        return done({ kind: 'trained', result: t.result, trainer: t });
      } catch (error) {
        this.resident = null;
        if (error instanceof CancelledError) return done({ kind: 'cancelled' });
        if (!(error instanceof LimitError)) this.closeBackend();
        return done({ kind: 'failed', error });
      }
    });
    this.queue = run;
    return run;
  }

  /**
   * Measure the phase diagram of `cfg`'s depth, width, batch and activation over the grid `options` (session/phase.ts:
   * all grid points batched on the WebGPU device, or the float64 reference on the CPU backend), with the mean-field
   * theory. Queued like {@link request}: it cancels the run in progress, and cancel() or a newer request stops it
   * between two submits (WebGPU) or two layers (CPU). Progress: 'forward', 'loss', 'backward' units of all chunks
   * together. Never rejects.
   */
  phase(cfg: RunConfig, options: PhaseOptions): Promise<PhaseOutcome> {
    const id = ++this.latest;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const run = this.queue.then(async (): Promise<PhaseOutcome> => {
      const done = (o: PhaseOutcome) => {
        if (this.controller === controller) this.controller = null;
        this.counts[o.kind]++;
        return o;
      };
      if (id !== this.latest || controller.signal.aborted) return done({ kind: 'cancelled' });
      this.resident = null; // the phase engine uses the device's memory
      try {
        const backend = await this.backendFor(cfg.backend);
        const start = performance.now();
        const result = await runPhase(cfg, options, backend, {
          signal: controller.signal,
          onProgress: (p) => {
            const elapsedMs = performance.now() - start;
            const remainingMs = p.done > 0 ? elapsedMs * (p.total - p.done) / p.done : null;
            this.events.onProgress?.({ ...p, config: cfg, elapsedMs, remainingMs });
          },
        });
        return done({ kind: 'done', result });
      } catch (error) {
        if (error instanceof CancelledError) return done({ kind: 'cancelled' });
        if (!(error instanceof LimitError)) this.closeBackend();
        return done({ kind: 'failed', error });
      }
    });
    this.queue = run;
    return run;
  }

  /** Cancel the run in progress (and any waiting request). */
  cancel(): void {
    this.controller?.abort();
  }

  /**
   * The memory plan of `cfg` on its backend (opening it if needed; call it between runs: a plan for another backend
   * than the running request's closes that request's backend). @throws LimitError with the numbers.
   */
  async plan(cfg: RunConfig, memory: Partial<MemoryOptions> = {}): Promise<MemorySummary> {
    return planRun(cfg, await this.backendFor(cfg.backend), memory);
  }

  /** Release the backend; the session can be used again (it reopens one). */
  close(): void {
    this.cancel();
    this.closeBackend();
  }

  private finish(controller: AbortController, outcome: Outcome): Outcome {
    if (this.controller === controller) this.controller = null;
    this.counts[outcome.kind]++;
    return outcome;
  }

  /** The open backend for `name`, opening it once (concurrent callers share the opening). */
  private backendFor(name: BackendName): Promise<Backend> {
    if (this.opened?.name !== name) {
      this.closeBackend();
      const backend = this.open(name).then((o) => {
        this.events.onBackend?.(o.backend, o.notice);
        return o.backend;
      });
      this.opened = { name, backend };
    }
    return this.opened.backend;
  }

  private closeBackend(): void {
    this.resident = null;
    const opened = this.opened;
    this.opened = null;
    void opened?.backend.then((b) => b.destroy(), () => {});
  }
}
