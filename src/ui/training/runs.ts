/**
 * The training runs on screen, without the DOM: the config a Train press trains (the panel's, with a default number
 * of steps when the panel says 0), the four runs of "Compare initialisations while training" (He, Glorot, N(0, 1),
 * 0.5·I, with the panel's optimiser or with Adam η = 1e-3), and one run's data as it arrives from the Session's
 * events (evaluations, minibatch losses, per-layer records, divergence), with its state in words.
 */
import { DEFAULT_GAIN, type FieldName, type RunConfig } from '../../model/config';
import { recordEveryOf, type Divergence, type Evaluation, type StepRecord, type TrainingResult } from '../../session/train';
import type { Trainer } from '../../session/train';
import { applyOverrides, describeInit, differenceLabels, fieldText, MAX_PINNED, type Overrides } from '../compare';
import { formatMs } from '../format';
import { CURRENT_COLOR, PIN_COLORS } from '../runs';

/** Steps trained when the panel's steps field is 0 (which means a single step without an update). */
export const DEFAULT_TRAIN_STEPS = 500;

/** The learning rate η of the Adam variant of the comparison (Kingma & Ba's default). */
export const COMPARE_ADAM_LR = 0.001;

/** Which optimiser the comparison trains with: the panel's (SGD η = 0.01 in preset train-compare), or Adam η = 1e-3. */
export type CompareVariant = 'panel' | 'adam';

/**
 * The config a Train press trains: `cfg` itself when cfg.steps > 0; otherwise `cfg` with DEFAULT_TRAIN_STEPS steps and
 * a note that says so.
 * @throws ConfigError naming the field when `cfg` cannot be trained (input not digits, loss sum, extended range, m
 *   past the training part).
 */
export function trainingConfig(cfg: RunConfig): { cfg: RunConfig; note: string | null } {
  if (cfg.steps > 0) return { cfg, note: null }; // resolveConfig has checked the training rules already
  return {
    cfg: { ...applyOverrides(cfg, { steps: String(DEFAULT_TRAIN_STEPS) }), preset: cfg.preset },
    note: `steps is 0 in the panel (one step, no update): training ${DEFAULT_TRAIN_STEPS} steps; set steps to train another number.`,
  };
}

/**
 * The initialisations of "Compare initialisations while training", in order: He (kaiming_normal, default gain √2 for
 * ReLU), Glorot (xavier_normal), N(0, 1) (normal, std 1) and 0.5·I (identity, gain 0.5).
 */
export const TRAINING_INITS: readonly Overrides[] = [
  { init: 'kaiming_normal', gain: DEFAULT_GAIN, mode: 'fan_in' },
  { init: 'xavier_normal', gain: DEFAULT_GAIN },
  { init: 'normal', mean: '0', std: '1' },
  { init: 'identity', gain: '0.5' },
];

/**
 * The runs of "Compare initialisations while training" for the architecture and data of `cfg` (same seed, so the
 * same split and minibatches): one config per TRAINING_INITS entry, with cfg's steps (DEFAULT_TRAIN_STEPS if 0) and
 * optimiser, or with Adam η = 1e-3 for variant 'adam'.
 * @throws ConfigError naming the field when `cfg` cannot be trained.
 */
export function trainingComparison(cfg: RunConfig, variant: CompareVariant): RunConfig[] {
  const base = trainingConfig(cfg).cfg;
  const optimizer: Overrides = variant === 'adam' ? { optimizer: 'adam', lr: String(COMPARE_ADAM_LR) } : {};
  return TRAINING_INITS.map((init) => {
    const all: Overrides = { ...init, ...optimizer };
    // Only the fields that change (an override equal to base's value is left out).
    const changed = Object.fromEntries(Object.entries(all).filter(([k, v]) => fieldText(base, k as FieldName) !== v)) as Overrides;
    return Object.keys(changed).length === 0 ? base : applyOverrides(base, changed);
  });
}

/** Where a run is. */
export type RunState = 'waiting' | 'starting' | 'running' | 'paused' | 'done' | 'diverged' | 'stopped' | 'failed';

/** The sentence of a divergence: "diverged at step 3: first non-finite value in z^[2]". */
export function divergenceText(d: Divergence): string {
  return `diverged at step ${d.step}: first non-finite value in ${d.tensor}^[${d.layer}]`;
}

/** The minibatch losses J of every step so far (step k at index k − 1). */
export class StepLosses {
  private values = new Float64Array(64);
  private n = 0;

  /** Steps recorded (the last step number). */
  get length(): number {
    return this.n;
  }

  /** The loss of step `step` (1-based); steps must arrive in order 1, 2, 3, … */
  push(step: number, loss: number): void {
    if (step !== this.n + 1) throw new RangeError(`StepLosses: step ${step} after step ${this.n}`);
    if (this.n === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.n++] = loss;
  }

  /** The losses of steps 1..length (a view, not a copy). */
  get all(): Float64Array {
    return this.values.subarray(0, this.n);
  }
}

/** One training run on screen: its config, colour and label, and everything the Session has reported of it. */
export class TrainingRun {
  state: RunState = 'waiting';
  /** Updates done. */
  steps = 0;
  readonly evaluations: Evaluation[] = [];
  losses = new StepLosses();
  /** The records the Trainer keeps too: every recordEvery-th step and the last (layer × step heatmaps). */
  readonly records: StepRecord[] = [];
  readonly recordEvery: number;
  divergence: Divergence | null = null;
  /** The Trainer's result (a live object) once the Session returned it: paused, done or diverged. */
  result: TrainingResult | null = null;
  /** The trainer of a paused run (to continue it), else null. */
  trainer: Trainer | null = null;
  /** Why it stopped or failed, or a note (e.g. the default number of steps); null when there is nothing to say. */
  message: string | null = null;
  /** Set by the view: the legend label and colour. */
  label = '';
  color: string = CURRENT_COLOR;

  /**
   * @param config the training config (steps ≥ 1, digits)
   * @param pinned true for a run of a comparison (kept on the axes until the next comparison), false for a Train run
   */
  constructor(readonly config: RunConfig, readonly pinned: boolean) {
    this.recordEvery = recordEveryOf(config);
  }

  /** Forget what was measured (a run that restarts from its initial weights). */
  reset(): void {
    this.steps = 0;
    this.evaluations.length = 0;
    this.records.length = 0;
    this.divergence = null;
    this.result = null;
    this.trainer = null;
    this.losses = new StepLosses();
  }

  /** A step reported by the Session (events.onStep). */
  addStep(record: StepRecord): void {
    this.steps = record.step;
    this.losses.push(record.step, record.loss);
    if (record.step % this.recordEvery === 0 || record.step === this.config.steps) this.records.push(record);
  }

  /** An evaluation reported by the Session (events.onEvaluation). */
  addEvaluation(e: Evaluation): void {
    this.evaluations.push(e);
  }

  /** The last evaluation, or null before the first. */
  get lastEvaluation(): Evaluation | null {
    return this.evaluations.length > 0 ? this.evaluations[this.evaluations.length - 1] : null;
  }

  /** The evaluations worth drawing: those before the divergence (the one after it measures a broken network). */
  get drawnEvaluations(): Evaluation[] {
    const d = this.divergence;
    return d ? this.evaluations.filter((e) => e.step < d.step) : this.evaluations;
  }

  /** The run's state in words: "step 120 of 500", "paused at step 7 of 30", "diverged at step 3: …", "done: …". */
  statusText(): string {
    const N = this.config.steps;
    const perStep = this.result?.msPerStep ? `, ${formatMs(this.result.msPerStep)} per step` : '';
    switch (this.state) {
      case 'waiting': return 'waiting';
      case 'starting': return 'loading the network and measuring step 0';
      case 'running': return `step ${this.steps} of ${N}`;
      case 'paused': return `paused at step ${this.steps} of ${N}`;
      case 'done': return `done: ${N} steps${perStep}`;
      case 'diverged': return this.divergence ? divergenceText(this.divergence) : 'diverged';
      case 'stopped': return `stopped at step ${this.steps} of ${N}`;
      case 'failed': return 'failed';
    }
  }
}

/** The initialisation and optimiser of `cfg` in a few characters: "kaiming_normal (He), sgd η = 0.01". */
export function describeTraining(cfg: RunConfig): string {
  return `${describeInit(cfg)}, ${cfg.optimizer} η = ${cfg.lr}`;
}

/**
 * Give each run its colour and legend label: pins (runs of a comparison) in PIN_COLORS order, a Train run in
 * PIN_COLORS[0] when it is alone and in CURRENT_COLOR beside pins; labels name what differs between the runs
 * ("kaiming_normal (He)", "current: optimizer adam, lr 0.001"), or the initialisation and optimiser of a run alone.
 */
export function labelRuns(runs: readonly TrainingRun[]): void {
  const labels = differenceLabels(runs.map((r) => r.config));
  const pins = runs.filter((r) => r.pinned).length;
  let pin = 0;
  runs.forEach((r, i) => {
    if (r.pinned) {
      r.color = PIN_COLORS[pin++ % MAX_PINNED];
      r.label = labels[i] || `run ${i + 1}`;
    } else {
      r.color = pins === 0 ? PIN_COLORS[0] : CURRENT_COLOR;
      r.label = pins === 0 ? describeTraining(r.config) : `current${labels[i] ? `: ${labels[i]}` : ''}`;
    }
  });
}
