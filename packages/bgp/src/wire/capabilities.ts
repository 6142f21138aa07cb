// Capabilities (RFC 5492) inside OPEN's optional parameter 2: one row per capability code, both directions.
import { BgpWireError, invalidArgument, Subcode } from './bgp-wire-error.js';
import { type Capability, ErrorCode } from './types.js';

/** Capability codes (IANA "Capability Codes"). */
export const CapabilityCode = {
  MULTIPROTOCOL: 1, // RFC 4760
  ROUTE_REFRESH: 2, // RFC 2918
  EXTENDED_MESSAGE: 6, // RFC 8654
  GRACEFUL_RESTART: 64, // RFC 4724
  FOUR_OCTET_AS: 65, // RFC 6793
  ENHANCED_ROUTE_REFRESH: 70, // RFC 7313
} as const;

function malformed(what: string, value: Buffer): BgpWireError {
  return new BgpWireError(ErrorCode.OPEN_MESSAGE, Subcode.OPEN_UNSPECIFIC, `malformed-capability-${what}`, value);
}

/** Decodes one capability value; throws 2/0 when a known capability has the wrong length. */
function decodeCapability(code: number, v: Buffer): Capability {
  switch (code) {
    case CapabilityCode.MULTIPROTOCOL:
      if (v.length !== 4) throw malformed('multiprotocol', v);
      return { code: 1, name: 'multiprotocol', afi: v.readUInt16BE(0), safi: v[3]! };
    case CapabilityCode.ROUTE_REFRESH:
      if (v.length !== 0) throw malformed('route-refresh', v);
      return { code: 2, name: 'route-refresh' };
    case CapabilityCode.EXTENDED_MESSAGE:
      if (v.length !== 0) throw malformed('extended-message', v);
      return { code: 6, name: 'extended-message' };
    case CapabilityCode.ENHANCED_ROUTE_REFRESH:
      if (v.length !== 0) throw malformed('enhanced-route-refresh', v);
      return { code: 70, name: 'enhanced-route-refresh' };
    case CapabilityCode.FOUR_OCTET_AS: {
      if (v.length !== 4) throw malformed('four-octet-as', v);
      const asn = v.readUInt32BE(0);
      // RFC 7607: AS 0 is never a valid peer AS.
      if (asn === 0) throw new BgpWireError(ErrorCode.OPEN_MESSAGE, Subcode.BAD_PEER_AS, 'peer-as-zero');
      return { code: 65, name: 'four-octet-as', asn };
    }
    case CapabilityCode.GRACEFUL_RESTART: {
      if (v.length < 2 || (v.length - 2) % 4 !== 0) throw malformed('graceful-restart', v);
      const families: { afi: number; safi: number; forwardingState: boolean }[] = [];
      for (let p = 2; p < v.length; p += 4) {
        families.push({ afi: v.readUInt16BE(p), safi: v[p + 2]!, forwardingState: (v[p + 3]! & 0x80) !== 0 });
      }
      return {
        code: 64,
        name: 'graceful-restart',
        restartState: (v[0]! & 0x80) !== 0,
        notification: (v[0]! & 0x40) !== 0,
        restartTime: v.readUInt16BE(0) & 0x0fff,
        families,
      };
    }
    default:
      return { code, name: 'unknown', value: Buffer.from(v) };
  }
}

/** Decodes the capabilities of one optional parameter of type 2 (buf[start, end)) onto `out`. */
export function decodeCapabilities(buf: Buffer, start: number, end: number, out: Capability[]): void {
  let p = start;
  while (p < end) {
    if (p + 2 > end || p + 2 + buf[p + 1]! > end) {
      throw new BgpWireError(
        ErrorCode.OPEN_MESSAGE,
        Subcode.OPEN_UNSPECIFIC,
        'capability-overrun',
        Buffer.from(buf.subarray(p, end)),
      );
    }
    const len = buf[p + 1]!;
    out.push(decodeCapability(buf[p]!, buf.subarray(p + 2, p + 2 + len)));
    p += 2 + len;
  }
}

function capabilityValue(c: Capability): Buffer {
  switch (c.name) {
    case 'multiprotocol': {
      const v = Buffer.alloc(4);
      v.writeUInt16BE(c.afi, 0);
      v[3] = c.safi;
      return v;
    }
    case 'route-refresh':
    case 'extended-message':
    case 'enhanced-route-refresh':
      return Buffer.alloc(0);
    case 'four-octet-as': {
      const v = Buffer.alloc(4);
      v.writeUInt32BE(c.asn, 0);
      return v;
    }
    case 'graceful-restart': {
      if (c.restartTime < 0 || c.restartTime > 4095) throw invalidArgument(`restartTime ${c.restartTime} > 4095`);
      const v = Buffer.alloc(2 + 4 * c.families.length);
      v.writeUInt16BE((c.restartState ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | c.restartTime, 0);
      c.families.forEach((f, i) => {
        v.writeUInt16BE(f.afi, 2 + 4 * i);
        v[4 + 4 * i] = f.safi;
        v[5 + 4 * i] = f.forwardingState ? 0x80 : 0;
      });
      return v;
    }
    default:
      return c.value;
  }
}

/** Encodes capabilities back to back (code, length, value), as they sit in one optional parameter of type 2. */
export function encodeCapabilities(caps: readonly Capability[]): Buffer {
  const parts: Buffer[] = [];
  for (const c of caps) {
    const v = capabilityValue(c);
    if (v.length > 255) throw invalidArgument(`capability ${c.code} value longer than 255 octets`);
    parts.push(Buffer.from([c.code, v.length]), v);
  }
  return Buffer.concat(parts);
}
