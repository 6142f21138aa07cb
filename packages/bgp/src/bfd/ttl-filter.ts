// RFC 5881 §5: a single-hop BFD packet must arrive with TTL / hop limit 255 (it was not forwarded), else it is
// discarded. Node.js does not give a datagram's TTL, and IP_MINTTL does not apply to UDP on Linux, so the check is a
// BPF socket filter on the receiving socket (native/gannet-sockopt.c, ttlFilter): the kernel drops the rest.
import type dgram from 'node:dgram';
import { BgpError } from '../errors.js';
import { loadSockoptAddon } from '../session/native-addon.js';
import { socketFd } from '../session/socket-options.js';

/** Lets only datagrams with TTL / hop limit ≥ minTtl (default 255) reach `socket`. Throws BgpError when it cannot. */
export function attachTtlFilter(socket: dgram.Socket, minTtl = 255): void {
  const addon = loadSockoptAddon();
  if (!addon.ttlFilter) throw new BgpError('socket-option', 'the gannet-sockopt addon has no ttlFilter (rebuild it)');
  try {
    addon.ttlFilter(socketFd(socket), minTtl);
  } catch (err) {
    throw new BgpError('socket-option', `BFD TTL check: ${(err as Error).message}`, { cause: err });
  }
}
