/**
 * gradscope's command line: `npm run cli -- [flags]` (`--help` lists them). Parses the flags and hands the run to
 * a Session (which owns the backend); prints the per-layer table and writes --json / --csv, or with --plan prints
 * the memory plan and runs nothing; with --export-torch DIR it writes the experiment as a PyTorch script
 * (export-torch.ts) and runs nothing more unless --json or --csv asks for the run too. --theory adds the mean-field
 * prediction and its band (model/theory.ts); --seeds K runs K seeds one after another and adds their quantiles
 * (stats/seeds.ts); --steps N trains (session/train.ts). A progress bar goes to stderr when it is a terminal.
 * Exit status: 0 success; 2 bad input (usage, ConfigError, LimitError, output file), one line on stderr;
 * 1 any other error, one line on stderr; 130 / 143 when SIGINT / SIGTERM cancelled the run (see signals.ts).
 */
import { LimitError, type Backend, type MemorySummary } from '../backends/backend';
import type { OpenedBackend } from '../backends/open';
import { ConfigError, FIELDS, resolveConfig, type BackendName, type RunConfig } from '../model/config';
import { histogramsCsv, toCsv } from '../model/csv';
import { INIT_PARAMS, unusedInitParams } from '../model/init';
import { toJson, type JsonExtras, type RunResult } from '../model/result';
import { predict, theoryJson, type Theory } from '../model/theory';
import { makeBatch, shapeOf } from '../session/problem';
import { Session } from '../session/session';
import { parseArgs, UsageError, type CliArgs } from './args';
import { appendOutput, checkOutputPath, OutputError, writeOutput } from './output';
import { evaluationLine, trainingCsv, trainingJson } from '../session/training-json';
import { formatTraining } from './training-table';
import { exportTorch, formatExport } from './export-torch';
import { estimateStepMs, formatBytes, formatPlan, macsPerUnit, planJson } from './plan';
import { progressView, type ProgressView } from './progress';
import { onStopSignals, STOP_SIGNALS } from './signals';
import { seedList, summariseSeeds, type SeedsSummary } from '../stats/seeds';
import { formatReport, formatSeeds, formatTheory } from './table';
import { fileStore, kernelsPath } from './kernel-store';
import { recordTiming, timingOf, timingsPath } from './timings';
import { PhaseConfigError, phaseJson, resolvePhaseOptions, type PhaseOptions } from '../model/phase';
import { formatPhase } from './phase-table';

const EXIT_OK = 0;
const EXIT_ERROR = 1;
const EXIT_BAD_INPUT = 2;
/** How long the process may linger after the run before it is ended with process.exit. */
const EXIT_GRACE_MS = 2000;

/** Print an error as one line on stderr; @returns its exit status (2 for bad input, 1 otherwise). */
function fail(e: unknown): number {
  const badInput = e instanceof UsageError || e instanceof ConfigError || e instanceof LimitError || e instanceof OutputError
    || e instanceof PhaseConfigError;
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof LimitError) {
    message += e.limit.startsWith('memory budget')
      ? ` (${formatBytes(e.needed)} needed, budget ${formatBytes(e.allowed)}: reduce --depth, --width or --batch, or raise --memory)`
      : ' (reduce --depth, --width or --batch)';
  }
  process.stderr.write(`gradscope: error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return badInput ? EXIT_BAD_INPUT : EXIT_ERROR;
}

/**
 * Open a backend for the Session (Dawn for webgpu). The backends are loaded here, on the first request, not at
 * start-up, so --help and bad input never depend on them and a backend module that fails to load is reported as
 * one line.
 */
async function open(name: BackendName): Promise<OpenedBackend> {
  const { openBackend } = await import('../backends/open');
  const { nodeGpu } = await import('../backends/webgpu/node-gpu');
  const { gpu, reason } = name === 'webgpu' ? await nodeGpu() : { gpu: null, reason: null };
  return openBackend(name, gpu, reason ?? undefined, fileStore(kernelsPath(process.env)));
}

/** The flags as a config, with a notice for init flags the chosen init does not read. @throws on bad input. */
function configOf(argv: readonly string[]): { args: CliArgs; cfg: RunConfig; phase: PhaseOptions | null } | { help: string } {
  const parsed = parseArgs(argv, process.env);
  if (parsed.kind === 'help') return { help: parsed.text };
  const args = parsed.args;
  const cfg = resolveConfig(args.raw);
  const unused = unusedInitParams(cfg.init, args.raw);
  if (unused.length > 0) {
    const flags = unused.map((f) => FIELDS[f].flag).join(', ');
    const used = INIT_PARAMS[cfg.init].map((f) => FIELDS[f].flag).join(', ') || 'no parameter';
    process.stderr.write(`gradscope: notice: ${flags} not used by --init ${cfg.init} (it reads ${used})\n`);
  }
  if (args.json !== null) checkOutputPath('--json', args.json);
  if (args.csv !== null) checkOutputPath('--csv', args.csv);
  if (args.histogramsCsv !== null) checkOutputPath('--histograms-csv', args.histogramsCsv);
  if (args.histograms && cfg.steps > 0) {
    throw new UsageError('--histograms and --histograms-csv describe one step: leave out --steps (training records rms(a) and rms(dW) of every layer at every step in --json)');
  }
  if (args.jsonl !== null) {
    if (cfg.steps === 0) throw new UsageError('--jsonl writes a training run\'s evaluations: it needs --steps N (N ≥ 1)');
    checkOutputPath('--jsonl', args.jsonl);
  }
  const phase = args.phase === null ? null : resolvePhaseOptions(args.phase);
  if (phase !== null) {
    if (cfg.steps > 0) throw new UsageError('--steps cannot be used with --phase: the phase diagram measures untrained networks');
    return { args, cfg, phase };
  }
  const training = (['lr', 'optimizer', 'momentum', 'beta1', 'beta2', 'eps', 'weightDecay', 'evalEvery'] as const).filter((f) => args.raw[f] !== undefined);
  if (cfg.steps === 0 && training.length > 0) {
    process.stderr.write(`gradscope: notice: ${training.map((f) => FIELDS[f].flag).join(', ')} not used without --steps N (one step, no training)\n`);
  }
  return { args, cfg, phase: null };
}

/** Measured device ms per step unit of the backend's last step, or null. */
function measuredMsPerUnit(backend: Backend | null): number | null {
  const ms = backend?.lastMsPerUnit ?? null;
  return ms !== null && Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** What a run adds to the first seed's result: the theory (--theory) and the quantiles over the seeds (--seeds). */
interface Additions {
  theory: Theory | null;
  seeds: SeedsSummary | null;
}

/** The JSON document's extra fields: each layer's "predicted" and "theoryNote" (--theory), and "seeds" (--seeds). */
function jsonExtras({ theory, seeds }: Additions): JsonExtras {
  const extras: JsonExtras = { top: {} };
  if (theory !== null) {
    const { predicted, note } = theoryJson(theory);
    extras.layer = (l) => ({ predicted: predicted(l) });
    extras.top = { theoryNote: note };
  }
  if (seeds !== null) extras.top = { ...extras.top, seeds };
  return extras;
}

/** Print the tables, then write each output file; a failed file does not stop the others. */
function report(result: RunResult, args: CliArgs, additions: Additions): number {
  const opts = { allLayers: args.allLayers };
  process.stdout.write(formatReport(result, opts));
  if (additions.theory !== null) process.stdout.write(formatTheory(result, additions.theory, opts));
  if (additions.seeds !== null) process.stdout.write(formatSeeds(additions.seeds, opts));
  let status = EXIT_OK;
  const outputs = [['--json', args.json, () => toJson(result, jsonExtras(additions))], ['--csv', args.csv, () => toCsv(result)],
    ['--histograms-csv', args.histogramsCsv, () => histogramsCsv(result)]] as const;
  for (const [flag, path, text] of outputs) {
    if (path === null) continue;
    try { writeOutput(flag, path, text()); } catch (e) { status = fail(e); }
  }
  return status;
}

/**
 * --plan: print the memory plan of `cfg` on its backend with the step time estimated from the last measurement on
 * its adapter, and write it to --json FILE if asked. @returns the exit status (2 for a network over a limit).
 */
async function showPlan(session: Session, opened: { backend: Backend | null }, cfg: RunConfig, args: CliArgs): Promise<number> {
  let summary: MemorySummary | null = null, error: unknown = null;
  try {
    summary = await session.plan(cfg, { histograms: args.histograms });
  } catch (e) {
    error = e;
  }
  const signal = stopSignal();
  if (signal !== null) return STOP_SIGNALS[signal]; // nothing is printed nor written after a signal
  if (summary === null) return fail(error);
  const backend = opened.backend;
  if (backend === null) throw new Error('the session planned without opening a backend');
  const plan = summary;
  const timing = timingOf(timingsPath(process.env), backend.adapter);
  process.stdout.write(formatPlan(plan, { cfg, backend: backend.name, adapter: backend.adapter, timing }));
  if (args.json === null) return EXIT_OK;
  try {
    writeOutput('--json', args.json, planJson(plan, estimateStepMs(cfg, timing)));
  } catch (e) {
    return fail(e);
  }
  return EXIT_OK;
}

/**
 * Run `cfg` through the session with a progress bar, and with --seeds K the configs of seeds seed + 1, … after it, one
 * request at a time; on success record the measured speed (WebGPU) for --plan, compute the theory (--theory, for the
 * first seed's batch), print the tables and write the outputs. @returns the exit status.
 */
async function run(session: Session, opened: { backend: Backend | null }, cfg: RunConfig, args: CliArgs, bar: ProgressView): Promise<number> {
  const results: RunResult[] = [];
  for (const seed of seedList(cfg.seed, args.seeds ?? 1)) {
    const outcome = await session.request({ ...cfg, seed }, { histograms: args.histograms });
    bar.stop();
    const signal = stopSignal();
    if (signal !== null) return STOP_SIGNALS[signal]; // whatever the outcome, nothing is written after a signal
    if (outcome.kind === 'failed') return fail(outcome.error);
    if (outcome.kind === 'cancelled') return fail(new Error('the run was cancelled'));
    results.push(outcome.result);
  }
  const result = results[0];
  const measured = opened.backend?.kernelReport().filter((k) => k.measured) ?? [];
  if (measured.length > 0) {
    process.stderr.write(`gradscope: notice: kernels measured on this adapter (kept in ${kernelsPath(process.env)}): ${measured.map((k) => k.line).join('; ')}\n`);
  }
  const msPerUnit = result.backend === 'webgpu' ? measuredMsPerUnit(opened.backend) : null;
  if (msPerUnit !== null) {
    recordTiming(timingsPath(process.env), { adapter: result.adapter, msPerUnit, macsPerUnit: macsPerUnit(cfg), measuredAt: new Date().toISOString() });
  }
  const theory = args.theory ? predict(cfg, makeBatch(cfg, shapeOf(cfg))) : null;
  return report(result, args, { theory, seeds: args.seeds === null ? null : summariseSeeds(results) });
}

/**
 * Train `cfg` through the session with a progress bar (steps), appending each evaluation to --jsonl as it is
 * measured; print the evaluations table and write --json / --csv. After SIGINT/SIGTERM the training stops between
 * two steps and what was done is still printed and written (then the signal's exit status).
 * @returns the exit status.
 */
async function trainRun(session: Session, cfg: RunConfig, args: CliArgs, bar: ProgressView): Promise<number> {
  let jsonlError: unknown = null;
  const appendLine = (line: string) => {
    if (args.jsonl === null || jsonlError !== null) return;
    try { appendOutput('--jsonl', args.jsonl, `${line}\n`); } catch (e) { jsonlError = e; }
  };
  if (args.jsonl !== null) writeOutput('--jsonl', args.jsonl, '');
  const outcome = await session.train(cfg, { onEvaluation: (e) => appendLine(evaluationLine(e)) });
  bar.stop();
  const signal = stopSignal();
  if (outcome.kind === 'failed') return fail(outcome.error);
  if (outcome.kind === 'cancelled') return signal !== null ? STOP_SIGNALS[signal] : fail(new Error('the run was cancelled'));
  const result = outcome.result;
  process.stdout.write(formatTraining(result));
  let status = jsonlError === null ? EXIT_OK : fail(jsonlError);
  const outputs = [['--json', args.json, () => trainingJson(result)], ['--csv', args.csv, () => trainingCsv(result)]] as const;
  for (const [flag, path, text] of outputs) {
    if (path === null) continue;
    try { writeOutput(flag, path, text()); } catch (e) { status = fail(e); }
  }
  return signal !== null ? STOP_SIGNALS[signal] : status;
}

/**
 * --phase: measure the phase diagram through the session with a progress bar, print its table and write --json FILE.
 * After SIGINT/SIGTERM nothing is printed nor written. @returns the exit status.
 */
async function phaseRun(session: Session, cfg: RunConfig, options: PhaseOptions, args: CliArgs, bar: ProgressView): Promise<number> {
  const outcome = await session.phase(cfg, options);
  bar.stop();
  const signal = stopSignal();
  if (signal !== null) return STOP_SIGNALS[signal];
  if (outcome.kind === 'failed') return fail(outcome.error);
  if (outcome.kind === 'cancelled') return fail(new Error('the run was cancelled'));
  process.stdout.write(formatPhase(outcome.result));
  if (args.json === null) return EXIT_OK;
  try {
    writeOutput('--json', args.json, phaseJson(outcome.result));
  } catch (e) {
    return fail(e);
  }
  return EXIT_OK;
}

const bar = progressView(process.stderr);
const opened: { backend: Backend | null } = { backend: null };
const session = new Session(open, {
  onBackend: (backend, notice) => {
    opened.backend = backend;
    if (notice) process.stderr.write(`gradscope: notice: ${notice}\n`);
  },
  onProgress: (p) => bar.update(p),
});
const stopSignal = onStopSignals(() => {
  bar.stop();
  session.cancel();
});

/** The whole CLI. @param argv the arguments after the script. @returns the exit status. */
async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof configOf>;
  try {
    parsed = configOf(argv);
  } catch (e) {
    return fail(e);
  }
  if ('help' in parsed) {
    process.stdout.write(parsed.help);
    return EXIT_OK;
  }
  const { args, cfg, phase } = parsed;
  if (phase !== null) {
    try {
      return await phaseRun(session, cfg, phase, args, bar);
    } finally {
      bar.stop();
      session.close();
    }
  }
  if (args.exportTorch !== null) {
    if (cfg.range === 'extended') {
      process.stderr.write('gradscope: notice: --export-torch: the PyTorch script computes in plain float32 or float64 (its --dtype); '
        + 'the extended range is not reproduced\n');
    }
    try {
      process.stdout.write(formatExport(exportTorch(cfg, args.exportTorch), args.exportTorch));
    } catch (e) {
      return fail(e);
    }
    if (args.json === null && args.csv === null) return EXIT_OK; // the export alone: nothing runs
  }
  try {
    if (args.plan) return await showPlan(session, opened, cfg, args);
    return cfg.steps > 0 ? await trainRun(session, cfg, args, bar) : await run(session, opened, cfg, args, bar);
  } finally {
    bar.stop();
    session.close();
  }
}

// vite-node puts the script's arguments after argv[1] (it drops the "--" separators).
process.exitCode = await main(process.argv.slice(2)).catch(fail);
// After a signal the process ends now (signals.ts writes the line). Otherwise it ends by itself once the device is
// destroyed; should Dawn keep it alive, exit anyway (stdout and stderr to files and pipes are written synchronously
// on Linux, so nothing printed is lost).
if (stopSignal() !== null) process.exit();
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
