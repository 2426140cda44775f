/**
 * --export-torch DIR: the experiment as a PyTorch script that runs at scale. The files (experiment.py, the float32
 * weights and batch, for digits the data set, for a training config the split and the minibatch indices of every
 * step, manifest.json) are built by session/export-torch.ts, a module without Node's fs (the GUI's "Export PyTorch"
 * zips the same files); this one writes them into DIR and says what it wrote.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunConfig } from '../model/config';
import { MAX_MINIBATCH_BYTES, minibatchBytes, torchExportFiles, type ExportFile, type ExportOrigin } from '../session/export-torch';
import { OutputError } from './output';

export type { BinEntry, TorchManifest, TorchOptimizer, TorchTraining } from '../session/export-torch';

/** The flag, as errors name it, and what it takes. */
export const EXPORT_FLAG = '--export-torch';
const TAKES = 'a folder path (created if missing)';

/** What an export wrote. */
export interface ExportSummary {
  dir: string;
  /** File names, in the order written. */
  files: string[];
  /** Bytes written in all. */
  bytes: number;
  /** Training steps the export replays (config.steps; 0 for a single step). */
  steps: number;
}

/** The git commit of gradscope's checkout and whether it has uncommitted changes; nulls when git cannot tell. */
function gitCommit(): ExportOrigin {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0) return { commit: null, dirty: null };
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  return { commit: head.stdout.trim(), dirty: status.status === 0 ? status.stdout.trim() !== '' : null };
}

/**
 * Write the export of `cfg` into `dir` (created with its parents if missing; existing files are replaced), each file
 * as session/export-torch.ts yields it, so a large network never sits in memory whole. experiment.py is executable.
 * @throws OutputError naming --export-torch and the folder if it cannot be created or written, or (before anything
 *   is written) if the minibatch indices would exceed 1 GiB (N·m·4 bytes).
 */
export function exportTorch(cfg: RunConfig, dir: string): ExportSummary {
  const full = resolve(dir);
  if (existsSync(full) && !statSync(full).isDirectory()) throw new OutputError(EXPORT_FLAG, dir, 'it is a file, not a folder', TAKES);
  const minibatches = minibatchBytes(cfg);
  if (minibatches > MAX_MINIBATCH_BYTES) {
    throw new OutputError(EXPORT_FLAG, dir, `the minibatch indices of --steps ${cfg.steps} × --batch ${cfg.batch} would take `
      + `${(minibatches / 2 ** 30).toFixed(1)} GiB (at most ${MAX_MINIBATCH_BYTES / 2 ** 30} GiB): export fewer steps`, TAKES);
  }
  try {
    mkdirSync(full, { recursive: true });
  } catch (e) {
    throw new OutputError(EXPORT_FLAG, dir, (e as Error).message, TAKES);
  }
  const files: string[] = [];
  let bytes = 0;
  const entries = torchExportFiles(cfg, gitCommit());
  for (let next: IteratorResult<ExportFile, void> = entries.next(); !next.done; next = entries.next()) {
    const { path, data, executable } = next.value;
    try {
      writeFileSync(join(full, path), data, { mode: executable ? 0o755 : 0o644 });
    } catch (e) {
      throw new OutputError(EXPORT_FLAG, dir, (e as Error).message, TAKES);
    }
    files.push(path);
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  }
  return { dir: full, files, bytes, steps: cfg.steps };
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
  const what = s.steps > 0 ? `these numbers and minibatches: ${s.steps} steps as --backend cpu` : 'these numbers, as --backend cpu';
  return `gradscope: exported the experiment to ${s.dir} (${s.files.length} files, ${mib} MiB): ${names.join(', ')}\n`
    + 'run it (torch and numpy):\n'
    + `  python3 ${script} --same-numbers --dtype float64 --json result.json   # ${what}\n`
    + `  python3 ${script} --device cuda --json result.json                    # fresh torch.nn.init weights${s.steps > 0 ? ' and minibatch order' : ''}\n`
    + (s.steps > 0
      ? `  torchrun --nproc_per_node 8 ${script} --device cuda --steps 0 --seeds 0-1023 --json seeds.json   # one step, quantiles over seeds\n`
      : `  torchrun --nproc_per_node 8 ${script} --device cuda --seeds 0-1023 --json seeds.json   # quantiles over seeds\n`);
}
