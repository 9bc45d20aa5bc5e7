import net from 'node:net';

/**
 * A free loopback port, and a TCP relay to `target` that starts listening on
 * it only when asked: a server that "comes up late". Connections before
 * open() are refused (ECONNREFUSED), as from a server not started yet.
 */
export async function lateRelay(target: URL) {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const sockets = new Set<net.Socket>();
  let opened = false;
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  return {
    port,
    /** The target URL with the relay's port. */
    url(): string {
      const late = new URL(target);
      late.port = String(port);
      return late.toString();
    },
    get opened() {
      return opened;
    },
    open: () =>
      new Promise<void>((resolve) => {
        opened = true;
        relay.listen(port, '127.0.0.1', resolve);
      }),
    async close() {
      for (const s of sockets) s.destroy();
      if (opened) await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
