import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { configError } from '../support/config-error.ts';
import {
  actionsOf,
  EXTERNAL,
  environmentOf,
  LOCALSTACK,
  resource,
  SECRET_ARN,
  statementsOf,
  synth,
  synthApp,
} from './synth.ts';

const DATABASE_FUNCTIONS = ['RealtimeConsumer', 'BatchConsumer', 'Migrate', 'Rollup'];

describe('database.mode=aurora (the default): the stateful stack', () => {
  const { data } = synthApp();
  if (!data) throw new Error('expected a stateful stack');

  it('is a VPC of isolated subnets in two zones: no internet gateway, no NAT gateway', () => {
    data.resourceCountIs('AWS::EC2::VPC', 1);
    data.resourceCountIs('AWS::EC2::Subnet', 2);
    data.resourceCountIs('AWS::EC2::InternetGateway', 0);
    data.resourceCountIs('AWS::EC2::NatGateway', 0);
    for (const subnet of Object.values(data.findResources('AWS::EC2::Subnet'))) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
  });

  it('holds an encrypted Aurora PostgreSQL Serverless v2 cluster, protected from deletion, snapshotted when deleted', () => {
    const [, cluster] = resource(data, 'AWS::RDS::DBCluster', 'Database');

    expect(cluster).toMatchObject({
      DeletionPolicy: 'Snapshot',
      Properties: {
        Engine: 'aurora-postgresql',
        EngineVersion: '17.5',
        StorageEncrypted: true,
        DeletionProtection: true,
        DatabaseName: 'pricestream',
        ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      },
    });
    data.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.serverless',
      PubliclyAccessible: false,
    });
    data.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Parameters: { 'rds.force_ssl': '1' },
    });
  });

  it('takes the capacity, deletion protection and snapshot from the configuration (0 ACU pauses)', () => {
    const { data: custom } = synthApp({
      database: {
        minCapacity: 0,
        maxCapacity: 8,
        deletionProtection: false,
        snapshotOnDelete: false,
      },
    });
    const [, cluster] = resource(
      custom as NonNullable<typeof custom>,
      'AWS::RDS::DBCluster',
      'Database',
    );

    expect(cluster).toMatchObject({
      DeletionPolicy: 'Delete',
      Properties: {
        DeletionProtection: false,
        ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 8 },
      },
    });
  });

  it('generates the admin secret and rotates it every 30 days from the isolated subnets, through a Secrets Manager endpoint', () => {
    data.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: JSON.stringify({ username: 'pricestream_admin' }),
      }),
    });
    data.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    const [, endpoint] = resource(data, 'AWS::EC2::VPCEndpoint', 'NetworkSecretsManagerEndpoint');
    expect(endpoint.Properties).toMatchObject({
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
    });
    expect(JSON.stringify(endpoint.Properties.ServiceName)).toContain('.secretsmanager');
    data.hasResource('AWS::Serverless::Application', {
      Properties: Match.objectLike({
        Parameters: Match.objectLike({ endpoint: Match.anyValue() }),
      }),
    });
  });

  it('puts an RDS Proxy in front that requires TLS and IAM authentication, and lets only the database clients group in', () => {
    const [clientsId] = resource(data, 'AWS::EC2::SecurityGroup', 'DatabaseClients');

    data.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      Auth: [Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' })],
    });
    data.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      SourceSecurityGroupId: { 'Fn::GetAtt': [clientsId, 'GroupId'] },
    });
  });
});

describe('database.mode=aurora: the pipeline stack', () => {
  const template = synth();

  it('runs the four database functions in the isolated subnets, in the database clients group', () => {
    for (const id of DATABASE_FUNCTIONS) {
      const [, fn] = resource(template, 'AWS::Lambda::Function', id);
      const vpc = fn.Properties.VpcConfig as { SecurityGroupIds: unknown[]; SubnetIds: unknown[] };
      expect(vpc.SecurityGroupIds).toHaveLength(1);
      expect(JSON.stringify(vpc.SecurityGroupIds)).toContain('DatabaseClients');
      expect(vpc.SubnetIds).toHaveLength(2);
    }
  });

  it('keeps fetch-prices outside the VPC (it needs the internet) and away from the database', () => {
    const [fnId, fn] = resource(template, 'AWS::Lambda::Function', 'FetchPrices');

    expect(fn.Properties.VpcConfig).toBeUndefined();
    expect(Object.keys(environmentOf(fn)).filter((k) => k.startsWith('DATABASE'))).toEqual([]);
    expect(actionsOf(template, fnId).filter((a) => /^(rds|secretsmanager)/.test(a))).toEqual([]);
  });

  it('points them at the proxy with IAM authentication and verify-full TLS, with the RDS CAs loaded', () => {
    for (const id of DATABASE_FUNCTIONS) {
      const [fnId, fn] = resource(template, 'AWS::Lambda::Function', id);
      const env = environmentOf(fn);

      expect(env).toMatchObject({
        DATABASE_AUTH: 'iam',
        DATABASE_PORT: '5432',
        DATABASE_NAME: 'pricestream',
        DATABASE_USER: 'pricestream_admin',
        DATABASE_SSL: 'verify-full',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      });
      expect(JSON.stringify(env.DATABASE_HOST)).toMatch(
        /^\{"Fn::ImportValue":"Pricestream-Data:ExportsOutputFnGetAttDatabaseProxy.*Endpoint/,
      );
      expect(env).not.toHaveProperty('DATABASE_URL');
      expect(env).not.toHaveProperty('DATABASE_SECRET_ARN');
      const connect = statementsOf(template, fnId).filter((s) =>
        [s.Action].flat().includes('rds-db:connect'),
      );
      expect(connect).toHaveLength(1);
      // The finished ARN, built and exported by the data stack.
      expect(connect[0]?.Resource).toEqual({
        'Fn::ImportValue': 'Pricestream-Data:ProxyConnectArn',
      });
      expect(actionsOf(template, fnId).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    }
  });
});

describe('database.proxy=false: straight to Aurora with IAM authentication', () => {
  const { data, pipeline } = synthApp({ database: { proxy: false } });
  if (!data) throw new Error('expected a stateful stack');

  it('has no proxy, and the cluster takes IAM authentication', () => {
    data.resourceCountIs('AWS::RDS::DBProxy', 0);
    data.hasResourceProperties('AWS::RDS::DBCluster', { EnableIAMDatabaseAuthentication: true });
  });

  it('connects the pipeline functions as the IAM user to the cluster endpoint', () => {
    for (const id of ['RealtimeConsumer', 'BatchConsumer', 'Rollup']) {
      const [fnId, fn] = resource(pipeline, 'AWS::Lambda::Function', id);
      const env = environmentOf(fn);
      expect(env).toMatchObject({ DATABASE_AUTH: 'iam', DATABASE_USER: 'pricestream_app' });
      expect(JSON.stringify(env.DATABASE_HOST)).toMatch(
        /^\{"Fn::ImportValue":"Pricestream-Data:ExportsOutput.*Endpoint/,
      );
      expect(JSON.stringify(statementsOf(pipeline, fnId))).toContain(
        '{"Fn::ImportValue":"Pricestream-Data:AppConnectArn"}',
      );
    }
  });

  it('lets migrate log in with the admin secret to create that user, and read nothing else', () => {
    const [fnId, fn] = resource(pipeline, 'AWS::Lambda::Function', 'Migrate');

    expect(environmentOf(fn)).toMatchObject({ DATABASE_APP_USER: 'pricestream_app' });
    expect(JSON.stringify(environmentOf(fn).DATABASE_SECRET_ARN)).toMatch(
      /^\{"Fn::ImportValue":"Pricestream-Data:ExportsOutputRefDatabaseSecret/,
    );
    expect(environmentOf(fn)).not.toHaveProperty('DATABASE_AUTH');
    expect(
      actionsOf(pipeline, fnId)
        .filter((a) => a.startsWith('secretsmanager:'))
        .sort(),
    ).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });
});

describe('database.mode=external', () => {
  it('writes no stateful stack and reads exactly the given secret, outside any VPC by default', () => {
    const { data, pipeline } = synthApp(EXTERNAL);

    expect(data).toBeUndefined();
    for (const id of DATABASE_FUNCTIONS) {
      const [fnId, fn] = resource(pipeline, 'AWS::Lambda::Function', id);
      expect(fn.Properties.VpcConfig).toBeUndefined();
      expect(environmentOf(fn)).toMatchObject({
        DATABASE_SECRET_ARN: SECRET_ARN,
        DATABASE_SSL: 'verify-full',
      });
      const secretStatements = statementsOf(pipeline, fnId).filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
      );
      expect(secretStatements).toEqual([
        {
          Effect: 'Allow',
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          Resource: SECRET_ARN,
        },
      ]);
    }
  });

  it('places the database functions in the given VPC, subnets and security groups', () => {
    const pipeline = synth({
      ...EXTERNAL,
      database: {
        mode: 'external',
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: 'subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2',
        securityGroupIds: ['sg-0ccccccccccccccc3'],
      },
    });

    for (const id of DATABASE_FUNCTIONS) {
      const [, fn] = resource(pipeline, 'AWS::Lambda::Function', id);
      expect(fn.Properties.VpcConfig).toEqual({
        SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
        SecurityGroupIds: ['sg-0ccccccccccccccc3'],
      });
    }
    const [, fetch] = resource(pipeline, 'AWS::Lambda::Function', 'FetchPrices');
    expect(fetch.Properties.VpcConfig).toBeUndefined();
  });

  it('with a customer managed key, lets each database function decrypt the secret through Secrets Manager only', () => {
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const pipeline = synth({ ...EXTERNAL, databaseSecretKmsKeyArn: key });

    for (const id of [...DATABASE_FUNCTIONS, 'Reports']) {
      const [fnId] = resource(pipeline, 'AWS::Lambda::Function', id);
      const decrypt = statementsOf(pipeline, fnId).filter((s) =>
        [s.Action].flat().includes('kms:Decrypt'),
      );
      expect(decrypt, id).toEqual([
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: key,
          Condition: {
            StringEquals: {
              'kms:ViaService': {
                'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
              },
            },
          },
        },
      ]);
    }
    const [plainId] = resource(synth(EXTERNAL), 'AWS::Lambda::Function', 'RealtimeConsumer');
    expect(actionsOf(synth(EXTERNAL), plainId)).not.toContain('kms:Decrypt');
  });

  it('on LocalStack, gives the compose PostgreSQL URL without TLS', () => {
    for (const id of DATABASE_FUNCTIONS) {
      const [, fn] = resource(synth(LOCALSTACK), 'AWS::Lambda::Function', id);
      expect(environmentOf(fn)).toMatchObject({
        DATABASE_URL: LOCALSTACK.databaseUrl,
        DATABASE_SSL: 'disable',
      });
      expect(environmentOf(fn)).not.toHaveProperty('NODE_EXTRA_CA_CERTS');
    }
  });
});

describe('database settings that do not go together stop the synth, naming the setting', () => {
  it.each([
    [
      'a loopback URL',
      { database: { mode: 'external' }, databaseUrl: 'postgres://app@127.0.0.1:5432/db' },
      'databaseUrl',
      /a loopback host is for LocalStack and the local runtime only/,
    ],
    [
      'a URL with a password',
      { database: { mode: 'external' }, databaseUrl: 'postgres://app:s3cret@db.example.com/db' },
      'databaseUrl',
      /a password is for LocalStack and the local runtime only/,
    ],
    [
      'a secret with Aurora',
      { databaseSecretArn: SECRET_ARN },
      'databaseSecretArn',
      /belongs to database.mode=external/,
    ],
    [
      'Aurora on LocalStack',
      { deployTarget: 'localstack', databaseUrl: LOCALSTACK.databaseUrl },
      'database.mode',
      /not available on LocalStack/,
    ],
    ['external without a secret', { database: { mode: 'external' } }, 'databaseSecretArn', /needs/],
    [
      'a VPC without subnets',
      { ...EXTERNAL, database: { mode: 'external', vpcId: 'vpc-0123456789abcdef0' } },
      'database.subnetIds',
      /needs database.subnetIds/,
    ],
    [
      'a partial secret ARN',
      { ...EXTERNAL, databaseSecretArn: SECRET_ARN.slice(0, -7) },
      'databaseSecretArn',
      /complete secret ARN/,
    ],
    [
      'half an ACU step',
      { database: { minCapacity: 0.3 } },
      'database.minCapacity',
      /steps of 0.5/,
    ],
  ])('%s', (_name, raw, setting, message) => {
    const error = configError(() => synth(raw));

    expect(error.setting).toBe(setting);
    expect(error.message).toMatch(new RegExp(`^Invalid configuration "${setting}": `));
    expect(error.message).toMatch(message);
  });
});
