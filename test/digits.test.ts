/**
 * The digits data set: loadDigits and makeBatch against the raw file, read here independently
 * (node:fs + fflate's gunzip + a plain split on "," — not the code under test), and parseDigitsCsv's errors.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DataError, loadDigits, parseDigitsCsv } from '../src/data/digits';
import { resolveConfig } from '../src/model/config';
import { makeBatch, makeProblem, shapeOf } from '../src/session/problem';

/** The raw file: rows of 64 pixel counts and a label. */
function readRaw(): { pixels: number[][]; labels: number[] } {
  const gz = readFileSync(fileURLToPath(new URL('../data/digits.csv.gz', import.meta.url)));
  const text = new TextDecoder().decode(gunzipSync(new Uint8Array(gz)));
  const rows = text.trim().split(/\r?\n/).map((line) => line.split(',').map(Number));
  return { pixels: rows.map((r) => r.slice(0, 64)), labels: rows.map((r) => r[64]) };
}

const raw = readRaw();

/** Column c of the raw pixels, standardised here: (x − mean)/std (population), or 0 if constant. */
function standardisedColumn(c: number): number[] {
  const col = raw.pixels.map((r) => r[c]);
  const mean = col.reduce((s, v) => s + v, 0) / col.length;
  const std = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length);
  return col.map((v) => (std > 0 ? (v - mean) / std : 0));
}

/** A valid CSV row: 64 pixels then the label. */
function row(label: number, pixel = 3): string[] {
  return [...new Array<string>(64).fill(String(pixel)), String(label)];
}

function dataError(text: string): DataError {
  try {
    parseDigitsCsv(text);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('parseDigitsCsv accepted bad data');
}

describe('the raw file (independent read)', () => {
  it('has 1797 rows of 65 integers, pixels in 0..16, labels 0..9, each class 170..190 times', () => {
    expect(raw.pixels.length).toBe(1797);
    expect(raw.pixels.every((r) => r.length === 64 && r.every((v) => Number.isInteger(v) && v >= 0 && v <= 16))).toBe(true);
    const counts = new Array<number>(10).fill(0);
    for (const l of raw.labels) counts[l]++;
    expect(counts.reduce((s, v) => s + v, 0)).toBe(1797);
    for (const c of counts) expect(c >= 170 && c <= 190, `class count ${c}`).toBe(true);
  });

  it('has constant (all-zero) pixel columns, among them column 0', () => {
    const constant = [...Array(64).keys()].filter((c) => raw.pixels.every((r) => r[c] === raw.pixels[0][c]));
    expect(constant).toContain(0);
    expect(raw.pixels.every((r) => r[0] === 0)).toBe(true);
  });
});

describe('loadDigits', () => {
  const digits = loadDigits();

  it('has 1797 examples, 64 features each, the labels of the file', () => {
    expect(digits.examples).toBe(1797);
    expect(digits.features.length).toBe(1797 * 64);
    expect(Array.from(digits.labels)).toEqual(raw.labels);
  });

  it('each feature column is the file\'s column standardised (to 1e-12)', () => {
    let worst = { err: 0, at: '' };
    for (let c = 0; c < 64; c++) {
      const want = standardisedColumn(c);
      for (let e = 0; e < 1797; e++) {
        const err = Math.abs(digits.features[e * 64 + c] - want[e]);
        if (!(err <= worst.err)) worst = { err, at: `example ${e}, feature ${c}` };
      }
    }
    expect(worst.err, worst.at).toBeLessThanOrEqual(1e-12);
  });

  it('standardised columns have mean ≈ 0 and std ≈ 1, constant columns are all 0', () => {
    for (let c = 0; c < 64; c++) {
      const col = Array.from({ length: 1797 }, (_, e) => digits.features[e * 64 + c]);
      const rawCol = raw.pixels.map((r) => r[c]);
      if (rawCol.every((v) => v === rawCol[0])) {
        expect(col.every((v) => v === 0), `constant column ${c}`).toBe(true);
        continue;
      }
      const mean = col.reduce((s, v) => s + v, 0) / col.length;
      const std = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length);
      expect(Math.abs(mean), `column ${c} mean`).toBeLessThan(1e-12);
      expect(Math.abs(std - 1), `column ${c} std`).toBeLessThan(1e-12);
    }
  });

  it('is cached: a second call returns the same object', () => {
    expect(loadDigits()).toBe(digits);
  });
});

describe('parseDigitsCsv', () => {
  it('parses valid rows and standardises each column', () => {
    const text = [row(1, 2), row(7, 4), row(0, 6)].map((r) => r.join(',')).join('\n');
    const d = parseDigitsCsv(text);
    expect(d.examples).toBe(3);
    expect(Array.from(d.labels)).toEqual([1, 7, 0]);
    // column values 2, 4, 6: mean 4, population std √(8/3)
    const s = Math.sqrt(8 / 3);
    expect(d.features[0]).toBeCloseTo(-2 / s, 14);
    expect(d.features[64]).toBeCloseTo(0, 14);
    expect(d.features[128]).toBeCloseTo(2 / s, 14);
  });

  it('accepts CRLF line ends and a trailing newline', () => {
    const text = [row(1, 2), row(7, 4)].map((r) => r.join(',')).join('\r\n') + '\r\n';
    expect(parseDigitsCsv(text).examples).toBe(2);
  });

  it('a pixel of 17 names the row and column and the range 0..16', () => {
    const bad = row(3);
    bad[5] = '17';
    const e = dataError([row(1), row(2), bad].map((r) => r.join(',')).join('\n'));
    expect(e.message).toMatch(/row 3, column 5/);
    expect(e.message).toContain('0..16');
    expect(e.message).toContain('"17"');
  });

  it('a non-number "x" names its row and column', () => {
    const bad = row(3);
    bad[63] = 'x';
    const e = dataError([bad, row(2)].map((r) => r.join(',')).join('\n'));
    expect(e.message).toMatch(/row 1, column 63/);
    expect(e.message).toContain('"x"');
  });

  it('a label of 10, a negative pixel, a fractional pixel, an empty field are refused with row and column', () => {
    const cases: [number, string, RegExp][] = [[64, '10', /row 2, column 64.*0\.\.9/], [0, '-1', /row 2, column 0/], [10, '1.5', /row 2, column 10/], [7, '', /row 2, column 7/], [8, ' ', /row 2, column 8/],
      [9, '0x10', /row 2, column 9/], [11, '1e1', /row 2, column 11/], [12, '+3', /row 2, column 12/]];
    for (const [c, v, re] of cases) {
      const bad = row(4);
      bad[c] = v;
      expect(dataError([row(1), bad].map((r) => r.join(',')).join('\n')).message).toMatch(re);
    }
  });

  it('a short or long row names its row and the column count', () => {
    const short = row(3).slice(1);
    const e = dataError([row(1), short].map((r) => r.join(',')).join('\n'));
    expect(e.message).toMatch(/row 2/);
    expect(e.message).toMatch(/65 columns, got 64/);
    const long = [...row(3), '0'];
    expect(dataError([long].map((r) => r.join(',')).join('\n')).message).toMatch(/row 1.*65 columns, got 66/);
  });
});

describe('makeBatch on digits', () => {
  const cfg = resolveConfig({ input: 'digits', depth: 2, width: 8, batch: 40, seed: 3 });
  const shape = shapeOf(cfg);

  it('X is (64, m) of distinct examples of the file, Y their one-hot labels (10, m)', () => {
    const batch = makeBatch(cfg, shape);
    const m = 40;
    expect(shape.widths).toEqual([64, 8, 10]);
    expect(batch.X.length).toBe(64 * m);
    expect(batch.Y.length).toBe(10 * m);
    expect(batch.labels.length).toBe(m);
    const columns = Array.from({ length: 64 }, (_, c) => standardisedColumn(c));
    const used = new Set<number>();
    for (let j = 0; j < m; j++) {
      // One-hot column j at the label.
      for (let i = 0; i < 10; i++) expect(batch.Y[i * m + j]).toBe(i === batch.labels[j] ? 1 : 0);
      // Column j of X is some example e of the file (in float32), with the file's label.
      const x = Array.from({ length: 64 }, (_, i) => batch.X[i * m + j]);
      const e = raw.pixels.findIndex((_, k) => !used.has(k) && x.every((v, i) => v === Math.fround(columns[i][k])));
      expect(e, `column ${j} is not an example of the file`).toBeGreaterThanOrEqual(0);
      used.add(e);
      expect(batch.labels[j]).toBe(raw.labels[e]);
    }
    expect(used.size).toBe(m);
  });

  it('same seed → same batch; another seed → another batch', () => {
    const a = makeBatch(cfg, shape);
    const b = makeBatch(cfg, shape);
    expect(b.X).toEqual(a.X);
    expect(b.labels).toEqual(a.labels);
    const other = resolveConfig({ input: 'digits', depth: 2, width: 8, batch: 40, seed: 4 });
    expect(makeBatch(other, shapeOf(other)).X).not.toEqual(a.X);
  });

  it('m = 1797 draws every example exactly once', () => {
    const all = resolveConfig({ input: 'digits', depth: 1, batch: 1797 });
    const p = makeProblem(all);
    const counts = new Array<number>(10).fill(0);
    for (const l of p.batch.labels) counts[l]++;
    const want = new Array<number>(10).fill(0);
    for (const l of raw.labels) want[l]++;
    expect(counts).toEqual(want);
    // Sum over the batch of each standardised feature is ≈ 0 (every example once).
    for (let i = 0; i < 64; i++) {
      let s = 0;
      for (let j = 0; j < 1797; j++) s += p.batch.X[i * 1797 + j];
      expect(Math.abs(s)).toBeLessThan(1e-3);
    }
  });
});
