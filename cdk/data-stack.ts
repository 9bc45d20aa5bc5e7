import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  type InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  type IVpc,
  Port,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import {
  AuroraPostgresEngineVersion,
  ClusterInstance,
  Credentials,
  DatabaseCluster,
  DatabaseClusterEngine,
  type DatabaseProxy,
} from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import type { DatabaseConfig } from './config.ts';
import type { AuroraDatabase } from './database-binding.ts';

export interface PricestreamDataStackProps extends StackProps {
  readonly database: DatabaseConfig;
}

/** The user the generated (and rotated) secret holds; the proxy logs in as it. */
export const ADMIN_USER = 'pricestream_admin';
/** With IAM authentication straight to Aurora: the role the pipeline functions log in as. */
export const APP_USER = 'pricestream_app';

/**
 * What the pipeline keeps its data in, in a stack of its own so the pipeline
 * can be destroyed and deployed again without touching it:
 *
 *   VPC (isolated subnets in 2 AZs, no NAT gateway, a Secrets Manager endpoint for rotation)
 *     └─ Aurora PostgreSQL Serverless v2 (encrypted, generated secret rotated every 30 days)
 *          └─ RDS Proxy (TLS required, IAM authentication), unless database.proxy=false
 *
 * Nothing in these subnets reaches the internet: the functions sign their IAM
 * token locally, and Kinesis is read by the event source mapping's poller
 * outside the VPC.
 */
export class PricestreamDataStack extends Stack {
  /** What the pipeline stack needs to reach the database. */
  readonly database: AuroraDatabase;

  constructor(scope: Construct, id: string, props: PricestreamDataStackProps) {
    super(scope, id, props);
    const { vpc, subnets, secretsManagerEndpoint } = this.network();
    const cluster = this.cluster(props.database, vpc, subnets);
    this.secretRotation(cluster, subnets, secretsManagerEndpoint);

    // The pipeline's database functions join this group; the database lets the
    // group in. Rules stay in this stack, so it never refers to the pipeline's.
    const clients = new SecurityGroup(this, 'DatabaseClients', {
      vpc,
      description: 'Functions that may connect to the pricestream database',
    });
    const base = {
      vpc,
      subnets,
      clientSecurityGroup: clients,
      databaseName: props.database.name,
      port: 5432,
    };
    if (props.database.proxy) {
      const proxy = this.proxy(cluster, vpc, subnets);
      proxy.connections.allowFrom(clients, Port.tcp(5432), 'pipeline functions to the proxy');
      this.database = {
        ...base,
        kind: 'proxy',
        host: proxy.endpoint,
        user: ADMIN_USER,
        grantConnect: (grantee) => proxy.grantConnect(grantee, ADMIN_USER),
      };
    } else {
      cluster.connections.allowDefaultPortFrom(clients, 'pipeline functions to Aurora');
      this.database = {
        ...base,
        kind: 'direct',
        host: cluster.clusterEndpoint.hostname,
        user: APP_USER,
        grantConnect: (grantee) => cluster.grantConnect(grantee, APP_USER),
        // migrate logs in with the secret once, to create the IAM role the others use.
        adminSecret: cluster.secret as NonNullable<typeof cluster.secret>,
      };
    }
  }

  /** Two AZs of isolated subnets: no internet gateway, no NAT gateway to pay for. */
  private network(): {
    vpc: IVpc;
    subnets: SubnetSelection;
    secretsManagerEndpoint: InterfaceVpcEndpoint;
  } {
    const vpc = new Vpc(this, 'Network', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    Validations.of(vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason:
        'No flow logs: the VPC has no internet or NAT gateway, only Lambda, the RDS Proxy and Aurora talk in it, and flow logs would bill per GB for a trace nobody reads; turn them on when auditing requires it.',
    });
    const subnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_ISOLATED };
    // Secret rotation calls Secrets Manager from inside the VPC (and so does
    // migrate with database.proxy=false): an interface endpoint instead of a NAT gateway.
    const secretsManagerEndpoint = vpc.addInterfaceEndpoint('SecretsManagerEndpoint', {
      service: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets,
    });
    Validations.of(secretsManagerEndpoint).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The endpoint takes HTTPS from the VPC’s own CIDR (the interface endpoint default), not from the internet; cdk-nag cannot read the CIDR token and reports it as a failure to evaluate.',
    });
    return { vpc, subnets, secretsManagerEndpoint };
  }

  private cluster(config: DatabaseConfig, vpc: IVpc, subnets: SubnetSelection): DatabaseCluster {
    const cluster = new DatabaseCluster(this, 'Database', {
      engine: DatabaseClusterEngine.auroraPostgres({
        version: AuroraPostgresEngineVersion.VER_17_5,
      }),
      credentials: Credentials.fromGeneratedSecret(ADMIN_USER),
      defaultDatabaseName: config.name,
      writer: ClusterInstance.serverlessV2('Writer', { publiclyAccessible: false }),
      // 0 lets the instance pause when nothing is connected (it resumes on the next connection).
      serverlessV2MinCapacity: config.minCapacity,
      serverlessV2MaxCapacity: config.maxCapacity,
      vpc,
      vpcSubnets: subnets,
      storageEncrypted: true,
      // Straight to Aurora, the functions authenticate with IAM; through the proxy, the proxy does.
      iamAuthentication: !config.proxy,
      parameters: { 'rds.force_ssl': '1' },
      deletionProtection: config.deletionProtection,
      removalPolicy: config.snapshotOnDelete ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      backup: { retention: Duration.days(7) },
    });
    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        'PostgreSQL keeps its default port 5432: the cluster is reachable only from the functions’ and the proxy’s security groups in isolated subnets, so another port would hide nothing.',
    });
    if (config.proxy) {
      Validations.of(cluster).acknowledge({
        id: 'AwsSolutions-RDS6',
        reason:
          'IAM authentication happens at the RDS Proxy (iamAuth, requireTLS); the proxy logs in to the cluster with the rotated secret.',
      });
    }
    if (!config.deletionProtection) {
      Validations.of(cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          'database.deletionProtection=false was configured (for a stage meant to be torn down).',
      });
    }
    return cluster;
  }

  /**
   * Single-user rotation every 30 days, by the rotation application in the
   * isolated subnets, which reaches Secrets Manager through the endpoint.
   */
  private secretRotation(
    cluster: DatabaseCluster,
    subnets: SubnetSelection,
    endpoint: InterfaceVpcEndpoint,
  ): void {
    cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: subnets,
      endpoint,
    });
  }

  /** The proxy: requires TLS, takes IAM tokens, logs in to Aurora with the rotated secret. */
  private proxy(cluster: DatabaseCluster, vpc: IVpc, subnets: SubnetSelection): DatabaseProxy {
    return cluster.addProxy('Proxy', {
      secrets: [cluster.secret as NonNullable<typeof cluster.secret>],
      vpc,
      vpcSubnets: subnets,
      requireTLS: true,
      iamAuth: true,
    });
  }
}
