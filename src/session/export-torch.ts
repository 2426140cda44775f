/**
 * The files of an "Export PyTorch" (the CLI's --export-torch DIR, later the GUI's zip), built without Node: a pure
 * function of the config that yields { path, data } entries (strings and little-endian bytes), so the CLI writes
 * them to a folder (src/cli/export-torch.ts) and the browser can pack them with fflate.
 *
 * The files (all little-endian, row-major; shapes in elements):
 * - experiment.py (src/session/experiment.py; depends only on torch and numpy; documented at its top): rebuilds the
 *   network with torch.nn.Linear layers (a Linear's weight is (out_features, in_features) = (n^[l], n^[l-1]) =
 *   W^[l], its bias b^[l]), runs forward, loss and backward — and, for a training config, the same training — and
 *   writes gradscope's JSON format;
 * - W<l>.bin float32 (n^[l], n^[l-1]) and b<l>.bin float32 (n^[l]) for l = 1..L, from model/init.ts hostLayer (the
 *   CPU reference's weights; the GPU's equal them up to the float32 rounding of its normals);
 * - x.bin float32 (n^[0], m) = a^[0], y.bin float32 (n^[L], m), labels.bin uint32 (m): session/problem.ts makeBatch,
 *   the batch of a single step;
 * - for digits: digits.bin float32 (1797, 64), the standardised features, and digits-labels.bin uint32 (1797);
 * - for a training config (steps N > 0): split-train.bin uint32 (1437) and split-test.bin uint32 (360), the example
 *   indices of data/split.ts stratifiedSplit, and minibatches.bin uint32 (N, m): row t − 1 holds the examples of
 *   step t, the t-th draw of data/split.ts Minibatches — the very stream session/train.ts Trainer consumes — so the
 *   script never reimplements gradscope's random generators;
 * - manifest.json ({@link TorchManifest}), last: the config, the widths, every file's shape and dtype, the
 *   optimiser as torch.optim's class and keyword arguments, gradscope's version and commit.
 */
import pkg from '../../package.json';
import { loadDigits } from '../data/digits';
import { Minibatches, stratifiedSplit } from '../data/split';
import { DIGITS_CLASSES, optimizerOf, widthsOf, type RunConfig } from '../model/config';
import { hostLayer } from '../model/init';
import type { OptimizerSpec } from '../model/optimizers';
import script from './experiment.py?raw';
import { makeBatch, shapeOf, weightsOf } from './problem';
import { MAX_RECORDED } from './train';

/** The manifest's format name; experiment.py reads versions /1 (a single step) and /2 (training as well). */
export const TORCH_EXPORT_FORMAT = 'gradscope-torch-export/2';

/** Largest minibatches.bin (N·m·4 bytes) an export builds: 1 GiB (N·m ≤ 2^28 indices). */
export const MAX_MINIBATCH_BYTES = 2 ** 30;

/** One binary file of the export: little-endian, row-major, `shape` in elements. */
export interface BinEntry {
  file: string;
  shape: number[];
  dtype: 'float32' | 'uint32';
}

/**
 * The optimiser as torch.optim constructs it: `getattr(torch.optim, class)(params, **kwargs)` with the parameters
 * W^[1], b^[1], …, W^[L], b^[L] (weight decay applies to W and b, as gradscope's update does). Formulas of both:
 * src/model/optimizers.ts.
 * - sgd:      SGD(lr=η, momentum=0, dampening=0, weight_decay=λ, nesterov=False)
 * - momentum: SGD(lr=η, momentum=μ, dampening=0, weight_decay=λ, nesterov=False)
 * - adam:     Adam(lr=η, betas=(β₁, β₂), eps=ε, weight_decay=λ, amsgrad=False)
 */
export type TorchOptimizer =
  | { class: 'SGD'; kwargs: { lr: number; momentum: number; dampening: 0; weight_decay: number; nesterov: false } }
  | { class: 'Adam'; kwargs: { lr: number; betas: [number, number]; eps: number; weight_decay: number; amsgrad: false } };

/** The training half of the manifest (present when config.steps > 0). */
export interface TorchTraining {
  /** N, updates; every `evalEvery` steps (and at 0 and N) the whole train and test parts are evaluated. */
  steps: number;
  evalEvery: number;
  /** Records of at most this many layer × step values are kept: recordEvery = max(1, ⌈L·N / maxRecorded⌉). */
  maxRecorded: number;
  /** gradscope's optimiser (src/model/optimizers.ts), and the same as torch.optim builds it. */
  optimizer: OptimizerSpec;
  torchOptimizer: TorchOptimizer;
  /** Example indices (rows of digits.bin) of the train (1437) and test (360) parts. */
  split: { train: BinEntry; test: BinEntry };
  /** (N, m) uint32: the examples of step t in row t − 1. */
  minibatches: BinEntry;
}

/** manifest.json: everything experiment.py reads besides the binary files. */
export interface TorchManifest {
  format: typeof TORCH_EXPORT_FORMAT;
  /** gradscope's package version, and the git commit of the checkout that exported (null when unknown). */
  gradscope: ExportOrigin & { version: string };
  /** The run's config (the CLI's JSON `config`), copied into the script's JSON. */
  config: RunConfig;
  /** n^[0..L]. */
  widths: number[];
  byteOrder: 'little';
  /** How the matrices are laid out (gradscope's layout, README "The model"). */
  layout: string;
  /** W^[l] (n^[l], n^[l-1]) and b^[l] (n^[l]) of every layer l = 1..L. */
  weights: { layer: number; W: BinEntry; b: BinEntry }[];
  /** x = a^[0] (n^[0], m); y the targets (n^[L], m); labels (m). */
  x: BinEntry;
  y: BinEntry;
  labels: BinEntry;
  /** The digits data set (features (1797, 64), labels (1797)), or null for other inputs. */
  digits: { features: BinEntry; labels: BinEntry } | null;
  /** The training (config.steps > 0), or null for a single step. */
  training: TorchTraining | null;
}

/** Where the exporting gradscope came from: its git commit and whether the checkout had uncommitted changes. */
export interface ExportOrigin {
  commit: string | null;
  dirty: boolean | null;
}

/** One file of the export: a path relative to the export's folder and its contents. */
export interface ExportFile {
  path: string;
  data: Uint8Array | string;
  /** Whether the file should be executable (experiment.py). */
  executable: boolean;
}

/** The bytes of a typed array in little-endian order (a view on a little-endian machine, a copy otherwise). */
export function littleEndianBytes(a: Float32Array | Uint32Array): Uint8Array {
  const littleHost = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
  if (littleHost) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) view.setFloat32(4 * i, a[i], true);
    else view.setUint32(4 * i, a[i], true);
  }
  return out;
}

/** torch.optim's class and keyword arguments for gradscope's optimiser (see {@link TorchOptimizer}). */
export function torchOptimizerOf(spec: OptimizerSpec): TorchOptimizer {
  if (spec.optimizer === 'adam') {
    return { class: 'Adam', kwargs: { lr: spec.lr, betas: [spec.beta1, spec.beta2], eps: spec.eps, weight_decay: spec.weightDecay, amsgrad: false } };
  }
  const momentum = spec.optimizer === 'momentum' ? spec.momentum : 0;
  return { class: 'SGD', kwargs: { lr: spec.lr, momentum, dampening: 0, weight_decay: spec.weightDecay, nesterov: false } };
}

/** Bytes of minibatches.bin for `cfg`: N·m·4 (0 without training). */
export function minibatchBytes(cfg: RunConfig): number {
  return cfg.steps > 0 && cfg.input === 'digits' ? cfg.steps * cfg.batch * 4 : 0;
}

/**
 * The minibatches of a training config: N rows of m example indices, row t − 1 the t-th draw of the Minibatches
 * stream that session/train.ts Trainer draws (the split of the config's seed, epochs shuffled, the tail dropped).
 * @returns (N, m) row-major.
 * @throws RangeError if N·m·4 bytes exceed {@link MAX_MINIBATCH_BYTES} (N and m named).
 */
export function minibatchIndices(train: ArrayLike<number>, steps: number, m: number, seed: number): Uint32Array {
  if (steps * m * 4 > MAX_MINIBATCH_BYTES) {
    throw new RangeError(`the minibatches of ${steps} steps × m = ${m} need ${((steps * m * 4) / 2 ** 30).toFixed(1)} GiB `
      + `(at most ${MAX_MINIBATCH_BYTES / 2 ** 30} GiB): export fewer --steps or a smaller --batch`);
  }
  const out = new Uint32Array(steps * m);
  const batches = new Minibatches(train, m, seed);
  for (let t = 0; t < steps; t++) out.set(batches.nextIndices(), t * m);
  return out;
}

/** One entry per line, arrays of numbers (widths, shapes, betas) on one line. */
function manifestText(manifest: TorchManifest): string {
  const text = JSON.stringify(manifest, null, 1)
    .replace(/\[\s+([-\d.e+,\s]+?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
  return `${text}\n`;
}

/**
 * The files of the export of `cfg`, one at a time (weights are drawn layer by layer as they are yielded, so a
 * writer that handles each file before asking for the next never holds a large network whole): experiment.py first,
 * manifest.json last. Pure apart from the work: no file system, no network, no clock.
 * @param origin the exporting checkout's commit (the CLI asks git; the GUI passes nulls).
 * @throws RangeError (from {@link minibatchIndices}) for minibatches over 1 GiB.
 */
export function* torchExportFiles(cfg: RunConfig, origin: ExportOrigin): Generator<ExportFile, void, undefined> {
  yield { path: 'experiment.py', data: script, executable: true };
  const bin = function* (file: string, a: Float32Array | Uint32Array, shape: number[]): Generator<ExportFile, BinEntry, undefined> {
    yield { path: file, data: littleEndianBytes(a), executable: false };
    return { file, shape, dtype: a instanceof Float32Array ? 'float32' : 'uint32' };
  };
  const widths = widthsOf(cfg), L = widths.length - 1, m = cfg.batch;
  const spec = weightsOf(cfg);
  const weights: TorchManifest['weights'] = [];
  for (let l = 1; l <= L; l++) {
    const { W, b } = hostLayer(spec, l, widths[l], widths[l - 1]);
    weights.push({ layer: l, W: yield* bin(`W${l}.bin`, W, [widths[l], widths[l - 1]]), b: yield* bin(`b${l}.bin`, b, [widths[l]]) });
  }
  const batch = makeBatch(cfg, shapeOf(cfg));
  const x = yield* bin('x.bin', batch.X, [widths[0], m]);
  const y = yield* bin('y.bin', batch.Y, [widths[L], m]);
  const labels = yield* bin('labels.bin', batch.labels, [m]);
  let digits: TorchManifest['digits'] = null;
  let training: TorchTraining | null = null;
  if (cfg.input === 'digits') {
    const data = loadDigits();
    const features = data.features.length / data.examples;
    digits = {
      features: yield* bin('digits.bin', Float32Array.from(data.features), [data.examples, features]),
      labels: yield* bin('digits-labels.bin', Uint32Array.from(data.labels), [data.examples]),
    };
    if (cfg.steps > 0) {
      // The same split and stream as session/train.ts Trainer (its constructor and nextIndices calls).
      const split = stratifiedSplit(data.labels, DIGITS_CLASSES, cfg.seed);
      const optimizer = optimizerOf(cfg);
      training = {
        steps: cfg.steps, evalEvery: cfg.evalEvery, maxRecorded: MAX_RECORDED, optimizer, torchOptimizer: torchOptimizerOf(optimizer),
        split: {
          train: yield* bin('split-train.bin', split.train, [split.train.length]),
          test: yield* bin('split-test.bin', split.test, [split.test.length]),
        },
        minibatches: yield* bin('minibatches.bin', minibatchIndices(split.train, cfg.steps, m, cfg.seed), [cfg.steps, m]),
      };
    }
  }
  const manifest: TorchManifest = {
    format: TORCH_EXPORT_FORMAT,
    gradscope: { version: pkg.version, ...origin },
    config: cfg,
    widths,
    byteOrder: 'little',
    layout: 'row-major; W<l>: (n^[l], n^[l-1]), element (i, k) at i·n^[l-1] + k; x, y: (n, m), unit i of example j at i·m + j; '
      + 'minibatches: (steps, m), example j of step t at (t − 1)·m + j',
    weights, x, y, labels, digits, training,
  };
  yield { path: 'manifest.json', data: manifestText(manifest), executable: false };
}

/**
 * The whole export of `cfg` as { path: contents } (see {@link torchExportFiles}; for a zip: fflate's zipSync takes
 * it after encoding the strings). The binary entries are views on fresh arrays, not shared.
 * @throws as {@link torchExportFiles}.
 */
export function buildTorchExport(cfg: RunConfig, origin: ExportOrigin = { commit: null, dirty: null }): Record<string, Uint8Array | string> {
  const files: Record<string, Uint8Array | string> = {};
  for (const f of torchExportFiles(cfg, origin)) files[f.path] = f.data;
  return files;
}
