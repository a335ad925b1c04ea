import * as net from 'node:net';

/**
 * Network isolation for replay mode, below every HTTP client: `net.Socket.prototype.connect` is
 * what `net.connect`, `tls.connect`, `http.Agent`, undici and database drivers all end in, so a
 * connection no request interceptor sees (a raw socket, `undici.request`, a Postgres client) is
 * refused too, before any packet leaves, unless its host is loopback or allowed.
 */

const LOOPBACK_NAMES = /^(localhost|.*\.localhost)$/;

/** True for `localhost`, 127.0.0.0/8 and ::1 (also as an IPv4-mapped address or in brackets). */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/^::ffff:/, '');
  if (LOOPBACK_NAMES.test(name)) return true;
  if (net.isIPv4(name)) return name.startsWith('127.');
  return net.isIPv6(name) && /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(name);
}

/** Whether replay may connect to `host` on `port`: loopback, or listed (`name` or `name:port`) in `allowed`. */
export function mayConnect(host: string, port: number | undefined, allowed: readonly string[]): boolean {
  const name = host.toLowerCase();
  return isLoopback(name) || allowed.includes(name) || (port !== undefined && allowed.includes(`${name}:${port}`));
}

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

export interface NetworkGuard {
  dispose(): void;
}

/**
 * Refuses every socket connection to a host that is not loopback or allowed: the socket fails
 * (asynchronously, as a refused connection does) with an error naming the host and the option
 * that allows it, and `onRefused` sees the error so the test can fail even if the code swallows it.
 */
export interface GuardOptions {
  allowHosts: readonly string[];
  onRefused(error: Error): void;
  /** True when the code connecting now may reach any host. */
  unguarded?(): boolean;
}

export function guardNetwork(options: GuardOptions): NetworkGuard {
  const original = net.Socket.prototype.connect;
  const guarded = function (this: net.Socket, ...args: unknown[]) {
    const destination = destinationOf(args);
    if (!destination || options.unguarded?.() || mayConnect(destination.host, destination.port, options.allowHosts)) {
      return (original as (...a: unknown[]) => net.Socket).apply(this, args);
    }
    const where = destination.port === undefined ? destination.host : `${destination.host}:${destination.port}`;
    const error = Object.assign(
      new Error(
        `jest-replay: connection to ${where} refused: replay mode allows only loopback hosts. ` +
          `If the test needs ${destination.host} (a test database, say), add it to testEnvironmentOptions.replay.allowHosts.`,
      ),
      { code: 'ERR_JEST_REPLAY_NETWORK_ISOLATED', host: destination.host, port: destination.port },
    );
    options.onRefused(error);
    process.nextTick(() => this.destroy(error));
    return this;
  };
  net.Socket.prototype.connect = guarded as typeof original;
  return {
    dispose: () => {
      if (net.Socket.prototype.connect === guarded) net.Socket.prototype.connect = original;
    },
  };
}
