import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Architecture, Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PricestreamConfig } from '../config.ts';
import type { Network } from '../database-binding.ts';
import { LAMBDA_NODE_RUNTIME, NODE_MAJOR } from '../node-version.ts';
import { LOCK_FILE, lambdaEntry, REPO_ROOT } from '../paths.ts';

export interface PricestreamFunctionProps {
  /** The folder under `lambdas/` whose `index.ts` exports `handler`; also the Powertools service name. */
  readonly name: string;
  readonly config: PricestreamConfig;
  /** Function timeout. */
  readonly timeout: Duration;
  /** Memory in MB. @default 256 */
  readonly memorySize?: number;
  /** Variables on top of the ones every function gets. @default none */
  readonly environment?: Record<string, string>;
  /**
   * A folder shipped as `sql/` next to `index.mjs`, where `lambdas/shared/sql.ts` looks
   * first (`new URL('./sql/', import.meta.url)`). @default nothing shipped
   */
  readonly sqlDir?: string;
  readonly description?: string;
  /** Run in these subnets (to reach the database). @default outside any VPC */
  readonly network?: Network;
}

/**
 * A function of this project: Node.js 24 on arm64, bundled by esbuild as ESM with
 * source maps, a two-week log group that goes away with the stack, and the
 * Powertools variables set. The handler is `lambdas/<name>/index.ts`.
 */
export class PricestreamFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PricestreamFunctionProps) {
    const { name, config } = props;
    super(scope, id, {
      entry: lambdaEntry(name),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      runtime: new Runtime(LAMBDA_NODE_RUNTIME, RuntimeFamily.NODEJS, { supportsInlineCode: true }),
      architecture: Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 256,
      description: props.description,
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: props.network.subnets,
            ...(props.network.securityGroups
              ? { securityGroups: props.network.securityGroups }
              : {}),
          }
        : {}),
      logGroup: new LogGroup(scope, `${id}Logs`, {
        retention: RetentionDays.TWO_WEEKS,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        LOG_LEVEL: config.logLevel,
        POWERTOOLS_SERVICE_NAME: name,
        POWERTOOLS_METRICS_NAMESPACE: config.metricsNamespace,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: `node${NODE_MAJOR}`,
        sourceMap: true,
        sourcesContent: false,
        minify: true,
        mainFields: ['module', 'main'],
        // ESM output has no `require`; CommonJS dependencies (pg) still call it.
        banner:
          "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        // The SDK goes into the bundle: the version the tests ran with, not whichever
        // one the Lambda runtime ships, and a bundle that runs anywhere (the local
        // runtime runs it from any folder). pg-native is pg's optional native binding.
        bundleAwsSDK: true,
        externalModules: ['pg-native'],
        commandHooks: props.sqlDir === undefined ? undefined : shipFolder(props.sqlDir, 'sql'),
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWSLambdaBasicExecutionRole only lets the function write its own logs; it is what the Lambda construct attaches, and a hand-written copy would drift from it.',
    });
    if (props.network) {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'AWSLambdaVPCAccessExecutionRole only lets Lambda manage the network interfaces of a function placed in the VPC; the Lambda construct attaches it for that.',
      });
    }
  }
}

/** Copies `source` into the bundle as `<name>/` (POSIX shell, as local esbuild bundling runs it). */
function shipFolder(source: string, name: string): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => [
      `mkdir -p "${outputDir}/${name}"`,
      `cp -R "${source}/." "${outputDir}/${name}"`,
    ],
  };
}
