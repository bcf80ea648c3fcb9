/**
 * Pulls exact byte counts out of a chunked async stream, keeping only what is asked for.
 * `onChunk` sees the running total after each chunk so callers can stop a bomb early.
 */
export class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Bytes pulled from the stream so far. */
  total = 0;

  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly onChunk: (total: number) => void,
  ) {}

  /** True when the stream has ended and nothing is left buffered. */
  get drained(): boolean {
    return this.ended && this.buffered === 0;
  }

  /** Exactly `n` bytes, or undefined when the stream ends first. */
  async take(n: number): Promise<Buffer | undefined> {
    while (this.buffered < n) {
      if (!(await this.pull())) return undefined;
    }
    return this.consume(n);
  }

  /** Discards `n` bytes; false when the stream ends first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.pull())) return false;
      const k = Math.min(left, this.buffered);
      this.consume(k);
      left -= k;
    }
    return true;
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.source.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    const chunk = next.value;
    this.total += chunk.length;
    this.onChunk(this.total);
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }

  private consume(n: number): Buffer {
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const head = this.chunks[0] as Buffer;
      if (head.length <= left) {
        parts.push(head);
        this.chunks.shift();
        left -= head.length;
      } else {
        parts.push(head.subarray(0, left));
        this.chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.buffered -= n;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, n);
  }
}
