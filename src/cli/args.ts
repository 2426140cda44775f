/**
 * Command-line flags of the CLI, parsed with commander. The run-configuration flags are derived from FIELDS
 * (model/config.ts), so the CLI, the GUI and the URL parameters cannot drift apart. Values stay strings here:
 * resolveConfig validates them and throws ConfigError naming the field and its allowed range.
 */
import { Command, CommanderError, Option } from 'commander';
import { allowedValues, DEFAULT_CONFIG, DEFAULT_GAIN, FIELDS, MAX_QUOTED, PRESETS, PRESET_NAMES, quoteValue, type FieldName, type RawConfig } from '../model/config';
import { MAX_SEEDS } from '../stats/seeds';

/** What the user asked for: the raw config fields (strings as typed) and the outputs. */
export interface CliArgs {
  /** preset and every field given on the command line, values as typed; absent fields are undefined. */
  raw: RawConfig;
  /** --json FILE, or null. */
  json: string | null;
  /** --csv FILE, or null. */
  csv: string | null;
  /** --all-layers: print every layer's row even for large L. */
  allLayers: boolean;
  /** --plan: print the memory plan and an estimated step time, and run nothing. */
  plan: boolean;
  /** --jsonl FILE (training): one JSON line per evaluation, written as the run goes; or null. */
  jsonl: string | null;
  /** --histograms: histograms of every tensor, dead and saturated units (JSON, table). */
  histograms: boolean;
  /** --histograms-csv FILE: the histograms as CSV rows (implies --histograms); or null. */
  histogramsCsv: string | null;
  /**
   * --export-torch DIR: write the experiment as a PyTorch script with gradscope's weights and batch into DIR
   * (cli/export-torch.ts), or null. Without --json or --csv nothing runs after the export.
   */
  exportTorch: string | null;
  /** --theory: add the mean-field prediction and its finite-width band to each layer (model/theory.ts). */
  theory: boolean;
  /** --seeds K: run K seeds (seed, seed + 1, …) and summarise every statistic by its median and 10%/90% quantiles; null if not given. */
  seeds: number | null;
  /**
   * --phase: measure the phase diagram over (σ_w², σ_b²) instead of one step (session/phase.ts), with the grid flags
   * as typed (validated by model/phase.ts resolvePhaseOptions); null without --phase.
   */
  phase: { grid?: string; sw2?: string; sb2?: string; draws?: string } | null;
}

/** The outcome of parsing: a run, or the help text (for --help). */
export type ParsedArgs = { kind: 'run'; args: CliArgs } | { kind: 'help'; text: string };

/** A command-line usage error (unknown flag, missing value, stray argument), as one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Placeholder of each field's value in the help, and what the field means (lecture notation). */
const FIELD_HELP: Readonly<Record<FieldName, { arg: string; text: string }>> = {
  depth: { arg: 'L', text: 'number of weight layers L' },
  width: { arg: 'n', text: 'width n^[l] of the hidden layers l = 1..L-1' },
  input: { arg: 'name', text: 'input batch x = a^[0]' },
  inputDim: { arg: 'n0', text: 'input dimension n^[0] (64 for digits)' },
  outputDim: { arg: 'nL', text: 'output dimension n^[L] (10 for digits with loss mse or softmax-xent)' },
  batch: { arg: 'm', text: 'examples per batch m (at most 1797 for digits)' },
  activation: { arg: 'name', text: 'activation g of the hidden layers (the output layer is identity)' },
  init: { arg: 'name', text: 'initialiser of every W^[l] (torch.nn.init names: xavier_* = Glorot, kaiming_* = He, lecun_* = LeCun)' },
  gain: { arg: 'g', text: 'gain of identity, orthogonal, xavier_*, kaiming_*, lecun_*; "default" = calculate_gain(activation) for kaiming_*, 1 otherwise' },
  mean: { arg: 'mu', text: 'mean of init normal' },
  std: { arg: 's', text: 'standard deviation of init normal' },
  low: { arg: 'lo', text: 'lower bound of init uniform' },
  high: { arg: 'hi', text: 'upper bound of init uniform (greater than --low)' },
  value: { arg: 'c', text: 'value of init constant' },
  mode: { arg: 'fan', text: 'fan of kaiming_*' },
  bias: { arg: 'b', text: 'constant value of every bias b^[l] (with --bias-std: their mean)' },
  biasStd: { arg: 's', text: 'standard deviation of the biases: b^[l]_i ~ N(bias, s²) from the seed (0: every b^[l]_i = bias)' },
  loss: { arg: 'name', text: 'loss J, averaged over the m examples' },
  seed: { arg: 'k', text: 'seed of the weights and the batch' },
  backend: { arg: 'name', text: 'webgpu (Dawn in Node) falls back to cpu, with a notice, where WebGPU is missing' },
  range: { arg: 'name', text: 'float32 computes as a float32 network would; extended carries a power-of-two scale per tensor, so magnitudes beyond float32 (1.5^10000) are represented' },
  widths: { arg: 'n0,…,nL', text: 'every width n^[0..L] (as TensorFlow Playground\'s networkShape), e.g. 64,256,256,16,16,256,256,10: fan-in and fan-out then differ, so Glorot, LeCun and He differ; decides --depth, --input-dim, --output-dim' },
  memory: { arg: 'MiB', text: 'device memory budget; activations are recomputed from checkpoints every ~√L layers when they do not fit, and a network that still does not fit is refused' },
  steps: { arg: 'N', text: 'train N steps on the digits (split once, seeded and stratified, into 1,437 train / 360 test; a minibatch of m per step); 0 = one step, no update' },
  lr: { arg: 'eta', text: 'learning rate η' },
  optimizer: { arg: 'name', text: 'sgd, momentum (SGD with momentum μ) or adam, with torch.optim\'s formulas' },
  momentum: { arg: 'mu', text: 'momentum μ of --optimizer momentum' },
  beta1: { arg: 'b1', text: 'β₁ of adam' },
  beta2: { arg: 'b2', text: 'β₂ of adam' },
  eps: { arg: 'e', text: 'ε of adam' },
  weightDecay: { arg: 'lambda', text: 'L2 weight decay λ, added to the gradient of W and b (torch.optim\'s weight_decay)' },
  evalEvery: { arg: 'K', text: 'measure loss and accuracy on the whole train and test parts every K steps (and at 0 and the last step)' },
};

const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];


function defaultText(name: FieldName): string {
  const v = DEFAULT_CONFIG[name];
  return v === null ? `"${DEFAULT_GAIN}"` : String(v);
}

function presetSummary(name: string): string {
  const fields = (Object.entries(PRESETS[name]) as [FieldName, unknown][])
    .map(([k, v]) => `${FIELDS[k].flag} ${v === null ? DEFAULT_GAIN : v}`);
  return `  ${name.padEnd(13)} ${fields.join(' ')}`;
}

/**
 * The commander program: --preset, one option per FIELDS entry (flag from FIELDS, no commander defaults, so
 * only the flags actually given reach resolveConfig and override the preset), --json, --csv, --all-layers.
 * Errors are not printed nor exited on (exitOverride); {@link parseArgs} turns them into a UsageError.
 */
export function buildProgram(): Command {
  const program = new Command('gradscope')
    .description('One forward + backward step of an L-layer fully connected network; prints per-layer statistics '
      + 'of z, a, dA, dZ, W, dW to show vanishing/exploding gradients.')
    .usage('[flags]   (npm run cli -- [flags])')
    .exitOverride()
    .allowExcessArguments(true) // stray words are reported by parseArgs, naming them
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
    .helpOption('-h, --help', 'show this help and exit');
  program.addOption(new Option('--preset <name>',
    `starting configuration, one of ${PRESET_NAMES.join('|')}|custom (default: custom = the defaults below); `
    + 'the flags given override its fields'));
  for (const name of FIELD_NAMES) {
    const { arg, text } = FIELD_HELP[name];
    program.addOption(new Option(`${FIELDS[name].flag} <${arg}>`,
      `${text}; ${allowedValues(name)} (default: ${defaultText(name)})`));
  }
  program.addOption(new Option('--json <file>', 'write the result as JSON (the stable format documented in README, "JSON output")'));
  program.addOption(new Option('--csv <file>', 'write one CSV row per (layer, tensor): layer,fanIn,fanOut,tensor,count,mean,std,rms,l2,min,max,zeroFraction,nanCount,infCount'));
  program.addOption(new Option('--jsonl <file>', 'training (--steps N): one JSON line per evaluation, appended as the run goes: '
    + '{"step","train":{"loss","accuracy"},"test":{"loss","accuracy"},"elapsedMs"}'));
  program.addOption(new Option('--histograms', 'also histograms of every tensor (by power of two with signs and 0, subnormal, ∞, NaN '
    + 'apart; 64 linear bins over [min, max]) and the dead (all 0) and saturated (all |a| > 0.99) units of every layer: in the table, '
    + 'and in --json as "histograms"'));
  program.addOption(new Option('--histograms-csv <file>', 'write the histograms as CSV rows layer,tensor,binning,bin,low,high,count '
    + '(implies --histograms)'));
  program.addOption(new Option('--all-layers', 'print every layer (by default, for L > 60 only the first and last 20)'));
  program.addOption(new Option('--plan', 'print the memory plan (bytes per kind of tensor, total against --memory, checkpoints, '
    + 'dispatches) and the step time estimated from the last run on this adapter, and run nothing; with --json FILE '
    + 'it writes { plan, estimatedStepMs }'));
  program.addOption(new Option('--export-torch <dir>', 'write the experiment as a PyTorch script (torch and numpy only) into '
    + 'DIR, created if missing: experiment.py, manifest.json and the exact float32 weights and batch (W<l>.bin, b<l>.bin, '
    + 'x.bin, y.bin, labels.bin); `python3 DIR/experiment.py --same-numbers` reruns these numbers, without it fresh '
    + 'torch.nn.init weights, `torchrun … --seeds 0-1023` many seeds. Nothing runs here unless --json or --csv is given '
    + '(then the run follows the export)'));
  program.addOption(new Option('--theory', 'add to each layer the mean-field prediction (Poole et al. 2016, Schoenholz et al. 2017) of the '
    + 'rms of z, a, dA, dZ, dW, with the finite-width median and ±2σ band (Hanin & Rolnick 2018) over seeds; with --json '
    + 'FILE each layer gets "predicted" (and the document a "theoryNote" where something is not predicted)'));
  program.addOption(new Option('--seeds <K>', `run the network with K seeds (--seed, --seed + 1, …) and summarise every statistic by its `
    + `median and 10% and 90% quantiles over them (with --json FILE: "seeds"; the table and the other fields are the first seed's); `
    + `an integer in 1..${MAX_SEEDS}`));
  program.addOption(new Option('--phase', 'measure the phase diagram of deep random networks (Poole et al. 2016, Schoenholz et al. '
    + '2017) instead of one step: for each (σ_w², σ_b²) of a grid, a network of --depth L layers of --width n with --activation '
    + 'on every layer, W ~ N(0, σ_w²/n), b ~ N(0, σ_b²), --batch m inputs in pairs; the growth rate per layer of rms(dA) '
    + 'and of 1 − correlation of the pairs, the σ_w² where the growth crosses 0, and the mean-field critical line '
    + 'χ₁ = 1 (with --json FILE: "phase"); all grid points batched on the device'));
  program.addOption(new Option('--phase-grid <CxR>', 'with --phase: σ_w² columns × σ_b² rows, each in 1..256 (default: 24x24)'));
  program.addOption(new Option('--sw2 <lo..hi>', 'with --phase: the σ_w² range, 0 < lo < hi ≤ 10000, or one value with 1 column (default: 0.5..4)'));
  program.addOption(new Option('--sb2 <lo..hi>', 'with --phase: the σ_b² range, 0 ≤ lo < hi ≤ 10000, or one value with 1 row (default: 0..0.3)'));
  program.addOption(new Option('--phase-draws <how>', 'with --phase: shared (one seed for every grid point: the same W̃, b̃, x scaled, '
    + 'a smooth map) or independent (seed + point index) (default: shared)'));
  program.addHelpText('after', `\nPresets (their flags, applied over the defaults; the flags given override them):\n${PRESET_NAMES.map(presetSummary).join('\n')}\n`
    + '\nA progress bar is shown on stderr when it is a terminal. Ctrl+C (SIGINT) or SIGTERM cancels the run; no output '
    + 'file is written then.\n'
    + '\nExit status: 0 success, 2 bad input (flag, value, network too large, output file), 1 unexpected error, '
    + '130 interrupted (SIGINT), 143 terminated (SIGTERM).\n');
  return program;
}

/** Shorten every long word of a message (commander quotes the user's words) to MAX_QUOTED characters. */
function shortenWords(line: string): string {
  return line.replace(/\S{81,}/g, (w) => `${w.slice(0, MAX_QUOTED)}… (${w.length.toLocaleString('en-US')} characters)`);
}

/** Append what a flag mentioned in a commander error accepts, so the one line says how to fix it. */
function explain(message: string): string {
  const line = shortenWords(message.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' '));
  const name = FIELD_NAMES.find((n) => new RegExp(`'${FIELDS[n].flag}[ '=]`).test(line));
  if (name) return `${line}; ${FIELDS[name].flag} takes ${allowedValues(name)}`;
  if (/'--preset[ ']/.test(line)) return `${line}; --preset takes ${PRESET_NAMES.join('|')}|custom`;
  if (/'--(json|jsonl|csv|histograms-csv)[ ']/.test(line)) return `${line}; it takes a file path`;
  if (/'--export-torch[ ']/.test(line)) return `${line}; it takes a folder path`;
  if (/'--seeds[ ']/.test(line)) return `${line}; --seeds takes an integer in 1..${MAX_SEEDS}`;
  return `${line} (gradscope --help lists the flags and their allowed values)`;
}

/** The flags that take no value. */
const SWITCHES: readonly string[] = ['--all-layers', '--plan', '--histograms', '--theory', '--phase'];

/** Every long flag the CLI knows: --preset, the config fields', the outputs and the switches (the program's options). */
function knownFlags(program: Command): string[] {
  return program.options.map((o) => o.long).filter((f): f is string => f !== undefined && f !== '--help');
}

/**
 * Flags npm took as its own options because `--` was left out (`npm run cli --preset seed-explode`): npm then sets
 * npm_config_preset=true in the script's environment and passes only "seed-explode" on.
 * @returns the command the user meant, e.g. "npm run cli -- --preset seed-explode", or null.
 */
function npmSwallowed(program: Command, argv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  if (env.npm_lifecycle_event === undefined) return null;
  const taken = knownFlags(program).filter((f) => env[`npm_config_${f.slice(2).replace(/-/g, '_')}`] !== undefined);
  if (taken.length === 0) return null;
  const rest = [...argv];
  const words = taken.flatMap((f) => {
    const v = env[`npm_config_${f.slice(2).replace(/-/g, '_')}`]!;
    return v === 'true' && !SWITCHES.includes(f) ? [f, rest.shift() ?? '…'] : v === 'true' ? [f] : [f, v];
  });
  return `npm run ${env.npm_lifecycle_event} -- ${[...words, ...rest].map((w) => (w.length > MAX_QUOTED ? `${w.slice(0, MAX_QUOTED)}…` : w)).join(' ')}`;
}

/** The one line for words that belong to no flag: which word, after which flag's value. */
function strayArguments(argv: readonly string[], stray: readonly string[]): string {
  const first = stray[0];
  const at = argv.indexOf(first);
  const flag = at >= 2 && argv[at - 2].startsWith('--') ? argv[at - 2] : null;
  const more = stray.length > 1 ? ` (and ${stray.length - 1} more: ${stray.slice(1, 4).map(quoteValue).join(', ')}${stray.length > 4 ? ', …' : ''})` : '';
  return `stray argument ${quoteValue(first)}${more}: ${flag ? `${flag} takes one value (${quoteValue(argv[at - 1])} was read), and ` : ''}`
    + 'every value must follow its flag, as in --depth 30 (gradscope --help lists the flags)';
}

/**
 * Parse the command line (the arguments after the script, e.g. process.argv.slice(2)).
 * @param env the environment (process.env): npm's npm_config_* variables reveal flags npm took for itself.
 * @returns the help text for -h/--help, otherwise the raw config fields and the outputs.
 * @throws UsageError (one line, naming the flag and what it takes) for an unknown flag, a missing value, a stray
 *   argument, or flags npm kept for itself (it then says to write `npm run cli -- …`). Values are not validated
 *   here (see resolveConfig).
 */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArgs {
  const program = buildProgram();
  const meant = npmSwallowed(program, argv, env);
  if (meant !== null) throw new UsageError(`npm took gradscope's flags for its own (they need -- after the script name): write ${meant}`);
  let help = '';
  program.configureOutput({ writeOut: (s) => { help += s; }, writeErr: () => {}, outputError: () => {} });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && e.code === 'commander.helpDisplayed') return { kind: 'help', text: help };
    if (e instanceof CommanderError) throw new UsageError(explain(e.message));
    throw e;
  }
  if (program.args.length > 0) throw new UsageError(strayArguments(argv, program.args));
  const opts = program.opts<Record<string, string | boolean | undefined>>();
  if (opts.plan === true && opts.csv !== undefined) {
    throw new UsageError('--csv cannot be used with --plan: a plan has no per-layer rows (--json FILE writes the plan)');
  }
  if (opts.plan === true && opts.exportTorch !== undefined) {
    throw new UsageError('--export-torch cannot be used with --plan: --plan runs nothing and --export-torch writes a script (give one or the other)');
  }
  for (const flag of ['theory', 'seeds'] as const) {
    if (opts.plan === true && opts[flag] !== undefined) throw new UsageError(`--${flag} cannot be used with --plan: a plan runs nothing`);
  }
  const phaseFlags = { grid: '--phase-grid', sw2: '--sw2', sb2: '--sb2', draws: '--phase-draws' } as const;
  const phaseAttr = { grid: 'phaseGrid', sw2: 'sw2', sb2: 'sb2', draws: 'phaseDraws' } as const;
  let phase: CliArgs['phase'] = null;
  if (opts.phase === true) {
    const conflicting = (['plan', 'theory', 'seeds', 'csv', 'jsonl', 'histograms', 'histogramsCsv', 'exportTorch'] as const)
      .filter((f) => opts[f] !== undefined);
    if (conflicting.length > 0) {
      const flag = `--${conflicting[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new UsageError(`${flag} cannot be used with --phase: --phase measures a grid of networks (its outputs: the table and --json FILE)`);
    }
    phase = {};
    for (const k of Object.keys(phaseFlags) as (keyof typeof phaseFlags)[]) {
      const v = opts[phaseAttr[k]];
      if (typeof v === 'string') phase[k] = v;
    }
  } else {
    const stray = (Object.keys(phaseFlags) as (keyof typeof phaseFlags)[]).find((k) => opts[phaseAttr[k]] !== undefined);
    if (stray !== undefined) throw new UsageError(`${phaseFlags[stray]} is a flag of the phase diagram: add --phase`);
  }
  const seeds = parseSeeds(opts.seeds);
  const raw: RawConfig = {};
  if (opts.preset !== undefined) raw.preset = opts.preset;
  for (const option of program.options) {
    const name = FIELD_NAMES.find((n) => FIELDS[n].flag === option.long);
    const value = opts[option.attributeName()];
    if (name && value !== undefined) raw[name] = value;
  }
  return {
    kind: 'run',
    args: {
      raw,
      json: typeof opts.json === 'string' ? opts.json : null,
      csv: typeof opts.csv === 'string' ? opts.csv : null,
      jsonl: typeof opts.jsonl === 'string' ? opts.jsonl : null,
      histograms: opts.histograms === true || typeof opts.histogramsCsv === 'string',
      histogramsCsv: typeof opts.histogramsCsv === 'string' ? opts.histogramsCsv : null,
      allLayers: opts.allLayers === true,
      plan: opts.plan === true,
      exportTorch: typeof opts.exportTorch === 'string' ? opts.exportTorch : null,
      theory: opts.theory === true,
      seeds,
      phase,
    },
  };
}

/** The value of --seeds: an integer in 1..MAX_SEEDS, or null if not given. @throws UsageError otherwise. */
function parseSeeds(raw: string | boolean | undefined): number | null {
  if (raw === undefined) return null;
  const text = String(raw).trim();
  const k = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(k >= 1 && k <= MAX_SEEDS)) throw new UsageError(`--seeds takes an integer in 1..${MAX_SEEDS}, got ${quoteValue(raw)}`);
  return k;
}
