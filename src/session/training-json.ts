/**
 * The stable JSON forms of a training run (README "Training"): the whole run (the CLI's --json, the GUI's export)
 * and one line per evaluation (the CLI's --jsonl). Non-finite numbers are the strings "NaN", "Infinity", "-Infinity".
 */
import { jsonNumber } from '../model/result';
import { TENSOR_NAMES } from '../model/network';
import type { Evaluation, TrainingResult } from './train';

/** One evaluation as one line of JSON (no newline): {"step","train":{"loss","accuracy"},"test":{…},"elapsedMs"}. */
export function evaluationLine(e: Evaluation): string {
  return JSON.stringify({ step: e.step, train: e.train, test: e.test, elapsedMs: Math.round(e.elapsedMs) }, jsonNumber);
}

/**
 * The whole run: { config, backend, adapter, state, steps, msPerStep, divergence, evaluations, recordEvery,
 * records: [{ step, loss, rmsA: [l = 1..L], rmsDW: [l = 1..L] }], last: [{ layer, fanIn, fanOut, z, a, dA, dZ, W, dW }] }
 * (last: the statistics of the last step, as in a single step's JSON).
 */
export function trainingJson(r: TrainingResult): string {
  const doc = {
    config: r.config, backend: r.backend, adapter: r.adapter, state: r.state, steps: r.steps, msPerStep: r.msPerStep,
    divergence: r.divergence, evaluations: r.evaluations, recordEvery: r.recordEvery,
    records: r.records.map((x) => ({ step: x.step, loss: x.loss, rmsA: Array.from(x.rmsA), rmsDW: Array.from(x.rmsDW) })),
    last: r.last?.layers.map((l) => {
      const out: Record<string, unknown> = { layer: l.layer, fanIn: l.fanIn, fanOut: l.fanOut };
      for (const t of TENSOR_NAMES) out[t] = l[t];
      return out;
    }) ?? null,
  };
  return JSON.stringify(doc, jsonNumber, 1);
}
