// The module object itself (not an import * copy): its functions are replaced in place.
import dns = require('node:dns');
import { failLater, isAllowedName, isLoopback, mayLookUp, type OnRefused, patch, queriesStayLocal, refusal, type Unguarded } from './hosts';

/**
 * DNS: a lookup or a query for a name asks a DNS server, usually outside the machine, before any connection. `lookup`
 * (what connections use) is refused for names that are not loopback or allowed; queries (`resolve*`, `reverse`, any
 * `Resolver`) always go to the resolver's servers, so they are refused unless the name is allowed or the servers are
 * a loopback DNS server of the test's own.
 */

/** The query methods of a Resolver (and of the `dns` and `dns/promises` modules, bound to the default one). */
const QUERIES = Object.getOwnPropertyNames(dns.Resolver.prototype).filter((name) => /^resolve|^reverse$/.test(name));

type Call = (this: unknown, ...args: unknown[]) => unknown;
type Style = 'callback' | 'promise';

export function guardDns(allowHosts: readonly string[], onRefused: OnRefused, unguarded: Unguarded): () => void {
  // A fresh resolver reads the system's configuration (resolv.conf), whatever the test set since; read at the first query.
  let systemServers: string[] | undefined;

  /** Wraps `target[key]` so that a call `refuses` answers (by its style) with the refusal instead of being made. */
  const guard = (target: object, key: string, style: Style, refuses: (self: unknown, args: unknown[]) => Error | undefined) =>
    patch(target as Record<string, Call>, key, (original) =>
      function (this: unknown, ...args: unknown[]) {
        const error = unguarded() ? undefined : refuses(this, args);
        if (!error) return original.apply(this, args);
        onRefused(error);
        if (style === 'promise') return Promise.reject(error);
        // Without a callback Node throws its own argument error.
        return failLater(args, error) ? undefined : original.apply(this, args);
      },
    );

  const lookup = (_: unknown, [host]: unknown[]) =>
    typeof host === 'string' && !mayLookUp(host, allowHosts) ? refusal(`DNS lookup of ${host}`, host) : undefined;
  const lookupService = (_: unknown, [address]: unknown[]) =>
    typeof address === 'string' && !isLoopback(address) && !isAllowedName(address, allowHosts)
      ? refusal(`DNS lookup of the name of ${address}`, address)
      : undefined;
  const query = (method: string, servers: (self: unknown) => string[]) => (self: unknown, [name]: unknown[]) => {
    if (typeof name !== 'string' || isAllowedName(name, allowHosts)) return undefined;
    const to = servers(self);
    systemServers ??= new dns.Resolver().getServers();
    return queriesStayLocal(to, systemServers) ? undefined : refusal(`DNS query (${method}) for ${name} to ${to.join(', ')}`, name);
  };
  const ownServers = (self: unknown) => (self as dns.Resolver).getServers();

  const restores = [
    guard(dns, 'lookup', 'callback', lookup),
    guard(dns.promises, 'lookup', 'promise', lookup),
    guard(dns, 'lookupService', 'callback', lookupService),
    guard(dns.promises, 'lookupService', 'promise', lookupService),
    ...QUERIES.flatMap((method) => [
      guard(dns.Resolver.prototype, method, 'callback', query(method, ownServers)),
      guard(dns.promises.Resolver.prototype, method, 'promise', query(method, ownServers)),
      guard(dns, method, 'callback', query(method, () => dns.getServers())),
      guard(dns.promises, method, 'promise', query(method, () => dns.getServers())),
    ]),
  ];
  return () => restores.forEach((restore) => restore());
}
