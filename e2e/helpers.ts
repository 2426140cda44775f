/**
 * Helpers of the end-to-end tests: waiting on window.gradscope's state (never on time), reading the charts (pixels of a
 * colour, the aria-label that names their series), typing into the panel.
 */
import { expect, type Page } from '@playwright/test';
import type { RunResult } from '../src/model/result';

/** Where the e2e tests put their screenshots and downloads. */
export const ARTIFACTS = 'artifacts';

/** Wait until at least `runs` runs have finished and nothing is running; returns the last result. */
export async function waitForRuns(page: Page, runs: number): Promise<RunResult> {
  await page.waitForFunction((n) => window.gradscope !== undefined && window.gradscope.runs >= n && !window.gradscope.busy, runs);
  return page.evaluate(() => window.gradscope.lastResult!);
}

export async function runsSoFar(page: Page): Promise<number> {
  return page.evaluate(() => window.gradscope.runs);
}

/**
 * Number of pixels of `canvasId` within ±24 per channel of the colour `rgb` (a series' line colour), in the rows
 * from `fromRow` (a fraction of the height: 0.3 leaves out the title and the legend above the plot).
 * A chart with its line drawn has hundreds; axes, grid and legend alone have under 100.
 */
export async function pixelsOfColour(page: Page, canvasId: string, rgb: [number, number, number], fromRow = 0): Promise<number> {
  return page.evaluate(([id, [r, g, b], from]) => {
    const canvas = document.getElementById(id) as HTMLCanvasElement;
    const top = Math.floor(from * canvas.height);
    const data = canvas.getContext('2d')!.getImageData(0, top, canvas.width, canvas.height - top).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && Math.abs(data[i] - r) <= 24 && Math.abs(data[i + 1] - g) <= 24 && Math.abs(data[i + 2] - b) <= 24) n++;
    }
    return n;
  }, [canvasId, rgb, fromRow] as const);
}

/** Type `value` into the panel's text field `field` and press Enter (the field's onFinishChange). */
export async function setField(page: Page, field: string, value: string): Promise<void> {
  const input = page.locator(`[data-field="${field}"] input`);
  await input.click();
  await input.press('Control+A');
  await input.pressSequentially(value);
  await input.press('Enter');
}

/** The charts' legends, read from each canvas's aria-label ("<title>. Value axis: <axis>. Series: <labels>."). */
export async function chartLabel(page: Page, canvasId: string): Promise<string> {
  return (await page.locator(`#${canvasId}`).getAttribute('aria-label')) ?? '';
}

/** Wait until a run reports progress (it is past its start and not finished). */
export async function waitForProgress(page: Page): Promise<void> {
  await page.waitForFunction(() => window.gradscope !== undefined && window.gradscope.progress !== null);
}

/** |got − want| ≤ tol·|want| */
export function expectRelClose(got: number, want: number, tol: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(tol * Math.abs(want));
}
