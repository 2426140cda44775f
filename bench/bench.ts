/**
 * `npm run bench [-- --presets relu-he,seed-explode --steps 5]`: the WebGPU engine against its peer measured in
 * the same run, the float64 CPU reference, on the same problems. Prints, per preset, the median step time of
 * each backend (milliseconds, wall clock from submit to statistics read back), their ratio, the largest
 * GPU-vs-CPU relative error ‖gpu − cpu‖/‖cpu‖ of any full tensor (z, a, dA, dZ, dW, db of every layer), and the
 * largest difference of any per-layer statistic relative to that tensor's rms (l2 relative to l2).
 * On a machine without a GPU the WebGPU numbers are SwiftShader's (CPU) numbers: read the ratio, not the times.
 */
import { Command } from 'commander';
import { CpuBackend } from '../src/backends/cpu/cpu-backend';
import type { Backend } from '../src/backends/backend';
import { nodeGpu } from '../src/backends/webgpu/node-gpu';
import { WebGpuBackend } from '../src/backends/webgpu/webgpu-backend';
import { PRESET_NAMES, resolveConfig } from '../src/model/config';
import { TENSOR_NAMES } from '../src/model/network';
import { runStep } from '../src/session/run';
import type { RunResult } from '../src/model/result';

const opts = new Command()
  .option('--presets <names>', `comma-separated presets (${PRESET_NAMES.join(', ')})`, 'relu-he,tanh-xavier,seed-explode')
  .option('--steps <n>', 'timed steps per backend and preset, after one warm-up step', '5')
  .parse(process.argv.filter((a) => a !== '--'))
  .opts<{ presets: string; steps: string }>();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeSteps(backend: Backend, preset: string, steps: number): Promise<{ ms: number; last: RunResult }> {
  const cfg = resolveConfig({ preset });
  let last = await runStep(cfg, backend); // warm-up: builds buffers and pipelines
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    last = await runStep(cfg, backend);
    times.push(last.stepMs);
  }
  return { ms: median(times), last };
}

/** max over tensors of ‖g − c‖₂/‖c‖₂ (NaN if any value is non-finite). */
async function worstTensorError(g: Backend, c: Backend): Promise<number> {
  const [tg, tc] = [await g.readTensors(), await c.readTensors()];
  let worst = 0;
  for (const k of ['z', 'a', 'dA', 'dZ', 'dW', 'db'] as const) {
    tc[k].forEach((ref, i) => {
      let num = 0, den = 0;
      for (let j = 0; j < ref.length; j++) { num += (tg[k][i][j] - ref[j]) ** 2; den += ref[j] ** 2; }
      const e = Math.sqrt(num / den);
      if (!(e <= worst)) worst = e;
    });
  }
  return worst;
}

function worstStatError(g: RunResult, c: RunResult): number {
  let worst = 0;
  g.layers.forEach((layer, i) => {
    for (const t of TENSOR_NAMES) {
      for (const k of ['mean', 'std', 'rms', 'l2', 'min', 'max'] as const) {
        const ref = c.layers[i][t];
        const e = Math.abs(layer[t][k] - ref[k]) / (k === 'l2' ? ref.l2 : ref.rms);
        if (!(e <= worst)) worst = e; // NaN propagates
      }
    }
  });
  return worst;
}

const { gpu, reason } = await nodeGpu();
if (!gpu) throw new Error(`bench needs WebGPU: ${reason}`);
const webgpu = await WebGpuBackend.create(gpu);
const cpu = new CpuBackend();
console.log(`adapter: ${webgpu.adapter}; ${opts.steps} steps per backend after a warm-up; times are medians`);
console.log('preset         webgpu ms    cpu ms   cpu/webgpu   max ‖Δtensor‖/‖tensor‖   max |Δstat|/rms');
for (const preset of opts.presets.split(',')) {
  const g = await timeSteps(webgpu, preset, Number(opts.steps));
  const c = await timeSteps(cpu, preset, Number(opts.steps));
  const tensorError = await worstTensorError(webgpu, cpu); // both hold the same problem's last step
  console.log(`${preset.padEnd(14)} ${g.ms.toFixed(1).padStart(9)} ${c.ms.toFixed(1).padStart(9)} ${(c.ms / g.ms).toPrecision(3).padStart(12)}`
    + `   ${tensorError.toExponential(2).padStart(22)}   ${worstStatError(g.last, c.last).toExponential(2).padStart(15)}`);
}
webgpu.destroy();
process.exit(0);
