/**
 * The digits data set (data/digits.csv.gz, see data/README.md): 1,797 8×8 images, 64 features, 10 classes.
 * Loaded with fflate (gunzip) and Papa Parse (CSV); the file is inlined by Vite, so the same code runs in the
 * browser, in the Node CLI and in Vitest.
 */
import { gunzipSync } from 'fflate';
import Papa from 'papaparse';
import digitsDataUrl from '../../data/digits.csv.gz?inline';
import { DIGITS_CLASSES, DIGITS_EXAMPLES, DIGITS_FEATURES } from '../model/config';

/** The data set, features standardised per column. */
export interface Digits {
  /** Standardised features, row-major (examples, 64): example e, feature f at e·64 + f. */
  features: Float64Array;
  /** Class 0..9 of each example. */
  labels: Uint8Array;
  examples: number;
}

/** Error in a data file: names the row (1-based) and column (0-based) and what was expected. */
export class DataError extends Error {
  override name = 'DataError';
}

/**
 * Parse digits CSV text: no header, 65 integer columns (64 pixels in 0..16, then the label 0..9) per row.
 * Standardises each feature column to zero mean, unit (population) variance; constant columns stay 0.
 * @throws DataError naming the row and column of the first bad value.
 */
export function parseDigitsCsv(text: string): Digits {
  const parsed = Papa.parse<string[]>(text.trim(), { skipEmptyLines: true });
  if (parsed.errors.length > 0) {
    const e = parsed.errors[0];
    throw new DataError(`digits CSV row ${(e.row ?? 0) + 1}: ${e.message}`);
  }
  const rows = parsed.data;
  const n = rows.length;
  const features = new Float64Array(n * DIGITS_FEATURES);
  const labels = new Uint8Array(n);
  rows.forEach((row, r) => {
    if (row.length !== DIGITS_FEATURES + 1) {
      throw new DataError(`digits CSV row ${r + 1}: expected ${DIGITS_FEATURES + 1} columns, got ${row.length}`);
    }
    for (let c = 0; c <= DIGITS_FEATURES; c++) {
      // Digits only: Number('') and Number(' ') are 0, Number('0x10') is 16, Number('1e1') is 10.
      const text = row[c].trim();
      const v = /^[0-9]+$/.test(text) ? Number(text) : NaN;
      const max = c < DIGITS_FEATURES ? 16 : DIGITS_CLASSES - 1;
      if (!Number.isInteger(v) || v < 0 || v > max) {
        throw new DataError(`digits CSV row ${r + 1}, column ${c}: expected an integer in 0..${max}, got ${JSON.stringify(row[c])}`);
      }
      if (c < DIGITS_FEATURES) features[r * DIGITS_FEATURES + c] = v;
      else labels[r] = v;
    }
  });
  standardiseColumns(features, n, DIGITS_FEATURES);
  return { features, labels, examples: n };
}

/**
 * In place: each column of a row-major (rows, cols) matrix to zero mean and unit population variance;
 * a constant column becomes all zeros.
 */
export function standardiseColumns(x: Float64Array, rows: number, cols: number): void {
  for (let c = 0; c < cols; c++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += x[r * cols + c];
    mean /= rows;
    let variance = 0;
    for (let r = 0; r < rows; r++) variance += (x[r * cols + c] - mean) ** 2;
    const std = Math.sqrt(variance / rows);
    for (let r = 0; r < rows; r++) x[r * cols + c] = std > 0 ? (x[r * cols + c] - mean) / std : 0;
  }
}

let cached: Digits | null = null;

/** The shipped data set (parsed once, then cached). @throws DataError if the shipped file is damaged. */
export function loadDigits(): Digits {
  if (cached) return cached;
  const base64 = digitsDataUrl.slice(digitsDataUrl.indexOf(',') + 1);
  const gz = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  const digits = parseDigitsCsv(new TextDecoder().decode(gunzipSync(gz)));
  if (digits.examples !== DIGITS_EXAMPLES) throw new DataError(`digits: expected ${DIGITS_EXAMPLES} rows, got ${digits.examples}`);
  cached = digits;
  return digits;
}
