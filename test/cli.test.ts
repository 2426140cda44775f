/**
 * The CLI (src/cli/main.ts) as a user runs it: a child process through vite-node, checked on exit status,
 * stdout, stderr and the --json / --csv files. Expected numbers come from closed forms of the presets
 * (model/config.ts), not from the CLI's own output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../src/model/network';
import { SOFTWARE_NOTICE } from '../src/backends/open';
import { DIGITS_EXAMPLES, FIELDS, MAX_DEPTH, PRESET_NAMES, PRESETS } from '../src/model/config';

interface Outcome { code: number | null; stdout: string; stderr: string }

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITE_NODE = join(ROOT, 'node_modules/.bin/vite-node');
const dir = mkdtempSync(join(tmpdir(), 'gradscope-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** The children's environment: their timing cache (XDG_CACHE_HOME) in the test's folder, not the user's home. */
const ENV: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') };

/**
 * Run the CLI with `args`; via `npm run cli` (the documented command) or vite-node directly (faster).
 * @param env the child's environment (default ENV)
 */
function cli(args: readonly string[], via: 'npm' | 'vite-node' = 'vite-node', env: NodeJS.ProcessEnv = ENV): Promise<Outcome> {
  const [cmd, pre] = via === 'npm' ? ['npm', ['run', '--silent', 'cli', '--']] : [VITE_NODE, ['src/cli/main.ts', '--']];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...pre, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The CLI's own lines of stderr (Dawn prints XDG/Vulkan diagnostics when it loads), without the notices that
 * depend on the machine rather than the input: the software-adapter notice and the kernels measured on it.
 */
function cliLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('gradscope:') && !l.includes(SOFTWARE_NOTICE) && !l.startsWith('gradscope: notice: kernels measured'));
}

function expectClose(got: number, want: number, rtol: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(rtol * Math.abs(want));
}

/** Rows of the per-layer table: lines whose first cell is a layer number. */
function tableRows(stdout: string): string[][] {
  return stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => /^\d+$/.test(c[0]) && c.length === 11);
}

interface StatsJson { min: number; max: number; count: number; rms: number; std: number }
interface LayerJson { layer: number; fanIn: number; fanOut: number; z: StatsJson; a: StatsJson; dA: StatsJson; dZ: StatsJson; W: StatsJson; dW: StatsJson }
interface ResultJson { backend: string; adapter: string; loss: number; config: { depth: number; preset: string }; layers: LayerJson[] }

interface PredictionJson { rms: number; median: number | null; band: [number, number] | null; sigma: number | null }
type PredictedJson = Record<'z' | 'a' | 'dA' | 'dZ' | 'dW', PredictionJson | null> & { chi: number | null };
interface TheoryJson extends ResultJson { layers: (LayerJson & { predicted: PredictedJson })[]; theoryNote: string | null }
interface QuantilesJson { median: number; p10: number; p90: number }
interface SeedsJson extends ResultJson {
  seeds: { count: number; seeds: number[]; layers: ({ layer: number } & Record<string, Record<string, QuantilesJson | Record<string, QuantilesJson>>>)[] };
}

/** Live (non-zombie) processes of process group `pgid`, as "pid stat args" lines. */
function processGroup(pgid: number): string[] {
  const out = spawnSync('ps', ['-o', 'pid=,stat=,args=', '-g', String(pgid)], { encoding: 'utf8' }).stdout;
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.split(/\s+/)[1].startsWith('Z'));
}

/** User + system CPU clock ticks used by the process of a processGroup line (0 if none). */
function cpuTicks(line: string | undefined): number {
  if (!line) return 0;
  const stat = readFileSync(`/proc/${line.split(/\s+/)[0]}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(stat[11]) + Number(stat[12]);
}

/**
 * Start `npm <args>` in a process group of its own, wait until `ready(group)`, send `signal` to npm only (as a
 * terminal or a supervisor would), and report npm's exit status, the milliseconds from the signal to npm's exit,
 * and the processes of the group still alive after it exited (polled for up to 5 s; the engine ends within a second).
 */
async function terminate(args: string[], ready: (group: string[]) => boolean, signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM'):
  Promise<{ status: number | null; ms: number; left: string[]; stdout: string; stderr: string }> {
  const child = spawn('npm', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: ENV });
  let stdout = '', stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', (d) => { stdout += d; });
  const pgid = child.pid!;
  while (!ready(processGroup(pgid))) await new Promise((r) => setTimeout(r, 100));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const t0 = performance.now();
  process.kill(pgid, signal);
  // npm waits for its script; if the script's process did not get the signal, npm would wait for the whole run.
  const status = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000))]);
  const ms = performance.now() - t0;
  let left = processGroup(pgid);
  for (let i = 0; i < 50 && left.length > 0; i++) { await new Promise((r) => setTimeout(r, 100)); left = processGroup(pgid); }
  if (left.length > 0) process.kill(-pgid, 'SIGKILL');
  return { status, ms, left, stdout, stderr };
}

/** The CPU engine of the CLI in a processGroup has used 1.5 s of CPU time: it is computing, well into the run. */
const engineBusy = (group: string[]) => cpuTicks(group.find((l) => l.includes('src/cli/main.ts'))) >= 150;

/** A CPU run long enough to interrupt and to show progress (L = 3000, n = 64: seconds here). */
const LONG_RUN = ['--depth', '3000', '--width', '64', '--backend', 'cpu'];

/** util-linux's script(1), which runs a command on a pseudo-terminal (Debian: package bsdutils). */
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * Run the CLI on a pseudo-terminal (stdin, stdout and stderr all on it), with `script -qfec CMD /dev/null`.
 * @returns the exit status and everything written to the terminal (stdout and stderr together, with control codes).
 */
function cliOnTerminal(args: readonly string[]): Promise<{ code: number | null; terminal: string }> {
  const quote = (w: string) => `'${w.replace(/'/g, "'\\''")}'`;
  const cmd = [VITE_NODE, 'src/cli/main.ts', '--', ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
    let terminal = '';
    child.stdout.on('data', (d) => { terminal += d; });
    child.stderr.on('data', (d) => { terminal += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, terminal }));
  });
}

interface PlanJson {
  plan: { kinds: { name: string; description: string; bytes: number; pages: number }[]; totalBytes: number; budgetBytes: number;
    checkpointEvery: number | null; dispatchesPerStep: number; hostInit: boolean };
  estimatedStepMs: number | null;
}

describe('gradscope CLI', () => {
  it('--help exits 0 and lists every flag with its allowed values', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const spec of Object.values(FIELDS)) expect(help).toContain(`${spec.flag} <`);
    for (const flag of ['--preset', '--json', '--csv', '--all-layers', '--plan', '--theory', '--seeds <K>']) expect(help).toContain(flag);
    for (const status of ['130', '143']) expect(help).toContain(status);
    for (const spec of Object.values(FIELDS)) {
      if (spec.values) expect(help).toContain(`one of ${spec.values.join(', ')}`);
      else expect(help).toContain(`${spec.min}..${spec.max}`);
    }
    for (const name of PRESET_NAMES) expect(help).toContain(name);
    expect(help).toContain('(default: 50)'); // DEFAULT_CONFIG.depth
  });

  const badInputs: { args: string[]; flag: string; allowed: string[] }[] = [
    { args: ['--depth', '-3'], flag: '--depth', allowed: [`1..${MAX_DEPTH}`] },
    { args: ['--depth', 'abc'], flag: '--depth', allowed: [`1..${MAX_DEPTH}`] },
    { args: ['--activation', 'sigmoid'], flag: '--activation', allowed: [...ACTIVATIONS] },
    { args: ['--preset', 'nope'], flag: '--preset', allowed: PRESET_NAMES },
    { args: ['--batch', '5000', '--input', 'digits'], flag: '--batch', allowed: [`1..${DIGITS_EXAMPLES}`] },
    { args: ['--preset', 'seed-vanish', '--json', join(dir, 'no-such-folder', 'out.json')], flag: '--json', allowed: ['existing folder'] },
    // Names are looked up in their own lists only: Object.prototype's keys are not presets.
    { args: ['--preset', '__proto__'], flag: '--preset', allowed: PRESET_NAMES },
    { args: ['--preset', 'constructor'], flag: '--preset', allowed: PRESET_NAMES },
    { args: ['--preset', 'toString'], flag: '--preset', allowed: PRESET_NAMES },
    { args: ['--loss', 'softmax-xent', '--output-dim', '1', '--input', 'gaussian'], flag: '--output-dim', allowed: ['at least 2', 'softmax-xent'] },
    // The lecture's names of the initialisers get the names used here.
    { args: ['--init', 'he'], flag: '--init', allowed: ['did you mean kaiming_normal or kaiming_uniform?'] },
    { args: ['--init', 'glorot'], flag: '--init', allowed: ['did you mean xavier_normal or xavier_uniform?'] },
    { args: ['--init', 'xavier'], flag: '--init', allowed: ['did you mean xavier_normal or xavier_uniform?'] },
    { args: ['--depth', '30', '50'], flag: '--depth', allowed: ['stray argument "50"', '"30" was read'] },
    { args: ['--plan', '--csv', join(dir, 'plan.csv')], flag: '--csv', allowed: ['--plan', '--json FILE writes the plan'] },
    { args: ['--seeds', '0'], flag: '--seeds', allowed: ['1..1000', '"0"'] },
    { args: ['--seeds', 'many'], flag: '--seeds', allowed: ['1..1000'] },
    { args: ['--seeds'], flag: '--seeds', allowed: ['1..1000'] },
    { args: ['--plan', '--theory'], flag: '--theory', allowed: ['--plan', 'runs nothing'] },
  ];
  it.each(badInputs)('$args exits 2 with one line naming $flag', async ({ args, flag, allowed }) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain(flag);
    for (const a of allowed) expect(lines[0]).toContain(a);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('a 100,000-character value is quoted in at most ~80 characters', async () => {
    for (const args of [['--init', 'x'.repeat(100_000)], [`--${'y'.repeat(100_000)}`], ['--depth', '3', 'z'.repeat(100_000)]]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr.length, r.stderr.slice(0, 300)).toBeLessThan(500);
      expect(r.stderr).toMatch(/100,00\d characters/);
    }
  });

  it('npm run cli without -- (npm keeps the flags): says to write npm run cli -- …', async () => {
    const r = await new Promise<Outcome>((resolve, reject) => {
      const child = spawn('npm', ['run', '--silent', 'cli', '--preset', 'seed-explode'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code).toBe(2);
    expect(cliLines(r.stderr)).toEqual(['gradscope: error: npm took gradscope\'s flags for its own (they need -- after the script name): write npm run cli -- --preset seed-explode']);
  });

  it('SIGTERM to npm run cli ends every process it started (no orphan engine), with status 143', async () => {
    // A long CPU run (L = 3000, n = 64); the engine is computing once its process has used CPU time.
    const { status, left, stderr } = await terminate(['run', '--silent', 'cli', '--', ...LONG_RUN], engineBusy);
    expect(left, 'processes left in the group').toEqual([]);
    expect(status).toBe(143);
    expect(stderr).toContain('terminated (SIGTERM)');
  });

  it('SIGINT (Ctrl+C) cancels the run: one line, nothing written, status 130, every process ended within a second', async () => {
    const file = join(dir, 'interrupted.json');
    const { status, ms, left, stdout, stderr } = await terminate(['run', '--silent', 'cli', '--', ...LONG_RUN, '--json', file], engineBusy, 'SIGINT');
    expect(left, 'processes left in the group').toEqual([]);
    expect(status).toBe(130);
    expect(ms, 'milliseconds from SIGINT to the exit of npm').toBeLessThan(1000);
    expect(cliLines(stderr)).toEqual(['gradscope: interrupted (SIGINT): the run was cancelled (a step writes no output file; training stops between two steps and reports the steps done)']);
    expect(stdout).toBe('');
    expect(existsSync(file)).toBe(false);
  });

  it.skipIf(!hasScript)('on a terminal, a progress bar on stderr shows the phases, layers, elapsed time and ETA', async () => {
    const r = await cliOnTerminal(['--depth', '1000', '--width', '64', '--backend', 'cpu']);
    expect(r.code, r.terminal.slice(-500)).toBe(0);
    for (const phase of ['init', 'forward', 'backward']) expect(r.terminal).toMatch(new RegExp(`${phase} +\\[[█░]{16}\\] \\d+/\\d+`));
    expect(r.terminal).toMatch(/forward +\[[█░]+\] \d+\/2001 \(layer \d+\) \| [\d.]+ m?s \| ETA /);
    expect(r.terminal).toMatch(/init +\[[█░]+\] \d+\/1000 layers/);
    // The bar is cleared before the table, which follows in full.
    expect(tableRows(r.terminal.replace(/\r/g, ''))).toHaveLength(40);
  });

  it('when stderr is a pipe, there is no progress output at all', async () => {
    const r = await cli(['--depth', '1000', '--width', '64', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(tableRows(r.stdout)).toHaveLength(40);
  });

  it('SIGTERM to npm start ends the GUI server it started (no orphan vite)', async () => {
    const { left } = await terminate(['start', '--', '--port', '5198', '--strictPort'], (group) => group.some((l) => /node_modules\/\.bin\/vite\b/.test(l)));
    expect(left, 'processes left in the group').toEqual([]);
  });

  it('a network over the CPU limit exits 2 with a LimitError line', async () => {
    // tensorElements ≈ 4·n·m per layer = 4·1024·65536·2 > 2^27 (CPU_MAX_ELEMENTS), while W stays small.
    const r = await cli(['--depth', '2', '--width', '1024', '--batch', '65536', '--input', 'gaussian', '--input-dim', '1', '--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(cliLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/network too large.*--depth/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('seed-explode --json: a^[l] = 1.5^l, dW^[l] = 1.5^149, J = 2·1.5^150 (float64 CPU)', async () => {
    // Preset seed-explode: L = 150, n^[l] = 2, x = ones (2, 1), m = 1, identity activation, W^[l] = 1.5·I, b = 0,
    // loss sum. Forward: a^[l] = 1.5^l in every unit; J = Σ_i ŷ_i = 2·1.5^150. Backward: dŷ = 1/m = 1,
    // dZ^[l] = dA^[l] = 1.5^(L-l) (dA^[l-1] = W^[l]ᵀ dZ^[l]), dW^[l] = dZ^[l] a^[l-1]ᵀ = 1.5^(L-l)·1.5^(l-1) = 1.5^149.
    const file = join(dir, 'explode.json');
    const r = await cli(['--preset', 'seed-explode', '--backend', 'cpu', '--json', file], 'npm');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as ResultJson;
    const L = PRESETS['seed-explode'].depth!;
    expect(doc.backend).toBe('cpu');
    expect(doc.config.depth).toBe(L);
    expect(doc.layers).toHaveLength(L);
    expectClose(doc.loss, 2 * 1.5 ** L, 1e-12, 'J');
    for (const layer of doc.layers) {
      const l = layer.layer;
      for (const s of ['min', 'max'] as const) {
        expectClose(layer.a[s], 1.5 ** l, 1e-12, `a^[${l}].${s}`);
        expectClose(layer.dW[s], 1.5 ** (L - 1), 1e-12, `dW^[${l}].${s}`);
      }
    }
    // L = 150 > 60: the table shows layers 1..20, an ellipsis line, layers 131..150.
    const rows = tableRows(r.stdout).map((c) => Number(c[0]));
    expect(rows).toEqual([...Array.from({ length: 20 }, (_, i) => i + 1), ...Array.from({ length: 20 }, (_, i) => L - 19 + i)]);
    expect(r.stdout).toMatch(/…/);
  });

  it('relu-he --csv writes 50·6 rows, one per (layer, tensor), that agree with --json and the table', async () => {
    const csvFile = join(dir, 'relu-he.csv'), jsonFile = join(dir, 'relu-he.json');
    const r = await cli(['--preset', 'relu-he', '--backend', 'cpu', '--csv', csvFile, '--json', jsonFile]);
    expect(r.code, r.stderr).toBe(0);
    const parsed = Papa.parse<Record<string, string>>(readFileSync(csvFile, 'utf8'), { header: true, skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual(['layer', 'fanIn', 'fanOut', 'tensor', 'count', 'mean', 'std', 'rms', 'l2', 'min', 'max', 'zeroFraction', 'nanCount', 'infCount']);
    const L = 50, m = 64, tensors = ['z', 'a', 'dA', 'dZ', 'W', 'dW'] as const;
    expect(parsed.data).toHaveLength(L * 6);
    const doc = JSON.parse(readFileSync(jsonFile, 'utf8')) as ResultJson;
    parsed.data.forEach((row, i) => {
      const l = Math.floor(i / 6) + 1, t = tensors[i % 6];
      const fanIn = l === 1 ? 64 : 128, fanOut = l === L ? 10 : 128; // digits: n^[0] = 64, n^[L] = 10
      expect([row.layer, row.fanIn, row.fanOut, row.tensor].join()).toBe([l, fanIn, fanOut, t].join());
      expect(Number(row.count)).toBe(t === 'W' || t === 'dW' ? fanOut * fanIn : fanOut * m);
      for (const stat of ['min', 'max', 'rms', 'std'] as const) expect(Number(row[stat])).toBe(doc.layers[l - 1][t][stat]);
    });
    // The table (4 significant digits): rms of z, a, dA, dZ, W, dW, then std of a and dW.
    const rows = tableRows(r.stdout);
    expect(rows).toHaveLength(L);
    for (const cells of rows) {
      const layer = doc.layers[Number(cells[0]) - 1];
      const want = [layer.fanIn, layer.fanOut, ...tensors.map((t) => layer[t].rms), layer.a.std, layer.dW.std];
      cells.slice(1).forEach((c, k) => expectClose(Number(c), want[k], 5e-4, `layer ${cells[0]} column ${k + 1}`));
    }
  });

  it('--backend webgpu runs on Dawn (SwiftShader here) with nothing on stderr and gets a^[l] = 0.5^l', async () => {
    // seed-vanish at L = 10: W^[l] = 0.5·I, so a^[l] = 0.5^l, dW^[l] = 0.5^(L-1), J = 2·0.5^L — all exact in float32.
    const file = join(dir, 'webgpu.json');
    const L = 10;
    // The timing cache cannot be written (its folder would be inside a file): the run goes on, saying nothing.
    const notAFolder = join(dir, 'not-a-folder');
    writeFileSync(notAFolder, '');
    const r = await cli(['--preset', 'seed-vanish', '--depth', String(L), '--backend', 'webgpu', '--json', file], 'vite-node', { ...ENV, XDG_CACHE_HOME: notAFolder });
    expect(r.stderr).not.toMatch(/XDG_RUNTIME_DIR/);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as ResultJson;
    // The test machines have WebGPU in Node (README "WebGPU without a GPU"): a fallback would hide an engine fault.
    expect(doc.backend).toBe('webgpu');
    expect(cliLines(r.stderr)).toEqual([]);
    expectClose(doc.loss, 2 * 0.5 ** L, 1e-6, 'J');
    for (const layer of doc.layers) {
      expectClose(layer.a.min, 0.5 ** layer.layer, 1e-6, `a^[${layer.layer}].min`);
      expectClose(layer.a.max, 0.5 ** layer.layer, 1e-6, `a^[${layer.layer}].max`);
      expectClose(layer.dW.max, 0.5 ** (L - 1), 1e-6, `dW^[${layer.layer}].max`);
    }
  });

  it('--plan prints the memory plan of a small network, kind by kind against the budget, and runs nothing', async () => {
    const file = join(dir, 'plan.json');
    const env = { ...ENV, XDG_CACHE_HOME: join(dir, 'empty-cache') };
    const r = await cli(['--preset', 'seed-vanish', '--depth', '10', '--backend', 'webgpu', '--plan', '--json', file], 'vite-node', env);
    expect(r.code, r.stderr).toBe(0);
    expect(cliLines(r.stderr)).toEqual([]);
    // Nothing ran: no result header, no per-layer table.
    expect(tableRows(r.stdout)).toEqual([]);
    expect(r.stdout).not.toMatch(/^gradscope {2}backend/m);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as PlanJson;
    const names = doc.plan.kinds.map((k) => k.name);
    for (const kind of ['W', 'b', 'z', 'dA', 'dZ', 'dW', 'db', 'stats']) expect(names).toContain(kind);
    // seed-vanish: n^[l] = 2 for l = 0..L, so W^[1..10] holds at least 10·2·2 float32 values.
    expect(doc.plan.kinds.find((k) => k.name === 'W')!.bytes).toBeGreaterThanOrEqual(10 * 2 * 2 * 4);
    expect(doc.plan.totalBytes).toBe(doc.plan.kinds.reduce((sum, k) => sum + k.bytes, 0));
    expect(doc.plan.budgetBytes).toBe(2048 * 2 ** 20); // --memory 2048 (the default), in MiB
    expect(doc.plan.checkpointEvery).toBeNull();
    expect(doc.plan.hostInit).toBe(false); // identity weights are drawn on the device
    expect(doc.estimatedStepMs).toBeNull();
    // The text: one row per kind with its bytes and pages, the total against the budget, and the rest of the plan.
    for (const k of doc.plan.kinds) expect(r.stdout).toMatch(new RegExp(`^ +${k.name} +[\\d.]+ (B|KiB|MiB) +${k.pages} +${k.description.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(r.stdout).toMatch(/^ +total +[\d.]+ KiB +of the budget 2 GiB \(--memory 2048\)/m);
    expect(r.stdout).toContain('activations: all kept');
    expect(r.stdout).toContain(`dispatches per step: ${doc.plan.dispatchesPerStep}`);
    expect(r.stdout).toContain('weights: drawn on the device');
    expect(r.stdout).toContain('estimated step time: no measurement on this adapter yet (run once to measure)');
  });

  it('--plan with --memory too small for the weights exits 2 naming the budget with the numbers', async () => {
    // L = 100, n = 1024, digits (n^[0] = 64, n^[L] = 10): the weights alone are 4·(64·1024 + 98·1024² + 1024·10) bytes
    // ≈ 392 MiB, over --memory 16 even with activations recomputed from checkpoints.
    const weightBytes = 4 * (64 * 1024 + 98 * 1024 * 1024 + 1024 * 10);
    const r = await cli(['--depth', '100', '--width', '1024', '--memory', '16', '--backend', 'webgpu', '--plan']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = cliLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain('memory budget (--memory, MiB) is 16,777,216');
    expect(lines[0]).toContain('budget 16 MiB');
    expect(lines[0]).toContain('raise --memory');
    const alone = /W\^\[1\.\.L\] alone needs ([\d,]+)/.exec(lines[0]);
    expect(alone, lines[0]).not.toBeNull();
    expect(Number(alone![1].replace(/,/g, ''))).toBeGreaterThanOrEqual(weightBytes);
  });

  it('--plan after a webgpu run estimates the step time from the cost per unit measured on this adapter', async () => {
    const cache = join(dir, 'measured-cache');
    const env = { ...ENV, XDG_CACHE_HOME: cache };
    const run = await cli(['--preset', 'seed-vanish', '--depth', '10', '--backend', 'webgpu', '--json', join(dir, 'measured.json')], 'vite-node', env);
    expect(run.code, run.stderr).toBe(0);
    const adapter = (JSON.parse(readFileSync(join(dir, 'measured.json'), 'utf8')) as ResultJson).adapter;
    const { timings } = JSON.parse(readFileSync(join(cache, 'gradscope', 'timings.json'), 'utf8')) as { timings: { adapter: string; msPerUnit: number; measuredAt: string }[] };
    expect(timings).toHaveLength(1);
    expect(timings[0].adapter).toBe(adapter);
    expect(timings[0].msPerUnit).toBeGreaterThan(0);
    expect(Date.now() - Date.parse(timings[0].measuredAt)).toBeLessThan(10 * 60_000);
    // The measured network's multiply-adds per unit: 3·Σ n^[l] n^[l-1] m over 2L + 1 units (seed-vanish: n = 2, m = 1).
    expectClose((timings[0] as { macsPerUnit?: number }).macsPerUnit!, 3 * 10 * 2 * 2 * 1 / 21, 1e-12, 'macsPerUnit');
    // A plan of another depth, same layers: the measured cost per unit × (2L + 1) units.
    const file = join(dir, 'plan-estimate.json');
    const r = await cli(['--preset', 'seed-vanish', '--depth', '20', '--backend', 'webgpu', '--plan', '--json', file], 'vite-node', env);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as PlanJson;
    // Per unit 3·20·4/41 multiply-adds against 3·10·4/21: the ratio (240/41)/(120/21) = 42/41 — and never below
    // min(measured, 0.05 ms).
    const perUnit = Math.max(timings[0].msPerUnit * 42 / 41, Math.min(timings[0].msPerUnit, 0.05));
    expectClose(doc.estimatedStepMs!, perUnit * 41, 1e-12, 'estimatedStepMs');
    expect(r.stdout).toMatch(/^estimated step time: [\d.]+ m?s \([\d.]+ ms per unit × 41 units = 2L \+ 1, from [\d.]+ ms per unit measured .* scaled by multiply-adds per unit /m);
    expect(r.stdout).not.toContain('no measurement');
    // A network 256 times the work per unit (width 32 instead of 2): the estimate per unit scales with it.
    const wide = join(dir, 'plan-wide.json');
    const w = await cli(['--preset', 'seed-vanish', '--depth', '10', '--width', '32', '--input-dim', '32', '--output-dim', '32', '--backend', 'webgpu', '--plan', '--json', wide], 'vite-node', env);
    expect(w.code, w.stderr).toBe(0);
    expectClose((JSON.parse(readFileSync(wide, 'utf8')) as PlanJson).estimatedStepMs!, timings[0].msPerUnit * 256 * 21, 1e-12, 'estimatedStepMs, wide');
  });

  it('--theory: a linear network with normal(0, σ) weights on x = ones: rms(a^[l]) = (σ²n)^(l/2), rms(dA^[l]) = (σ²n)^((L−l)/2)/m, χ = σ²n', async () => {
    // Mean field of a linear network (Poole et al. 2016's length map with φ = identity): E[z^[l]²] = n·σ²·E[a^[l-1]²],
    // rms(x) = 1; backward with loss sum: dA^[L] = 1/m, E[dA^[l-1]²] = n·σ²·E[dA^[l]²]. The examples are identical, so
    // dW has a band too and there is no theoryNote.
    const sigma = 0.3, n = 16, L = 6, m = 3;
    const file = join(dir, 'theory.json');
    const r = await cli(['--input', 'ones', '--input-dim', String(n), '--width', String(n), '--output-dim', String(n), '--depth', String(L),
      '--batch', String(m), '--activation', 'identity', '--init', 'normal', '--mean', '0', '--std', String(sigma), '--loss', 'sum',
      '--backend', 'cpu', '--theory', '--json', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('theory: mean field');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as TheoryJson;
    expect(doc.theoryNote).toBeNull();
    const g = sigma * sigma * n;
    for (const layer of doc.layers) {
      const l = layer.layer, p = layer.predicted;
      expectClose(p.a!.rms, g ** (l / 2), 1e-12, `predicted a^[${l}]`);
      expectClose(p.z!.rms, g ** (l / 2), 1e-12, `predicted z^[${l}]`);
      expectClose(p.dA!.rms, g ** ((L - l) / 2) / m, 1e-12, `predicted dA^[${l}]`);
      expectClose(p.chi!, g, 1e-12, `χ_${l}`);
      for (const t of ['z', 'a', 'dA', 'dZ', 'dW'] as const) {
        const x = p[t]!;
        expect(x.band, `${t}^[${l}] band`).not.toBeNull();
        expect(x.band![0]).toBeLessThanOrEqual(x.median!);
        expect(x.median!).toBeLessThanOrEqual(x.band![1]);
        // The measurement is within 4σ of the median (the band is ±2σ; 4σ fails by chance with probability 6e-5).
        const dev = Math.abs(Math.log(layer[t].rms / x.median!));
        expect(dev, `${t}^[${l}]: measured ${layer[t].rms}, median ${x.median}, σ ${x.sigma}`).toBeLessThanOrEqual(4 * x.sigma! + 1e-9);
      }
    }
  });

  it('--theory with zeros: "predicted" is null for every tensor and "theoryNote" says why', async () => {
    const file = join(dir, 'theory-zeros.json');
    const r = await cli(['--preset', 'seed-vanish', '--depth', '4', '--init', 'zeros', '--backend', 'cpu', '--theory', '--json', file]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as TheoryJson;
    expect(doc.theoryNote).toMatch(/zeros.*mean-field theory of random weights does not apply/);
    for (const layer of doc.layers) expect(layer.predicted).toEqual({ z: null, a: null, dA: null, dZ: null, dW: null, chi: null });
    expect(r.stdout).toContain('no prediction: init zeros');
  });

  it('--seeds 4: the quantiles over seeds s..s+3, ordered, the median within [p10, p90]; the rest of the document is seed s\'s', async () => {
    const file = join(dir, 'seeds.json'), single = join(dir, 'seed-7.json');
    const args = ['--depth', '3', '--width', '24', '--input', 'gaussian', '--input-dim', '8', '--output-dim', '4', '--batch', '5', '--loss', 'sum', '--backend', 'cpu'];
    const [r, r1] = await Promise.all([cli([...args, '--seed', '7', '--seeds', '4', '--json', file]), cli([...args, '--seed', '7', '--json', single])]);
    expect(r.code, r.stderr).toBe(0);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r.stdout).toContain('seeds: 4 runs (seeds 7..10)');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as SeedsJson;
    expect(doc.seeds.count).toBe(4);
    expect(doc.seeds.seeds).toEqual([7, 8, 9, 10]);
    expect(doc.seeds.layers).toHaveLength(3);
    let checked = 0;
    for (const layer of doc.seeds.layers) {
      for (const t of ['z', 'a', 'dA', 'dZ', 'W', 'dW']) {
        const { log10, ...stats } = layer[t];
        for (const [stat, q] of [...Object.entries(stats), ...Object.entries(log10 as Record<string, QuantilesJson>)] as [string, QuantilesJson][]) {
          expect(q.p10, `${t}^[${layer.layer}].${stat}`).toBeLessThanOrEqual(q.median);
          expect(q.median, `${t}^[${layer.layer}].${stat}`).toBeLessThanOrEqual(q.p90);
          checked++;
        }
        const count = layer[t].count as QuantilesJson; // the same in every run
        expect(count).toEqual({ median: count.median, p10: count.median, p90: count.median });
      }
    }
    expect(checked).toBe(3 * 6 * 13);
    // The rms of W^[l] varies over seeds (4 draws), and its quantiles are not all equal.
    const wRms = doc.seeds.layers[0].W.rms as QuantilesJson;
    expect(wRms.p10).toBeLessThan(wRms.p90);
    // The per-layer statistics are those of the first seed, as a run with --seed 7 alone.
    expect(doc.layers).toEqual((JSON.parse(readFileSync(single, 'utf8')) as ResultJson).layers);
  });
});
