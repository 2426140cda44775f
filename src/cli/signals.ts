/**
 * Ctrl+C (SIGINT) and SIGTERM: the CLI cancels its run and ends with the shell's status for the signal (130, 143)
 * and one line on stderr. The run stops at its next segment boundary (the engine looks at its AbortSignal between
 * chunks of ~150 ms of work); should it not answer, the process ends FALLBACK_MS after the signal anyway, and a
 * second signal ends it at once. package.json runs the CLI with `exec`, so npm's signal reaches this process.
 *
 * The line is written when the process exits, whoever ends it: under vite-node, Vite also listens for SIGTERM and
 * exits once its dev server is closed (keeping the exit status set here), possibly before the cancelled run returns.
 */

/** The signals the CLI stops on, with their exit statuses (128 + the signal's number). */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/** How long after the signal the process is ended whatever the engine does. */
export const FALLBACK_MS = 800;

/** The one line written on a stop signal. */
export function stopLine(signal: StopSignal): string {
  return `gradscope: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'} (${signal}): the run was cancelled (a step writes no output file; training stops between two steps and reports the steps done)`;
}

/**
 * Listen for SIGINT and SIGTERM. On the first: set process.exitCode, call `stop` (stop the progress bar, cancel the
 * run), and end the process FALLBACK_MS later if it is still alive; a second signal ends it at once.
 * @returns a function telling which signal arrived, or null (the caller then writes no output and exits with
 *   {@link STOP_SIGNALS}[signal]).
 */
export function onStopSignals(stop: (signal: StopSignal) => void): () => StopSignal | null {
  let received: StopSignal | null = null;
  process.once('exit', () => {
    if (received === null) return;
    process.exitCode = STOP_SIGNALS[received];
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}${stopLine(received)}\n`); // a terminal echoed ^C
  });
  for (const signal of Object.keys(STOP_SIGNALS) as StopSignal[]) {
    process.on(signal, () => {
      if (received !== null) process.exit(STOP_SIGNALS[received]);
      received = signal;
      process.exitCode = STOP_SIGNALS[signal];
      setTimeout(() => process.exit(STOP_SIGNALS[signal]), FALLBACK_MS).unref();
      stop(signal);
    });
  }
  return () => received;
}
