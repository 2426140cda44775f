/**
 * Training on the digits: the split (seeded, stratified, 1,437 / 360), a minibatch of m per step, the backend's
 * updating step (forward, loss, backward with the optimiser's update of every layer), and every evalEvery steps the
 * loss and accuracy of the whole train and test parts, measured by forward passes alone. A Trainer can be stopped
 * between steps (pause) and continued; the per-layer statistics of every step are kept for the layer × step views.
 */
import type { Backend, RunControl } from '../backends/backend';
import { lossAndGrad } from '../backends/cpu/ops';
import { loadDigits, type Digits } from '../data/digits';
import { digitsBatch, Minibatches, stratifiedSplit, type Split } from '../data/split';
import { DIGITS_CLASSES, optimizerOf, type RunConfig } from '../model/config';
import { findFirstNonFinite, type TensorSite } from '../model/result';
import type { LayerReport, StepResult } from '../model/result';
import { memoryOf, shapeOf, weightsOf } from './problem';

/** Loss J (mean over the examples, the config's loss) and accuracy (fraction of argmax ŷ = label) of a set. */
export interface Metrics {
  loss: number;
  accuracy: number;
}

/** The measurements of one evaluation: after `step` updates (0 = the initial weights). */
export interface Evaluation {
  step: number;
  train: Metrics;
  test: Metrics;
  /** Milliseconds since training began. */
  elapsedMs: number;
}

/** Where and when a run first produced a non-finite value: the step (1-based) and the tensor and layer. */
export interface Divergence extends TensorSite {
  step: number;
}

/** One training step as recorded: its minibatch loss (before the update) and per-layer rms of a^[l] and dW^[l]. */
export interface StepRecord {
  step: number;
  loss: number;
  /** rms(a^[l]) and rms(dW^[l]) for l = 1..L (index l-1). */
  rmsA: Float64Array;
  rmsDW: Float64Array;
}

/** Why a run of the trainer stopped. */
export type TrainingState = 'running' | 'paused' | 'done' | 'diverged';

/** Everything a training run produced so far (the CLI's --json, the GUI's curves and heatmaps). */
export interface TrainingResult {
  config: RunConfig;
  backend: Backend['name'];
  adapter: string;
  state: TrainingState;
  /** Updates done. */
  steps: number;
  evaluations: Evaluation[];
  /** Every step's record, or every `recordEvery`-th one for very deep and long runs (see MAX_RECORDED). */
  records: StepRecord[];
  recordEvery: number;
  divergence: Divergence | null;
  /** Per-layer statistics of the last step (before its update). */
  last: StepResult | null;
  /** Mean milliseconds per training step (updates only, evaluations excluded). */
  msPerStep: number | null;
}

/** Progress of a trainer, as the faces show it. */
export interface TrainingEvents {
  /** After each step, with its record (whether or not it is kept) and its statistics. */
  onStep?(record: StepRecord, result: StepResult): void;
  onEvaluation?(e: Evaluation): void;
}

/** Most layer × step values kept per heatmap (L · steps / recordEvery): 2 million (16 MB per heatmap). */
export const MAX_RECORDED = 2_000_000;

/**
 * Every how many steps a training of `cfg` keeps its StepRecord: 1, or more where L · steps would pass MAX_RECORDED
 * (the last step is always kept). The GUI keeps the same records as the Trainer with it.
 */
export function recordEveryOf(cfg: RunConfig): number {
  const L = shapeOf(cfg).widths.length - 1;
  return Math.max(1, Math.ceil((L * cfg.steps) / MAX_RECORDED));
}

/**
 * The training of one config on one backend. Create with {@link Trainer.start}; {@link Trainer.run} continues until
 * cfg.steps, a divergence, or the signal (a pause: run again to continue).
 */
export class Trainer {
  private readonly digits: Digits;
  private readonly split: Split;
  private readonly batches: Minibatches;
  private readonly t0 = performance.now();
  private stepMs = 0;
  private readonly res: TrainingResult;

  private constructor(readonly cfg: RunConfig, readonly backend: Backend) {
    this.digits = loadDigits();
    this.split = stratifiedSplit(this.digits.labels, DIGITS_CLASSES, cfg.seed);
    this.batches = new Minibatches(this.split.train, cfg.batch, cfg.seed);
    this.res = {
      config: cfg, backend: backend.name, adapter: backend.adapter, state: 'running', steps: 0, evaluations: [], records: [],
      recordEvery: recordEveryOf(cfg), divergence: null, last: null, msPerStep: null,
    };
  }

  /** The train and test parts (example indices). */
  get parts(): Split {
    return this.split;
  }

  /** The result so far (a live object: it grows as the trainer runs). */
  get result(): TrainingResult {
    return this.res;
  }

  /**
   * Load the network of `cfg` with its optimiser (building only if the shape changed), draw the weights, and evaluate
   * them (step 0).
   * @throws ConfigError-like Error if cfg.steps is 0 or the input is not digits; LimitError before any allocation;
   *   CancelledError.
   */
  static async start(cfg: RunConfig, backend: Backend, control: RunControl = {}, events: TrainingEvents = {}): Promise<Trainer> {
    if (cfg.steps < 1 || cfg.input !== 'digits') throw new Error('Trainer.start: a training config has steps ≥ 1 and input digits');
    const trainer = new Trainer(cfg, backend);
    const shape = shapeOf(cfg);
    const optimizer = optimizerOf(cfg);
    const memory = memoryOf(cfg);
    backend.plan(shape, memory); // throws LimitError before anything is built
    const first = digitsBatch(trainer.digits, trainer.batches.nextIndices(), shape.widths[shape.widths.length - 1]);
    await backend.setProblem({ shape, weights: weightsOf(cfg), batch: first, memory, training: optimizer }, control);
    trainer.pending = first;
    await trainer.evaluate(control, events);
    return trainer;
  }

  /** The minibatch of the next step, drawn already (the first is the problem's). */
  private pending: ReturnType<typeof digitsBatch> | null = null;

  /**
   * Train until cfg.steps updates, a non-finite value (state 'diverged', with the step, tensor and layer), or the
   * signal fires between two steps (state 'paused'; run again to continue). Evaluates every evalEvery steps and
   * after the last.
   * @returns the state it stopped in.
   */
  async run(control: RunControl = {}, events: TrainingEvents = {}): Promise<TrainingState> {
    const cfg = this.cfg, res = this.res;
    if (res.state === 'done' || res.state === 'diverged') return res.state;
    res.state = 'running';
    const L = shapeOf(cfg).widths.length - 1;
    const outputs = shapeOf(cfg).widths[L];
    while (res.steps < cfg.steps) {
      if (control.signal?.aborted) return (res.state = 'paused');
      const batch = this.pending ?? digitsBatch(this.digits, this.batches.nextIndices(), outputs);
      this.pending = null;
      this.backend.setBatch(batch);
      const t = performance.now();
      const result = await this.backend.step({ onProgress: control.onProgress }, { update: true });
      this.stepMs += performance.now() - t;
      res.steps++;
      res.msPerStep = this.stepMs / res.steps;
      res.last = result;
      const record = recordOf(res.steps, result);
      if (res.steps % res.recordEvery === 0 || res.steps === cfg.steps) res.records.push(record);
      events.onStep?.(record, result);
      const site = findFirstNonFinite(result.layers) ?? (Number.isFinite(result.loss) ? null : { tensor: 'a' as const, layer: L });
      if (site) {
        res.divergence = { step: res.steps, ...site };
        await this.evaluate(control, events);
        return (res.state = 'diverged');
      }
      if (res.steps % cfg.evalEvery === 0 || res.steps === cfg.steps) await this.evaluate(control, events);
    }
    return (res.state = 'done');
  }

  /** Loss and accuracy of the train and test parts at the current step (forward passes in batches of m). */
  private async evaluate(control: RunControl, events: TrainingEvents): Promise<void> {
    const e: Evaluation = {
      step: this.res.steps,
      train: await this.measure(this.split.train, control),
      test: await this.measure(this.split.test, control),
      elapsedMs: performance.now() - this.t0,
    };
    this.res.evaluations.push(e);
    events.onEvaluation?.(e);
  }

  /**
   * Loss and accuracy of a set of examples: chunks of m (the last padded with the set's first examples, whose
   * outputs are ignored), ŷ read back, the loss in float64 by the CPU reference's formulas.
   */
  async measure(examples: ArrayLike<number>, control: RunControl = {}): Promise<Metrics> {
    const m = this.cfg.batch, widths = shapeOf(this.cfg).widths, nL = widths[widths.length - 1];
    let lossSum = 0, correct = 0;
    for (let start = 0; start < examples.length; start += m) {
      const count = Math.min(m, examples.length - start);
      const indices = Array.from({ length: m }, (_, j) => examples[j < count ? start + j : j - count]);
      const batch = digitsBatch(this.digits, indices, nL);
      const yhat = await this.backend.predict(batch.X, { signal: undefined, onProgress: control.onProgress });
      const { perExample } = lossAndGrad(this.cfg.loss, yhat, batch.Y, batch.labels, nL, m);
      for (let j = 0; j < count; j++) {
        lossSum += perExample[j];
        let best = 0;
        for (let i = 1; i < nL; i++) if (yhat[i * m + j] > yhat[best * m + j]) best = i;
        if (best === batch.labels[j]) correct++;
      }
    }
    return { loss: lossSum / examples.length, accuracy: correct / examples.length };
  }
}

/** The record of a step: its loss and the rms of a^[l] and dW^[l] per layer. */
function recordOf(step: number, result: StepResult): StepRecord {
  const rms = (pick: (r: LayerReport) => number) => Float64Array.from(result.layers, pick);
  return { step, loss: result.loss, rmsA: rms((r) => r.a.rms), rmsDW: rms((r) => r.dW.rms) };
}

/**
 * Train `cfg` from its initial weights to the end (or a divergence) on `backend`.
 * @throws as {@link Trainer.start}; CancelledError is not thrown by the steps: a fired signal stops the run between
 *   steps (state 'paused').
 */
export async function train(cfg: RunConfig, backend: Backend, control: RunControl = {}, events: TrainingEvents = {}): Promise<TrainingResult> {
  const trainer = await Trainer.start(cfg, backend, control, events);
  await trainer.run(control, events);
  return trainer.result;
}
