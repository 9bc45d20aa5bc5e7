import { Fn, Stack } from 'aws-cdk-lib';
import {
  type ISecurityGroup,
  type ISubnet,
  type IVpc,
  SecurityGroup,
  Subnet,
  type SubnetSelection,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { type Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ConfigError } from './config.ts';

/** Where functions that use the database run: subnets of a VPC, and optionally given security groups. */
export interface Network {
  readonly vpc: IVpc;
  readonly subnets: SubnetSelection;
  /** @default one new security group per function */
  readonly securityGroups?: ISecurityGroup[];
}

/** What the stateful stack hands the pipeline stack: the Aurora database and how to reach it. */
export interface AuroraDatabase {
  /** Through the RDS Proxy, or straight to the cluster. */
  readonly kind: 'proxy' | 'direct';
  readonly vpc: IVpc;
  readonly subnets: SubnetSelection;
  /** The proxy's or the cluster's endpoint. */
  readonly host: string;
  readonly port: number;
  readonly databaseName: string;
  /** The database user the functions log in as with their IAM token. */
  readonly user: string;
  /** The group the database functions join: the proxy (or cluster) lets it in on `port`. */
  readonly clientSecurityGroup: ISecurityGroup;
  /** rds-db:connect for `user` on the proxy or the cluster. */
  grantConnect(grantee: IGrantable): Grant;
  /** direct only: the admin secret migrate logs in with, to create `user` with the rds_iam role. */
  readonly adminSecret?: ISecret;
  /** The read-only user the reports function logs in as, with IAM, straight to the cluster. */
  readonly reader: DatabaseReader;
}

/** How the reports function reads: its own user, host and security group. */
export interface DatabaseReader {
  /** The cluster's writer endpoint (the proxy knows only the admin secret). */
  readonly host: string;
  /** A role with SELECT only and read-only transactions, created by migrate with rds_iam. */
  readonly user: string;
  /** The group the reports function joins; the cluster lets it in on 5432. */
  readonly securityGroup: ISecurityGroup;
  /** rds-db:connect for `user` on the cluster. */
  grantConnect(grantee: IGrantable): Grant;
}

/** How the pipeline's functions reach PostgreSQL, by database.mode. */
export type DatabaseAccess =
  | { readonly kind: 'aurora'; readonly database: AuroraDatabase }
  | {
      readonly kind: 'secret';
      readonly secretArn: string;
      /** The customer managed KMS key the secret is encrypted with. @default the AWS managed key */
      readonly kmsKeyArn?: string;
      readonly vpc?: ExternalVpc;
    }
  | { readonly kind: 'url'; readonly url: string };

/** An existing VPC to place the functions in, next to an external database. */
export interface ExternalVpc {
  readonly vpcId: string;
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
}

/** Who uses the database: migrate, the pipeline's writers, or the read-only reports function. */
export type DatabaseRole = 'migrate' | 'pipeline' | 'reports';

/** The network the database functions run in, or none (outside any VPC). */
export function networkOf(
  scope: Construct,
  access: DatabaseAccess,
  role: DatabaseRole = 'pipeline',
): Network | undefined {
  if (access.kind === 'aurora') {
    const { vpc, subnets, clientSecurityGroup, reader } = access.database;
    const group = role === 'reports' ? reader.securityGroup : clientSecurityGroup;
    return { vpc, subnets, securityGroups: [group] };
  }
  if (access.kind !== 'secret' || access.vpc === undefined) return undefined;
  const { vpcId, subnetIds, securityGroupIds } = access.vpc;
  return {
    // Imported by id: no lookup, so synth needs no AWS account.
    vpc:
      (scope.node.tryFindChild('ExternalVpc') as IVpc | undefined) ??
      Vpc.fromVpcAttributes(scope, 'ExternalVpc', { vpcId, availabilityZones: Fn.getAzs() }),
    subnets: {
      subnets: subnetIds.map(
        (id) =>
          (scope.node.tryFindChild(`Subnet-${id}`) as ISubnet | undefined) ??
          Subnet.fromSubnetId(scope, `Subnet-${id}`, id),
      ),
    },
    securityGroups: securityGroupIds.map(
      (id) =>
        (scope.node.tryFindChild(`SecurityGroup-${id}`) as ISecurityGroup | undefined) ??
        SecurityGroup.fromSecurityGroupId(scope, `SecurityGroup-${id}`, id),
    ),
  };
}

/** Secrets Manager ARNs end in the name plus `-` and six random characters. */
const COMPLETE_SECRET_ARN = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+-[A-Za-z0-9]{6}$/;

/** Lambda's Node.js runtimes ship this bundle with the Amazon RDS CAs but do not load it by default. */
export const LAMBDA_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/**
 * Points a function at PostgreSQL and lets it in, in one call:
 * - Aurora: IAM authentication (`DATABASE_AUTH=iam`, host, port, name, user),
 *   rds-db:connect for that user, and the proxy's (or cluster's) security
 *   group open to the function on 5432. `migrate` straight to Aurora logs in
 *   with the admin secret instead (read through the VPC endpoint) and creates
 *   the IAM user the others log in as; migrate always creates the read-only
 *   user the reports function logs in as, straight to the cluster;
 * - an external secret: `DATABASE_SECRET_ARN`, read access to exactly it and,
 *   when the secret is under a customer managed key, kms:Decrypt on that key;
 * - a URL (LocalStack): `DATABASE_URL`.
 * The reports function runs every query in a read-only transaction whatever
 * the user.
 * With `verify-full`, NODE_EXTRA_CA_CERTS loads the RDS CAs (the proxy's
 * certificates come from ACM and chain to Amazon's roots, which Node trusts).
 */
export function bindDatabase(
  fn: NodejsFunction,
  access: DatabaseAccess,
  ssl: 'verify-full' | 'disable',
  role: DatabaseRole,
): void {
  switch (access.kind) {
    case 'aurora': {
      const db = access.database;
      if (role === 'migrate') fn.addEnvironment('DATABASE_READER_USER', db.reader.user);
      if (db.kind === 'direct' && role === 'migrate') {
        const secret = db.adminSecret as ISecret;
        fn.addEnvironment('DATABASE_SECRET_ARN', secret.secretArn);
        fn.addEnvironment('DATABASE_APP_USER', db.user);
        // The endpoint is open to the whole VPC on 443 (the interface endpoint's default).
        secret.grantRead(fn);
        break;
      }
      const target = role === 'reports' ? db.reader : db;
      fn.addEnvironment('DATABASE_AUTH', 'iam');
      fn.addEnvironment('DATABASE_HOST', target.host);
      fn.addEnvironment('DATABASE_PORT', String(db.port));
      fn.addEnvironment('DATABASE_NAME', db.databaseName);
      fn.addEnvironment('DATABASE_USER', target.user);
      target.grantConnect(fn);
      break;
    }
    case 'secret': {
      if (!COMPLETE_SECRET_ARN.test(access.secretArn)) {
        throw new ConfigError(
          'databaseSecretArn',
          'must be the complete secret ARN, ending in the 6-character suffix Secrets Manager adds',
        );
      }
      fn.addEnvironment('DATABASE_SECRET_ARN', access.secretArn);
      Secret.fromSecretCompleteArn(fn, 'DatabaseSecret', access.secretArn).grantRead(fn);
      if (access.kmsKeyArn) {
        // Written out: an imported key in an account CDK cannot compare with the
        // stack's leaves Secret.grantRead's decrypt grant to a key policy it cannot edit.
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [access.kmsKeyArn],
            conditions: {
              StringEquals: {
                'kms:ViaService': `secretsmanager.${Stack.of(fn).region}.amazonaws.com`,
              },
            },
          }),
        );
      }
      break;
    }
    case 'url':
      fn.addEnvironment('DATABASE_URL', access.url);
      break;
  }
  fn.addEnvironment('DATABASE_SSL', ssl);
  if (ssl === 'verify-full') fn.addEnvironment('NODE_EXTRA_CA_CERTS', LAMBDA_CA_BUNDLE);
}
