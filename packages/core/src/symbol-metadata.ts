// TC39 decorators hand `context.metadata` only when `Symbol.metadata` exists, and Node 20 has none.
// The same registered symbol esbuild falls back to, so code built by tsc, esbuild or both agrees.
const symbols = Symbol as { metadata?: symbol };
symbols.metadata ??= Symbol.for('Symbol.metadata');

/** `Symbol.metadata`, polyfilled on Node versions that lack it. */
export const SYMBOL_METADATA: symbol = symbols.metadata;
