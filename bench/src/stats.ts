// Summaries of repeated measurements: medians and ranges rather than means, because on a shared
// machine a single slow round says something about the neighbours, not about the code.

/** The q-quantile (0..1) of `values`, by nearest rank on a sorted copy. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: readonly number[]): Summary {
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    n: values.length,
  };
}

/** Ratios of round i of `variant` to round i of `base`: the pairs ran back to back. */
export function pairedRatios(variant: readonly number[], base: readonly number[]): number[] {
  const n = Math.min(variant.length, base.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(variant[i]! / base[i]!);
  return ratios;
}

export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs >= 100_000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  return value.toFixed(digits);
}

export function fmtSummary(s: Summary, digits = 1): string {
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

export function fmtRatio(s: Summary): string {
  if (!Number.isFinite(s.median)) return 'n/a';
  return `${s.median.toFixed(3)}× (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
}

/** Renders rows as an aligned text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function fmtMedian(values: readonly number[], digits = 2): string {
  return fmt(median(values), digits);
}
