// Splits a capture of a peer's byte stream into BGP messages, checks each decodes with our codec, and (when
// GANNET_CAPTURE_FIXTURES=1) saves the first message of each kind as a fixture for the wire unit tests.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BgpMessage, decodeMessage, MessageFramer } from '@gannet/bgp';

export const FIXTURES_DIR = fileURLToPath(new URL('../../../packages/bgp/test/fixtures/', import.meta.url));

export interface CapturedMessage {
  frame: Buffer;
  message: BgpMessage;
}

/** Every message in the capture, decoded (codec options: 4-octet AS and extended messages as negotiated). */
export function readCapture(file: string, opts = { fourOctetAs: true, extendedMessage: true }): CapturedMessage[] {
  if (!existsSync(file)) return [];
  const framer = new MessageFramer({ extendedMessage: true });
  return framer.push(readFileSync(file)).map((frame) => ({ frame, message: decodeMessage(frame, opts).message }));
}

/** Saves chosen frames as `<name>.bin` under packages/bgp/test/fixtures when GANNET_CAPTURE_FIXTURES=1. */
export function saveFixtures(frames: Record<string, Buffer | undefined>): string[] {
  if (process.env.GANNET_CAPTURE_FIXTURES !== '1') return [];
  mkdirSync(FIXTURES_DIR, { recursive: true });
  const saved: string[] = [];
  for (const [name, frame] of Object.entries(frames)) {
    if (!frame) continue;
    writeFileSync(join(FIXTURES_DIR, `${name}.bin`), frame);
    saved.push(`${name}.bin`);
  }
  return saved;
}
