// Alternating rounds and per-figure printing shared by the sections.
import { fmtRatio, fmtSummary, pairedRatios, summarize, table } from './stats.js';

/** Runs `rounds` rounds over the variants, reversing the order every other round (A B, B A, …). */
export async function alternate<V>(
  variants: readonly V[],
  rounds: number,
  run: (variant: V, round: number) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) await run(variant, round);
  }
}

/** Samples of several figures per variant, one value per round. */
export class Samples {
  readonly #values = new Map<string, Map<string, number[]>>();

  add(figure: string, variant: string, value: number): void {
    const byVariant = this.#values.get(figure) ?? new Map<string, number[]>();
    this.#values.set(figure, byVariant);
    byVariant.set(variant, [...(byVariant.get(variant) ?? []), value]);
  }

  get(figure: string, variant: string): number[] {
    return this.#values.get(figure)?.get(variant) ?? [];
  }

  ratios(figure: string, variant: string, base: string): number[] {
    return pairedRatios(this.get(figure, variant), this.get(figure, base));
  }

  /** A table of the figures: median (min–max) per variant (`only` those) and the paired ratio to `base`. */
  print(
    title: string,
    figures: readonly { key: string; label: string; digits?: number }[],
    base: string,
    only?: readonly string[],
  ) {
    const rows: string[][] = [];
    for (const { key, label, digits } of figures) {
      for (const [variant, values] of this.#values.get(key) ?? []) {
        if (only && !only.includes(variant)) continue;
        const ratio = variant === base ? '' : fmtRatio(summarize(this.ratios(key, variant, base)));
        rows.push([label, variant, fmtSummary(summarize(values), digits ?? 1), String(values.length), ratio]);
      }
    }
    console.log(`\n${title}`);
    console.log(table(['figure', 'variant', 'median (min–max)', 'n', `paired ratio to ${base}`], rows));
  }
}
