/**
 * End-to-end tests of the Distributions section (issue "Histograms of every tensor", the GUI): the switch and what
 * the runs ask for, the layer × bin heatmap and its hover text, the linear binning, the small multiples, the dead and
 * saturated units in the table and the chart, the extended range's carried scale, and 10,000 layers.
 *
 * Oracles independent of the page's code: closed forms of networks on x = 1 with W^[l] = gain·I (rectangular: the
 * extra rows are 0), so a^[l] = gain^l and the bin of every entry is 2^⌊l·log2(gain)⌋; the dead units of an identity
 * init that widens (1 − n^[l−1]/n^[l] of ReLU units get z = 0); tanh(±100) = ±1 (saturated). The whole RunResult is
 * never sent back from the page (with histograms it is megabytes): the page reduces it first.
 */
import { expect, test, type Page } from '@playwright/test';
import type { Cell } from '../src/ui/distributions/bins';
import { ARTIFACTS, setField } from './helpers';

const LOG2_GAIN = Math.log2(1.5);

/** Wait until at least `runs` runs have finished and nothing runs (without reading the result back). */
async function waitForRuns(page: Page, runs: number): Promise<void> {
  await page.waitForFunction((n) => window.gradscope !== undefined && window.gradscope.runs >= n && !window.gradscope.busy, runs);
}

/** Per layer, whether it has histograms, and its deadUnits / saturatedUnits (null where absent). */
async function layerSummary(page: Page): Promise<{ hist: boolean; dead: number | null; saturated: number | null }[]> {
  return page.evaluate(() => window.gradscope.lastResult!.layers.map((l) => ({
    hist: l.histograms !== undefined, dead: l.deadUnits ?? null, saturated: l.saturatedUnits ?? null,
  })));
}

/**
 * Per layer, the true exponents holding a value of tensor `t` (stored bin k + MIN_EXPONENT + shift) with their counts,
 * and the special counts: the engine's histograms reduced in the page.
 */
async function exponents(page: Page, t: string): Promise<{ e: [number, number][]; zero: number; special: number }[]> {
  return page.evaluate((tensor) => window.gradscope.lastResult!.layers.map((l) => {
    const h = l.histograms![tensor as 'a'];
    const e: [number, number][] = [];
    h.magnitude.positive.forEach((n, k) => { if (n > 0) e.push([k - 126 + h.shift, n]); });
    h.magnitude.negative.forEach((n, k) => { if (n > 0) e.push([-(k - 126 + h.shift) - 10_000, n]); }); // none expected
    return { e, zero: h.magnitude.zero, special: h.magnitude.subnormal + h.magnitude.inf + h.magnitude.nan };
  }), t);
}

/** The column (index in heatmap.columns) of the positive magnitude cell holding exponent e; −1 if none. */
function columnOfExponent(columns: { cell: Cell }[], e: number): number {
  return columns.findIndex(({ cell }) => cell.kind === 'magnitude' && cell.sign === 1 && cell.lo <= e && e < cell.hi);
}

/** Hover the heatmap at the middle of column `col` of row `row`; returns the tooltip's text and the published hover. */
async function hoverCell(page: Page, row: number, col: number) {
  const info = await page.evaluate(() => window.gradscope.distributions!.heatmap!);
  const c = info.columns[col];
  const y = info.plot.top + (row + 0.5) * (info.plot.height / info.rows);
  await page.locator('#dist-heatmap').hover({ position: { x: (c.x0 + c.x1) / 2, y } });
  await expect(page.locator('#dist-tip')).toBeVisible();
  return {
    tip: (await page.locator('#dist-tip').textContent()) ?? '',
    hover: await page.evaluate(() => window.gradscope.distributions!.hover),
  };
}

test('off by default: no histograms asked; the switch reruns with them and sets hist=1; off again, runs do without', async ({ page }) => {
  await page.goto('/?preset=seed-explode&depth=20');
  await waitForRuns(page, 1);
  await expect(page.locator('#dist-body')).toBeHidden();
  expect((await layerSummary(page)).every((l) => !l.hist && l.dead === null)).toBe(true);
  expect(await page.locator('#stats-table thead th').allTextContents()).not.toContain('deadUnits');
  expect(await page.evaluate(() => window.gradscope.distributions!.heatmap)).toBeNull();

  await page.locator('#dist-on').check();
  await waitForRuns(page, 2);
  await expect(page.locator('#dist-body')).toBeVisible();
  expect((await layerSummary(page)).every((l) => l.hist)).toBe(true);
  expect(new URL(page.url()).searchParams.get('hist')).toBe('1');
  const info = await page.evaluate(() => window.gradscope.distributions!.heatmap!);
  expect(info).toMatchObject({ tensor: 'a', binning: 'magnitude', layers: 20, rows: 20, layersPerRow: 1 });
  expect(await page.locator('#stats-table thead th').allTextContents()).toContain('deadUnits');

  await page.locator('#dist-on').uncheck();
  await expect(page.locator('#dist-body')).toBeHidden();
  expect(new URL(page.url()).searchParams.has('hist')).toBe(false);
  await setField(page, 'depth', '21');
  await waitForRuns(page, 3);
  const after = await layerSummary(page);
  expect(after).toHaveLength(21);
  expect(after.every((l) => !l.hist)).toBe(true);
  expect(await page.evaluate(() => window.gradscope.runs)).toBe(3); // turning off ran nothing
});

test('seed-explode, L = 150: every a^[l] entry in the bin of 1.5^l, in the result and in the heatmap; hover text; linear bins', async ({ page }, testInfo) => {
  await page.goto('/?preset=seed-explode&hist=1');
  await waitForRuns(page, 1);
  const L = 150;
  const want = Array.from({ length: L }, (_, i) => Math.floor((i + 1) * LOG2_GAIN));
  // The engine's histograms: the two entries (n = 2, m = 1) of a^[l] in [2^e, 2^(e+1)), e = ⌊l·log2 1.5⌋.
  const got = await exponents(page, 'a');
  expect(got.map((h) => h.e)).toEqual(want.map((e) => [[e, 2]]));
  expect(got.every((h) => h.zero === 0 && h.special === 0)).toBe(true);

  // The heatmap: one row a layer; in row l the count 2 in the column of e_l, 0 in every other.
  const info = await page.evaluate(() => window.gradscope.distributions!.heatmap!);
  expect(info).toMatchObject({ tensor: 'a', binning: 'magnitude', signs: 'split', layers: L, rows: L, layersPerRow: 1, binsPerColumn: 1, maxCount: 2 });
  expect(info.range).toEqual({ lo: 0, hi: want[L - 1] });
  const rows = await page.evaluate((n) => Array.from({ length: n }, (_, r) => window.gradscope.distributions!.heatmapRow(r)!), L);
  rows.forEach((counts, r) => {
    const expected = counts.map((_, c) => (c === columnOfExponent(info.columns, want[r]) ? 2 : 0));
    expect(counts, `row of layer ${r + 1}`).toEqual(expected);
  });
  expect(await page.evaluate(() => window.gradscope.distributions!.heatmapRow(150))).toBeNull();

  // The colour: the count's cell is coloured (viridis' top, yellow), its neighbours are white.
  const px = await page.evaluate(({ info: i, r, col }) => {
    const canvas = document.getElementById('dist-heatmap') as HTMLCanvasElement;
    const dpr = canvas.width / canvas.clientWidth;
    const y = Math.floor((i.plot.top + (r + 0.5) * (i.plot.height / i.rows)) * dpr);
    const at = (c: number) => Array.from(canvas.getContext('2d')!.getImageData(Math.floor(((i.columns[c].x0 + i.columns[c].x1) / 2) * dpr), y, 1, 1).data.slice(0, 3));
    return { hit: at(col), left: at(col - 1), right: at(col + 1) };
  }, { info, r: 99, col: columnOfExponent(info.columns, want[99]) });
  expect(px.hit).toEqual([253, 231, 37]);
  expect(px.left).toEqual([255, 255, 255]);
  expect(px.right).toEqual([255, 255, 255]);

  // Hover: layer 100, e = 58.
  expect(want[99]).toBe(58);
  const { tip, hover } = await hoverCell(page, 99, columnOfExponent(info.columns, 58));
  expect(tip).toBe(hover!.text);
  expect(tip).toContain('layer 100 ');
  expect(tip).toContain('x in [2^58, 2^59)');
  expect(tip).toContain('count 2 of 2 (100%)');
  expect(hover).toMatchObject({ where: 'heatmap', tensor: 'a', layers: [100, 100], count: 2, values: 2 });
  // An empty cell of the same row.
  const empty = await hoverCell(page, 99, columnOfExponent(info.columns, 3));
  expect(empty.tip).toContain('x in [2^3, 2^4)');
  expect(empty.tip).toContain('count 0 of 2');
  await page.locator('#distributions').screenshot({ path: `${ARTIFACTS}/distributions-seed-explode.png` });
  await testInfo.attach('distributions-seed-explode', { path: `${ARTIFACTS}/distributions-seed-explode.png`, contentType: 'image/png' });

  // Small multiples: the defaults 1, L/4, L/2, 3L/4, L, each a single bar of 2.
  const multiples = await page.evaluate(() => window.gradscope.distributions!.multiples!);
  expect(multiples.layers).toEqual([1, 38, 75, 113, 150]);
  expect(multiples.panels.map((p) => p.max)).toEqual([2, 2, 2, 2, 2]);
  await page.locator('#dist-layers').fill('7, 3');
  await page.locator('#dist-layers').press('Enter');
  await expect.poll(() => page.evaluate(() => window.gradscope.distributions!.multiples!.layers)).toEqual([3, 7]);
  await page.locator('#dist-layers').fill('151');
  await page.locator('#dist-layers').press('Enter');
  await expect(page.locator('#dist-layers-error')).toContainText('"151" is not a layer 1..150');

  // Linear binning: min = max in every layer, so both entries are in bin 1 of 64.
  await page.locator('#dist-binning').selectOption('linear');
  const lin = await page.evaluate(() => window.gradscope.distributions!.heatmap!);
  expect(lin).toMatchObject({ binning: 'linear', rows: L, maxCount: 2 });
  expect(lin.columns).toHaveLength(64);
  const linRows = await page.evaluate(() => [0, 74, 149].map((r) => window.gradscope.distributions!.heatmapRow(r)!));
  for (const counts of linRows) expect(counts).toEqual(counts.map((_, c) => (c === 0 ? 2 : 0)));
  const linHover = await hoverCell(page, 0, 0);
  expect(linHover.tip).toContain('layer 1 ');
  expect(linHover.tip).toContain('linear bin 1 of 64: every x = 1.5 (min = max)');
  expect(linHover.tip).toContain('count 2 of 2');
});

test('dead and saturated units: closed forms in the table, the result and the chart, and a\'s heatmap', async ({ page }) => {
  // ReLU, W^[l] = I (rectangular), x = 1: n^[l−1] units carry 1, the other n^[l] − n^[l−1] get z = 0, for every example.
  await page.goto('/?input=ones&widths=2,4,8,8,2&activation=relu&init=identity&gain=1&bias=0&batch=4&loss=sum&hist=1');
  await waitForRuns(page, 1);
  const relu = await layerSummary(page);
  expect(relu.map((l) => l.dead)).toEqual([0.5, 0.75, 0.75, null]);
  // The engine counts |a| > 0.99 for every example whatever the activation (here the units that carry 1); the GUI shows it for tanh only.
  expect(relu.map((l) => l.saturated)).toEqual([0.5, 0.25, 0.25, null]);
  await page.locator('#table-tensor').selectOption('a');
  const head = await page.locator('#stats-table thead th').allTextContents();
  expect(head).toContain('deadUnits');
  expect(head).not.toContain('saturatedUnits'); // only for tanh
  const deadCol = head.indexOf('deadUnits');
  const cells = await page.locator('#stats-table tbody tr').evaluateAll((trs, i) => trs.map((tr) => tr.children[i].textContent), deadCol);
  expect(cells.map((t) => (t === '–' ? t : Number(t)))).toEqual([0.5, 0.75, 0.75, '–']);
  const units = await page.evaluate(() => window.gradscope.distributions!.units!);
  expect(units.series).toEqual([{ label: expect.stringContaining('dead units'), drawn: 3, max: 0.75 }]);
  await expect(page.locator('#dist-units-figure')).toBeVisible();
  // a: per example 2 ones and n^[l] − 2 zeros: row l has 4(n^[l] − 2) in the 0 column and 8 in [2^0, 2^1).
  const info = await page.evaluate(() => window.gradscope.distributions!.heatmap!);
  const zeroCol = info.columns.findIndex(({ cell }) => cell.kind === 'special' && cell.which === 'zero');
  const oneCol = columnOfExponent(info.columns, 0);
  const rows = await page.evaluate(() => [0, 1, 2].map((r) => window.gradscope.distributions!.heatmapRow(r)!));
  rows.forEach((counts, r) => {
    const n = [4, 8, 8][r];
    expect(counts, `layer ${r + 1}`).toEqual(counts.map((_, c) => (c === zeroCol ? 4 * (n - 2) : c === oneCol ? 8 : 0)));
  });
  const { tip } = await hoverCell(page, 1, zeroCol);
  expect(tip).toContain('layer 2 ');
  expect(tip).toContain('x = ±0');
  expect(tip).toContain('count 24 of 32 (75%)');

  // tanh, W^[l] = 100·I: z = 100 → a = tanh(100) = 1 (saturated) on 2 units, z = 0 → a = 0 (dead) on the other 2.
  await page.goto('/?input=ones&widths=2,4,4,2&activation=tanh&init=identity&gain=100&bias=0&batch=3&loss=sum&hist=1');
  await waitForRuns(page, 1);
  const tanh = await layerSummary(page);
  expect(tanh.map((l) => l.dead)).toEqual([0.5, 0.5, null]);
  expect(tanh.map((l) => l.saturated)).toEqual([0.5, 0.5, null]);
  await page.locator('#table-tensor').selectOption('a');
  const tanhHead = await page.locator('#stats-table thead th').allTextContents();
  const satCol = tanhHead.indexOf('saturatedUnits');
  expect(satCol).toBeGreaterThan(0);
  const satCells = await page.locator('#stats-table tbody tr').evaluateAll((trs, i) => trs.map((tr) => tr.children[i].textContent), satCol);
  expect(satCells.map((t) => (t === '–' ? t : Number(t)))).toEqual([0.5, 0.5, '–']);
  const tanhUnits = await page.evaluate(() => window.gradscope.distributions!.units!);
  expect(tanhUnits.series.map((s) => [s.drawn, s.max])).toEqual([[2, 0.5], [2, 0.5]]);
});

test('10,000 layers, extended range (CPU): rows of 25 layers summed, bins by the carried scale up to 2^5849, still responsive', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const L = 10_000;
  await page.goto(`/?preset=seed-explode&depth=${L}&range=extended&backend=cpu&hist=1`);
  await waitForRuns(page, 1);
  const got = await exponents(page, 'a');
  const want = Array.from({ length: L }, (_, i) => Math.floor((i + 1) * LOG2_GAIN));
  // The engine places each layer by its stored exponent + its shift: 1.5^l far beyond float32 (and float64) is 2^⌊l·log2 1.5⌋.
  expect(got.map((h) => h.e)).toEqual(want.map((e) => [[e, 2]]));

  const info = await page.evaluate(() => window.gradscope.distributions!.heatmap!);
  expect(info).toMatchObject({ layers: L, rows: 400, layersPerRow: 25 });
  expect(info.range).toEqual({ lo: 0, hi: 5849 });
  // Every row: 2 per layer in the column of that layer's exponent (consecutive exponents share a column), summed.
  const mismatches = await page.evaluate(({ exps, per }) => {
    const d = window.gradscope.distributions!;
    const cols = d.heatmap!.columns;
    const bad: string[] = [];
    for (let r = 0; r < d.heatmap!.rows; r++) {
      const expected = new Array<number>(cols.length).fill(0);
      for (let l = r * per; l < (r + 1) * per; l++) {
        expected[cols.findIndex(({ cell }) => cell.kind === 'magnitude' && cell.sign === 1 && cell.lo <= exps[l] && exps[l] < cell.hi)] += 2;
      }
      const counts = d.heatmapRow(r)!;
      if (counts.some((v, c) => v !== expected[c])) bad.push(`row ${r}`);
    }
    return bad;
  }, { exps: want, per: 25 });
  expect(mismatches).toEqual([]);

  // Responsive: another tensor is drawn, and the page answers, within a few seconds.
  let t0 = Date.now();
  await page.locator('#dist-tensor').selectOption('dW');
  await expect.poll(() => page.evaluate(() => window.gradscope.distributions!.heatmap!.tensor)).toBe('dW');
  expect(Date.now() - t0).toBeLessThan(10_000);
  // Every entry of dW^[l] is 1.5^(L−1): one exponent, ⌊9999·log2 1.5⌋, 4 entries a layer, 100 a row.
  const dW = await page.evaluate(() => window.gradscope.distributions!.heatmap!);
  expect(dW.range).toEqual({ lo: Math.floor((L - 1) * LOG2_GAIN), hi: Math.floor((L - 1) * LOG2_GAIN) });
  expect(dW.maxCount).toBe(100);
  t0 = Date.now();
  const last = await hoverCell(page, 399, columnOfExponent(dW.columns, Math.floor((L - 1) * LOG2_GAIN)));
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect(last.tip).toContain('layers 9976–10000 (25 layers, counts summed)');
  expect(last.tip).toContain(`x in [2^5849, 2^5850)`);
  expect(last.tip).toContain('count 100 of 100');
  await page.locator('#distributions').screenshot({ path: `${ARTIFACTS}/distributions-10000.png` });
  await testInfo.attach('distributions-10000', { path: `${ARTIFACTS}/distributions-10000.png`, contentType: 'image/png' });
  expect(await page.evaluate(() => window.gradscope.distributions!.multiples!.layers)).toEqual([1, 2500, 5000, 7500, 10_000]);
});

test('at 390 px the section fits the viewport: the heatmap and the panels take its width', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 900 });
  await page.goto('/?preset=relu-he&depth=12&hist=1');
  await waitForRuns(page, 1);
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth, view: window.innerWidth,
    canvases: [...document.querySelectorAll('#distributions canvas')].map((c) => c.getBoundingClientRect().right),
  }));
  expect(widths.page).toBeLessThanOrEqual(widths.view);
  expect(widths.canvases.length).toBeGreaterThanOrEqual(3); // heatmap, a panel at least, units
  for (const right of widths.canvases) expect(right).toBeLessThanOrEqual(widths.view);
  const info = await page.evaluate(() => window.gradscope.distributions!.heatmap!);
  expect(info.plot.width).toBeGreaterThan(100);
});
