/**
 * npm run fire: fires a schedule rule of the stack now, with what its targets
 * get on schedule. See `npm run fire -- --help`.
 */
import { findRule, targetEvent, UnknownRuleError } from '../local/eventbridge/scheduler.ts';
import { DEFAULT_LAMBDA_API_PORT } from '../local/lambda/invoke-api.ts';
import {
  EXIT,
  InvokeError,
  invokeStandalone,
  invokeThroughApi,
  noRuntimeForAsync,
  type Outcome,
  parseCommandLine,
  printOutcome,
  readStack,
  runCli,
  terminal,
} from './invoke/client.ts';

const USAGE = `Usage: npm run fire -- RULE [--async]

Fires a schedule rule of the stack now, outside its schedule: each of its
targets is invoked with what it gets on schedule (the rule's Input, e.g.
{"granularity":"10m"} for a rollup, or a Scheduled Event of now), and its log
(stderr) and result (stdout) are printed. The rule's own schedule goes on as
before.

With npm start running, through its Lambda Invoke API (127.0.0.1:${DEFAULT_LAMBDA_API_PORT}, or
PRICESTREAM_LAMBDA_PORT); with none, each target runs from the synthesized
stack (cdk.out, or PRICESTREAM_CDK_OUT) on its own, as npm run invoke does.
A fetch runs for its whole period (a minute by default) before it answers.

  RULE        the rule's short name (FetchSchedule, Rollup10mSchedule,
              Rollup1hSchedule), logical id, name or ARN
  --async     queue the invocations (InvocationType Event, as EventBridge
              invokes) and return (a running npm start only)
  -h, --help  show this help

Exit codes: 0 every target succeeded (or was queued); 1 one failed; 2 bad
arguments; 3 it could not be fired (no such rule, no synthesized stack).`;

interface Options {
  rule: string;
  async: boolean;
}

function parseOptions(argv: string[]): Options | 'help' {
  const parsed = parseCommandLine(argv, 'RULE');
  return parsed === 'help' ? parsed : { rule: parsed.name, async: parsed.async };
}

async function fire(options: Options): Promise<number> {
  const stack = await readStack();
  if (!stack) {
    throw new InvokeError(
      'there is no synthesized stack (cdk.out) to find the rule in: run npm start or npm run synth',
    );
  }
  let rule: ReturnType<typeof findRule>;
  try {
    rule = findRule(stack.model.rules, options.rule);
  } catch (error) {
    if (error instanceof UnknownRuleError) throw new InvokeError(error.message);
    throw error;
  }
  let exit: number = EXIT.ok;
  let standalone = false;
  const at = new Date();
  for (const target of rule.targets) {
    const fn = stack.functions.find((f) => f.logicalId === target.functionLogicalId);
    if (!fn?.hosted) {
      throw new InvokeError(
        `${rule.displayName}'s target ${fn?.name ?? target.functionLogicalId} does not run locally`,
      );
    }
    const event = targetEvent(rule, target, stack.model, at);
    let outcome: Outcome | undefined;
    if (!standalone) {
      outcome = await invokeThroughApi(fn.functionName, event, {
        async: options.async,
        region: stack.model.region,
      });
    }
    if (!outcome) {
      if (options.async) throw noRuntimeForAsync();
      standalone = true;
      outcome = await invokeStandalone(fn, stack, event);
    }
    exit = Math.max(exit, printOutcome(`${rule.displayName} → ${fn.name}`, outcome, terminal));
  }
  return exit;
}

process.exitCode = await runCli('fire', USAGE, () => parseOptions(process.argv.slice(2)), fire);
