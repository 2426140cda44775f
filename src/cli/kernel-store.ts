/**
 * The CLI's store of measured kernel choices (backends/webgpu/kernel-choice.ts): which matmul kernel won on this
 * adapter for each shape class, so that the next run does not measure again. One JSON object in
 * $XDG_CACHE_HOME/gradscope/kernels.json (or ~/.cache/gradscope/kernels.json), beside timings.json. A choice is a
 * hint: a file that cannot be read or written is ignored, silently.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChoiceStore } from '../backends/webgpu/kernel-choice';
import { timingsPath } from './timings';

/** The kernel cache file of `env` (process.env), in the folder of timings.json. */
export function kernelsPath(env: NodeJS.ProcessEnv): string {
  return join(dirname(timingsPath(env)), 'kernels.json');
}

/** A ChoiceStore backed by the file at `path` (read once; every set rewrites it through a temporary file). */
export function fileStore(path: string): ChoiceStore {
  let entries: Record<string, string> = {};
  try {
    const doc: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof doc === 'object' && doc !== null) {
      entries = Object.fromEntries(Object.entries(doc).filter((e): e is [string, string] => typeof e[1] === 'string'));
    }
  } catch {
    // no file yet, or a damaged one: start empty
  }
  return {
    get: (key) => (Object.hasOwn(entries, key) ? entries[key] : null),
    set: (key, value) => {
      entries[key] = value;
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(`${path}.tmp`, JSON.stringify(entries, null, 1));
        renameSync(`${path}.tmp`, path);
      } catch {
        // a cache that cannot be written costs a measurement next time, nothing else
      }
    },
  };
}
