import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * SHA-256 over the names and contents of the `*.sql` files in `dir`, in name order.
 * The migrations custom resource carries it as a property, so CloudFormation
 * updates the resource (and re-runs the migrate function) exactly when the SQL changes.
 */
export function hashMigrations(dir: string): string {
  const hash = createHash('sha256');
  for (const name of migrationFiles(dir)) {
    // NUL separators keep ("a", "bc") and ("ab", "c") apart.
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(dir, name)))
      .update('\0');
  }
  return hash.digest('hex');
}

/** The `*.sql` file names in `dir`, sorted the way the migrate function applies them. */
export function migrationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.sql'))
    .map((entry) => entry.name)
    .sort();
}
