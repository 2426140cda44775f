/**
 * End-to-end tests of issue "The lecture, visible": pinned runs compared on every chart (`?compare=`, Pin, Compare
 * initialisations), the growth readout, the theory over the measurement and the hook for a hand-made prediction, per-layer widths on both backends,
 * the explanations, the exports and copy link, and the layout at 390 and 1440 px.
 *
 * Oracles independent of the page's code: a least-squares fit written here, the closed forms of the linear presets
 * (W^[l] = gain·I on x = 1: a^[l] = gain^l), the CPU backend (float64) for the GPU, the lecture's formulas as text.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import type { RunConfig } from '../src/model/config';
import { PRESET_NAMES } from '../src/model/config';
import { TENSOR_NAMES } from '../src/model/network';
import { STAT_NAMES } from '../src/stats/stats';
import { ARTIFACTS, chartLabel, expectRelClose, setField, waitForRuns } from './helpers';

/** Wait until `n` runs are pinned, nothing is running and a current result is shown. */
async function waitForPins(page: Page, n: number): Promise<void> {
  await page.waitForFunction((k) => window.gradscope !== undefined && window.gradscope.pinned.length === k && !window.gradscope.busy
    && window.gradscope.lastResult !== null, n);
}

/** exp of the least-squares slope of ln v_l against l over the finite, positive v_l; null with fewer than two. */
function lsqFactor(values: readonly number[]): number | null {
  const pts = values.map((v, i) => [i + 1, Math.log(v)] as const).filter(([, y]) => Number.isFinite(y));
  if (pts.length < 2) return null;
  const mx = pts.reduce((s, [x]) => s + x, 0) / pts.length, my = pts.reduce((s, [, y]) => s + y, 0) / pts.length;
  const sxy = pts.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0), sxx = pts.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return Math.exp(sxy / sxx);
}

/** The elements whose right edge is past the viewport, outside any scrolling container (and the page's own overflow). */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const bad: string[] = [];
    if (document.documentElement.scrollWidth > width) bad.push(`document scrollWidth ${document.documentElement.scrollWidth} > ${width}`);
    const clips = (e: Element) => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX);
    for (const e of document.body.querySelectorAll('*')) {
      let inside = false;
      for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) if (clips(p)) { inside = true; break; }
      const r = e.getBoundingClientRect();
      if (!inside && r.width > 0 && r.right > width + 0.5) bad.push(`${e.tagName.toLowerCase()}#${e.id}.${String(e.className)} right ${r.right}`);
    }
    return bad;
  });
}

/** Width and height of a PNG file, from its IHDR chunk; throws if `bytes` is not a PNG. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test('?compare= pins He and Glorot at L = 200: one y-range, each in its colour, the legend names the init', async ({ page }, testInfo) => {
  await page.goto('/?depth=200&compare=init:kaiming_normal|init:xavier_normal');
  await waitForPins(page, 2);
  const seen = await page.evaluate(() => {
    const g = window.gradscope;
    const he = g.lastResult!; // the page's network is the He pin
    return { runs: g.runs, pinned: g.pinned, charts: g.charts!, current: he.config, he: { z: he.layers.map((l) => l.z.rms), a: he.layers.map((l) => l.a.rms) } };
  });
  // Both pins ran (and nothing else: the page's own network is the He pin, shown once).
  expect(seen.runs).toBe(2);
  expect(seen.pinned.map((p) => [p.config.init, p.config.depth, p.config.activation, p.config.input])).toEqual([
    ['kaiming_normal', 200, 'relu', 'digits'], ['xavier_normal', 200, 'relu', 'digits']]);
  expect(seen.current.init).toBe('kaiming_normal');
  // The legend names what differs, the initialisation, and nothing else; two colours.
  expect(seen.pinned.map((p) => p.label)).toEqual(['kaiming_normal (He)', 'xavier_normal (Glorot)']);
  expect(new Set(seen.pinned.map((p) => p.color)).size).toBe(2);
  for (const id of ['chart-forward', 'chart-backward', 'chart-explore']) {
    const label = await chartLabel(page, id);
    expect(label).toContain('kaiming_normal (He) · ');
    expect(label).toContain('xavier_normal (Glorot) · ');
  }
  // One y-range for both runs: it covers every value drawn of either. Glorot's a^[l] shrinks ~1/√2 per layer
  // (ReLU halves the energy) — about 30 decades below He's over 200 layers — and the axis reaches down to it.
  const glorotA = seen.charts.forward.series.find((s) => s.label === 'xavier_normal (Glorot) · rms(a[l])')!;
  expect(glorotA.drawn).toBe(200);
  const growth = await page.evaluate(() => window.gradscope.growth);
  expect(growth).toHaveLength(2);
  const he = growth[0].measured.a!, glorot = growth[1].measured.a!;
  expect(glorot).toBeGreaterThan(0.6);
  expect(glorot).toBeLessThan(0.8);
  expect(he).toBeGreaterThan(0.9);
  expect(he).toBeLessThan(1.1);
  const f = seen.charts.forward;
  expect(f.axis).toBe('log');
  const heLogs = [...seen.he.z, ...seen.he.a].filter((v) => v > 0).map(Math.log10);
  expect(f.yMin!).toBeLessThanOrEqual(Math.min(...heLogs));
  expect(f.yMax!).toBeGreaterThanOrEqual(Math.max(...heLogs));
  // Glorot's last layers lie far below He's lowest value, and the shared axis goes there: 200·log10(0.7) ≈ −31.
  expect(f.yMin!).toBeLessThan(Math.min(...heLogs) - 20);
  await expect(page.locator('#growth-table tbody tr')).toHaveCount(2);

  mkdirSync(ARTIFACTS, { recursive: true });
  const png = await page.screenshot({ path: `${ARTIFACTS}/compare-he-glorot-L200.png`, fullPage: true });
  await testInfo.attach('compare-he-glorot-L200', { body: png, contentType: 'image/png' });
});

test('bad ?compare= items are named, the good ones are pinned', async ({ page }) => {
  await page.goto('/?depth=4&width=8&compare=init:he|bogus:1|seed:3');
  await waitForPins(page, 1);
  const error = page.locator('#error');
  await expect(error).toContainText('compare item 1 ("init:he"): init (--init)');
  await expect(error).toContainText('did you mean kaiming_normal or kaiming_uniform?');
  await expect(error).toContainText('compare item 2 ("bogus:1"): unknown field "bogus"');
  const s = await page.evaluate(() => ({ pinned: window.gradscope.pinned, runs: window.gradscope.runs }));
  expect(s.pinned.map((p) => [p.config.seed, p.label])).toEqual([[3, 'seed 3']]);
  expect(s.runs).toBe(2); // the pin, then the page's own network (seed 1), drawn as "current: seed 1"
  expect(await page.evaluate(() => window.gradscope.growth.map((g) => g.label))).toEqual(['seed 3', 'current: seed 1']);
});

test('the shared y-range covers the pinned and current runs on every chart, in the closed forms of 1.5·I and 0.5·I', async ({ page }) => {
  // Compare initialisations on the linear seed network pins He, Glorot, 1.5·I and 0.5·I (He = LeCun there).
  await page.goto('/?preset=seed-explode&depth=20');
  await waitForRuns(page, 1);
  await page.locator('#compare-inits').click();
  await waitForPins(page, 4);
  const { pinned, charts, current } = await page.evaluate(() => ({
    pinned: window.gradscope.pinned, charts: window.gradscope.charts!, current: window.gradscope.lastResult!,
  }));
  expect(pinned.map((p) => p.label)).toEqual(['kaiming_normal (He)', 'xavier_normal (Glorot)', '1.5·I', '0.5·I']);
  // The page's network is 1.5·I: a^[l] = 1.5^l exactly as the closed form says (float32: l roundings).
  expect(current.config).toMatchObject({ init: 'identity', gain: 1.5 });
  current.layers.forEach((l) => expect(Math.abs(l.a.max / 1.5 ** l.layer - 1)).toBeLessThanOrEqual(l.layer * 2 ** -23));
  // One y-range: a^[20] = 1.5^20 (top) and 0.5^20 (bottom) are both inside the Forward chart's.
  const f = charts.forward;
  expect(f.yMax!).toBeGreaterThanOrEqual(20 * Math.log10(1.5));
  expect(f.yMin!).toBeLessThanOrEqual(20 * Math.log10(0.5));
  // Backward and Explore: with loss sum on m = 1, dA^[l] = gain^(L−l) and every entry of dW^[l] = gain^(L−1), so
  // 1.5^19 and 0.5^19 are both drawn there (dA at l = 1, dW at every l) and both inside the one range.
  for (const chart of [charts.backward, charts.explore]) {
    expect(chart.yMax!).toBeGreaterThanOrEqual(19 * Math.log10(1.5));
    expect(chart.yMin!).toBeLessThanOrEqual(19 * Math.log10(0.5));
  }
  for (const chart of [charts.forward, charts.backward, charts.explore]) expect(new Set(chart.series.map((x) => x.color)).size).toBe(4);
});

test('Compare initialisations pins He, Glorot, LeCun and N(0, 1); Pin and Unpin', async ({ page }) => {
  await page.goto('/?depth=8&width=32');
  const first = await waitForRuns(page, 1);
  expect(first.config.init).toBe('kaiming_normal');
  await page.locator('#compare-inits').click();
  await waitForPins(page, 4);
  const s = await page.evaluate(() => ({ pinned: window.gradscope.pinned, runs: window.gradscope.runs, current: window.gradscope.lastResult!.config }));
  expect(s.pinned.map((p) => p.label)).toEqual(['kaiming_normal (He)', 'xavier_normal (Glorot)', 'lecun_normal (LeCun)', 'N(0, 1)']);
  expect(s.pinned.map((p) => [p.config.init, p.config.depth, p.config.width])).toEqual([
    ['kaiming_normal', 8, 32], ['xavier_normal', 8, 32], ['lecun_normal', 8, 32], ['normal', 8, 32]]);
  expect(s.pinned[3].config).toMatchObject({ mean: 0, std: 1 });
  expect(s.runs).toBe(5); // the page's own run, then four to pin; He is the page's network, shown as pin 1
  expect(s.current.init).toBe('kaiming_normal');
  await expect(page.locator('#growth-table tbody tr')).toHaveCount(4);
  await expect(page.locator('#pin')).toBeDisabled(); // four pinned (and the current one among them)
  // The address bar lists the pins.
  expect(decodeURIComponent(new URL(page.url()).search)).toContain('compare=current|init:xavier_normal|init:lecun_normal|init:normal');

  // Unpin all, pin the current run, change the depth: the pin and the current run are both drawn, named by L.
  await page.locator('#unpin-all').click();
  await page.locator('#pin').click();
  expect(await page.evaluate(() => window.gradscope.pinned.map((p) => p.label))).toEqual(['pin 1']);
  await setField(page, 'depth', '6');
  await waitForRuns(page, 6);
  expect(await page.evaluate(() => window.gradscope.growth.map((g) => g.label))).toEqual(['L = 8', 'current: L = 6']);
  expect(await chartLabel(page, 'chart-forward')).toContain('current: L = 6 · rms(a[l])');
  await page.locator('#growth-table button.unpin').click();
  expect(await page.evaluate(() => [window.gradscope.pinned.length, window.gradscope.growth.length])).toEqual([0, 1]);
});

test('the growth readout agrees with a least-squares fit of lastResult; the linear toggle', async ({ page }) => {
  await page.goto('/?preset=relu-xavier&depth=30');
  const r = await waitForRuns(page, 1);
  const growth = await page.evaluate(() => window.gradscope.growth);
  expect(growth).toHaveLength(1);
  // The predicted factor: the same fit through the drawn prediction (the theory's median rms, model/theory.ts).
  const prediction = (await page.evaluate(() => window.gradscope.prediction))!;
  expect(prediction.layers).toHaveLength(r.layers.length);
  for (const t of ['a', 'dA'] as const) {
    const want = lsqFactor(r.layers.map((l) => l[t].rms))!;
    expect(Math.abs(growth[0].measured[t]! / want - 1), `growth of ${t}`).toBeLessThanOrEqual(1e-9);
    const predicted = lsqFactor(prediction.layers.map((l) => l[t]!.rms))!;
    expect(Math.abs(growth[0].predicted[t]! / predicted - 1), `predicted growth of ${t}`).toBeLessThanOrEqual(1e-9);
    await expect(page.locator(`#growth-table td[data-run="0"][data-tensor="${t}"][data-kind="measured"]`)).toHaveText(`×${Number(want.toPrecision(4))}`);
    await expect(page.locator(`#growth-table td[data-run="0"][data-tensor="${t}"][data-kind="predicted"]`)).toHaveText(`×${Number(predicted.toPrecision(4))}`);
  }
  // Mean field for ReLU with Glorot (Var(W) = 1/n): n·v/2 = 1/2 per layer in mean square, ×1/√2 in rms.
  expect(Math.abs(growth[0].predicted.a! - Math.SQRT1_2)).toBeLessThan(0.02);
  expect(Math.abs(growth[0].measured.a! / growth[0].predicted.a! - 1)).toBeLessThan(0.05);
  // Unticking "theory" removes the prediction.
  await page.locator('#theory').uncheck();
  expect(await page.evaluate(() => window.gradscope.growth[0].predicted)).toEqual({ a: null, dA: null });
  expect(await page.evaluate(() => window.gradscope.charts!.forward.bands)).toBe(0);
  await expect(page.locator('#growth-table td[data-run="0"][data-tensor="a"][data-kind="predicted"]')).toHaveText('—');
  await page.locator('#theory').check();
  expect(await page.evaluate(() => window.gradscope.charts!.forward.bands)).toBe(2);
  // Glorot with ReLU: ≈ 1/√2 per layer forward.
  expect(growth[0].measured.a!).toBeGreaterThan(0.6);
  expect(growth[0].measured.a!).toBeLessThan(0.8);

  // A linear y-axis on request, the log axis back.
  await page.locator('#linear').check();
  expect(await page.evaluate(() => window.gradscope.charts!.forward.axis)).toBe('linear');
  expect(await chartLabel(page, 'chart-forward')).toContain('Value axis: rms.');
  await page.locator('#linear').uncheck();
  expect(await page.evaluate(() => window.gradscope.charts!.forward.axis)).toBe('log');
});

test('the theory hook: a hand-made prediction draws a dashed line and a band, and its predicted factor', async ({ page }) => {
  await page.goto('/?preset=relu-xavier&depth=20');
  const r = await waitForRuns(page, 1);
  const L = r.layers.length;
  await page.locator('#theory').uncheck(); // the theory's own prediction off: only the hand-made one is drawn
  // The band of a's prediction: #1f3fb3 at 15 % opacity on the (transparent) canvas.
  const bandPixels = () => page.evaluate(() => {
    const c = document.getElementById('chart-forward') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - 0x1f) <= 24 && Math.abs(d[i + 1] - 0x3f) <= 24 && Math.abs(d[i + 2] - 0xb3) <= 24 && d[i + 3] >= 30 && d[i + 3] <= 46) n++;
    }
    return n;
  });
  const before = await bandPixels();
  // rms(a^[l]) = rms(a^[1])·2^(-(l-1)/2) and rms(dA^[l]) = rms(dA^[L])·2^(-(L-l)/2), bands ×½..×2.
  const a1 = r.layers[0].a.rms, dAL = r.layers[L - 1].dA.rms;
  const layers = r.layers.map((_, i) => {
    const a = a1 * 2 ** (-i / 2), dA = dAL * 2 ** (-(L - 1 - i) / 2);
    return { a: { rms: a, band: [a / 2, a * 2] as [number, number] }, dA: { rms: dA, band: [dA / 2, dA * 2] as [number, number] } };
  });
  await page.evaluate((p) => window.gradscope.setPrediction(p), { layers, note: 'hand-made: ×1/√2 per layer' });
  const s = await page.evaluate(() => ({ charts: window.gradscope.charts!, growth: window.gradscope.growth }));
  const predicted = s.charts.forward.series.find((x) => x.predicted)!;
  expect(predicted).toMatchObject({ label: 'predicted rms(a[l])', dashed: true, drawn: L });
  expect(s.charts.forward.bands).toBe(1);
  expect(s.charts.backward.bands).toBe(0); // dZ and dW are not predicted
  expect(s.charts.explore.series.find((x) => x.predicted)).toMatchObject({ label: 'predicted rms(dA[l])', dashed: true });
  expect(await chartLabel(page, 'chart-forward')).toContain('predicted rms(a[l])');
  expect(Math.abs(s.growth[0].predicted.a! - Math.SQRT1_2)).toBeLessThanOrEqual(1e-12);
  expect(Math.abs(s.growth[0].predicted.dA! - Math.SQRT2)).toBeLessThanOrEqual(1e-12);
  await expect(page.locator('#growth-table td[data-run="0"][data-tensor="a"][data-kind="predicted"]')).toHaveText('×0.7071');
  await expect(page.locator('#prediction-note')).toHaveText('prediction: hand-made: ×1/√2 per layer');
  // The band is painted: thousands of pixels of its tint more than before (a line's antialiased edges have a few).
  expect(await bandPixels() - before).toBeGreaterThan(1000);
  await page.screenshot({ path: `${ARTIFACTS}/prediction-hook.png` });

  await page.evaluate(() => window.gradscope.setPrediction(null));
  expect(await page.evaluate(() => window.gradscope.charts!.forward.bands)).toBe(0);
  // A malformed prediction is refused with a TypeError, and nothing changes.
  const error = await page.evaluate(() => {
    try { window.gradscope.setPrediction({ layers: [{ a: { rms: 1 } }] } as never); return null; } catch (e) { return String(e); }
  });
  expect(error).toContain('TypeError: prediction.layers[0].a must be { rms: number, band: [lo, hi] }');
});

test('Seeds: K seeds of the network, their 10–90% spread of rms drawn as a grey band; progress, Cancel, a bad K', async ({ page }) => {
  const url = '/?backend=cpu&preset=relu-he&depth=30&width=32&batch=1';
  await page.goto(url);
  const first = await waitForRuns(page, 1);
  const seed = first.config.seed;
  const k = page.locator('#seeds-count');
  // A bad K names the field and its range, and runs nothing.
  for (const bad of ['1', '65']) {
    await k.fill(bad);
    await page.locator('#seeds-run').click();
    await expect(page.locator('#error')).toContainText(`seeds (Seeds K): must be an integer in 2..64, got "${bad}"`);
  }
  expect(await page.evaluate(() => [window.gradscope.runs, window.gradscope.seeds])).toEqual([1, null]);
  // Progress and Cancel (on a deeper network, slow enough to cancel): Cancel ends the Seeds runs, no summary.
  await page.goto('/?backend=cpu&preset=relu-he&depth=2000&width=128&batch=1');
  await waitForRuns(page, 1);
  await k.fill('64');
  await page.locator('#seeds-run').click();
  await page.waitForFunction(() => window.gradscope.runs >= 2 && window.gradscope.busy);
  await expect(page.locator('#summary')).toContainText(/seed \d+ of 64/);
  await page.locator('#cancel').click();
  await page.waitForFunction(() => !window.gradscope.busy);
  const afterCancel = await page.evaluate(() => ({ seeds: window.gradscope.seeds, cancelled: window.gradscope.cancelled, runs: window.gradscope.runs }));
  expect(afterCancel.seeds).toBeNull();
  expect(afterCancel.cancelled).toBe(1);
  expect(afterCancel.runs).toBeLessThan(65);

  await page.goto(url);
  await waitForRuns(page, 1);
  await k.fill('8');
  await page.locator('#seeds-run').click();
  await page.waitForFunction(() => window.gradscope.seeds !== null && !window.gradscope.busy);
  const s = await page.evaluate(() => ({ seeds: window.gradscope.seeds!, charts: window.gradscope.charts!, current: window.gradscope.lastResult!.config }));
  expect(s.seeds.count).toBe(8);
  expect(s.seeds.seeds).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => seed + i));
  expect(s.current.seed).toBe(seed); // the network at its own seed is shown
  expect(s.seeds.layers).toHaveLength(30);
  for (const l of s.seeds.layers) {
    for (const t of ['a', 'dA'] as const) {
      expect(l[t].p10, `${t}[${l.layer}]`).toBeLessThanOrEqual(l[t].median);
      expect(l[t].median, `${t}[${l.layer}]`).toBeLessThanOrEqual(l[t].p90);
    }
  }
  // One grey band per rms the chart plots (Forward: z, a; Backward: dZ, dW; Explore: dA), and its legend entry.
  expect([s.charts.forward.seedBands, s.charts.backward.seedBands, s.charts.explore.seedBands]).toEqual([2, 2, 1]);
  expect(s.charts.explore.series.map((x) => x.label)).toContain('median rms(dA[l]) over 8 seeds');
  expect(await chartLabel(page, 'chart-forward')).toContain('median rms(a[l]) over 8 seeds');

  // The oracle: each seed opened on its own; the median and 10%/90% quantiles (linear interpolation, h = 7p) of rms(a^[15]).
  const a15: number[] = [];
  for (let i = 0; i < 8; i++) {
    await page.goto(`${url}&seed=${seed + i}`);
    a15.push((await waitForRuns(page, 1)).layers[14].a.rms);
  }
  a15.sort((x, y) => x - y);
  const q = (p: number) => { const h = 7 * p, lo = Math.floor(h); return a15[lo] + (h - lo) * (a15[Math.min(lo + 1, 7)] - a15[lo]); };
  const got = s.seeds.layers[14].a;
  expectRelClose(got.median, q(0.5), 1e-12, 'median rms(a[15])');
  expectRelClose(got.p10, q(0.1), 1e-12, 'p10 rms(a[15])');
  expectRelClose(got.p90, q(0.9), 1e-12, 'p90 rms(a[15])');
  expect(a15[0]).toBeLessThan(a15[7]); // the seeds differ

  // Another network clears the summary and its bands.
  await page.goto(url);
  await waitForRuns(page, 1);
  await k.fill('2');
  await page.locator('#seeds-run').click();
  await page.waitForFunction(() => window.gradscope.seeds !== null && !window.gradscope.busy);
  await setField(page, 'depth', '20');
  await page.waitForFunction(() => window.gradscope.lastResult!.config.depth === 20 && !window.gradscope.busy);
  expect(await page.evaluate(() => [window.gradscope.seeds, window.gradscope.charts!.forward.seedBands])).toEqual([null, 0]);
});

test('theory over the measurement: He + ReLU at L = 1,000, n = 32 sits inside the band, far below the mean field; 1.5·I beyond float64', async ({ page }) => {
  // The example: the mean field says rms(a) stays of order 1, the finite-width median is ~1e-17 with a band of
  // many decades (Hanin & Rolnick 2018), and one seed's measurement lies inside it. One example: with a batch of
  // different examples this deep (Σ 1/n^[l] = 31) the theory gives the mean field only and says why (below). The CPU
  // backend: 1,000 layers of width 32 are quick there.
  await page.goto('/?backend=cpu&preset=relu-he&depth=1000&width=32&batch=1');
  const r = await waitForRuns(page, 1);
  const prediction = (await page.evaluate(() => window.gradscope.prediction))!;
  const last = prediction.layers[998].a!; // a^[999], the last hidden layer: the median ~1e-28, the band many decades
  expect(Math.log10(last.rms)).toBeLessThan(-10);
  expect(Math.log10(last.band[1] / last.band[0])).toBeGreaterThan(5);
  const measured = r.layers[998].a.rms;
  expect(measured).toBeGreaterThanOrEqual(last.band[0]);
  expect(measured).toBeLessThanOrEqual(last.band[1]);
  // He keeps the mean field's rms of order 1 (mean field: a^[l] has the same mean square in every layer).
  expect(r.layers[0].a.rms).toBeGreaterThan(0.1);
  const s = await page.evaluate(() => window.gradscope.charts!);
  expect(s.forward.series.filter((x) => x.predicted).map((x) => x.label)).toEqual(['predicted rms(z[l])', 'predicted rms(a[l])']);
  expect(s.forward.bands).toBe(2);
  expect(s.backward.bands).toBe(2); // dZ and dW
  // The shared y-range reaches down to the band's floor at the last layers.
  expect(s.forward.yMin!).toBeLessThanOrEqual(Math.log10(prediction.layers[999].a!.band[0]));
  await expect(page.locator('#prediction-note')).toContainText('mean field (Poole et al. 2016; Schoenholz et al. 2017)');
  await page.screenshot({ path: `${ARTIFACTS}/theory-relu-he-L1000.png`, fullPage: true });
  // The backward band holds too: rms(dA^[1]), about 1e-19 here, is inside it.
  const dA1 = prediction.layers[0].dA!;
  expect(r.layers[0].dA.rms).toBeGreaterThanOrEqual(dA1.band[0]);
  expect(r.layers[0].dA.rms).toBeLessThanOrEqual(dA1.band[1]);
  // A batch of 8 different examples: beyond the band's validity, the mean field only, and the note says so.
  await page.goto('/?backend=cpu&preset=relu-he&depth=1000&width=32&batch=8');
  await waitForRuns(page, 1);
  const batchPrediction = (await page.evaluate(() => window.gradscope.prediction))!;
  expect(batchPrediction.layers[998].a!.band[0]).toBe(batchPrediction.layers[998].a!.band[1]);
  await expect(page.locator('#prediction-note')).toContainText('mean field only, no finite-width median or band');

  // seed-explode in the extended range at L = 2,000: 1.5^1999 ≈ 1e352 is beyond float64; the predicted line follows
  // the measured one on the log10 axis (W = 1.5·I is deterministic: the prediction is exact, its band a point).
  await page.goto('/?backend=cpu&preset=seed-explode&depth=2000&range=extended');
  const e = await waitForRuns(page, 1);
  const charts = await page.evaluate(() => window.gradscope.charts!);
  expect(charts.forward.axis).toBe('log10');
  const predictedA = charts.forward.series.find((x) => x.label === 'predicted rms(a[l])')!;
  expect(predictedA.drawn).toBeGreaterThan(100);
  expect(charts.forward.yMax!).toBeGreaterThanOrEqual(e.layers[1998].a.log10.rms - 1);
  const growth = await page.evaluate(() => window.gradscope.growth[0]);
  expect(Math.abs(growth.predicted.a! - 1.5)).toBeLessThanOrEqual(1e-9);
  expect(Math.abs(growth.measured.a! - 1.5)).toBeLessThanOrEqual(1e-6);

  // Constant weights: no prediction, and the note says why.
  await page.goto('/?backend=cpu&depth=5&width=8&init=constant&value=0.1');
  await waitForRuns(page, 1);
  expect(await page.evaluate(() => window.gradscope.charts!.forward.bands)).toBe(0);
  await expect(page.locator('#prediction-note')).not.toBeEmpty();
});

test('per-layer widths: the panel field runs that shape, on WebGPU as on the CPU; depth replaces the list; URL and errors', async ({ page }) => {
  const widths = [64, 256, 256, 32, 10];
  await page.goto('/?backend=cpu&depth=3&width=16');
  await waitForRuns(page, 1);
  await setField(page, 'widths', widths.join(','));
  const cpu = await waitForRuns(page, 2);
  expect(cpu.backend).toBe('cpu');
  expect(cpu.config.widths).toEqual(widths);
  expect(cpu.layers.map((l) => [l.fanIn, l.fanOut])).toEqual([[64, 256], [256, 256], [256, 32], [32, 10]]);
  await expect(page.locator('[data-field="depth"] input')).toHaveValue('4');

  // The same network on WebGPU (the backend field): every tensor's rms per layer within 1e-4 of the float64 CPU's.
  await page.locator('[data-field="backend"] select').selectOption('webgpu');
  const gpu = await waitForRuns(page, 3);
  expect(gpu.backend).toBe('webgpu');
  expect(gpu.config).toEqual({ ...cpu.config, backend: 'webgpu' });
  let worst = 0;
  for (const [i, l] of gpu.layers.entries()) for (const t of TENSOR_NAMES) worst = Math.max(worst, Math.abs(l[t].rms / cpu.layers[i][t].rms - 1));
  expect(worst).toBeLessThanOrEqual(1e-4);

  // Editing depth replaces the list.
  await setField(page, 'depth', '3');
  const r = await waitForRuns(page, 4);
  expect(r.config.widths).toBeNull();
  expect(r.layers.map((l) => l.fanOut)).toEqual([256, 256, 10]); // width n = 256 (n^[1] of the list) stays
  await expect(page.locator('[data-field="widths"] input')).toHaveValue('');

  // The URL parameter; a bad entry is named.
  await page.goto(`/?backend=cpu&widths=${widths.join(',')}`);
  expect((await waitForRuns(page, 1)).config.widths).toEqual(widths);
  await page.goto('/?backend=cpu&widths=64,0,10');
  await waitForRuns(page, 1);
  await expect(page.locator('#error')).toContainText('entry 1 (n^[1]) must be an integer in 1..65536');
});

test('every tensor, statistic, summary item, chart and preset is explained on the page', async ({ page }) => {
  await page.goto('/?depth=3&width=8');
  await waitForRuns(page, 1);
  // The lecture's formulas, word for word.
  const formulas: Record<string, string> = {
    'tensor.z': 'z^[l] = W^[l] a^[l-1] + b^[l]',
    'tensor.a': 'a^[l] = g(z^[l])',
    'tensor.dA': 'dA^[l] = ∂J/∂a^[l]',
    'tensor.dZ': 'dZ^[l] = dA^[l] ⊙ g\'(z^[l])',
    'tensor.dW': 'dW^[l] = dZ^[l] a^[l-1]ᵀ',
    'tensor.W': '(n^[l], n^[l-1])',
    'stat.rms': 'rms = √((1/N) Σ x²)',
    'stat.std': 'std = √((1/N) Σ (x − mean)²)',
    'stat.l2': 'l2 = √(Σ x²)',
    'stat.zeroFraction': 'exactly 0',
    'site.firstNonFinite': 'NaN or ±∞',
    'site.firstAllZero': 'every entry is 0',
  };
  const keys = [...TENSOR_NAMES.map((t) => `tensor.${t}`), ...STAT_NAMES.map((s) => `stat.${s}`), 'stat.maxAbs',
    'site.firstNonFinite', 'site.firstAllZero', ...PRESET_NAMES.map((p) => `preset.${p}`)];
  await page.locator('#glossary summary').click();
  for (const key of keys) {
    const dd = page.locator(`#glossary dd[data-explain="${key}"]`);
    await expect(dd, key).toBeVisible();
    const text = (await dd.textContent()) ?? '';
    expect(text.length, key).toBeGreaterThan(20);
    if (formulas[key]) expect(text, key).toContain(formulas[key]);
  }
  // Each "?" shows its paragraph (and has the text as its tooltip): the charts, the growth readout, the summary.
  for (const key of ['chart.forward', 'chart.backward', 'chart.explore', 'chart.growth', 'chart.compare', 'chart.theory', 'chart.table', 'site.firstNonFinite']) {
    const button = page.locator(`button.help[data-help="${key}"]`);
    const paragraph = page.locator(`p.explain[data-help="${key}"]`);
    await expect(paragraph).toBeHidden();
    await button.click();
    await expect(paragraph).toBeVisible();
    expect(await button.getAttribute('title')).toBe(await paragraph.textContent());
  }
  await expect(page.locator('p.explain[data-help="chart.growth"]')).toContainText('least-squares');
  // The table's columns carry their definitions.
  expect(await page.locator('#stats-table th', { hasText: /^rms$/ }).getAttribute('title')).toContain('√((1/N) Σ x²)');
  // The preset's "what to look for" is shown with a preset's result.
  await page.goto('/?preset=seed-vanish&depth=20');
  await waitForRuns(page, 1);
  await expect(page.locator('#preset-note')).toContainText('What to look for in preset seed-vanish: The same with W^[l] = 0.5·I');
});

test('exports: JSON and CSV of the current result, PNG of each chart and of the view', async ({ page }) => {
  await page.goto('/?depth=5&width=16');
  const r = await waitForRuns(page, 1);
  const json = await page.evaluate(() => window.gradscope.lastResultJson!);
  const save = async (button: string) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
    const path = `${ARTIFACTS}/exports/${dl.suggestedFilename()}`;
    await dl.saveAs(path);
    return { name: dl.suggestedFilename(), bytes: readFileSync(path) };
  };
  const j = await save('#export-json');
  expect(j.name).toBe('gradscope-custom-L5.json');
  expect(j.bytes.toString('utf8')).toBe(json);
  const c = await save('#export-csv');
  expect(c.name).toBe('gradscope-custom-L5.csv');
  const lines = c.bytes.toString('utf8').trimEnd().split('\n');
  expect(lines[0]).toBe('layer,fanIn,fanOut,tensor,count,mean,std,rms,l2,min,max,zeroFraction,nanCount,infCount');
  expect(lines).toHaveLength(1 + 6 * 5);
  expect(lines[2].split(',').slice(0, 4)).toEqual(['1', '64', '16', 'a']);
  expect(Number(lines[2].split(',')[7])).toBe(r.layers[0].a.rms);
  for (const name of ['forward', 'backward', 'explore']) {
    const p = await save(`button.png[data-chart="${name}"]`);
    expect(p.name).toBe(`gradscope-custom-L5-${name}.png`);
    const size = await page.evaluate((id) => { const e = document.getElementById(id) as HTMLCanvasElement; return { width: e.width, height: e.height }; }, `chart-${name}`);
    expect(pngSize(p.bytes)).toEqual(size);
  }
  const v = await save('#export-png');
  expect(v.name).toBe('gradscope-custom-L5.png');
  const { width, height } = pngSize(v.bytes);
  const area = await page.evaluate(() => { const b = document.getElementById('charts')!.getBoundingClientRect(); return { w: b.width * devicePixelRatio, h: b.height * devicePixelRatio }; });
  expect(width).toBeGreaterThanOrEqual(area.w);
  expect(height).toBeGreaterThan(area.h); // the charts and the summary lines above them
});

test('Export PyTorch: a zip of experiment.py, the weights and the batch; the script reproduces the page\'s result', async ({ page }) => {
  // An external oracle: Debian's PyTorch runs the exported script on the exported float32 numbers in float64; the
  // page's WebGPU result (float32) must agree with it to float32 accuracy.
  await page.goto('/?depth=5&width=16&batch=8');
  const r = await waitForRuns(page, 1);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#export-torch').click()]);
  expect(dl.suggestedFilename()).toBe('gradscope-custom-L5-torch.zip');
  const dir = `${ARTIFACTS}/exports/torch-zip`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = unzipSync(new Uint8Array(await readFile(await dl.path())));
  const names = Object.keys(files).sort();
  expect(names).toEqual(expect.arrayContaining(['gradscope-custom-L5-torch/experiment.py', 'gradscope-custom-L5-torch/manifest.json',
    'gradscope-custom-L5-torch/W1.bin', 'gradscope-custom-L5-torch/b5.bin', 'gradscope-custom-L5-torch/x.bin']));
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(`${dir}/${name.split('/').slice(0, -1).join('/')}`, { recursive: true });
    writeFileSync(`${dir}/${name}`, bytes);
  }
  // W^[1] is (fan_out, fan_in) = (16, 64) float32.
  expect(files['gradscope-custom-L5-torch/W1.bin'].length).toBe(16 * 64 * 4);
  const out = `${dir}/r.json`;
  const run = spawnSync('/usr/bin/python3', [`${dir}/gradscope-custom-L5-torch/experiment.py`, '--same-numbers', '--dtype', 'float64', '--json', out], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  const torch = JSON.parse(readFileSync(out, 'utf8')) as { loss: number; layers: { a: { rms: number }; dW: { rms: number } }[] };
  expect(Math.abs(torch.loss / r.loss - 1)).toBeLessThan(1e-5);
  r.layers.forEach((l, i) => {
    expect(Math.abs(torch.layers[i].a.rms / l.a.rms - 1), `rms a[${i + 1}]`).toBeLessThan(1e-4);
    expect(Math.abs(torch.layers[i].dW.rms / l.dW.rms - 1), `rms dW[${i + 1}]`).toBeLessThan(1e-4);
  });
});

test('copy link: the copied URL names every field and the pins, and opens the same view', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/?depth=6&width=16&compare=init:xavier_normal|seed:2');
  await waitForPins(page, 2);
  const before = await page.evaluate(() => ({ config: window.gradscope.lastResult!.config, pinned: window.gradscope.pinned }));
  expect(before.pinned.map((p) => p.label)).toEqual(['xavier_normal (Glorot), seed 1', 'kaiming_normal (He), seed 2']);
  await page.locator('#copy-link').click();
  await expect(page.locator('#copy-status')).toHaveText('link copied');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toBe(await page.evaluate(() => window.gradscope.link));
  const params = new URL(link).searchParams;
  for (const field of ['preset', 'depth', 'width', 'input', 'inputDim', 'outputDim', 'batch', 'activation', 'init', 'gain', 'mean', 'std',
    'low', 'high', 'value', 'mode', 'bias', 'loss', 'seed', 'backend', 'range', 'memory', 'widths']) expect(params.has(field), field).toBe(true);
  expect(params.get('compare')).toBe('init:xavier_normal|seed:2');

  const other = await context.newPage();
  await other.goto(link);
  await waitForPins(other, 2);
  const after = await other.evaluate(() => ({ config: window.gradscope.lastResult!.config, pinned: window.gradscope.pinned }));
  expect(after.config).toEqual(before.config);
  expect(after.pinned.map((p) => p.config)).toEqual(before.pinned.map((p) => p.config) as RunConfig[]);
  expect(after.pinned.map((p) => p.label)).toEqual(before.pinned.map((p) => p.label));
});

for (const width of [390, 1440]) {
  test(`layout at ${width} px: nothing overflows the viewport, the table scrolls on its own`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await page.goto('/?depth=10&width=32&compare=init:kaiming_normal|init:xavier_normal');
    await waitForPins(page, 2);
    // Every explanation open, the table with all tensors: the widest the page gets.
    await page.locator('#glossary summary').click();
    for (const b of await page.locator('button.help:visible').all()) await b.click();
    await page.locator('#table-tensor').selectOption('all');
    expect(await overflowing(page)).toEqual([]);
    const box = (sel: string) => page.locator(sel).boundingBox();
    const panel = (await box('#panel'))!, charts = (await box('#charts'))!;
    if (width < 800) {
      expect(panel.y + panel.height).toBeLessThanOrEqual(charts.y); // the panel above the charts
      const table = await page.evaluate(() => { const b = document.querySelector('.stats .table-box')!; return { scroll: b.scrollWidth, client: b.clientWidth }; });
      expect(table.scroll).toBeGreaterThan(table.client); // wider than the screen: it scrolls inside its box
    } else {
      expect(panel.x + panel.width).toBeLessThanOrEqual(charts.x); // the panel beside the charts
    }
    await page.screenshot({ path: `${ARTIFACTS}/layout-${width}.png`, fullPage: true });
  });
}
