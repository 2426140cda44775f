/**
 * The CLI's text report of a training run: a header (backend, network, optimiser), one row per evaluation (step,
 * loss and accuracy of the train and test parts), and how it ended (done, diverged with the step and the first
 * non-finite tensor, or interrupted), with the time per step.
 */
import { widthsOf } from '../model/config';
import type { TrainingResult } from '../session/train';
import { formatInit, formatNumber, formatWidths } from './table';

/** The optimiser in words, e.g. "adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8)". */
function formatOptimizer(r: TrainingResult): string {
  const c = r.config;
  const params = c.optimizer === 'sgd' ? [`lr=${c.lr}`] : c.optimizer === 'momentum' ? [`lr=${c.lr}`, `momentum=${c.momentum}`]
    : [`lr=${c.lr}`, `beta1=${c.beta1}`, `beta2=${c.beta2}`, `eps=${c.eps}`];
  if (c.weightDecay > 0) params.push(`weight_decay=${c.weightDecay}`);
  return `${c.optimizer}(${params.join(', ')})`;
}

const percent = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : String(x));

/** How the run ended, in one line. */
export function formatEnding(r: TrainingResult): string {
  const perStep = r.msPerStep === null ? '' : `, ${r.msPerStep.toFixed(1)} ms per step`;
  if (r.state === 'diverged' && r.divergence) {
    const d = r.divergence;
    return `diverged at step ${d.step}: the first non-finite value is in ${d.tensor}^[${d.layer}] (forward W, z, a of layers 1..L, then backward dA, dZ, dW of L..1)${perStep}`;
  }
  if (r.state === 'done') return `done: ${r.steps} steps${perStep}`;
  return `stopped after ${r.steps} of ${r.config.steps} steps (interrupted)${perStep}`;
}

/** The whole report, ending in a newline. */
export function formatTraining(r: TrainingResult): string {
  const c = r.config;
  const lines = [
    `gradscope training  backend ${r.backend}  adapter: ${r.adapter}  preset ${c.preset}`,
    `L=${c.depth}  widths n^[0..L] = ${formatWidths(widthsOf(c))}  m=${c.batch}  activation ${c.activation}  init ${formatInit(c)}`
      + `  bias ${c.bias}${c.biasStd > 0 ? ` ± ${c.biasStd} (normal)` : ''}  loss ${c.loss}  seed ${c.seed}`,
    `optimizer ${formatOptimizer(r)}  steps ${c.steps}  evaluated every ${c.evalEvery} steps on the train (1437) and test (360) parts`,
    '',
    ['step', 'train loss', 'train acc', 'test loss', 'test acc'].map((t, i) => t.padStart(i === 0 ? 7 : 11)).join(' '),
    ...r.evaluations.map((e) => [String(e.step).padStart(7), formatNumber(e.train.loss).padStart(11), percent(e.train.accuracy).padStart(11),
      formatNumber(e.test.loss).padStart(11), percent(e.test.accuracy).padStart(11)].join(' ')),
    '',
    formatEnding(r),
  ];
  return `${lines.join('\n')}\n`;
}
