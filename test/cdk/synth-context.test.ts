/**
 * The `-c pricestream:key=value` context that `npm start` passes to the
 * synthesis (synthesize()'s context option) reaches the stack, through the
 * project's own CDK CLI, and a bad schedule stops the synthesis in one line.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SynthError, synthesize } from '../../local/assembly/synth.ts';
import { PROJECT_DIR } from '../../local/runtime.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function outDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pricestream-synth-context-'));
  dirs.push(dir);
  return dir;
}

describe('synthesize() with context', () => {
  it('gives the stack the schedules named on the command line', async () => {
    const dir = await outDir();

    await synthesize({
      projectDir: PROJECT_DIR,
      outDir: dir,
      context: {
        'pricestream:rollup.schedule': 'cron(* * * * ? *)',
        'pricestream:fetchSchedule': 'cron(0/10 8-17 ? * MON-FRI *)',
      },
    });
    const template = JSON.parse(
      await readFile(path.join(dir, 'Pricestream.template.json'), 'utf8'),
    );
    const expressions = Object.values(
      template.Resources as Record<
        string,
        { Type: string; Properties: { ScheduleExpression?: string } }
      >,
    )
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => r.Properties.ScheduleExpression)
      .sort();

    expect(expressions).toEqual([
      'cron(* * * * ? *)',
      'cron(* * * * ? *)',
      'cron(0/10 8-17 ? * MON-FRI *)',
    ]);
  });

  it('stops on a schedule EventBridge would refuse, naming the setting and the rule', async () => {
    const synth = synthesize({
      projectDir: PROJECT_DIR,
      outDir: await outDir(),
      context: { 'pricestream:rollup.schedule': 'cron(0 12 * * *)' },
    });

    await expect(synth).rejects.toBeInstanceOf(SynthError);
    await expect(synth).rejects.toThrow(
      'Invalid configuration "rollup.schedule": "cron(0 12 * * *)": cron() takes 6 fields (minutes hours day-of-month month day-of-week year), got 5',
    );
  });
});
