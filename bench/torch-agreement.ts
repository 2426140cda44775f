/**
 * `npm run bench:torch [-- --preset train-compare --steps 100 --optimizers sgd,adam]`: how far the
 * exported PyTorch script's training (src/session/experiment.py --same-numbers) is from gradscope's own, on the same
 * weights, split and minibatches. For each optimiser (sgd with the preset's η; adam with η = 1e-3 unless --adam-lr)
 * it trains the config four times: gradscope's Trainer on the CPU reference (float64) and on the WebGPU engine
 * (float32), and the export with --dtype float64 and float32 (--save-weights for the final weights). It prints one
 * table row per pair — the claims, torch float64 vs gradscope cpu and torch float32 vs gradscope webgpu, and for
 * scale the two float32 runs against the float64 ones — with the largest relative difference of an evaluation's
 * loss (train and test parts, every evaluation), the largest accuracy difference in examples (of 1437 / 360), the
 * largest relative difference of a recorded step's minibatch loss, rms(a^[l]) and rms(dW^[l]), of the last step's
 * statistics, and of the final W^[l] and b^[l] (‖ΔW‖_F/‖W‖_F, worst layer), and the first step whose record differs
 * by more than 1e-4. Two float32 runs agree to rounding (~1e-6) until a discrete decision differs — a ReLU input
 * within float32 rounding of 0 that one sum puts on the other side — and a long or unstable training then amplifies
 * the difference (README "The CLI", measured agreement); that column names the step.
 * Needs /usr/bin/python3 with torch and numpy; on a machine without a GPU the WebGPU engine runs on SwiftShader.
 */
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import { nodeGpu } from '../src/backends/webgpu/node-gpu';
import { WebGpuBackend } from '../src/backends/webgpu/webgpu-backend';
import { OPTIMIZERS, type OptimizerName } from '../src/model/optimizers';
import { resolveConfig, widthsOf, type RawConfig } from '../src/model/config';
import { compareTraining, trainGradscope, trainTorch, weightsAgreement, writeExport, type TrainingRun } from '../test/helpers/torch-training';

const opts = new Command()
  .option('--preset <name>', 'the network and its training', 'train-compare')
  .option('--steps <n>', 'training steps', '100')
  .option('--optimizers <list>', `comma-separated, of ${OPTIMIZERS.join(', ')}`, 'sgd,adam')
  .option('--adam-lr <η>', 'learning rate of adam (the other optimisers keep the preset\'s)', '0.001')
  .option('--seed <k>', 'seed of the weights, split and minibatches', '1')
  .option('--init <name>', 'initialiser (default: the preset\'s)')
  .parse(process.argv.filter((a) => a !== '--'))
  .opts<{ preset: string; steps: string; optimizers: string; adamLr: string; seed: string; init?: string }>();

type Run = TrainingRun;

const fmt = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : String(x));

/** One table row: `got` against `ref`. */
function row(optimizer: string, pair: string, got: Run, ref: Run): string[] {
  const a = compareTraining(got.doc, ref.doc);
  const w = weightsAgreement(got.weights, ref.weights);
  const end = (r: Run) => {
    const e = r.doc.evaluations[r.doc.evaluations.length - 1];
    return `${Number(e.test.loss).toFixed(3)} / ${(e.test.accuracy * 100).toFixed(1)}%`;
  };
  return [optimizer, pair, `${got.doc.state} ${got.doc.steps}`, `${end(got)} vs ${end(ref)}`, fmt(a.evalLoss), String(a.accuracyExamples),
    fmt(a.recordLoss), fmt(a.rmsA), fmt(a.rmsDW), fmt(a.last), fmt(w.W), fmt(w.b), a.firstBeyond === null ? '—' : String(a.firstBeyond),
    a.mismatches.length === 0 ? 'same' : a.mismatches.join('; ')];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gradscope-agreement-'));
  const { gpu, reason } = await nodeGpu();
  if (!gpu) throw new Error(`no WebGPU in Node: ${reason}`);
  const webgpu = await WebGpuBackend.create(gpu);
  const rows: string[][] = [];
  try {
    for (const optimizer of opts.optimizers.split(',') as OptimizerName[]) {
      const raw: RawConfig = { preset: opts.preset, steps: opts.steps, seed: opts.seed, optimizer, ...(optimizer === 'adam' ? { lr: opts.adamLr } : {}), ...(opts.init ? { init: opts.init } : {}) };
      const cfg = resolveConfig(raw);
      const out = join(dir, optimizer);
      writeExport(cfg, out);
      const L = widthsOf(cfg).length - 1;
      const [t64, t32] = await Promise.all([trainTorch(out, 'float64', L), trainTorch(out, 'float32', L)]);
      const cpu = await trainGradscope(cfg, new CpuBackend());
      const gpu32 = await trainGradscope(cfg, webgpu);
      const name = `${optimizer} η=${cfg.lr}`;
      rows.push(row(name, 'torch float64 vs gradscope cpu (float64)', t64, cpu), row(name, 'torch float32 vs gradscope webgpu (float32)', t32, gpu32),
        row(name, 'for scale: torch float32 vs torch float64', t32, t64), row(name, 'for scale: gradscope webgpu vs gradscope cpu', gpu32, cpu));
      process.stderr.write(`${name}: seconds gradscope cpu ${cpu.seconds.toFixed(1)}, webgpu ${gpu32.seconds.toFixed(1)}; torch float64 ${t64.seconds.toFixed(1)}, float32 ${t32.seconds.toFixed(1)} (concurrently)\n`);
    }
  } finally {
    webgpu.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const head = ['optimizer', 'pair', 'run', 'final test loss / acc', 'eval loss', 'acc (examples)', 'step loss', 'rms a', 'rms dW', 'last stats',
    'final W', 'final b', 'first step > 1e-4', 'structure'];
  const cfg = resolveConfig({ preset: opts.preset, ...(opts.init ? { init: opts.init } : {}) });
  process.stdout.write(`${opts.preset} (L = ${cfg.depth}, n = ${cfg.width}, m = ${cfg.batch}, ${cfg.activation}, ${cfg.init}, ${cfg.loss}), ${opts.steps} steps, seed ${opts.seed}: `
    + 'largest relative differences\n\n');
  process.stdout.write(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n`);
  for (const r of rows) process.stdout.write(`| ${r.join(' | ')} |\n`);
}

await main();
setTimeout(() => process.exit(), 1000).unref();
