/**
 * The phase diagram as text (--phase): one line per σ_b² row with the measured and predicted critical σ_w² and a
 * map of the measured growth rate's sign over the σ_w² columns, e.g.
 *   σ_b²     σ_w²* measured  σ_w²* theory  growth of rms(dA) per layer, σ_w² 0.5 → 4
 *   0.0500   1.759           1.761         −−−−−−+++++++++
 */
import type { PhaseResult } from '../model/phase';

/** A number in a fixed width, or '—' for null. */
function cell(v: number | null, width: number): string {
  return (v === null ? '—' : v.toFixed(4)).padEnd(width);
}

/**
 * The phase diagram's table: a header with the grid, the backend and the time per grid point, then per σ_b² row the
 * measured zero crossing (criticalMeasured), the theory (criticalTheory), and one character per σ_w² column: − where
 * the growth rate of rms(dA) is negative (ordered: gradients vanish toward the input), + where positive (chaotic:
 * they explode), · where it could not be fitted (see model/phase.ts growthRate).
 * @returns lines ending in a newline
 */
export function formatPhase(r: PhaseResult): string {
  const lines: string[] = [];
  const points = r.sw2.length * r.sb2.length;
  lines.push(`Phase diagram: ${r.activation}, L = ${r.depth}, n = ${r.width}, m = ${r.batch}, seed ${r.seed} (draws ${r.draws}); `
    + `${r.sw2.length} × ${r.sb2.length} grid points on ${r.backend} (${r.adapter}) in ${(r.ms / 1000).toFixed(2)} s `
    + `(${(r.ms / points).toFixed(1)} ms per point, ${r.networksPerDispatch} networks per dispatch, ${r.chunks} chunk${r.chunks === 1 ? '' : 's'})`);
  const first = r.sw2[0], last = r.sw2[r.sw2.length - 1];
  lines.push(`${'σ_b²'.padEnd(9)}${'σ_w²* measured'.padEnd(16)}${'σ_w²* theory'.padEnd(14)}growth of rms(dA) per layer, σ_w² ${first} → ${last} (− ordered, + chaotic)`);
  r.sb2.forEach((b, row) => {
    const map = r.growth[row].map((g) => (g === null || !Number.isFinite(g) ? '·' : g > 0 ? '+' : '−')).join('');
    lines.push(`${b.toFixed(4).padEnd(9)}${cell(r.criticalMeasured[row], 16)}${cell(r.criticalTheory[row], 14)}${map}`);
  });
  return `${lines.join('\n')}\n`;
}
