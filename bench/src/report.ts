// The final table: each target with its figure, ratio and verdict.
import { fmt, fmtRatio, type Summary, summarize, table } from './stats.js';

export interface Verdict {
  figure: string;
  base: string;
  measured: string;
  ratio: string;
  target: string;
  verdict: 'PASS' | 'MISS' | 'n/a' | 'info';
}

export class Report {
  readonly rows: Verdict[] = [];
  readonly notes: string[] = [];

  /** A ratio target: `ratio` (a paired-ratio summary) judged by its median against `limit`. */
  ratio(
    figure: string,
    base: string,
    measured: string,
    ratios: number[],
    limit: number,
    direction: '<=' | '>=',
  ): Summary {
    const s = summarize(ratios);
    const pass = direction === '<=' ? s.median <= limit : s.median >= limit;
    this.rows.push({
      figure,
      base,
      measured,
      ratio: fmtRatio(s),
      target: `${direction} ${limit}×`,
      verdict: ratios.length ? (pass ? 'PASS' : 'MISS') : 'n/a',
    });
    return s;
  }

  /** An absolute target on a median. */
  absolute(figure: string, measured: Summary, unit: string, limit: number): void {
    this.rows.push({
      figure,
      base: '',
      measured: `${fmt(measured.median, 2)} ${unit} (${fmt(measured.min, 2)}–${fmt(measured.max, 2)})`,
      ratio: '',
      target: `< ${limit} ${unit}`,
      verdict: measured.n ? (measured.median < limit ? 'PASS' : 'MISS') : 'n/a',
    });
  }

  info(figure: string, base: string, measured: string, ratio = ''): void {
    this.rows.push({ figure, base, measured, ratio, target: '', verdict: 'info' });
  }

  missing(figure: string, why: string): void {
    this.rows.push({ figure, base: '', measured: why, ratio: '', target: '', verdict: 'n/a' });
  }

  render(): string {
    return table(
      ['figure', 'baseline', 'measured', 'ratio median (min–max)', 'target', 'verdict'],
      this.rows.map((r) => [r.figure, r.base, r.measured, r.ratio, r.target, r.verdict]),
    );
  }
}
