/**
 * The figures of the Flink/Spark study this product grew from, drawn as
 * reference marks next to what the study measures.
 */
export const ORIGINAL_STUDY = {
  flink: { label: 'Flink (original study)', avgMs: 2_230, p50Ms: 1_500, p95Ms: 3_500 },
  spark: { label: 'Spark (original study)', avgMs: 8_830, p95Ms: 14_000 },
  recordsPerMinute: 26,
} as const;
