import * as net from 'node:net';

const LOOPBACK_NAMES = /^(localhost|.*\.localhost)$/;

/** True for `localhost`, 127.0.0.0/8 and ::1 (also as an IPv4-mapped address or in brackets). */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/^::ffff:/, '');
  if (LOOPBACK_NAMES.test(name)) return true;
  if (net.isIPv4(name)) return name.startsWith('127.');
  return net.isIPv6(name) && /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(name);
}
