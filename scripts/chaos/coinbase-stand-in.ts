import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = 'ok' | 'hang' | '429' | '500' | 'malformed' | '404';

/**
 * A loopback stand-in for the Coinbase Exchange API: `GET /products/{id}/ticker`
 * answers in the real wire format (strings for amounts, integer trade_id).
 * Each symbol can be told to misbehave: a queue of behaviours is played first,
 * then `fallback` applies. It listens on `port` (default: one the system picks).
 */
export async function startCoinbaseStandIn(prices: Record<string, number> = {}, port = 0) {
  const queues = new Map<string, Behaviour[]>();
  const fallback = new Map<string, Behaviour>();
  const requests: string[] = [];
  let tradeId = 900_000;
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const match = /^\/products\/([^/]+)\/ticker$/.exec(req.url ?? '');
    if (!match?.[1]) {
      res.writeHead(404).end('{"message":"NotFound"}');
      return;
    }
    const symbol = decodeURIComponent(match[1]);
    requests.push(symbol);
    const behaviour = queues.get(symbol)?.shift() ?? fallback.get(symbol) ?? 'ok';
    switch (behaviour) {
      case 'hang':
        hanging.add(res);
        return;
      case '429':
        res
          .writeHead(429, { 'content-type': 'application/json' })
          .end('{"message":"Public rate limit exceeded"}');
        return;
      case '500':
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"message":"service unavailable"}');
        return;
      case '404':
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"NotFound"}');
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ask":"86746.5","price":');
        return;
      case 'ok': {
        const price = prices[symbol] ?? 100;
        tradeId++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            ask: (price * 1.0001).toFixed(2),
            bid: (price * 0.9999).toFixed(2),
            volume: '9512.30912544',
            trade_id: tradeId,
            price: price.toFixed(2),
            size: '0.00125',
            time: new Date().toISOString().replace('Z', '123Z'),
            rfq_volume: '12.5',
          }),
        );
        return;
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    requests,
    /** Plays these behaviours for the next requests of a symbol. */
    queue(symbol: string, ...behaviours: Behaviour[]) {
      queues.set(symbol, [...(queues.get(symbol) ?? []), ...behaviours]);
    },
    always(symbol: string, behaviour: Behaviour) {
      fallback.set(symbol, behaviour);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
