import { describe, expect, it } from 'vitest';
import { renderTable } from '../../local/shared/text-table.ts';

describe('renderTable', () => {
  it('aligns columns two spaces apart, numbers to the right, under a rule', () => {
    const lines = renderTable(
      [{ header: 'consumer' }, { header: 'records', align: 'right' }],
      [
        ['realtime', '1,234'],
        ['batch', '7'],
      ],
    );

    expect(lines).toEqual([
      'consumer  records',
      '────────  ───────',
      'realtime    1,234',
      'batch           7',
    ]);
  });

  it('centres group labels in a rule over the columns they span', () => {
    const lines = renderTable(
      [{ header: 'part' }, { header: 'avg', align: 'right' }, { header: 'p50', align: 'right' }],
      [['write', '4.4', '4.0']],
      {
        groups: [
          { label: '', span: 1 },
          { label: 'rt', span: 2 },
        ],
        indent: '  ',
      },
    );

    expect(lines[0]).toBe('         ── rt ──');
    expect(lines[1]).toBe('  part   avg  p50');
    expect(lines[0]?.length).toBe(lines[1]?.length);
  });

  it('widens a column to its longest cell and trims trailing spaces', () => {
    const lines = renderTable([{ header: 'a' }, { header: 'b' }], [['long cell', '']]);

    expect(lines).toEqual(['a          b', '─────────  ─', 'long cell']);
  });
});
