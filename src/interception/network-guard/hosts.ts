import * as net from 'node:net';
import { isLoopback } from '../../core/keying/hosts';
import { printable } from '../../core/util/printable';

/** What replay allows to be reached, and the error for what it refuses. Pure: no guard is installed here. */

export { isLoopback };
export const NETWORK_ISOLATED = 'ERR_JEST_REPLAY_NETWORK_ISOLATED';

/** Whether replay may connect to `host` on `port`: loopback, or listed (`name` or `name:port`) in `allowed`. */
export function mayConnect(host: string, port: number | undefined, allowed: readonly string[]): boolean {
  const name = host.toLowerCase();
  return isLoopback(name) || allowed.includes(name) || (port !== undefined && allowed.includes(`${name}:${port}`));
}

/** Whether `allowed` lists `host`, alone or with any port: looking a host up is part of reaching it. */
export function isAllowedName(host: string, allowed: readonly string[]): boolean {
  const name = host.toLowerCase();
  return allowed.some((entry) => entry === name || entry.startsWith(`${name}:`));
}

/**
 * Whether a name that passed as loopback by its name (`*.localhost`, or any name under a custom `lookup`) may be
 * reached at the address it resolved to: an allowed name anywhere, any other only on loopback or an allowed address.
 */
export function mayReachAddress(host: string, address: string, allowed: readonly string[]): boolean {
  return isLoopback(address) || isAllowedName(host, allowed) || isAllowedName(address, allowed);
}

/** Whether `dns.lookup` of `host` stays on the machine, or is allowed: IP literals and loopback names never ask a DNS server. */
export function mayLookUp(host: string, allowed: readonly string[]): boolean {
  return !host || net.isIP(host) !== 0 || isLoopback(host) || isAllowedName(host, allowed);
}

/** The host of a DNS server as `getServers()` lists it: `1.2.3.4`, `1.2.3.4:53`, `::1` or `[::1]:53`. */
function serverHost(server: string): string {
  const bracketed = /^\[(.*)\]:\d+$/.exec(server);
  if (bracketed) return bracketed[1];
  return net.isIP(server) ? server : server.replace(/:\d+$/, '');
}

/**
 * Whether DNS queries to `servers` stay on the machine: all on loopback, and not the system's own servers (a
 * loopback stub such as systemd-resolved's 127.0.0.53 forwards them outside), so a fake DNS server of the test's own.
 */
export function queriesStayLocal(servers: readonly string[], systemServers: readonly string[]): boolean {
  const own = servers.some((server) => !systemServers.includes(server));
  return own && servers.every((server) => isLoopback(serverHost(server)));
}

/** `host` or `host:port`. */
export const endpoint = (host: string, port?: number): string => (port === undefined ? host : `${host}:${port}`);

/**
 * The error for a refused `what` (`connection to db.internal:5432`), naming the host to allow; `resolved` is the
 * address a name that passed by its name resolved to.
 */
export function refusal(what: string, host: string, details: { port?: number; resolved?: string } = {}): Error {
  const why =
    details.resolved === undefined
      ? 'replay mode allows only loopback hosts'
      : `it resolved to ${details.resolved}, and replay mode allows only loopback addresses`;
  const message =
    `jest-replay: ${printable(what)} refused: ${why}. ` +
    `If the test needs ${printable(host)} (a test database, say), add it to testEnvironmentOptions.replay.allowHosts.`;
  return Object.assign(new Error(message), { code: NETWORK_ISOLATED, host, port: details.port });
}

/** Replaces `target[key]` with `wrap(original)`; the function returned puts the original back, unless it was replaced again since. */
export function patch<T extends object, K extends keyof T>(target: T, key: K, wrap: (original: T[K]) => T[K]): () => void {
  const original = target[key];
  const replacement = wrap(original);
  target[key] = replacement;
  return () => {
    if (target[key] === replacement) target[key] = original;
  };
}

export type OnRefused = (error: Error) => void;
/** True while the code calling now may reach any host (a test that picked a mode reaching the network). */
export type Unguarded = () => boolean;

/** Fails a callback-style call as Node fails it: the callback (its last function argument) gets the error on the next tick. */
export function failLater(args: readonly unknown[], error: Error): boolean {
  const callback = args.filter((arg) => typeof arg === 'function').pop() as ((error: Error) => void) | undefined;
  if (callback) process.nextTick(callback, error);
  return callback !== undefined;
}
