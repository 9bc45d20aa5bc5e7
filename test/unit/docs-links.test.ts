/**
 * The README and docs/ link to each other and into the repository: every
 * relative link must name a file that exists and, with a #fragment, a
 * heading of that file (GitHub's slugs, from github-slugger). Links are read
 * with marked's lexer, so code blocks and code spans are not links.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { Lexer, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README_MAX_LINES = 250;

function markdownFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name));
  return ['README.md', ...docs];
}

function walk(tokens: readonly Token[], visit: (token: Token) => void): void {
  for (const token of tokens) {
    visit(token);
    const nested = token as { tokens?: Token[]; items?: Token[] };
    if (nested.tokens) walk(nested.tokens, visit);
    if (nested.items) walk(nested.items, visit);
    if (token.type === 'table') {
      const table = token as Tokens.Table;
      for (const cell of [...table.header, ...table.rows.flat()]) walk(cell.tokens, visit);
    }
  }
}

function parse(file: string): { links: string[]; anchors: Set<string> } {
  const tokens = new Lexer().lex(readFileSync(path.join(ROOT, file), 'utf8'));
  const slugger = new GithubSlugger();
  const links: string[] = [];
  const anchors = new Set<string>();
  walk(tokens, (token) => {
    if (token.type === 'heading') anchors.add(slugger.slug((token as Tokens.Heading).text));
    if (token.type === 'link' || token.type === 'image') links.push((token as Tokens.Link).href);
  });
  return { links, anchors };
}

/** What is wrong with each relative link of `file`, as "file: link (reason)". */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const link of parse(file).links) {
    if (/^[a-z]+:/i.test(link)) continue; // http(s), mailto
    const [target = '', fragment] = link.split('#');
    const resolved = target === '' ? file : path.join(path.dirname(file), target);
    if (!existsSync(path.join(ROOT, resolved))) {
      broken.push(`${file}: ${link} (no file ${resolved})`);
      continue;
    }
    if (fragment !== undefined && !parse(resolved).anchors.has(fragment)) {
      broken.push(`${file}: ${link} (no heading #${fragment} in ${resolved})`);
    }
  }
  return broken;
}

describe('the documentation', () => {
  it('links only to files and headings that exist', () => {
    const files = markdownFiles();

    const broken = files.flatMap(brokenLinks);

    expect(files.length).toBeGreaterThan(5);
    expect(broken).toEqual([]);
  });

  it('finds a link to a missing file and to a missing heading', () => {
    const links = parse('README.md').links;
    const relative = links.filter((link) => !/^[a-z]+:/i.test(link));

    expect(relative.length).toBeGreaterThan(5);
    expect(parse('docs/testing.md').anchors.size).toBeGreaterThan(0);
    expect(brokenLinks('test/fixtures/docs/broken-links.md')).toEqual([
      'test/fixtures/docs/broken-links.md: ../../../docs/nowhere.md (no file docs/nowhere.md)',
      'test/fixtures/docs/broken-links.md: ../../../README.md#no-such-heading (no heading #no-such-heading in README.md)',
      'test/fixtures/docs/broken-links.md: #missing (no heading #missing in test/fixtures/docs/broken-links.md)',
    ]);
  });

  it('keeps the README a front page', () => {
    const lines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length;

    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });
});
