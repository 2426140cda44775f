/**
 * Training runs of the exported PyTorch script (src/session/experiment.py) against gradscope's Trainer: writing an
 * export with the pure builder (src/session/export-torch.ts), running the script, reading its final weights, and
 * measuring how far two training documents (src/session/training-json.ts format) are apart. Used by
 * test/export-torch.test.ts and bench/torch-agreement.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../src/backends/backend';
import type { RunConfig } from '../../src/model/config';
import type { TensorName } from '../../src/model/network';
import { TENSOR_NAMES } from '../../src/model/network';
import { parseJsonNumber } from '../../src/model/result';
import { torchExportFiles } from '../../src/session/export-torch';
import { Trainer } from '../../src/session/train';
import { trainingJson } from '../../src/session/training-json';
import { STAT_NAMES, type StatName } from '../../src/stats/stats';
import { relativeError } from './compare';

/** Debian's interpreter, with python3-torch and python3-numpy (a python3 earlier on PATH may lack them). */
export const PYTHON = '/usr/bin/python3';

type JsonNumber = number | string;
type StatsJson = Record<StatName, JsonNumber> & { log10: Record<'rms' | 'l2' | 'maxAbs', JsonNumber> };
export type LayerJson = { layer: number; fanIn: number; fanOut: number } & Record<TensorName, StatsJson>;
export interface MetricsJson { loss: JsonNumber; accuracy: number }
export interface EvaluationJson { step: number; train: MetricsJson; test: MetricsJson; elapsedMs: number }
export interface RecordJson { step: number; loss: JsonNumber; rmsA: JsonNumber[]; rmsDW: JsonNumber[] }
/** A training document: gradscope's trainingJson, or experiment.py's with a training export. */
export interface TrainingJson {
  config: RunConfig;
  backend: string;
  adapter: string;
  state: 'running' | 'paused' | 'done' | 'diverged';
  steps: number;
  msPerStep: number | null;
  divergence: { step: number; tensor: TensorName; layer: number } | null;
  evaluations: EvaluationJson[];
  recordEvery: number;
  records: RecordJson[];
  last: LayerJson[] | null;
}

/** Write the export of `cfg` into `dir` (created), as the CLI's --export-torch does, from the pure builder. */
export function writeExport(cfg: RunConfig, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const f of torchExportFiles(cfg, { commit: null, dirty: null })) writeFileSync(join(dir, f.path), f.data, { mode: f.executable ? 0o755 : 0o644 });
}

/**
 * Run `python3 DIR/experiment.py ARGS` (one BLAS thread, so two runs can share a two-core machine).
 * @throws with the script's stderr if it exits non-zero.
 */
export function runScript(dir: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(dir, 'experiment.py'), ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`experiment.py ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

/** The weights experiment.py --save-weights wrote: W<l>.bin (n^[l], n^[l-1]) and b<l>.bin (n^[l]), float64 LE. */
export function readSavedWeights(dir: string, layers: number): { W: Float64Array[]; b: Float64Array[] } {
  const f64 = (file: string) => {
    const bytes = readFileSync(join(dir, file));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Float64Array.from({ length: bytes.byteLength / 8 }, (_, i) => view.getFloat64(8 * i, true));
  };
  const L = Array.from({ length: layers }, (_, i) => i + 1);
  return { W: L.map((l) => f64(`W${l}.bin`)), b: L.map((l) => f64(`b${l}.bin`)) };
}

/** Final weights of a run: W^[l] (n^[l], n^[l-1]) and b^[l] (n^[l]) of every layer, row-major. */
export interface Weights { W: ArrayLike<number>[]; b: ArrayLike<number>[] }

/** One training run: its document, its final weights, and its wall-clock seconds (start to end, evaluations included). */
export interface TrainingRun { doc: TrainingJson; weights: Weights; seconds: number }

/** gradscope's training of `cfg` (config.steps ≥ 1, digits) on `backend`: trainingJson's document, final weights. */
export async function trainGradscope(cfg: RunConfig, backend: Backend): Promise<TrainingRun> {
  const t0 = performance.now();
  const trainer = await Trainer.start(cfg, backend);
  await trainer.run();
  return { doc: JSON.parse(trainingJson(trainer.result)) as TrainingJson, weights: await backend.readWeights(), seconds: (performance.now() - t0) / 1000 };
}

/**
 * The exported script's training in `dtype` (`experiment.py --same-numbers --dtype DTYPE --save-weights`, the export
 * in `dir`; writes DTYPE.json and DTYPE-weights/ there).
 * @param layers L, the number of weight files to read back.
 * @throws as {@link runScript}.
 */
export async function trainTorch(dir: string, dtype: 'float64' | 'float32', layers: number, extra: readonly string[] = []): Promise<TrainingRun> {
  const json = join(dir, `${dtype}.json`), saved = join(dir, `${dtype}-weights`);
  const t0 = performance.now();
  await runScript(dir, ['--same-numbers', '--dtype', dtype, '--json', json, '--save-weights', saved, ...extra]);
  return { doc: JSON.parse(readFileSync(json, 'utf8')) as TrainingJson, weights: readSavedWeights(saved, layers), seconds: (performance.now() - t0) / 1000 };
}

/**
 * Relative difference |got − want| / |want| of two JSON numbers: 0 where both are the same special value (NaN, ±∞)
 * or both 0, ∞ where only one is special (a mismatch no tolerance admits).
 */
export function relDiff(got: JsonNumber, want: JsonNumber): number {
  const [g, w] = [parseJsonNumber(got), parseJsonNumber(want)];
  if (Number.isNaN(w) || Number.isNaN(g)) return Number.isNaN(w) && Number.isNaN(g) ? 0 : Infinity;
  if (!Number.isFinite(w) || !Number.isFinite(g)) return g === w ? 0 : Infinity;
  return g === w ? 0 : Math.abs(g - w) / Math.abs(w);
}

/** How far a training document is from a reference: the largest difference of each kind. */
export interface TrainingAgreement {
  /** Largest relative difference of an evaluation's loss (train and test parts, every evaluation). */
  evalLoss: number;
  /** Largest difference of an evaluation's accuracy, in examples (accuracy × examples of the part). */
  accuracyExamples: number;
  /** Largest relative difference of a record's minibatch loss, rms(a^[l]) and rms(dW^[l]) (every recorded step). */
  recordLoss: number;
  rmsA: number;
  rmsDW: number;
  /**
   * Largest difference of a statistic of the last step's tensors: mean, std, min, max relative to the tensor's rms;
   * rms and l2 relative to themselves; ∞ if a count (count, nanCount, infCount, zeroFraction) differs.
   */
  last: number;
  /** The first recorded step whose loss, rms(a^[l]) or rms(dW^[l]) differs by more than `tol` relative, or null. */
  firstBeyond: number | null;
  /** What differs in structure (state, steps, divergence, which steps were evaluated and recorded), or []. */
  mismatches: string[];
}

/**
 * Compare a training document with a reference. The steps evaluated and recorded, the state and the divergence must
 * be equal (listed in `mismatches` otherwise); the numbers are measured.
 * @param tol the relative difference {@link TrainingAgreement.firstBeyond} looks for (dimensionless)
 * @param examples the examples of the train and test parts (1437 and 360 for the digits) for the accuracy.
 */
export function compareTraining(got: TrainingJson, ref: TrainingJson, tol = 1e-4, examples = { train: 1437, test: 360 }): TrainingAgreement {
  const mismatches: string[] = [];
  const same = (what: string, g: unknown, r: unknown) => {
    if (JSON.stringify(g) !== JSON.stringify(r)) mismatches.push(`${what}: got ${JSON.stringify(g)}, want ${JSON.stringify(r)}`);
  };
  same('state', got.state, ref.state);
  same('steps', got.steps, ref.steps);
  same('divergence', got.divergence, ref.divergence);
  same('recordEvery', got.recordEvery, ref.recordEvery);
  same('evaluation steps', got.evaluations.map((e) => e.step), ref.evaluations.map((e) => e.step));
  same('record steps', got.records.map((r) => r.step), ref.records.map((r) => r.step));
  let evalLoss = 0, accuracyExamples = 0, recordLoss = 0, rmsA = 0, rmsDW = 0, last = 0;
  let firstBeyond: number | null = null;
  ref.evaluations.forEach((e, i) => {
    const g = got.evaluations[i];
    if (!g) return;
    for (const part of ['train', 'test'] as const) {
      evalLoss = Math.max(evalLoss, relDiff(g[part].loss, e[part].loss));
      accuracyExamples = Math.max(accuracyExamples, Math.round(Math.abs(g[part].accuracy - e[part].accuracy) * examples[part]));
    }
  });
  ref.records.forEach((r, i) => {
    const g = got.records[i];
    if (!g) return;
    const step = [relDiff(g.loss, r.loss), ...r.rmsA.map((v, l) => relDiff(g.rmsA[l], v)), ...r.rmsDW.map((v, l) => relDiff(g.rmsDW[l], v))];
    recordLoss = Math.max(recordLoss, step[0]);
    rmsA = Math.max(rmsA, ...step.slice(1, 1 + r.rmsA.length));
    rmsDW = Math.max(rmsDW, ...step.slice(1 + r.rmsA.length));
    if (firstBeyond === null && step.some((d) => !(d <= tol))) firstBeyond = r.step;
  });
  if ((got.last === null) !== (ref.last === null)) mismatches.push('last: one document has none');
  ref.last?.forEach((layer, i) => {
    const g = got.last?.[i];
    if (!g) return;
    for (const t of TENSOR_NAMES) {
      const [gs, rs] = [g[t], layer[t]];
      const rms = Math.abs(parseJsonNumber(rs.rms));
      for (const k of STAT_NAMES) {
        if (k === 'count' || k === 'nanCount' || k === 'infCount' || k === 'zeroFraction') {
          if (gs[k] !== rs[k]) last = Infinity;
        } else if (k === 'rms' || k === 'l2') {
          last = Math.max(last, relDiff(gs[k], rs[k]));
        } else {
          const [gv, rv] = [parseJsonNumber(gs[k]), parseJsonNumber(rs[k])];
          const d = Number.isFinite(rv) && Number.isFinite(gv) && rms > 0 ? Math.abs(gv - rv) / rms : relDiff(gs[k], rs[k]);
          last = Math.max(last, d);
        }
      }
    }
  });
  return { evalLoss, accuracyExamples, recordLoss, rmsA, rmsDW, last, firstBeyond, mismatches };
}

/** Largest ‖got − ref‖_F / ‖ref‖_F over the layers' W and over their b (test/helpers/compare.ts relativeError). */
export function weightsAgreement(got: Weights, ref: Weights): { W: number; b: number } {
  const worst = (g: ArrayLike<number>[], r: ArrayLike<number>[]) => r.reduce((m, x, i) => Math.max(m, relativeError(g[i], x)), 0);
  return { W: worst(got.W, ref.W), b: worst(got.b, ref.b) };
}
