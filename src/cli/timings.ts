/**
 * The CLI's cache of measured step speed: after each successful WebGPU run, the device milliseconds per step unit
 * on that adapter, so that `--plan` can estimate a step's time without running it. One small JSON file,
 * $XDG_CACHE_HOME/gradscope/timings.json (or ~/.cache/gradscope/timings.json); it is only a hint, so a file that
 * cannot be read or written is ignored, silently.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** One measurement: the adapter, its cost per step unit (a step of L layers has 2L + 1 units), and when. */
export interface Timing {
  adapter: string;
  msPerUnit: number;
  /** Multiply-adds per step unit of the measured network (plan.ts macsPerUnit); absent in older files. */
  macsPerUnit?: number;
  /** ISO 8601 time of the run that measured it. */
  measuredAt: string;
}

/** The cache file of `env` (process.env): XDG_CACHE_HOME when it is an absolute path, else ~/.cache. */
export function timingsPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg.startsWith('/') ? xdg : join(env.HOME || homedir(), '.cache');
  return join(base, 'gradscope', 'timings.json');
}

function isTiming(x: unknown): x is Timing {
  if (typeof x !== 'object' || x === null) return false;
  const t = x as Record<string, unknown>;
  return typeof t.adapter === 'string' && typeof t.msPerUnit === 'number' && Number.isFinite(t.msPerUnit) && t.msPerUnit > 0
    && typeof t.measuredAt === 'string' && (t.macsPerUnit === undefined || (typeof t.macsPerUnit === 'number' && t.macsPerUnit > 0));
}

/** Every measurement in the cache file (one per adapter); none if it is missing or damaged. */
export function readTimings(path: string): Timing[] {
  try {
    const doc: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const list = typeof doc === 'object' && doc !== null ? (doc as { timings?: unknown }).timings : undefined;
    return Array.isArray(list) ? list.filter(isTiming) : [];
  } catch {
    return [];
  }
}

/** The last measurement on `adapter`, or null. */
export function timingOf(path: string, adapter: string): Timing | null {
  return readTimings(path).find((t) => t.adapter === adapter) ?? null;
}

/**
 * Store `timing`, replacing the adapter's previous one. Written to a temporary file and renamed, so a reader never
 * sees half a file. Errors (read-only home, full disk) are ignored: the cache is only a hint for --plan.
 */
export function recordTiming(path: string, timing: Timing): void {
  try {
    const timings = [...readTimings(path).filter((t) => t.adapter !== timing.adapter), timing];
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ timings }, null, 2)}\n`);
    renameSync(tmp, path);
  } catch {
    // A hint only: nothing to report.
  }
}
