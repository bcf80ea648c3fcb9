// The channel between the trusted test process and a process kernel: length-prefixed frames
// of V8-serialized values over the socket pair on the kernel's fd 3.
//
// Student code runs in the kernel process and can always reach fd 3 (any socket class will
// open it), so the channel does not rely on hiding it:
//  - commands cannot be forged: what the kernel writes on its end reaches only the trusted
//    side, never the kernel's own reader;
//  - replies are authenticated: each carries an HMAC-SHA256 over its sequence number and bytes
//    under a key the trusted side sends first, before any student code has loaded, and the
//    kernel keeps in a closure. A frame with a bad tag, out of sequence or unasked for is
//    tampering;
//  - replies are bounded: a frame longer than the limit is refused from its header, before its
//    bytes are buffered, and the kernel is stopped.
// Deserialization only ever sees frames whose tag checked out, that is frames the host built.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readSync, writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { deserialize, serialize } from 'node:v8';

const HEADER = 4;
const TAG = 32;
/** Default limit on one reply: a trace of 200,000 events fits. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

function tag(key: Buffer, seq: number, payload: Uint8Array): Buffer {
  const n = Buffer.alloc(4);
  n.writeUInt32LE(seq >>> 0);
  return createHmac('sha256', key).update(n).update(payload).digest();
}

// ── the trusted side ────────────────────────────────────────────────────────────────────────

/** Why the trusted side gave up on a kernel's channel, in words for a report. */
export class ChannelViolation extends Error {
  override name = 'ChannelViolation';
  constructor(
    message: string,
    readonly kind: 'tamper' | 'oversize',
  ) {
    super(message);
  }
}

export interface TrustedEndOptions {
  readonly input: Readable;
  readonly output: Writable;
  /** Largest reply accepted, in bytes. */
  readonly maxFrameBytes?: number;
  /** Called with each authenticated value, in order. */
  readonly onValue: (value: unknown) => void;
  /** Called once when the kernel broke the channel's rules; nothing is read after that. */
  readonly onViolation: (v: ChannelViolation) => void;
}

/** The test side of a kernel channel: sends the key, then commands; checks every reply. */
export class TrustedEnd {
  private readonly key = randomBytes(32);
  private readonly max: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = HEADER;
  private frameLength = -1;
  private seq = 0;
  private broken = false;

  constructor(private readonly o: TrustedEndOptions) {
    this.max = o.maxFrameBytes ?? MAX_FRAME_BYTES;
    o.input.on('data', (b: Buffer) => this.take(b));
    o.input.on('error', () => {});
    o.output.on('error', () => {});
    this.write({ key: this.key });
  }

  send(value: unknown): void {
    this.write(value);
  }

  close(): void {
    this.broken = true;
    this.o.output.end();
  }

  private write(value: unknown): void {
    const payload = serialize(value);
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(payload.length);
    this.o.output.write(Buffer.concat([header, payload]));
  }

  private take(b: Buffer): void {
    if (this.broken) return;
    this.chunks.push(b);
    this.buffered += b.length;
    while (!this.broken && this.buffered >= this.need) {
      const bytes = this.read(this.need);
      if (this.frameLength < 0) {
        const length = bytes.readUInt32LE(0);
        if (length > this.max) {
          return this.violate(
            new ChannelViolation(`the kernel sent a message of ${formatBytes(length)}, over the limit of ${formatBytes(this.max)} for one reply`, 'oversize'),
          );
        }
        if (length < TAG) return this.violate(new ChannelViolation('the kernel sent a malformed message (shorter than its tag)', 'tamper'));
        this.frameLength = length;
        this.need = length;
      } else {
        const mac = bytes.subarray(0, TAG);
        const payload = bytes.subarray(TAG);
        if (!timingSafeEqual(mac, tag(this.key, this.seq, payload))) {
          return this.violate(new ChannelViolation('a message on the kernel channel was not written by the kernel host (forged or corrupted)', 'tamper'));
        }
        this.seq++;
        this.frameLength = -1;
        this.need = HEADER;
        this.o.onValue(deserialize(payload));
      }
    }
  }

  private read(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  private violate(v: ChannelViolation): void {
    this.broken = true;
    this.chunks = [];
    this.buffered = 0;
    this.o.onViolation(v);
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(n >= 10 * 1024 * 1024 ? 0 : 1)} MiB` : `${n} bytes`;
}

// ── the kernel side ────────────────────────────────────────────────────────────────────────

/**
 * The kernel host's end, on fd 3, with blocking reads and writes: between two commands the
 * kernel is stopped in `receive`, so nothing of the student's runs outside a command. Made
 * (and its key read) before any student code loads; the key stays in this closure.
 */
export function kernelEnd(fd = 3): { receive(): unknown; reply(value: unknown): void } {
  const readExactly = (n: number): Buffer | null => {
    const out = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      let r: number;
      try {
        r = readSync(fd, out, got, n - got, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        return null;
      }
      if (r === 0) return null; // the trusted side closed the channel
      got += r;
    }
    return out;
  };
  const receive = (): unknown => {
    const header = readExactly(HEADER);
    if (header === null) return undefined;
    const payload = readExactly(header.readUInt32LE(0));
    return payload === null ? undefined : deserialize(payload);
  };
  const first = receive() as { key?: Buffer } | undefined;
  if (!first?.key) throw new Error('kernel channel: no key from the trusted side');
  const key = Buffer.from(first.key);
  let seq = 0;
  return {
    receive,
    reply(value: unknown): void {
      const payload = serialize(value);
      const mac = tag(key, seq++, payload);
      const header = Buffer.alloc(HEADER);
      header.writeUInt32LE(TAG + payload.length);
      const frame = Buffer.concat([header, mac, payload]);
      for (let off = 0; off < frame.length; ) {
        try {
          off += writeSync(fd, frame, off);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        }
      }
    },
  };
}
