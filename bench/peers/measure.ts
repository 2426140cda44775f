/**
 * How the peer bench measures: interleaved repetitions (A B C A B C …, so that a slow drift of the machine —
 * thermal, another process — hits every contender alike), summarised as median with min–max. A contender's result
 * is checked against float64 before it is timed; one that does not match, or cannot run, is reported with the
 * reason instead of a time (an Outcome).
 */

/** Median, min and max of repeated measurements, and how many there were. */
export interface Sample {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Summarise measurements. @throws RangeError for none. */
export function summarize(xs: readonly number[]): Sample {
  if (xs.length === 0) throw new RangeError('summarize: no measurements');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs: s.length };
}

/** `f` applied to a sample (a decreasing f, e.g. time → rate, swaps min and max). */
export function mapSample(s: Sample, f: (x: number) => number): Sample {
  const [a, b] = [f(s.min), f(s.max)];
  return { median: f(s.median), min: Math.min(a, b), max: Math.max(a, b), runs: s.runs };
}

/** What became of a contender: timed (milliseconds per operation), or not, with the reason. */
export type Outcome =
  | { status: 'timed'; ms: Sample; /** relative error to float64 (‖Δ‖/‖ref‖ for products, |ΔJ|/|J| for steps) */ error: number }
  | { status: 'mismatch'; error: number; reason: string }
  | { status: 'failed'; reason: string };

/** One contender of an interleaved measurement: `once` does one timed unit of work and resolves when it is done. */
export interface Timed {
  readonly name: string;
  once(): Promise<void>;
}

/** How many rounds: at least `min`, at most `max`, and no new round once `budgetMs` have passed. */
export interface Rounds {
  min: number;
  max: number;
  budgetMs: number;
}

/**
 * Run rounds of every contender in turn (A B C A B C …) and return each one's wall-clock milliseconds per call,
 * divided by `per` (operations per call). A contender that throws stops being measured; its error is returned.
 */
export async function interleave(contenders: readonly Timed[], rounds: Rounds, per = 1): Promise<Map<string, { ms: number[]; error?: string }>> {
  const out = new Map(contenders.map((c) => [c.name, { ms: [] as number[], error: undefined as string | undefined }]));
  const start = performance.now();
  for (let r = 0; r < rounds.max && (r < rounds.min || performance.now() - start < rounds.budgetMs); r++) {
    for (const c of contenders) {
      const entry = out.get(c.name)!;
      if (entry.error !== undefined) continue;
      try {
        const t0 = performance.now();
        await c.once();
        entry.ms.push((performance.now() - t0) / per);
      } catch (e) {
        entry.error = errorText(e);
      }
    }
  }
  return out;
}

/** One line for an error: its message without the stack, at most 160 characters. */
export function errorText(e: unknown): string {
  const text = (e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e)).split('\n')[0];
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** Relative error ‖got − ref‖₂/‖ref‖₂ (NaN if any value is not finite; ∞ for a length mismatch). */
export function relativeError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) return Infinity;
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (got[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

/** Hand the event loop a turn (progress output, the page), between long measurements. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
