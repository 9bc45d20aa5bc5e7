/**
 * Captures what a handler prints on stdout (Powertools writes its EMF
 * documents there, as on Lambda) and picks out the EMF documents.
 */

export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

/** Runs `fn` with process.stdout captured; returns its result and the lines written. */
export async function captureStdout<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; lines: string[] }> {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = await fn();
    return { result, lines: chunks.join('').split('\n').filter(Boolean) };
  } finally {
    process.stdout.write = original;
  }
}

/** The lines that are EMF documents, parsed. */
export function emfDocuments(lines: string[]): EmfDocument[] {
  return lines
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument)
    .filter((doc) => Array.isArray(doc._aws?.CloudWatchMetrics));
}

/** Metric names of a document. */
export function metricNames(doc: EmfDocument): string[] {
  return doc._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name)).sort();
}
