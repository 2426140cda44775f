/**
 * The peer bench's one table: every measurement a row, a column per contender (median [min–max]) and the ratios
 * ours/peer (throughput: the peer's time ÷ ours, > 1 when gradscope is faster) and ours/ceiling (our GFLOP/s ÷ the
 * multiply-add ceiling). A contender that was not timed shows why, in a numbered note under the table.
 */
import type { Sample } from './measure';
import { mapSample } from './measure';
import type { ContenderResult, PeerBenchResult } from './run';

/** Three significant digits, without exponents for ordinary magnitudes. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a !== 0 && a < 1e-3) return x.toExponential(1);
  return x.toPrecision(3);
}

export const sample = (s: Sample) => `${num(s.median)} [${num(s.min)}–${num(s.max)}]`;
const ratio = (x: number) => (Number.isFinite(x) ? `${x.toPrecision(3)}×` : '');

const W0 = 54, WV = 24, WR = 14;

export function formatTable(r: PeerBenchResult): string {
  const peerNames = r.peers.map((p) => p.name);
  const notes: string[] = [];
  const note = (text: string) => {
    let i = notes.indexOf(text);
    if (i < 0) i = notes.push(text) - 1;
    return `[${i + 1}]`;
  };
  const lines: string[] = [];
  const row = (label: string, values: string[], ratios: string[] = []) => {
    lines.push(((label.length < W0 ? label.padEnd(W0) : `${label}  `) + values.map((v) => v.padEnd(WV)).join('') + ratios.map((x) => x.padStart(WR)).join('')).trimEnd());
  };
  const cell = (c: ContenderResult | undefined, value: (s: Sample) => Sample): string => {
    if (!c) return '';
    const o = c.outcome;
    if (o.status === 'timed') return sample(value(o.ms));
    if (o.status === 'mismatch') return `✗ mismatch ${note(`${c.name}: result does not match float64: ${o.reason}`)}`;
    return `not run ${note(`${c.name}: ${o.reason}`)}`;
  };
  const median = (c: ContenderResult | undefined) => (c?.outcome.status === 'timed' ? c.outcome.ms.median : NaN);

  const peerCols = r.peers.map((p) => p.name);
  const head = ['gradscope', ...peerCols];
  const ratioHead = [...peerCols.map((p) => `ours/${p}`), 'ours/ceiling'];
  const ceiling = r.ceiling && 'gflops' in r.ceiling ? r.ceiling.gflops.median : NaN;

  lines.push(`gradscope peer bench · ${r.face === 'node' ? 'Node (Dawn)' : 'browser'} · adapter: ${r.adapter} · ${r.date.slice(0, 10)}`
    + ` · ${r.rounds.min === r.rounds.max ? r.rounds.max : `${r.rounds.min}–${r.rounds.max}`} interleaved rounds${r.full ? ' (--full)' : ''}: median [min–max]`);
  for (const p of r.peers) {
    lines.push(p.error ? `  ${p.name}: cannot run here: ${p.error}` : `  ${p.label}: adapter ${p.adapter}${p.adapter === r.adapter ? ' (the same)' : ' (NOT gradscope\'s adapter string)'}`);
  }
  lines.push('  ours/peer = the peer\'s time ÷ ours (> 1: gradscope faster); ours/ceiling = our GFLOP/s ÷ the multiply-add ceiling;'
    + ' only the ratios are claims (a software adapter\'s times are CPU times)');
  lines.push('');
  row('measure', head, ratioHead);

  if (r.ceiling) {
    if ('error' in r.ceiling) row('ceiling', [`not run ${note(`ceiling: ${r.ceiling.error}`)}`]);
    else {
      row(`multiply-add ceiling GFLOP/s (${r.ceiling.accumulators}×vec4)`, [sample(r.ceiling.gflops)]);
      row('workgroupBarrier, ns per barrier per workgroup', []);
      row('  64 invocations', [sample(r.ceiling.barrierNs.wg64)]);
      row('  256 invocations', [sample(r.ceiling.barrierNs.wg256)]);
      row('empty dispatch, µs', [sample(r.ceiling.emptyDispatchUs)]);
    }
  }

  if (r.matmul.length > 0) {
    row('matmul C = A·B, M×K×N (ours: the kernel gradscope\'s chooser picked)', []);
    for (const m of r.matmul) {
      const gflops = (s: Sample) => mapSample(s, (ms) => m.flops / (ms * 1e6));
      const ours = m.contenders.find((c) => c.ours);
      const peers = peerNames.map((p) => m.contenders.find((c) => c.name === p));
      const oursMs = median(ours);
      const ms = (x: Sample) => x;
      row(`  ${m.shape.M}×${m.shape.K}×${m.shape.N}: ms per product`, [cell(ours, ms), ...peers.map((p) => cell(p, ms))],
        [...peers.map((p) => ratio(median(p) / oursMs)), ratio(m.flops / (oursMs * 1e6) / ceiling)]);
      row(`    GFLOP/s, ours: ${m.chosen}`, [cell(ours, gflops), ...peers.map((p) => cell(p, gflops))]);
      for (const c of m.contenders.filter((x) => !x.ours && x.name.startsWith('gradscope '))) {
        row(`    · ${c.name.slice('gradscope '.length)}`, [cell(c, gflops)], [...peers.map(() => ''), ratio(m.flops / (median(c) * 1e6) / ceiling)]);
      }
      const timedHere = new Set(m.contenders.map((c) => c.name));
      for (const t of m.chooser?.timings ?? []) {
        if (timedHere.has(`gradscope ${t.kernel}`)) continue;
        row(`    · ${t.kernel}, chooser's timing`, [num(m.flops / (t.ms * 1e6))], [...peers.map(() => ''), ratio(m.flops / (t.ms * 1e6) / ceiling)]);
      }
      for (const x of m.chooser?.rejected ?? []) row(`    · ${x.kernel}`, [`✗ mismatch ${note(`gradscope ${x.kernel}, ${m.shape.M}×${m.shape.K}×${m.shape.N}: rejected by the chooser, error ${x.error.toExponential(1)}`)}`]);
    }
  }

  if (r.steps.length > 0) {
    const stepIs = r.peers.filter((p) => p.stepIs).map((p) => `${p.name} ${p.stepIs}`).join('; ');
    row('step ms: gradscope forward, loss, backward, statistics; peers forward, loss, backward (no statistics)', []);
    if (stepIs) row(`  (${stepIs})`, []);
    for (const s of r.steps) {
      const ours = s.contenders.find((c) => c.ours);
      const peers = peerNames.map((p) => s.contenders.find((c) => c.name === p));
      const oursMs = median(ours);
      row(`  ${s.net}: ${s.description}`, []);
      row('    step', [cell(ours, (x) => x), ...peers.map((p) => cell(p, (x) => x))],
        [...peers.map((p) => ratio(median(p) / oursMs)), ratio(s.flops / (oursMs * 1e6) / ceiling)]);
      row('    dispatches per layer', [s.dispatchesPerLayer === null ? '' : num(s.dispatchesPerLayer)]);
      row('    statistics\' share of the step, %', ['error' in s.statisticsShare
        ? `not run ${note(`statistics share, ${s.net}: ${s.statisticsShare.error}`)}`
        : sample(mapSample(s.statisticsShare, (x) => 100 * x))]);
    }
  }
  if (notes.length > 0) {
    lines.push('');
    notes.forEach((n, i) => lines.push(`[${i + 1}] ${n}`));
  }
  return lines.join('\n');
}
