/**
 * --export-torch DIR: the experiment as a PyTorch script that runs at scale. Writes into DIR
 * - experiment.py (src/cli/experiment.py; depends only on torch and numpy; documented at its top): rebuilds the
 *   network with torch.nn.Linear layers, runs forward, loss and backward, and writes gradscope's JSON format;
 *   `--same-numbers` runs the exported weights and batch below, the default mode draws fresh weights with
 *   torch.nn.init, and under torchrun `--seeds 0-1023` spreads seeds over processes (median, p10, p90 over seeds);
 * - the exact float32 weights, biases and batch, little-endian, row-major: W<l>.bin (n^[l], n^[l-1]) and b<l>.bin
 *   (n^[l]) from model/init.ts hostLayer (the CPU reference's weights; the GPU's equal them up to the float32
 *   rounding of its normals), x.bin (n^[0], m) = a^[0], y.bin (n^[L], m) and labels.bin (m, uint32) from
 *   session/problem.ts makeBatch; for digits also the data set, digits.bin (1797, 64) standardised features and
 *   digits-labels.bin (1797, uint32), from which the fresh mode draws its batches;
 * - manifest.json ({@link TorchManifest}): the config, the widths, each file's shape and dtype, gradscope's version
 *   and commit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../../package.json';
import { loadDigits } from '../data/digits';
import { widthsOf, type RunConfig } from '../model/config';
import { hostLayer } from '../model/init';
import { makeBatch, shapeOf, weightsOf } from '../session/problem';
import script from './experiment.py?raw';
import { OutputError } from './output';

/** The flag, as errors name it, and what it takes. */
export const EXPORT_FLAG = '--export-torch';
const TAKES = 'a folder path (created if missing)';

/** One binary file of the export: little-endian, row-major, `shape` in elements. */
export interface BinEntry {
  file: string;
  shape: number[];
  dtype: 'float32' | 'uint32';
}

/** manifest.json: everything experiment.py reads besides the binary files. */
export interface TorchManifest {
  format: 'gradscope-torch-export/1';
  /** gradscope's package version, and the git commit of the checkout that exported (null outside a git checkout). */
  gradscope: { version: string; commit: string | null; dirty: boolean | null };
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
  /** The digits data set (features (1797, 64), labels (1797)) for fresh batches, or null for other inputs. */
  digits: { features: BinEntry; labels: BinEntry } | null;
}

/** What an export wrote. */
export interface ExportSummary {
  dir: string;
  /** File names, in the order written. */
  files: string[];
  /** Bytes written in all. */
  bytes: number;
}

/** The bytes of a typed array in little-endian order (a copy only on a big-endian machine). */
function littleEndian(a: Float32Array | Uint32Array): Uint8Array {
  if (endianness() === 'LE') return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) view.setFloat32(4 * i, a[i], true);
    else view.setUint32(4 * i, a[i], true);
  }
  return out;
}

/** The git commit of gradscope's checkout and whether it has uncommitted changes; nulls when git cannot tell. */
function gitCommit(): { commit: string | null; dirty: boolean | null } {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0) return { commit: null, dirty: null };
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  return { commit: head.stdout.trim(), dirty: status.status === 0 ? status.stdout.trim() !== '' : null };
}

/**
 * Write the export of `cfg` into `dir` (created with its parents if missing; existing files are replaced).
 * Weights are drawn layer by layer and written as they are drawn, so a large network never sits in memory whole.
 * @throws OutputError naming --export-torch and the folder if it cannot be created or written.
 */
export function exportTorch(cfg: RunConfig, dir: string): ExportSummary {
  const full = resolve(dir);
  if (existsSync(full) && !statSync(full).isDirectory()) throw new OutputError(EXPORT_FLAG, dir, 'it is a file, not a folder', TAKES);
  const files: string[] = [];
  let bytes = 0;
  const write = (file: string, data: string | Uint8Array, mode = 0o644) => {
    try {
      writeFileSync(join(full, file), data, { mode });
    } catch (e) {
      throw new OutputError(EXPORT_FLAG, dir, (e as Error).message, TAKES);
    }
    files.push(file);
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  };
  const bin = (file: string, a: Float32Array | Uint32Array, shape: number[]): BinEntry => {
    write(file, littleEndian(a));
    return { file, shape, dtype: a instanceof Float32Array ? 'float32' : 'uint32' };
  };
  try {
    mkdirSync(full, { recursive: true });
  } catch (e) {
    throw new OutputError(EXPORT_FLAG, dir, (e as Error).message, TAKES);
  }

  write('experiment.py', script, 0o755);
  const widths = widthsOf(cfg), L = widths.length - 1, m = cfg.batch;
  const spec = weightsOf(cfg);
  const weights: TorchManifest['weights'] = [];
  for (let l = 1; l <= L; l++) {
    const { W, b } = hostLayer(spec, l, widths[l], widths[l - 1]);
    weights.push({ layer: l, W: bin(`W${l}.bin`, W, [widths[l], widths[l - 1]]), b: bin(`b${l}.bin`, b, [widths[l]]) });
  }
  const batch = makeBatch(cfg, shapeOf(cfg));
  const x = bin('x.bin', batch.X, [widths[0], m]);
  const y = bin('y.bin', batch.Y, [widths[L], m]);
  const labels = bin('labels.bin', batch.labels, [m]);
  let digits: TorchManifest['digits'] = null;
  if (cfg.input === 'digits') {
    const data = loadDigits();
    const features = data.features.length / data.examples;
    digits = {
      features: bin('digits.bin', Float32Array.from(data.features), [data.examples, features]),
      labels: bin('digits-labels.bin', Uint32Array.from(data.labels), [data.examples]),
    };
  }
  const manifest: TorchManifest = {
    format: 'gradscope-torch-export/1',
    gradscope: { version: pkg.version, ...gitCommit() },
    config: cfg,
    widths,
    byteOrder: 'little',
    layout: 'row-major; W<l>: (n^[l], n^[l-1]), element (i, k) at i·n^[l-1] + k; x, y: (n, m), unit i of example j at i·m + j',
    weights, x, y, labels, digits,
  };
  // One entry per line, arrays of numbers (widths, shapes) on one line.
  const text = JSON.stringify(manifest, null, 1).replace(/\[\s+([-\d.e+,\s]+?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
  write('manifest.json', `${text}\n`);
  return { dir: full, files, bytes };
}

/** Shell quoting of a path for the commands printed after an export. */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/**
 * What the CLI prints after an export: where, which files, how many bytes, and how to run each mode.
 * File lists of the layers are shortened to "W1.bin … W50.bin".
 */
export function formatExport(s: ExportSummary, dirAsTyped: string): string {
  const per = (prefix: string) => s.files.filter((f) => new RegExp(`^${prefix}\\d+\\.bin$`).test(f));
  const span = (list: string[]) => (list.length <= 2 ? list.join(', ') : `${list[0]} … ${list[list.length - 1]}`);
  const others = s.files.filter((f) => !/^[Wb]\d+\.bin$/.test(f));
  const names = [...others.slice(0, 1), span(per('W')), span(per('b')), ...others.slice(1)].filter((n) => n !== '');
  const script = shellQuote(join(dirAsTyped, 'experiment.py'));
  const mib = (s.bytes / 2 ** 20).toFixed(s.bytes < 2 ** 20 ? 2 : 1);
  return `gradscope: exported the experiment to ${s.dir} (${s.files.length} files, ${mib} MiB): ${names.join(', ')}\n`
    + 'run it (torch and numpy):\n'
    + `  python3 ${script} --same-numbers --dtype float64 --json result.json   # these numbers, as --backend cpu\n`
    + `  python3 ${script} --device cuda --json result.json                    # fresh torch.nn.init weights\n`
    + `  torchrun --nproc_per_node 8 ${script} --device cuda --seeds 0-1023 --json seeds.json   # quantiles over seeds\n`;
}
