import { join } from 'node:path';
import {
  CfnOutput,
  CrossStackReferences,
  CustomResource,
  Duration,
  ReferenceStrength,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamConsumer, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { MetricType, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import {
  KinesisConsumerEventSource,
  KinesisEventSource,
  type KinesisEventSourceProps,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Provider } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { type ConsumerConfig, fetchPeriodSeconds, type PricestreamConfig } from './config.ts';
import { PricestreamFunction } from './constructs/pricestream-function.ts';
import { S3DeadLetters } from './constructs/s3-dead-letters.ts';
import { type DashboardResources, renderCloudWatchDashboard } from './dashboard/cloudwatch.ts';
import { PipelineAlarms } from './dashboard/cloudwatch-alarms.ts';
import { bindDatabase, type DatabaseAccess, type Network, networkOf } from './database-binding.ts';
import { hashMigrations } from './migrations-hash.ts';
import { dashboardName, streamName } from './names.ts';
import { SQL_DIR } from './paths.ts';

export interface PricestreamStackProps extends StackProps {
  readonly config: PricestreamConfig;
  /** How the functions reach PostgreSQL: the stateful stack's Aurora, a secret, or a URL. */
  readonly database: DatabaseAccess;
  /**
   * The SQL folder shipped with the database functions; its `migrations/` are hashed
   * into the migrations custom resource. @default `<repo>/sql`
   */
  readonly sqlDir?: string;
}

/**
 * The whole pipeline, in the order data flows through it:
 *
 *   schedule ─▶ fetch-prices ─▶ Kinesis "prices" ─┬─▶ realtime-consumer (batch 1)   ─▶ PostgreSQL
 *                                                 └─▶ batch-consumer (batch 1000, 15 s) ─▶ PostgreSQL
 *                                                          (what they give up on ─▶ S3 dead letters)
 *
 * with the database schema applied by a migrations custom resource before any
 * of it runs, and alarms and a dashboard watching it. The database itself is
 * not here: the stateful stack (or an external database) is handed in, so
 * this stack can be destroyed and deployed again without touching the data.
 * Functions that use the database run in its network; fetch-prices, which
 * needs the internet and not the database, runs outside.
 */
export class PricestreamStack extends Stack {
  readonly stream: Stream;
  readonly fetchPrices: PricestreamFunction;
  readonly realtimeConsumer: PricestreamFunction;
  readonly batchConsumer: PricestreamFunction;
  readonly migrate: PricestreamFunction;
  readonly migrations: CustomResource;
  /** Serves the dashboard's custom widgets and the named reports (`npm run compare -- --aws`). */
  readonly reports: PricestreamFunction;

  readonly deadLetterBucket: Bucket;

  private readonly config: PricestreamConfig;
  private readonly sqlDir: string;
  private readonly database: DatabaseAccess;
  private readonly network: Network | undefined;

  constructor(scope: Construct, id: string, props: PricestreamStackProps) {
    super(scope, id, props);
    // What this stack takes from the data stack (endpoints, subnets, security
    // groups, connect ARNs) it imports from exports, whatever the app's
    // default: CloudFormation then refuses a data-stack update that would
    // change or delete a value in use here, instead of leaving these functions
    // on a stale endpoint or deleting a security group under their network
    // interfaces (Fn::GetStackOutput is resolved once and never followed).
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    this.config = props.config;
    this.sqlDir = props.sqlDir ?? SQL_DIR;
    this.database = props.database;
    this.network = networkOf(this, props.database);

    this.stream = this.priceStream();
    const { fn: fetchPrices, schedule } = this.producer(this.stream);
    this.fetchPrices = fetchPrices;

    this.deadLetterBucket = this.deadLetters();
    const realtime = this.consumer('Realtime', 'realtime-consumer', this.config.realtime);
    const batch = this.consumer('Batch', 'batch-consumer', this.config.batch);
    this.realtimeConsumer = realtime.fn;
    this.batchConsumer = batch.fn;

    const schema = this.databaseSchema();
    this.migrate = schema.fn;
    this.migrations = schema.migrations;
    // The tables exist before the first record is fetched or consumed.
    for (const dependent of [schedule, realtime.fn, batch.fn]) {
      dependent.node.addDependency(this.migrations);
    }

    // Later stages (gold rollup schedules, the CloudWatch dashboard, optional Timestream)
    // go here, each as one more private method reading the same configuration.
    this.goldRollups();
    this.timestreamMirror(realtime.fn);
    this.reports = this.reportsFunction();
    this.monitoring({ realtime: realtime.mappingId, batch: batch.mappingId });
    this.outputs();
  }

  /** The Kinesis stream both consumers read; records are keyed by symbol. */
  private priceStream(): Stream {
    const { streamMode, shardCount, retentionHours } = this.config;
    return new Stream(this, 'Prices', {
      streamName: streamName(this.config),
      ...(streamMode === 'on-demand'
        ? { streamMode: StreamMode.ON_DEMAND }
        : { streamMode: StreamMode.PROVISIONED, shardCount }),
      retentionPeriod: Duration.hours(retentionHours),
      encryption: StreamEncryption.MANAGED,
      // Records are transient and the name is chosen: a retained stream would block the next deploy.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** fetch-prices, invoked on `fetchSchedule`, ticking every `pollIntervalSeconds` inside. */
  private producer(stream: Stream): { fn: PricestreamFunction; schedule: Rule } {
    const c = this.config;
    const periodSeconds = fetchPeriodSeconds(c.fetchSchedule);
    const fn = new PricestreamFunction(this, 'FetchPrices', {
      name: 'fetch-prices',
      config: c,
      description: 'Fetches prices and puts them on the stream',
      // One invocation covers one schedule period; the margin lets the last tick finish.
      timeout: Duration.seconds(periodSeconds + 15),
      memorySize: 256,
      environment: {
        STREAM_NAME: stream.streamName,
        SYMBOLS: c.symbols.join(','),
        PRICE_SOURCE: c.priceSource,
        COINBASE_BASE_URL: c.coinbaseBaseUrl,
        COINBASE_TIMEOUT_MS: String(c.coinbaseTimeoutMs),
        POLL_INTERVAL_SECONDS: String(c.pollIntervalSeconds),
        SCHEDULE_PERIOD_SECONDS: String(periodSeconds),
        SIM_SEED: String(c.simSeed),
      },
    });
    stream.grantWrite(fn);

    const schedule = new Rule(this, 'FetchSchedule', {
      description: 'Starts fetch-prices once per schedule period',
      schedule: Schedule.expression(c.fetchSchedule),
      targets: [new LambdaFunction(fn)],
    });
    return { fn, schedule };
  }

  /**
   * Where both mappings send what they give up on: Lambda writes the whole
   * invocation record, the batch's records included, as one JSON object per
   * failed batch under `aws/lambda/<mapping UUID>/<shard id>/YYYY/MM/DD/`. The
   * stream keeps records 24 h; the bucket keeps them `deadLetterRetentionDays`.
   * Kept when the stack is deleted: it may hold records no table has yet.
   */
  private deadLetters(): Bucket {
    const bucket = new Bucket(this, 'DeadLetters', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(this.config.deadLetterRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'No server access logs: only the two event source mappings write here and the redrive command reads; CloudTrail records who did, and a log bucket would need a log bucket of its own.',
    });
    return bucket;
  }

  /**
   * A consumer of the price stream with its event source mapping, which sends
   * what it gives up on to the dead-letter bucket. Both consumers are built
   * here, so they differ only in their settings.
   */
  private consumer(
    prefix: 'Realtime' | 'Batch',
    name: string,
    settings: ConsumerConfig,
  ): { fn: PricestreamFunction; mappingId: string } {
    const fn = new PricestreamFunction(this, `${prefix}Consumer`, {
      name,
      config: this.config,
      description: `Writes price records to PostgreSQL (${prefix.toLowerCase()} consumer)`,
      timeout: Duration.seconds(settings.timeoutSeconds),
      memorySize: settings.memoryMb,
      sqlDir: this.sqlDir,
      ...(this.network ? { network: this.network } : {}),
    });
    bindDatabase(fn, this.database, this.config.databaseSsl, 'pipeline');

    const mapping: KinesisEventSourceProps = {
      batchSize: settings.batchSize,
      maxBatchingWindow:
        settings.batchingWindowSeconds > 0
          ? Duration.seconds(settings.batchingWindowSeconds)
          : undefined,
      parallelizationFactor: settings.parallelizationFactor,
      // -1 (retry until the record expires) is a value CloudFormation takes as is.
      retryAttempts: settings.maxRetryAttempts,
      // -1 (never too old) is CloudFormation's default; a Duration cannot say it, so omit it.
      maxRecordAge:
        settings.maxRecordAgeSeconds === -1
          ? undefined
          : Duration.seconds(settings.maxRecordAgeSeconds),
      bisectBatchOnError: settings.bisectOnError,
      startingPosition: StartingPosition[settings.startingPosition],
      reportBatchItemFailures: true,
      onFailure: new S3DeadLetters(this.deadLetterBucket),
      // OnFailureDestinationDeliveredEventCount, which the dead-letter alarm watches.
      metricsConfig: { metrics: [MetricType.EVENT_COUNT] },
    };
    const source = settings.enhancedFanOut
      ? new KinesisConsumerEventSource(this.enhancedFanOut(prefix, name), mapping)
      : new KinesisEventSource(this.stream, mapping);
    fn.addEventSource(source);
    return { fn, mappingId: source.eventSourceMappingId };
  }

  /**
   * A registered stream consumer (enhanced fan-out): Lambda reads the shards
   * through SubscribeToShard with a dedicated 2 MB/s per shard, and records are
   * pushed as they arrive instead of polled about once a second. The function
   * is granted SubscribeToShard and DescribeStreamConsumer on the consumer (and
   * read on the stream) by the event source.
   */
  private enhancedFanOut(prefix: 'Realtime' | 'Batch', name: string): StreamConsumer {
    return new StreamConsumer(this, `${prefix}StreamConsumer`, {
      stream: this.stream,
      streamConsumerName: name,
    });
  }

  /**
   * The PostgreSQL schema: the migrate function runs on every deploy whose SQL changed,
   * because the custom resource's MigrationsHash property changes with it.
   */
  private databaseSchema(): {
    fn: PricestreamFunction;
    migrations: CustomResource;
  } {
    const fn = new PricestreamFunction(this, 'Migrate', {
      name: 'migrate',
      config: this.config,
      description: 'Applies the SQL migrations (custom resource handler)',
      // Waits for a database that is not serving yet (a new proxy, a paused
      // cluster), then applies; the Provider framework waits up to 15 minutes.
      timeout: Duration.minutes(10),
      sqlDir: this.sqlDir,
      ...(this.network ? { network: this.network } : {}),
    });
    bindDatabase(fn, this.database, this.config.databaseSsl, 'migrate');

    const provider = new Provider(this, 'MigrateProvider', {
      onEventHandler: fn,
      logGroup: new LogGroup(this, 'MigrateProviderLogs', {
        retention: RetentionDays.TWO_WEEKS,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'The CDK custom resource framework’s own function: AWSLambdaBasicExecutionRole only lets it write its logs.',
    });
    Validations.of(provider).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
      reason:
        'The framework may invoke any version of the migrate function (its ARN followed by :*), and nothing else.',
    });
    const migrations = new CustomResource(this, 'Migrations', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::Migrations',
      properties: { MigrationsHash: hashMigrations(join(this.sqlDir, 'migrations')) },
    });
    return { fn, migrations };
  }

  /**
   * The gold rollups: one function, run for each granularity by its own rule
   * on `rollup.schedule`, the granularity in the rule's Input. Each run
   * recomputes the buckets touched since its high-water mark (kept in the
   * database), so a missed or failed run is caught up by the next one.
   */
  private goldRollups(): void {
    const { rollup } = this.config;
    const fn = new PricestreamFunction(this, 'Rollup', {
      name: 'rollup',
      config: this.config,
      description: 'Rolls silver prices up into the gold 10-minute and hourly tables',
      timeout: Duration.seconds(rollup.timeoutSeconds),
      environment: { ROLLUP_SOURCE_CONSUMER: rollup.sourceConsumer },
      sqlDir: this.sqlDir,
      ...(this.network ? { network: this.network } : {}),
    });
    bindDatabase(fn, this.database, this.config.databaseSsl, 'pipeline');

    for (const [id, granularity, label] of [
      ['Rollup10mSchedule', '10m', '10-minute'],
      ['Rollup1hSchedule', '1h', 'hourly'],
    ] as const) {
      const rule = new Rule(this, id, {
        description: `Runs the ${label} gold rollup`,
        schedule: Schedule.expression(rollup.schedule),
        targets: [new LambdaFunction(fn, { event: RuleTargetInput.fromObject({ granularity }) })],
      });
      // The gold tables exist before the first run.
      rule.node.addDependency(this.migrations);
    }
    new CfnOutput(this, 'RollupFunctionName', {
      value: fn.functionName,
      description: 'rollup',
    });
  }

  /**
   * The optional Timestream mirror of the realtime consumer (off by default:
   * Timestream for LiveAnalytics is closed to new AWS customers). When on, the
   * function gets the table's names and may write to that table only, plus
   * DescribeEndpoints, which endpoint discovery calls and which has no resource.
   * The database and table are not created here: they must exist.
   */
  private timestreamMirror(fn: PricestreamFunction): void {
    const { timestream } = this.config;
    if (!timestream.enabled) return;
    fn.addEnvironment('TIMESTREAM_DATABASE_NAME', timestream.databaseName);
    fn.addEnvironment('TIMESTREAM_TABLE_NAME', timestream.tableName);
    if (timestream.endpoint) fn.addEnvironment('TIMESTREAM_ENDPOINT', timestream.endpoint);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['timestream:WriteRecords'],
        resources: [
          this.formatArn({
            service: 'timestream',
            resource: 'database',
            resourceName: `${timestream.databaseName}/table/${timestream.tableName}`,
          }),
        ],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['timestream:DescribeEndpoints'], resources: ['*'] }),
    );
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'timestream:DescribeEndpoints (endpoint discovery) has no resource-level permissions; writes are granted on the one table.',
    });
  }

  /**
   * The reports function: in the database's network as the read-only user,
   * it runs the named queries of the dashboard's data widgets (as the
   * CloudWatch dashboard's custom widgets, returning HTML) and the named
   * reports of `npm run compare -- --aws` and `npm run report -- --aws`. It
   * takes a widget id or a report name, never SQL.
   */
  private reportsFunction(): PricestreamFunction {
    const network = networkOf(this, this.database, 'reports');
    const { realtime, batch } = this.config;
    const fn = new PricestreamFunction(this, 'Reports', {
      name: 'reports',
      config: this.config,
      description: 'Dashboard custom widgets and named reports, read-only',
      timeout: Duration.seconds(30),
      memorySize: 512,
      sqlDir: this.sqlDir,
      environment: {
        // What a report needs to tell records in flight from missing ones.
        REALTIME_BATCHING_WINDOW_SECONDS: String(realtime.batchingWindowSeconds),
        BATCH_BATCHING_WINDOW_SECONDS: String(batch.batchingWindowSeconds),
      },
      ...(network ? { network } : {}),
    });
    bindDatabase(fn, this.database, this.config.databaseSsl, 'reports');
    return fn;
  }

  /**
   * Alarms to an SNS topic, and the CloudWatch dashboard, both rendered from
   * the definition the local dashboard also reads (cdk/dashboard/definition.ts).
   * Data widgets become custom widgets served by the reports function, or
   * Logs Insights queries over the functions' structured logs.
   */
  private monitoring(mappingIds: Record<'realtime' | 'batch', string>): void {
    const rollup = this.node.tryFindChild('Rollup') as PricestreamFunction | undefined;
    const resources: DashboardResources = {
      namespace: this.config.metricsNamespace,
      functionNames: {
        'fetch-prices': this.fetchPrices.functionName,
        'realtime-consumer': this.realtimeConsumer.functionName,
        'batch-consumer': this.batchConsumer.functionName,
        ...(rollup ? { rollup: rollup.functionName } : {}),
      },
      streamName: this.stream.streamName,
      mappingIds,
      symbols: this.config.symbols,
      timestreamEnabled: this.config.timestream.enabled,
      reportsFunction: this.reports,
      logGroups: {
        'fetch-prices': this.fetchPrices.logGroup.logGroupName,
        'realtime-consumer': this.realtimeConsumer.logGroup.logGroupName,
        'batch-consumer': this.batchConsumer.logGroup.logGroupName,
        ...(rollup ? { rollup: rollup.logGroup.logGroupName } : {}),
      },
    };
    const alarms = new PipelineAlarms(this, 'Alarms', {
      resources,
      email: this.config.alarmEmail,
    });
    const dashboard = renderCloudWatchDashboard(
      this,
      'Dashboard',
      dashboardName(this.config, this.region),
      { ...resources, alarms: alarms.alarms },
    );
    new CfnOutput(this, 'DashboardName', {
      value: dashboard.dashboardName,
      description: 'CloudWatch dashboard',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: alarms.topic.topicArn,
      description: 'SNS topic the alarms notify (subscribe to it for notifications)',
    });
  }

  private outputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('StreamName', this.stream.streamName, 'Kinesis stream of price events');
    output('StreamArn', this.stream.streamArn, 'Kinesis stream of price events');
    output(
      'DeadLetterBucketName',
      this.deadLetterBucket.bucketName,
      'Batches the consumers gave up on, one JSON invocation record each (npm run redrive)',
    );
    output('FetchPricesFunctionName', this.fetchPrices.functionName, 'fetch-prices');
    output('RealtimeConsumerFunctionName', this.realtimeConsumer.functionName, 'realtime-consumer');
    output('BatchConsumerFunctionName', this.batchConsumer.functionName, 'batch-consumer');
    output('MigrateFunctionName', this.migrate.functionName, 'migrate');
    output(
      'ReportsFunctionName',
      this.reports.functionName,
      'reports: the custom widgets and named reports (npm run compare -- --aws)',
    );
  }
}
