// The module objects themselves (not import * copies): their functions are replaced in place.
import dgram = require('node:dgram');
import dns = require('node:dns');
import * as net from 'node:net';
import { endpoint, failLater, mayConnect, mayReachAddress, type OnRefused, patch, refusal, type Unguarded } from './hosts';

/**
 * UDP: a datagram leaves with `send`, to the address given or the one `connect` fixed. Both are checked by the host
 * they name; a name that passes by its name is checked again by the address it resolves to, in the socket's lookup.
 */

type Lookup = (host: string, family: number, callback: (error: Error | null, address?: string, family?: number) => void) => void;

/** Where an unconnected socket's `send(msg[, offset, length][, port][, address][, callback])` goes (as node:dgram reads it). */
export function sendDestination(args: readonly unknown[]): { host: string; port: number } {
  const [, offset, length, port, address] = args;
  const long = Boolean(address) || (Boolean(port) && typeof port !== 'function');
  const [to, at] = long ? [address, port] : [length, offset];
  // node:dgram sends to loopback when no address is given.
  return { host: typeof to === 'string' && to ? to : 'localhost', port: Number(at) };
}

const isConnected = (socket: dgram.Socket): boolean => {
  try {
    socket.remoteAddress();
    return true;
  } catch {
    return false;
  }
};

/** A socket's options with its lookup checked: a name that passes by its name must resolve to loopback or an allowed address. */
function lookupGuard(allowHosts: readonly string[], onRefused: OnRefused, unguarded: Unguarded) {
  return (type: string | dgram.SocketOptions): dgram.SocketOptions => {
    const options = typeof type === 'string' ? { type: type as dgram.SocketType } : { ...type };
    // node:dgram calls a socket's lookup with the family as a number, whatever @types/node says.
    const lookup = (options.lookup as Lookup | undefined) ?? ((host, family, callback) => dns.lookup(host, family, callback));
    options.lookup = ((host, family, callback) =>
      lookup(host, family, (error, address, ...rest) => {
        // IP literals (and bind addresses) were checked as they are; only names can land elsewhere.
        if (error || address === undefined || net.isIP(host) !== 0 || unguarded() || mayReachAddress(host, address, allowHosts)) {
          return callback(error, address, ...rest);
        }
        const refused = refusal(`UDP to ${host}`, host, { resolved: address });
        onRefused(refused);
        callback(refused);
      })) as Lookup as dgram.SocketOptions['lookup'];
    return options;
  };
}

export function guardDatagrams(allowHosts: readonly string[], onRefused: OnRefused, unguarded: Unguarded): () => void {
  /** Refuses a datagram to a host that is not loopback or allowed: the callback or the socket's 'error' gets it, as send errors do. */
  const guard = (check: (socket: dgram.Socket, args: unknown[]) => { host: string; port: number } | undefined) =>
    (original: (...args: unknown[]) => unknown) =>
      function (this: dgram.Socket, ...args: unknown[]) {
        const destination = check(this, args);
        if (!destination || unguarded() || mayConnect(destination.host, destination.port, allowHosts)) return original.apply(this, args);
        const error = refusal(`UDP to ${endpoint(destination.host, destination.port)}`, destination.host, { port: destination.port });
        onRefused(error);
        if (!failLater(args, error)) process.nextTick(() => this.emit('error', error));
      };
  const guardedLookup = lookupGuard(allowHosts, onRefused, unguarded);
  const restores = [
    // A connected socket sends where `connect` was allowed to.
    patch(dgram.Socket.prototype, 'send', guard((socket, args) => (isConnected(socket) ? undefined : sendDestination(args))) as never),
    // `connect(port[, address][, callback])` names its destination as a short `send` does.
    patch(dgram.Socket.prototype, 'connect', guard((_, [port, address]) => sendDestination(['', port, address])) as never),
    patch(dgram, 'createSocket', (original) =>
      ((type: string | dgram.SocketOptions, listener?: never) => original(guardedLookup(type), listener)) as typeof original),
    // `new dgram.Socket()` makes a socket too, and `createSocket` does not call it through the export.
    patch(dgram, 'Socket', (Original) => {
      function Socket(this: unknown, type: string | dgram.SocketOptions, listener?: never) {
        return Reflect.construct(Original, [guardedLookup(type), listener], new.target ?? Socket) as dgram.Socket;
      }
      Socket.prototype = Original.prototype;
      return Socket as unknown as typeof Original;
    }),
  ];
  return () => restores.forEach((restore) => restore());
}
