import { createServer, connect, type Socket } from 'node:net';

/**
 * A TCP relay in front of the broker (TLS passes through untouched, so mutual TLS is end to end) that
 * can cut connections the way a flaky network does: `dropAfter(bytes)` resets the connection carrying
 * the byte that crosses the threshold (once), `blackout()` resets every connection from then on.
 */
export interface DropProxy {
  url: string;
  /** Bytes relayed client → broker so far. */
  upstreamBytes(): number;
  drops(): number;
  dropAfter(bytes: number): void;
  blackout(on: boolean): void;
  close(): Promise<void>;
}

export async function dropProxy(target: string): Promise<DropProxy> {
  const t = new URL(target);
  let up = 0;
  let threshold = Infinity;
  let dark = false;
  let drops = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (dark) {
      drops++;
      client.resetAndDestroy();
      return;
    }
    const broker = connect({ host: t.hostname, port: Number(t.port) });
    sockets.add(client).add(broker);
    const cut = () => {
      drops++;
      client.resetAndDestroy();
      broker.destroy();
    };
    client.on('data', (d: Buffer) => {
      up += d.length;
      if (dark || up >= threshold) {
        threshold = Infinity;
        return cut();
      }
      broker.write(d);
    });
    broker.on('data', (d: Buffer) => (dark ? cut() : client.write(d)));
    for (const [a, b] of [
      [client, broker],
      [broker, client],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${t.protocol}//${t.hostname}:${port}`,
    upstreamBytes: () => up,
    drops: () => drops,
    dropAfter: (bytes) => (threshold = up + bytes),
    blackout: (on) => (dark = on),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
