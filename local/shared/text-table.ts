/**
 * A small aligned-text table: a header, a rule, the rows; columns two spaces
 * apart; optional group labels over runs of columns ("realtime", "batch").
 * Enough for the reports of the commands and benchmarks without a table
 * dependency.
 */

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export interface Group {
  label: string;
  /** How many consecutive columns the label spans. */
  span: number;
}

const GAP = '  ';

export function renderTable(
  columns: Column[],
  rows: string[][],
  options: { groups?: Group[]; indent?: string } = {},
): string[] {
  const indent = options.indent ?? '';
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) =>
        columns[i]?.align === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join(GAP)
      .trimEnd();

  const out: string[] = [];
  if (options.groups) out.push(indent + groupLine(options.groups, widths).trimEnd());
  out.push(line(columns.map((c) => c.header)));
  out.push(line(widths.map((w) => '─'.repeat(w))));
  for (const row of rows) out.push(line(columns.map((_, i) => row[i] ?? '')));
  return out;
}

/** Each label centred in a ─ rule as wide as the columns it spans; blank labels stay blank. */
function groupLine(groups: Group[], widths: number[]): string {
  const parts: string[] = [];
  let column = 0;
  for (const group of groups) {
    const spanned = widths.slice(column, column + group.span);
    const width = spanned.reduce((sum, w) => sum + w, 0) + GAP.length * (spanned.length - 1);
    column += group.span;
    if (!group.label) {
      parts.push(' '.repeat(width));
      continue;
    }
    const label = ` ${group.label} `;
    const left = Math.max(0, Math.floor((width - label.length) / 2));
    parts.push('─'.repeat(left) + label + '─'.repeat(Math.max(0, width - left - label.length)));
  }
  return parts.join(GAP);
}
