/**
 * The stable JSON and CSV forms of a training run (README "Training"): the whole run (the CLI's --json, the GUI's
 * export), one line per evaluation (the CLI's --jsonl), and the evaluations as CSV (the CLI's --csv, the GUI's
 * export). Non-finite numbers are the strings "NaN", "Infinity", "-Infinity" in JSON, NaN, Infinity, -Infinity in CSV.
 */
import Papa from 'papaparse';
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

/** CSV of the evaluations: step,trainLoss,trainAccuracy,testLoss,testAccuracy,elapsedMs (Papa Parse's unparse). */
export function trainingCsv(r: TrainingResult): string {
  const data = r.evaluations.map((e) => [e.step, e.train.loss, e.train.accuracy, e.test.loss, e.test.accuracy, Math.round(e.elapsedMs)]);
  return `${Papa.unparse({ fields: ['step', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'elapsedMs'], data }, { newline: '\n' })}\n`;
}
