/**
 * The CLI's output files (--json, --csv): checked before the run, so a bad path fails before any work, and
 * written after it.
 */
import { appendFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** An output file or folder that cannot be written: names the flag, the path and what the flag takes. */
export class OutputError extends Error {
  override name = 'OutputError';
  constructor(readonly flag: string, readonly path: string, why: string, takes = 'a file path in an existing folder') {
    super(`${flag}: cannot write ${JSON.stringify(path)}: ${why}; it takes ${takes}`);
  }
}

/**
 * Check that `path` can be created: its folder exists and it is not itself a folder.
 * @param flag the flag that named the file, e.g. "--json"
 * @throws OutputError otherwise.
 */
export function checkOutputPath(flag: string, path: string): void {
  const full = resolve(path);
  const dir = dirname(full);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new OutputError(flag, path, `folder ${JSON.stringify(dir)} does not exist`);
  if (existsSync(full) && statSync(full).isDirectory()) throw new OutputError(flag, path, 'it is a folder');
}

/**
 * Write `text` to `path` (UTF-8, replacing the file).
 * @throws OutputError with the system's reason (e.g. EACCES) if the write fails.
 */
export function writeOutput(flag: string, path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new OutputError(flag, path, (e as Error).message);
  }
}

/**
 * Append `text` to `path` (UTF-8; --jsonl lines as a run goes).
 * @throws OutputError with the system's reason if the write fails.
 */
export function appendOutput(flag: string, path: string, text: string): void {
  try {
    appendFileSync(path, text);
  } catch (e) {
    throw new OutputError(flag, path, (e as Error).message);
  }
}
