/**
 * End-to-end tests of the GUI's training section (issue 10, src/ui/training): "Compare initialisations while training"
 * (preset train-compare: He, Glorot, N(0, 1), 0.5·I on the same axes), Train / Pause / Resume / Cancel, a change in
 * the panel during training, the layer × step heatmaps and the exports.
 *
 * Runs are kept short (30 steps; SwiftShader takes ~0.2 s per step of L = 20, n = 64, m = 64). Oracles independent of
 * the view's drawing: the Trainer's own records and result (TrainingResult via the JSON export), the loss at step 0
 * of N(0, 1) at L = 20 (≈ (n/2)^(L/2)-fold signal: astronomically large), the colours of PIN_COLORS in the pixels.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import { PIN_COLORS } from '../src/ui/runs';
import { ARTIFACTS, pixelsOfColour, setField, waitForRuns } from './helpers';

/** Wait until the training section is idle: no run starting or running, none waiting. */
async function waitForTrainingIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const t = window.gradscope?.training;
    return t !== undefined && t !== null && t.state !== 'idle' && !t.busy && t.runs.every((r) => r.state !== 'waiting');
  });
}

async function trainingSteps(page: Page): Promise<number> {
  return page.evaluate(() => window.gradscope.training!.steps);
}

async function waitForSteps(page: Page, atLeast: number): Promise<void> {
  await page.waitForFunction((n) => (window.gradscope?.training?.steps ?? 0) >= n && window.gradscope.training!.state === 'running', atLeast);
}

function rgbOf(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

test('compare initialisations while training: four runs on one axes, N(0, 1) diverges with its step and layer, heatmaps = the trainer\'s records, exports', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?preset=train-compare&steps=30&evalEvery=5&train=compare');
  await waitForRuns(page, 1);
  await waitForTrainingIdle(page);
  const t = await page.evaluate(() => {
    const h = window.gradscope.training!;
    return { state: h.state, status: h.status, runs: h.runs, curves: h.curves };
  });
  // Four pinned runs, in order, each in its own colour, on the same axes.
  expect(t.runs.map((r) => r.label)).toEqual(['kaiming_normal (He)', 'xavier_normal (Glorot)', 'N(0, 1)', '0.5·I']);
  expect(t.runs.map((r) => r.config.init)).toEqual(['kaiming_normal', 'xavier_normal', 'normal', 'identity']);
  expect(t.runs.every((r) => r.pinned)).toBe(true);
  expect(t.runs.map((r) => r.color)).toEqual([...PIN_COLORS]);
  for (const r of t.runs) {
    expect(r.config.depth, r.label).toBe(20);
    expect(r.config.optimizer, r.label).toBe('sgd');
    expect(r.config.seed, r.label).toBe(t.runs[0].config.seed);
  }
  const [he, glorot, normal, half] = t.runs;
  for (const r of [he, glorot, half]) {
    expect(r.state, r.label).toBe('done');
    expect(r.steps, r.label).toBe(30);
    expect(r.evaluations.map((e) => e.step), r.label).toEqual([0, 5, 10, 15, 20, 25, 30]);
  }
  // He learns something in 30 steps; the loss of every finished run is finite.
  expect(he.evaluations.at(-1)!.train.loss).toBeLessThan(he.evaluations[0].train.loss);
  for (const r of [he, glorot, half]) expect(Number.isFinite(r.evaluations.at(-1)!.test.loss), r.label).toBe(true);
  // N(0, 1) explodes: an astronomical loss at step 0, a NaN or ±∞ within a few steps, named with step and layer.
  expect(normal.state).toBe('diverged');
  expect(normal.evaluations[0].train.loss).toBeGreaterThan(1e6);
  const d = normal.divergence!;
  expect(d.step).toBeGreaterThanOrEqual(1);
  expect(d.step).toBeLessThanOrEqual(10);
  expect(d.layer).toBeGreaterThanOrEqual(1);
  expect(d.layer).toBeLessThanOrEqual(21);
  const row = page.locator('#train-runs tbody tr').nth(2);
  await expect(row).toHaveAttribute('data-state', 'diverged');
  await expect(row).toContainText(`diverged at step ${d.step}: first non-finite value in ${d.tensor}^[${d.layer}]`);
  const marker = `N(0, 1): diverged at step ${d.step} (${d.tensor}^[${d.layer}])`;
  expect(t.curves.loss.markers.map((m) => m.text)).toEqual([marker]);
  expect(t.curves.accuracy.markers.map((m) => m.text)).toEqual([marker]);
  expect(await page.locator('#chart-train-loss').getAttribute('aria-label')).toContain(`Marked: ${marker}`);
  // Curves: train and test lines per run with a point per evaluation (N(0, 1): only those before the divergence),
  // the minibatch loss of every step.
  const points = (label: string) => t.curves.loss.series.find((s) => s.label === label)?.points;
  for (const r of [he, glorot, half]) {
    expect(points(`${r.label} · train loss`), r.label).toBe(7);
    expect(points(`${r.label} · test loss`), r.label).toBe(7);
    expect(points(`${r.label} · minibatch loss`), r.label).toBe(30);
    expect(t.curves.accuracy.series.find((s) => s.label === `${r.label} · test accuracy`)?.points, r.label).toBe(7);
  }
  expect(points('N(0, 1) · train loss')).toBe(normal.evaluations.filter((e) => e.step < d.step).length);
  expect(t.curves.loss.xMax).toBe(30);
  // He's line is on the accuracy chart in its colour (pixels below the title and legend).
  expect(await pixelsOfColour(page, 'chart-train-accuracy', rgbOf(PIN_COLORS[0]), 0.3)).toBeGreaterThan(100);

  // The heatmaps of He: the view's records are the Trainer's, and every cell is the record's value.
  await page.locator('#heatmap-run').selectOption({ label: 'kaiming_normal (He)' });
  const h = await page.evaluate(() => {
    const x = window.gradscope.training!;
    const dW: (number | null)[][] = [], a: (number | null)[][] = [];
    for (let l = 1; l <= 20; l++) {
      dW.push([]); a.push([]);
      for (let s = 1; s <= 30; s++) { dW[l - 1].push(x.heatmapValue('dW', l, s)); a[l - 1].push(x.heatmapValue('a', l, s)); }
    }
    return { info: x.heatmaps, view: x.records('view'), trainer: x.records('trainer'), dW, a, json: x.json() };
  });
  expect(h.info.run).toBe('kaiming_normal (He)');
  expect(h.info.dW).toMatchObject({ layers: 20, steps: 30, cols: 30, rows: 20, filled: 600, nonFinite: 0 });
  expect(h.info.a).toMatchObject({ layers: 20, steps: 30, cols: 30, rows: 20, filled: 600, nonFinite: 0 });
  expect(h.trainer).toHaveLength(30);
  expect(h.view).toEqual(h.trainer);
  for (const rec of h.trainer) {
    for (let l = 1; l <= 20; l++) {
      expect(Math.abs(h.dW[l - 1][rec.step - 1]! / rec.rmsDW[l - 1] - 1), `dW layer ${l} step ${rec.step}`).toBeLessThan(1e-12);
      expect(Math.abs(h.a[l - 1][rec.step - 1]! / rec.rmsA[l - 1] - 1), `a layer ${l} step ${rec.step}`).toBeLessThan(1e-12);
    }
  }
  // Exports of the heatmaps' run: the Trainer's result as JSON, its evaluations as CSV.
  mkdirSync(`${ARTIFACTS}/exports`, { recursive: true });
  const save = async (button: string) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
    const path = `${ARTIFACTS}/exports/${dl.suggestedFilename()}`;
    await dl.saveAs(path);
    return { name: dl.suggestedFilename(), text: readFileSync(path, 'utf8') };
  };
  const j = await save('#train-json');
  expect(j.name).toMatch(/-train-kaiming_normal-sgd\.json$/);
  expect(j.text).toBe(h.json);
  const doc = JSON.parse(j.text) as { state: string; steps: number; evaluations: { step: number }[]; records: { step: number; rmsDW: number[] }[] };
  expect(doc.state).toBe('done');
  expect(doc.steps).toBe(30);
  expect(doc.evaluations.map((e) => e.step)).toEqual([0, 5, 10, 15, 20, 25, 30]);
  expect(doc.records.map((r) => r.rmsDW)).toEqual(h.trainer.map((r) => r.rmsDW));
  const c = await save('#train-csv');
  expect(c.name).toMatch(/-train-kaiming_normal-sgd\.csv$/);
  const lines = c.text.trimEnd().split('\n');
  expect(lines[0]).toBe('step,trainLoss,trainAccuracy,testLoss,testAccuracy,elapsedMs');
  expect(lines).toHaveLength(8);
  expect(Number(lines[7].split(',')[3])).toBe(he.evaluations[6].test.loss);
  await page.locator('#training').screenshot({ path: `${ARTIFACTS}/training-compare.png` });

  // At 390 px nothing of the section overflows the viewport (the runs table scrolls in its box); the heatmaps redraw.
  await page.setViewportSize({ width: 390, height: 900 });
  await page.waitForFunction(() => document.getElementById('heatmap-dW')!.clientWidth < 390);
  const bad = await page.evaluate(() => {
    const width = window.innerWidth, out: string[] = [];
    if (document.documentElement.scrollWidth > width) out.push(`document scrollWidth ${document.documentElement.scrollWidth}`);
    for (const e of document.querySelectorAll('#training *')) {
      if (e.closest('.table-box') !== null) continue;
      const r = e.getBoundingClientRect();
      if (r.width > 0 && r.right > width + 0.5) out.push(`${e.tagName.toLowerCase()}#${e.id} right ${r.right}`);
    }
    return out;
  });
  expect(bad).toEqual([]);
  expect(await page.evaluate(() => window.gradscope.training!.heatmapValue('dW', 1, 1))).toBeCloseTo(h.trainer[0].rmsDW[0], 12);
  await page.locator('#training').screenshot({ path: `${ARTIFACTS}/training-390.png` });
});

test('Train, Pause, Resume, Cancel; a panel edit stops the training naming the field, a bad value is named and changes nothing', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?preset=train-compare&steps=1000&evalEvery=10');
  await waitForRuns(page, 1);
  await expect(page.locator('#train-pause')).toBeDisabled();
  await page.locator('#train').click();
  await waitForSteps(page, 3);

  // Pause: the steps stop advancing; the curves so far stay.
  await page.locator('#train-pause').click();
  await page.waitForFunction(() => window.gradscope.training!.state === 'paused');
  const paused = await trainingSteps(page);
  expect(paused).toBeGreaterThanOrEqual(3);
  await expect(page.locator('#train-resume')).toBeEnabled();
  await expect(page.locator('#train-pause')).toBeDisabled();
  await expect(page.locator('#train-status')).toContainText(`paused at step ${paused} of 1000`);
  await page.waitForTimeout(2000); // a running training makes 10 or more steps in that time
  expect(await trainingSteps(page)).toBe(paused);

  // Resume: the same run continues from where it paused (not a restart: its steps and step-0 evaluation stay).
  const atPause = await page.evaluate(() => window.gradscope.training!.evaluations[0]);
  await page.locator('#train-resume').click();
  expect(await trainingSteps(page)).toBeGreaterThanOrEqual(paused); // a restart would be back at 0, loading
  await waitForSteps(page, paused + 3);
  expect(await page.evaluate(() => window.gradscope.training!.evaluations[0])).toEqual(atPause);
  const resumed = await page.evaluate(() => ({ runs: window.gradscope.training!.runs.length, evals: window.gradscope.training!.evaluations.map((e) => e.step) }));
  expect(resumed.runs).toBe(1);
  expect(resumed.evals[0]).toBe(0);
  expect(new Set(resumed.evals).size).toBe(resumed.evals.length); // step 0 was not measured again

  // Cancel: stopped for good, its curves kept.
  await page.locator('#train-cancel').click();
  await page.waitForFunction(() => window.gradscope.training!.state === 'stopped');
  const cancelled = await trainingSteps(page);
  expect(cancelled).toBeGreaterThanOrEqual(paused + 3);
  await expect(page.locator('#train-resume')).toBeDisabled();
  await expect(page.locator('#train-cancel')).toBeDisabled();
  await expect(page.locator('#train-status')).toContainText(`stopped at step ${cancelled} of 1000 — cancelled`);
  let curves = await page.evaluate(() => window.gradscope.training!.curves.loss.series);
  expect(curves.find((s) => s.label.endsWith('minibatch loss'))?.points).toBe(cancelled);
  expect(curves.find((s) => s.label.endsWith('train loss'))?.points).toBeGreaterThanOrEqual(1);
  await page.waitForTimeout(1000);
  expect(await trainingSteps(page)).toBe(cancelled);

  // Train again; a bad value in the panel is named and the training goes on.
  await page.locator('#train').click();
  await waitForSteps(page, 2);
  await setField(page, 'lr', 'abc');
  await expect(page.locator('#error')).toContainText('lr');
  const before = await trainingSteps(page);
  await waitForSteps(page, before + 2);
  // A good value stops it, naming the field; the curves stay.
  await setField(page, 'lr', '0.02');
  await page.waitForFunction(() => window.gradscope.training!.state === 'stopped');
  await expect(page.locator('#train-status')).toContainText("the panel's lr changed to 0.02");
  curves = await page.evaluate(() => window.gradscope.training!.curves.loss.series);
  expect(curves.find((s) => s.label.endsWith('minibatch loss'))?.points).toBeGreaterThanOrEqual(before + 2);
  await expect(page.locator('#train-resume')).toBeDisabled();
  const r = await waitForRuns(page, 2); // the page's run of the new network
  expect(r.config.lr).toBe(0.02);
  expect(await page.evaluate(() => window.gradscope.training!.state)).toBe('stopped');
});

test('a comparison paused in its first run resumes and goes on to the next; Cancel drops the runs still waiting', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?preset=train-compare&steps=40&evalEvery=8&train=compare');
  await page.waitForFunction(() => {
    const runs = window.gradscope?.training?.runs ?? [];
    return runs.length === 4 && runs[0].state === 'running' && runs[0].steps >= 2;
  });
  await page.locator('#train-pause').click();
  await page.waitForFunction(() => window.gradscope.training!.state === 'paused');
  let runs = await page.evaluate(() => window.gradscope.training!.runs.map((r) => ({ state: r.state, steps: r.steps })));
  expect(runs.map((r) => r.state)).toEqual(['paused', 'waiting', 'waiting', 'waiting']);
  await expect(page.locator('#train-status')).toContainText(`run 1 of 4 (kaiming_normal (He)): paused at step ${runs[0].steps} of 40`);
  await page.waitForTimeout(1500);
  expect(await page.evaluate(() => window.gradscope.training!.runs.map((r) => r.steps))).toEqual([runs[0].steps, 0, 0, 0]);

  const atPause = await page.evaluate(() => window.gradscope.training!.runs[0].evaluations[0]);
  await page.locator('#train-resume').click();
  // The same run goes on (not a restart from its initial weights): its steps and its step-0 evaluation stay.
  expect(await page.evaluate(() => window.gradscope.training!.runs[0].steps)).toBeGreaterThanOrEqual(runs[0].steps);
  await page.waitForFunction(() => { const r = window.gradscope.training!.runs; return r[1].state === 'running' && r[1].steps >= 1; });
  expect(await page.evaluate(() => window.gradscope.training!.runs[0].evaluations[0])).toEqual(atPause);
  runs = await page.evaluate(() => window.gradscope.training!.runs.map((r) => ({ state: r.state, steps: r.steps })));
  expect(runs[0]).toEqual({ state: 'done', steps: 40 });
  const he = await page.evaluate(() => window.gradscope.training!.runs[0].evaluations.map((e) => e.step));
  expect(he).toEqual([0, 8, 16, 24, 32, 40]); // one run, paused and resumed: step 0 measured once

  await page.locator('#train-cancel').click();
  await page.waitForFunction(() => !window.gradscope.training!.busy && window.gradscope.training!.state === 'stopped');
  runs = await page.evaluate(() => window.gradscope.training!.runs.map((r) => ({ state: r.state, steps: r.steps })));
  expect(runs.map((r) => r.state)).toEqual(['done', 'stopped']);
  expect(runs[1].steps).toBeGreaterThanOrEqual(1);
  await expect(page.locator('#train-runs tbody tr')).toHaveCount(2);
  const series = await page.evaluate(() => window.gradscope.training!.curves.loss.series.map((s) => s.label));
  expect(series.filter((l) => l.endsWith('train loss'))).toEqual(['kaiming_normal (He) · train loss', 'xavier_normal (Glorot) · train loss']);
});
