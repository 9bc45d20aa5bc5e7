import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface PutRecordsRequest {
  Records: unknown[];
}
interface PutRecordsResponse {
  FailedRecordCount?: number;
  Records: Array<Record<string, unknown>>;
}

/**
 * A loopback proxy in front of kinesis-local that makes PutRecords answer the
 * way a throttled shard does: entry 0 reported as
 * ProvisionedThroughputExceededException. `landed` forwards the entry anyway
 * (the ack was lost, the record is on the stream), `dropped` removes it.
 */
export async function startKinesisFaultProxy(target: string) {
  let faults: Array<'landed' | 'dropped'> = [];
  let rateLimited = 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (rateLimited > 0) {
      // What Kinesis (and kinesis-local) answers a control-plane call over its rate.
      rateLimited--;
      const body = JSON.stringify({ __type: 'LimitExceededException', message: 'Rate exceeded' });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(body);
      return;
    }
    let body = Buffer.concat(chunks);
    const isPut = req.headers['x-amz-target'] === 'Kinesis_20131202.PutRecords';
    const fault = isPut ? faults.shift() : undefined;
    if (fault === 'dropped') {
      const request = JSON.parse(body.toString()) as PutRecordsRequest;
      request.Records = request.Records.slice(1);
      body = Buffer.from(JSON.stringify(request));
    }
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers.host;
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: headers as unknown as Record<string, string>,
      body,
    });
    let answer = Buffer.from(await upstream.arrayBuffer());
    if (fault && upstream.ok) {
      const response = JSON.parse(answer.toString()) as PutRecordsResponse;
      const throttled = {
        ErrorCode: 'ProvisionedThroughputExceededException',
        ErrorMessage: 'Rate exceeded for shard',
      };
      response.Records =
        fault === 'dropped'
          ? [throttled, ...response.Records]
          : [throttled, ...response.Records.slice(1)];
      response.FailedRecordCount = (response.FailedRecordCount ?? 0) + 1;
      answer = Buffer.from(JSON.stringify(response));
    }
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, key) => {
      if (key !== 'content-length' && key !== 'transfer-encoding' && key !== 'content-encoding')
        out[key] = value;
    });
    res.writeHead(upstream.status, { ...out, 'content-length': String(answer.length) }).end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** The next PutRecords calls fail their first entry, one fault per call. */
    failNext(...next: Array<'landed' | 'dropped'>) {
      faults = next;
    },
    /** The next `count` calls, whatever they are, answer LimitExceededException. */
    rateLimitNext(count: number) {
      rateLimited = count;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
