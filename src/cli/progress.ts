/**
 * The CLI's progress bar (cli-progress) on stderr: the phase (build, init, forward, loss, backward, stats), the
 * layers (build, init) or step units (2L + 1: forward, loss, backward) done of the total, the layer reached, the
 * time elapsed in the phase and its estimated remainder, e.g.
 *   backward [██████████░░░░░░] 1500/2001 (layer 500) | 1.23 s | ETA 0.41 s Only on a
 * terminal: when stderr is a pipe or a file nothing is written, so logs and tests see only the CLI's lines.
 */
import { SingleBar } from 'cli-progress';
import type { RunProgress } from '../session/session';
import { formatDuration } from './plan';

/** What the CLI calls while a run goes on; stop() clears the bar (call it before printing anything else). */
export interface ProgressView {
  update(p: RunProgress): void;
  stop(): void;
}

const PHASE_WIDTH = 8; // "backward"

/** The counts and what they count: layers (build, init) or units of the step (2L + 1) with the layer reached. */
function counts(p: RunProgress): string {
  const step = p.phase === 'forward' || p.phase === 'loss' || p.phase === 'backward' || p.phase === 'stats';
  if (p.phase === 'train') return `${p.done}/${p.total} steps`;
  // The build records two passes per layer (forward and backward): show layers, not passes.
  if (p.phase === 'build') return `${Math.floor(p.done / 2)}/${p.total / 2} layers`;
  if (!step) return `${p.done}/${p.total} layers`;
  return p.phase === 'forward' || p.phase === 'backward' ? `${p.done}/${p.total} (layer ${p.layer})` : `${p.done}/${p.total}`;
}

/**
 * A progress bar on `stream` when it is a terminal, otherwise a view that writes nothing.
 * @param stream process.stderr (its isTTY decides)
 */
export function progressView(stream: NodeJS.WriteStream): ProgressView {
  if (!stream.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    stream,
    format: '{phase} [{bar}] {counts} | {elapsed} | ETA {remaining}',
    barsize: 16,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    clearOnComplete: true,
    hideCursor: false, // a process ended by a signal could otherwise leave the terminal's cursor hidden
    linewrap: true, // trim to the terminal's width rather than switch its line wrapping off
    gracefulExit: false, // main.ts stops the bar on SIGINT/SIGTERM
  });
  let started = false;
  return {
    update(p) {
      const payload = {
        phase: p.phase.padEnd(PHASE_WIDTH),
        counts: counts(p),
        elapsed: formatDuration(p.elapsedMs),
        remaining: p.remainingMs === null ? '…' : formatDuration(p.remainingMs),
      };
      if (!started) {
        bar.start(p.total, p.done, payload);
        started = true;
      } else {
        bar.setTotal(p.total);
        bar.update(p.done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
