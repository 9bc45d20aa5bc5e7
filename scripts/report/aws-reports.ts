/**
 * `--aws` for `npm run compare` and `npm run report`: the deployed stack's
 * reports function, found by its stack output and invoked with a named report
 * (never SQL). It runs the same report code, read-only, in the database's
 * network, which nothing outside the VPC reaches.
 *
 * Credentials, region and endpoints come from the SDK's usual chain
 * (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_CLOUDFORMATION, AWS_ENDPOINT_URL_LAMBDA).
 */
import { readFileSync } from 'node:fs';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { configFromContext } from '../../cdk/config.ts';
import { pipelineStackName } from '../../cdk/names.ts';
import type { CompareAnswer } from '../../lambdas/reports/handler.ts';
import type { CompareRequest } from '../../lambdas/reports/requests.ts';
import { EXIT } from './snapshot.ts';

/** The stack output that names the reports function. */
export const REPORTS_OUTPUT = 'ReportsFunctionName';

export class AwsReportError extends Error {
  override name = 'AwsReportError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface AwsReportOptions {
  /** The stage deployed with `-c pricestream:stage=NAME`. Default none. */
  stage?: string | undefined;
  request: Omit<CompareRequest, 'report'>;
  cloudFormation?: CloudFormationClient;
  lambda?: LambdaClient;
}

/** The pipeline stack's name for a stage, from cdk.json's configuration (stackName). */
export function deployedStackName(stage: string | undefined): string {
  const { context } = JSON.parse(
    readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
  ) as { context: Record<string, unknown> };
  const config = configFromContext((key) => context[key]);
  return pipelineStackName({ stackName: config.stackName, stage: stage ?? config.stage });
}

export async function awsCompare(
  options: AwsReportOptions,
): Promise<CompareAnswer & { stackName: string; functionName: string }> {
  const stackName = deployedStackName(options.stage);
  const cloudFormation = options.cloudFormation ?? new CloudFormationClient({});
  const lambda = options.lambda ?? new LambdaClient({});
  try {
    const functionName = await reportsFunction(cloudFormation, stackName);
    const request: CompareRequest = { report: 'compare', ...options.request };
    let answer: InvokeCommandOutput;
    try {
      answer = await lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(request)),
        }),
      );
    } catch (error) {
      throw new AwsReportError(
        `Could not invoke ${functionName} (${(error as Error).name}: ${(error as Error).message})`,
        EXIT.unreachable,
      );
    }
    const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : 'null';
    if (answer.FunctionError) {
      const error = safeJson(text) as { errorType?: string; errorMessage?: string } | null;
      const message = error?.errorMessage ?? text;
      if (error?.errorType === 'ReportRequestError') {
        throw new AwsReportError(message, EXIT.badArguments);
      }
      throw new AwsReportError(
        `The reports function ${functionName} failed (${error?.errorType ?? answer.FunctionError}): ${message}`,
        EXIT.failed,
      );
    }
    return { ...(safeJson(text) as CompareAnswer), stackName, functionName };
  } finally {
    if (!options.cloudFormation) cloudFormation.destroy();
    if (!options.lambda) lambda.destroy();
  }
}

async function reportsFunction(client: CloudFormationClient, stackName: string): Promise<string> {
  const region = await client.config.region();
  let outputs: Array<{ OutputKey?: string; OutputValue?: string }>;
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    const { name, message } = error as Error;
    if (name === 'ValidationError' && /does not exist/.test(message)) {
      throw new AwsReportError(
        `No stack ${stackName} in ${region}: deploy it (npm run deploy), or name its stage with --stage`,
        EXIT.unreachable,
      );
    }
    throw new AwsReportError(
      `CloudFormation did not describe ${stackName} in ${region} (${name}: ${message})`,
      EXIT.unreachable,
    );
  }
  const name = outputs.find((o) => o.OutputKey === REPORTS_OUTPUT)?.OutputValue;
  if (!name) {
    throw new AwsReportError(
      `Stack ${stackName} has no ${REPORTS_OUTPUT} output: deploy this version (npm run deploy)`,
      EXIT.unreachable,
    );
  }
  return name;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
