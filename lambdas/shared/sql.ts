import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The SQL the code runs lives in plain files under `sql/`. In a bundle the
 * stack copies that folder next to `index.mjs`; from source it is two levels
 * up. Both are resolved from this module's own URL, never the working directory.
 */
const candidates = [new URL('./sql/', import.meta.url), new URL('../../sql/', import.meta.url)];

export function sqlRoot(): string {
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(dir)) return dir;
  }
  throw new Error(`SQL folder not found (looked in ${candidates.map(String).join(', ')})`);
}

const cache = new Map<string, string>();

/** Reads `sql/<relativePath>` once per process. */
export function readSql(relativePath: string): string {
  let text = cache.get(relativePath);
  if (text === undefined) {
    text = readFileSync(`${sqlRoot()}${relativePath}`, 'utf8');
    cache.set(relativePath, text);
  }
  return text;
}
