/**
 * A loopback stand-in for the AWS APIs the operator commands call, speaking
 * their wire formats: S3 (path-style ListObjectsV2, GetObject,
 * Get/PutObjectTagging; XML) and Lambda's synchronous Invoke for `npm run
 * redrive -- --aws`; CloudFormation's DescribeStacks (the query protocol:
 * a form-encoded POST, an XML answer, ValidationError for a stack that does
 * not exist) for `npm run compare -- --aws`. Invocations go to the handlers
 * the test registers, which are the functions' real code. Nothing else of
 * AWS can run here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredObject {
  body: string;
  tags: Array<{ Key: string; Value: string }>;
}

export type InvokeHandler = (event: unknown) => Promise<unknown>;

const xml = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n${body.replace(/>\s+</g, '><')}`;
const xmlText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startAwsStandIn() {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const functions = new Map<string, InvokeHandler>();
  const invocations: string[] = [];
  const stacks = new Map<string, Record<string, string>>();
  /** Every Invoke's payload, in order. */
  const payloads: unknown[] = [];

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://stand-in');

    if (req.method === 'POST' && url.pathname === '/' && body.startsWith('Action=')) {
      describeStacks(new URLSearchParams(body), res);
      return;
    }

    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    if (invoke && req.method === 'POST') {
      const name = decodeURIComponent(invoke[1] as string);
      invocations.push(name);
      payloads.push(JSON.parse(body));
      const handler = functions.get(name);
      if (!handler) {
        res
          .writeHead(404, { 'x-amzn-errortype': 'ResourceNotFoundException' })
          .end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
        return;
      }
      try {
        const result = await handler(JSON.parse(body));
        res
          .writeHead(200, { 'x-amz-executed-version': '$LATEST' })
          .end(JSON.stringify(result ?? null));
      } catch (error) {
        const { name: errorType, message } = error as Error;
        res
          .writeHead(200, {
            'x-amz-function-error': 'Unhandled',
            'x-amz-executed-version': '$LATEST',
          })
          .end(JSON.stringify({ errorType, errorMessage: message }));
      }
      return;
    }

    const [, bucketName, ...keyParts] = url.pathname.split('/');
    const bucket = buckets.get(decodeURIComponent(bucketName ?? ''));
    if (!bucket) {
      res
        .writeHead(404, { 'content-type': 'application/xml' })
        .end(xml('<Error><Code>NoSuchBucket</Code><Message>no such bucket</Message></Error>'));
      return;
    }
    const key = keyParts.map(decodeURIComponent).join('/');
    if (!key && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix)).sort();
      res.writeHead(200, { 'content-type': 'application/xml' }).end(
        xml(`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Name>${xmlText(bucketName ?? '')}</Name><Prefix>${xmlText(prefix)}</Prefix>
          <KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>
          ${keys
            .map(
              (k) =>
                `<Contents><Key>${xmlText(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"0"</ETag><Size>${
                  bucket.get(k)?.body.length ?? 0
                }</Size><StorageClass>STANDARD</StorageClass></Contents>`,
            )
            .join('')}
        </ListBucketResult>`),
      );
      return;
    }
    const object = bucket.get(key);
    if (!object) {
      res
        .writeHead(404, { 'content-type': 'application/xml' })
        .end(xml('<Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>'));
      return;
    }
    if (url.searchParams.has('tagging')) {
      if (req.method === 'PUT') {
        object.tags = [...body.matchAll(/<Tag><Key>(.*?)<\/Key><Value>(.*?)<\/Value><\/Tag>/g)].map(
          ([, k, v]) => ({ Key: k as string, Value: v as string }),
        );
        res.writeHead(200).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(
          xml(
            `<Tagging><TagSet>${object.tags
              .map(
                (t) => `<Tag><Key>${xmlText(t.Key)}</Key><Value>${xmlText(t.Value)}</Value></Tag>`,
              )
              .join('')}</TagSet></Tagging>`,
          ),
        );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(object.body);
  });
  const CFN = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
  function describeStacks(form: URLSearchParams, res: http.ServerResponse) {
    const name = form.get('StackName') ?? '';
    const outputs = stacks.get(name);
    if (form.get('Action') !== 'DescribeStacks' || outputs === undefined) {
      const message =
        outputs === undefined
          ? `Stack with id ${name} does not exist`
          : `${form.get('Action')} is not served here`;
      res.writeHead(400, { 'content-type': 'text/xml' }).end(
        xml(`<ErrorResponse xmlns="${CFN}"><Error><Type>Sender</Type><Code>ValidationError</Code>
          <Message>${xmlText(message)}</Message></Error><RequestId>0</RequestId></ErrorResponse>`),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/xml' }).end(
      xml(`<DescribeStacksResponse xmlns="${CFN}"><DescribeStacksResult><Stacks><member>
        <StackName>${xmlText(name)}</StackName>
        <StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${xmlText(name)}/0</StackId>
        <CreationTime>2026-01-01T00:00:00.000Z</CreationTime>
        <StackStatus>CREATE_COMPLETE</StackStatus>
        <Outputs>${Object.entries(outputs)
          .map(
            ([key, value]) =>
              `<member><OutputKey>${xmlText(key)}</OutputKey><OutputValue>${xmlText(value)}</OutputValue></member>`,
          )
          .join('')}</Outputs>
      </member></Stacks></DescribeStacksResult>
      <ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></DescribeStacksResponse>`),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    /** Function names (as invoked: name or ARN) of every Invoke, in order. */
    invocations,
    payloads,
    /** A deployed stack and its outputs, for DescribeStacks. */
    putStack(name: string, outputs: Record<string, string>) {
      stacks.set(name, outputs);
    },
    putObject(bucket: string, key: string, body: string, tags: StoredObject['tags'] = []) {
      if (!buckets.has(bucket)) buckets.set(bucket, new Map());
      buckets.get(bucket)?.set(key, { body, tags });
    },
    tagsOf(bucket: string, key: string) {
      return buckets.get(bucket)?.get(key)?.tags ?? [];
    },
    /** `name`: what the caller passes as FunctionName (the ARN from the dead letter). */
    onInvoke(name: string, handler: InvokeHandler) {
      functions.set(name, handler);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
