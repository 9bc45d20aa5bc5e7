/**
 * A vitest reporter that prints, after the summary, each project's time (from
 * its first file's start to its last file's end) and the ten slowest test
 * files, and writes every file's time to test-results/file-durations.json, so
 * the suite's time is in front of whoever runs it and can be compared run to
 * run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export interface FileDuration {
  project: string;
  file: string;
  /** Environment, import and hooks included, ms. */
  ms: number;
  /** When it ended, ms since the run started. */
  endMs: number;
  tests: number;
  state: string;
}

/** A test file's whole time: its set-up and import as well as its tests and hooks. */
export function fileMs(module: TestModule): number {
  const d = module.diagnostic();
  return (
    d.environmentSetupDuration +
    d.prepareDuration +
    d.collectDuration +
    d.setupDuration +
    d.duration
  );
}

/** Per project: files, tests, and the time from its first file's start to its last file's end. */
export function projectSpans(
  files: readonly FileDuration[],
): Array<{ project: string; files: number; tests: number; ms: number }> {
  const byProject = new Map<string, FileDuration[]>();
  for (const file of files)
    byProject.set(file.project, [...(byProject.get(file.project) ?? []), file]);
  return [...byProject.entries()].map(([project, list]) => ({
    project,
    files: list.length,
    tests: list.reduce((sum, f) => sum + f.tests, 0),
    ms: Math.max(...list.map((f) => f.endMs)) - Math.min(...list.map((f) => f.endMs - f.ms)),
  }));
}

export function renderDurations(files: readonly FileDuration[], wallMs: number, top = 10): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(8);
  const lines = [
    '',
    ` Projects (first file's start to last file's end; the whole run ${seconds(wallMs).trim()}):`,
  ];
  for (const p of projectSpans(files)) {
    lines.push(`   ${p.project.padEnd(12)}${seconds(p.ms)}  ${p.files} files, ${p.tests} tests`);
  }
  lines.push(` The ${top} slowest test files:`);
  for (const f of [...files].sort((a, b) => b.ms - a.ms).slice(0, top)) {
    lines.push(
      `   ${seconds(f.ms)}  ${f.project.padEnd(12)}${f.file}${f.state === 'passed' ? '' : ` (${f.state})`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export default class SlowestFiles implements Reporter {
  private started = Date.now();
  private readonly ended = new Map<string, number>();
  private root = process.cwd();

  onInit(vitest: { config: { root: string } }): void {
    this.root = vitest.config.root;
  }

  onTestRunStart(): void {
    this.started = Date.now();
    this.ended.clear();
  }

  onTestModuleEnd(module: TestModule): void {
    this.ended.set(module.id, Date.now() - this.started);
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>): Promise<void> {
    const wallMs = Date.now() - this.started;
    const files: FileDuration[] = modules.map((module) => ({
      project: module.project.name,
      file: path.relative(this.root, module.moduleId),
      ms: Math.round(fileMs(module)),
      endMs: this.ended.get(module.id) ?? wallMs,
      tests: [...module.children.allTests()].length,
      state: module.state(),
    }));
    if (files.length === 0) return;
    process.stdout.write(renderDurations(files, wallMs));
    const out = path.join(this.root, 'test-results', 'file-durations.json');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify({ wallMs, files }, null, 2)}\n`);
  }
}
