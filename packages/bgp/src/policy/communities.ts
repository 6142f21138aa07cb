// BGP communities as text, the way routers write them: standard communities (RFC 1997) as "ASN:VALUE" with two
// 16-bit halves, or one of the well-known names; large communities (RFC 8092) as "GLOBAL:LOCAL1:LOCAL2" with three
// 32-bit parts. The codec (wire/attributes.ts) carries them as numbers: a 32-bit value and a triple.
import { BgpConfigError } from '../errors.js';

/** Well-known communities (RFC 1997 §2; NO_PEER RFC 3765, GRACEFUL_SHUTDOWN RFC 8326, BLACKHOLE RFC 7999). */
export const WellKnownCommunity = {
  NO_EXPORT: 0xffffff01,
  NO_ADVERTISE: 0xffffff02,
  NO_EXPORT_SUBCONFED: 0xffffff03,
  NO_PEER: 0xffffff04,
  GRACEFUL_SHUTDOWN: 0xffff0000,
  BLACKHOLE: 0xffff029a,
} as const;

/** Names accepted in text (FRR's and BIRD's spellings); formatCommunity writes the first of each. */
const NAMES: readonly [string, number][] = [
  ['no-export', WellKnownCommunity.NO_EXPORT],
  ['no-advertise', WellKnownCommunity.NO_ADVERTISE],
  ['no-export-subconfed', WellKnownCommunity.NO_EXPORT_SUBCONFED],
  ['local-as', WellKnownCommunity.NO_EXPORT_SUBCONFED], // FRR's name for it
  ['no-peer', WellKnownCommunity.NO_PEER],
  ['graceful-shutdown', WellKnownCommunity.GRACEFUL_SHUTDOWN],
  ['blackhole', WellKnownCommunity.BLACKHOLE],
];
const BY_NAME = new Map(NAMES.map(([n, v]) => [n, v]));
const BY_VALUE = new Map<number, string>();
for (const [n, v] of NAMES) if (!BY_VALUE.has(v)) BY_VALUE.set(v, n);

const DECIMAL = /^(0|[1-9][0-9]{0,9})$/;

function part(text: string, max: number): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/**
 * "65000:100" → 0xfde80064; "no-export" (or NO_EXPORT) → 0xffffff01. Returns undefined when the text is not a
 * community (see parseCommunity for the error message).
 */
export function tryParseCommunity(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const named = BY_NAME.get(text.toLowerCase().replaceAll('_', '-'));
  if (named !== undefined) return named;
  const halves = text.split(':');
  if (halves.length !== 2) return undefined;
  const hi = part(halves[0]!, 0xffff);
  const lo = part(halves[1]!, 0xffff);
  return hi === undefined || lo === undefined ? undefined : hi * 0x10000 + lo;
}

/** As tryParseCommunity, throwing a BgpConfigError that says what a community looks like. */
export function parseCommunity(text: string): number {
  const v = tryParseCommunity(text);
  if (v === undefined) {
    throw new BgpConfigError(
      `${JSON.stringify(text)} is not a community: write ASN:VALUE with each part 0..65535 (RFC 1997), or one of ` +
        `${NAMES.map(([n]) => n).join(', ')}`,
    );
  }
  return v;
}

/** 0xfde80064 → "65000:100"; a well-known value → its name ("no-export"). */
export function formatCommunity(value: number): string {
  return BY_VALUE.get(value) ?? `${Math.floor(value / 0x10000) & 0xffff}:${value & 0xffff}`;
}

export type LargeCommunity = [number, number, number];

/** "65000:1:2" → [65000, 1, 2]; undefined when the text is not a large community. */
export function tryParseLargeCommunity(text: string): LargeCommunity | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split(':');
  if (parts.length !== 3) return undefined;
  const v = parts.map((p) => part(p, 0xffffffff));
  return v.every((x) => x !== undefined) ? (v as LargeCommunity) : undefined;
}

export function parseLargeCommunity(text: string): LargeCommunity {
  const v = tryParseLargeCommunity(text);
  if (v === undefined) {
    throw new BgpConfigError(
      `${JSON.stringify(text)} is not a large community: write GLOBAL:LOCAL1:LOCAL2 with each part 0..4294967295 ` +
        '(RFC 8092)',
    );
  }
  return v;
}

export function formatLargeCommunity(c: readonly [number, number, number]): string {
  return `${c[0]}:${c[1]}:${c[2]}`;
}
