import * as net from 'node:net';
import { endpoint, isAllowedName, mayConnect, mayReachAddress, type OnRefused, patch, refusal, type Unguarded } from './hosts';

/**
 * TCP: `net.Socket.prototype.connect` is what `net.connect`, `tls.connect`, `http.Agent`, undici and database drivers
 * all end in, so a connection no request interceptor sees (a raw socket, `undici.request`, a Postgres client) is
 * refused too, before any packet leaves, unless its host is loopback or allowed.
 */

/** Host and port of a `connect()` call, in any of its forms; undefined for IPC paths (never the network). */
function destinationOf(args: unknown[]): { host: string; port?: number } | undefined {
  // net.connect() hands Socket#connect its arguments already normalized, as an array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; port?: number | string; path?: string };
    if (options.path !== undefined && options.port === undefined) return undefined;
    return { host: options.host || 'localhost', port: options.port === undefined ? undefined : Number(options.port) };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof args[1] === 'string' && args[1] ? args[1] : 'localhost', port: Number(first) };
  }
  return undefined;
}

/**
 * Refuses every socket connection to a host that is not loopback or allowed, and one to a name that is loopback by
 * its name (`*.localhost`, or any name under a custom `lookup`) but resolves elsewhere. The socket fails with an error
 * naming the host and the option that allows it, and `onRefused` sees the error so the test fails even if the code
 * swallows it.
 */
export function guardSockets(allowHosts: readonly string[], onRefused: OnRefused, unguarded: Unguarded): () => void {
  return patch(net.Socket.prototype, 'connect', (original) =>
    function (this: net.Socket, ...args: unknown[]) {
      const destination = destinationOf(args);
      const connect = () => (original as (...a: unknown[]) => net.Socket).apply(this, args);
      if (!destination || unguarded()) return connect();
      const { host, port } = destination;
      if (!mayConnect(host, port, allowHosts)) {
        const error = refusal(`connection to ${endpoint(host, port)}`, host, { port });
        onRefused(error);
        process.nextTick(() => this.destroy(error));
        return this;
      }
      if (net.isIP(host) === 0 && !isAllowedName(host, allowHosts)) {
        // Every address a name resolves to is announced here before the socket connects to it; destroying the
        // socket now stops the connection (net checks that it is still connecting after the event).
        const checkAddress = (error: Error | null, address: string | undefined) => {
          if (error || address === undefined || mayReachAddress(host, address, allowHosts)) return;
          const refused = refusal(`connection to ${endpoint(host, port)}`, host, { port, resolved: address });
          onRefused(refused);
          this.destroy(refused);
        };
        this.prependListener('lookup', checkAddress);
        this.once('close', () => this.off('lookup', checkAddress));
      }
      return connect();
    } as typeof original,
  );
}
