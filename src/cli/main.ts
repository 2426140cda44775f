/**
 * gradscope's command line: `npm run cli -- [flags]` (`--help` lists them). Parses the flags, runs one step on
 * the chosen backend, prints the per-layer table and writes --json / --csv.
 * Exit status: 0 success; 2 bad input (usage, ConfigError, LimitError, output file), one line on stderr;
 * 1 any other error, one line on stderr.
 */
import { LimitError, type Backend } from '../backends/backend';
import { ConfigError, FIELDS, resolveConfig, type BackendName, type RunConfig } from '../model/config';
import { INIT_PARAMS, unusedInitParams } from '../model/init';
import { toJson, type RunResult } from '../model/result';
import { runStep } from '../session/run';
import { parseArgs, UsageError, type CliArgs } from './args';
import { toCsv } from './csv';
import { checkOutputPath, OutputError, writeOutput } from './output';
import { formatReport } from './table';

const EXIT_OK = 0;
const EXIT_ERROR = 1;
const EXIT_BAD_INPUT = 2;
/** How long the process may linger after the run before it is ended with process.exit. */
const EXIT_GRACE_MS = 2000;

/** Print an error as one line on stderr; @returns its exit status (2 for bad input, 1 otherwise). */
function fail(e: unknown): number {
  const badInput = e instanceof UsageError || e instanceof ConfigError || e instanceof LimitError || e instanceof OutputError;
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof LimitError) message += ' (reduce --depth, --width or --batch)';
  process.stderr.write(`gradscope: error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return badInput ? EXIT_BAD_INPUT : EXIT_ERROR;
}

/**
 * Open the backend the config asks for (Dawn for webgpu); a fallback notice goes to stderr. The backends are
 * loaded here, not at start-up, so --help and bad input never depend on them and a backend module that fails to
 * load is reported as one line.
 */
async function open(name: BackendName): Promise<Backend> {
  const { openBackend } = await import('../backends/open');
  const { nodeGpu } = await import('../backends/webgpu/node-gpu');
  const { gpu, reason } = name === 'webgpu' ? await nodeGpu() : { gpu: null, reason: null };
  const { backend, notice } = await openBackend(name, gpu, reason ?? undefined);
  if (notice) process.stderr.write(`gradscope: notice: ${notice}\n`);
  return backend;
}

/** Print the table, then write each output file; a failed file does not stop the others. */
function report(result: RunResult, args: CliArgs): number {
  process.stdout.write(formatReport(result, { allLayers: args.allLayers }));
  let status = EXIT_OK;
  const outputs = [['--json', args.json, () => toJson(result)], ['--csv', args.csv, () => toCsv(result)]] as const;
  for (const [flag, path, text] of outputs) {
    if (path === null) continue;
    try { writeOutput(flag, path, text()); } catch (e) { status = fail(e); }
  }
  return status;
}

/** The whole CLI. @param argv the arguments after the script. @returns the exit status. */
async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs;
  let cfg: RunConfig;
  try {
    const parsed = parseArgs(argv, process.env);
    if (parsed.kind === 'help') {
      process.stdout.write(parsed.text);
      return EXIT_OK;
    }
    args = parsed.args;
    cfg = resolveConfig(args.raw);
    const unused = unusedInitParams(cfg.init, args.raw);
    if (unused.length > 0) {
      const flags = unused.map((f) => FIELDS[f].flag).join(', ');
      const used = INIT_PARAMS[cfg.init].map((f) => FIELDS[f].flag).join(', ') || 'no parameter';
      process.stderr.write(`gradscope: notice: ${flags} not used by --init ${cfg.init} (it reads ${used})\n`);
    }
    if (args.json !== null) checkOutputPath('--json', args.json);
    if (args.csv !== null) checkOutputPath('--csv', args.csv);
  } catch (e) {
    return fail(e);
  }
  let backend: Backend | null = null;
  let result: RunResult;
  try {
    backend = await open(cfg.backend);
    result = await runStep(cfg, backend);
  } catch (e) {
    return fail(e);
  } finally {
    backend?.destroy();
  }
  return report(result, args);
}

/**
 * Ctrl+C (SIGINT) and SIGTERM end the CLI at once, whatever it is doing, with the shell's status for the signal
 * (130, 143) and one line saying nothing was written. Node would end by itself on these signals, but Vite (under
 * vite-node) listens for SIGTERM to close its server and would keep the engine running until that completes.
 * package.json runs the CLI with `exec`, so npm's signal reaches this process rather than only npm's shell.
 */
function endOnSignals(): void {
  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      process.stderr.write(`\ngradscope: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'} (${signal}): the run was stopped and no output file was written\n`);
      process.exit(status);
    });
  }
}

endOnSignals();
// vite-node puts the script's arguments after argv[1] (it drops the "--" separators).
process.exitCode = await main(process.argv.slice(2)).catch(fail);
// The process ends by itself once the device is destroyed; should Dawn keep it alive, exit anyway (stdout and
// stderr to files and pipes are written synchronously on Linux, so nothing printed is lost).
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
