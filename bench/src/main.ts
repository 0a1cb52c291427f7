// Placeholder: written with the benchmarks issue in this session.
export {};
