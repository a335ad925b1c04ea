import * as net from 'node:net';
import { endpoint, isAllowedName, mayConnect, mayReachAddress, type OnRefused, patch, refusal, type Unguarded } from './hosts';

/**
 * TCP: `net.Socket.prototype.connect` is what `net.connect`, `tls.connect`, `http.Agent`, undici and database drivers
 * all end in, so a connection no request interceptor sees (a raw socket, `undici.request`, a Postgres client) is
 * refused too, before any packet leaves, unless its host is loopback or allowed.
 */

type Options = Record<string, unknown>;

/**
 * Node's own reading of `connect()`'s arguments (`net.connect` and `tls` use it too): it decides "IPC path or port"
 * with `Number()`, so `' 80'`, `'80\n'` and `'0x50'` are ports, not paths. Its result carries a mark that tells
 * `Socket#connect` the arguments are read already; an array without it is an options object like any other.
 */
const normalizeArgs = (net as unknown as { _normalizeArgs(args: unknown[]): unknown[] })._normalizeArgs;
const NORMALIZED = Object.getOwnPropertySymbols(normalizeArgs([]))[0];

/** A port as Node's `validatePort` accepts it (any other makes `connect()` throw); undefined when it is not one. */
export function portOf(port: unknown): number | undefined {
  if (typeof port !== 'number' && (typeof port !== 'string' || port.trim() === '')) return undefined;
  const number = Number(port);
  return number === number >>> 0 && number <= 0xffff ? number : undefined;
}

/**
 * Where a `connect()` call goes, in any of its forms (undefined for an IPC path, never the network), and the
 * arguments to connect with: its options with `path`, `host` and `port` read once, as judged, so getters that answer
 * otherwise on a second read cannot lead the connection elsewhere.
 */
export function connectTarget(args: unknown[]): { destination?: { host: string; port?: number }; args: unknown[] } {
  const normalized = Array.isArray(args[0]) && (args[0] as unknown as Record<symbol, unknown>)[NORMALIZED] ? args[0] : normalizeArgs(args);
  const [options, callback] = normalized as [Options, unknown];
  const { path, host: given, port } = options;
  // Node connects to `host || 'localhost'`; a host that is not a string is judged, and used, as the string it makes.
  const host = given ? String(given) : 'localhost';
  const fixed = (value: unknown) => ({ value, writable: true, enumerable: true, configurable: true });
  const judged = Object.create(options, { path: fixed(path), host: fixed(host), port: fixed(port) }) as Options;
  const next = [Object.assign([judged, callback], { [NORMALIZED]: true })];
  return path ? { args: next } : { destination: { host, port: portOf(port) }, args: next };
}

/**
 * Refuses every socket connection to a host that is not loopback or allowed, and one to a name that is loopback by
 * its name (`*.localhost`, or any name under a custom `lookup`) but resolves elsewhere. The socket fails with an error
 * naming the host and the option that allows it, and `onRefused` sees the error so the test fails even if the code
 * swallows it.
 */
export function guardSockets(allowHosts: readonly string[], onRefused: OnRefused, unguarded: Unguarded): () => void {
  return patch(net.Socket.prototype, 'connect', (original) =>
    function (this: net.Socket, ...given: unknown[]) {
      if (unguarded()) return (original as (...a: unknown[]) => net.Socket).apply(this, given);
      const { destination, args } = connectTarget(given);
      const connect = () => (original as (...a: unknown[]) => net.Socket).apply(this, args);
      if (!destination) return connect();
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
