import { type Cipher, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Held in memory up to this many bytes; the rest of a longer body goes to a temporary file. */
export const SPILL_AT = 16 * 2 ** 20;
/** Bytes read back per step: about what the network delivers at a time (an SSE parser fed a megabyte at once is 6× slower). */
const READ_STEP = 64 * 1024;
const CIPHER = 'aes-256-ctr';

interface Spill {
  folder: string;
  file: string;
  /** Open while the body is received. */
  fd?: number;
  cipher?: Cipher;
  key: Buffer;
  iv: Buffer;
}

/**
 * A response body received while recording, kept until its recording is written: the stored chunks are
 * made from it each time they are read (secret scan, file write). A huge stream is not held in memory:
 * past `spillAt` bytes it goes to a temporary file, encrypted with a key only this process knows (the
 * body may hold a credential the server echoed, and nothing readable of it may reach the disk before
 * the secret scan), and is read back a step at a time. `release` deletes the file.
 */
export class ReceivedBody implements Iterable<Uint8Array> {
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private spill?: Spill;
  private released = false;
  private readonly spillAt: number;
  private readonly readStep: number;

  constructor(private readonly options: { spillAt?: number; tmpDir?: string; readStep?: number } = {}) {
    this.spillAt = options.spillAt ?? SPILL_AT;
    this.readStep = options.readStep ?? READ_STEP;
  }

  get spilled(): boolean {
    return this.spill !== undefined;
  }

  /** Adds a part as it arrived. Throws when the body is large and cannot be written to a temporary file. */
  add(part: Uint8Array): void {
    if (this.spill) return this.write(this.spill.cipher!.update(part));
    this.held.push(part);
    this.heldBytes += part.byteLength;
    if (this.heldBytes <= this.spillAt) return;
    this.spill = this.openSpill();
    for (const held of this.held.splice(0)) this.write(this.spill.cipher!.update(held));
  }

  /** The body is complete (or broken off): no more parts. */
  end(): void {
    const spill = this.spill;
    if (spill?.fd === undefined) return;
    this.write(spill.cipher!.final());
    fs.closeSync(spill.fd);
    spill.fd = undefined;
    spill.cipher = undefined;
  }

  /** Deletes the temporary file, if any. */
  release(): void {
    this.released = true;
    this.held = [];
    if (!this.spill) return;
    if (this.spill.fd !== undefined) fs.closeSync(this.spill.fd);
    fs.rmSync(this.spill.folder, { recursive: true, force: true });
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    if (this.released) throw new Error('jest-replay: a received body was read after it was released');
    if (!this.spill) return yield* this.held;
    const { file, key, iv } = this.spill;
    const decipher = createDecipheriv(CIPHER, key, iv);
    const fd = fs.openSync(file, 'r');
    try {
      const step = Buffer.allocUnsafe(this.readStep);
      for (let read = fs.readSync(fd, step); read > 0; read = fs.readSync(fd, step)) yield decipher.update(step.subarray(0, read));
    } finally {
      fs.closeSync(fd);
    }
  }

  private openSpill(): Spill {
    const base = this.options.tmpDir ?? os.tmpdir();
    try {
      const folder = fs.mkdtempSync(path.join(base, 'jest-replay-'));
      const file = path.join(folder, 'body');
      const key = randomBytes(32);
      const iv = randomBytes(16);
      return { folder, file, fd: fs.openSync(file, 'wx', 0o600), cipher: createCipheriv(CIPHER, key, iv), key, iv };
    } catch (error) {
      const cause = (error as Error).message;
      throw new Error(`jest-replay: could not keep a large response body in a temporary file under ${base} (${cause}); set TMPDIR to a writable folder`);
    }
  }

  /** Appends encrypted bytes to the file. */
  private write(bytes: Uint8Array): void {
    const { fd, folder } = this.spill!;
    try {
      for (let at = 0; at < bytes.byteLength; ) at += fs.writeSync(fd!, bytes, at);
    } catch (error) {
      throw new Error(`jest-replay: could not keep a large response body in a temporary file under ${path.dirname(folder)} (${(error as Error).message})`);
    }
  }
}
