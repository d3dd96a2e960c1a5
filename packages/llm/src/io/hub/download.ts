// One file of a repository, downloaded so that an interruption costs nothing: the bytes go to
// FILE.part, a rerun continues that partial file from where it stopped (the source is asked for
// the bytes from an offset: an HTTP Range request), and only a file whose size and hash match
// what the hub announced is renamed to its final name. A partial file never has the final name.
import { rmSync } from 'node:fs';
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { UserError } from 'llm-scratch-core/errors';
import { hashFile, runningHash, type Expected, type RunningHash } from './verify.js';

export interface Body {
  stream: ReadableStream<Uint8Array>;
  // Where the bytes the server sends really start, known once the response has come: the
  // offset asked for, or 0 from a server that ignored the Range request and sends everything.
  servedFrom(): number;
}

export interface FileDownload {
  // The path in the repository, for messages.
  name: string;
  final: string;
  expected: Expected;
  open(offset: number): Promise<Body>;
  onProgress(done: number): void;
  // With no byte for this long, the download stops (and can resume) rather than hang.
  stallMs: number;
}

export type Outcome = 'downloaded' | 'resumed';

// The partial file being written and what it holds so far.
interface Partial {
  file: FileHandle;
  hash: RunningHash;
  done: number;
}

// Bytes past the announced size: the partial file cannot be the announced file.
class Overflow extends UserError {}

export const partOf = (final: string): string => `${final}.part`;

// The length of a partial file; anything else in its place (a directory) fails when opened.
async function sizeOf(path: string): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

function reasonOf(err: unknown): string {
  if (typeof err === 'string') return err;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.message ?? e.cause?.code;
  return cause ? `${e.message}: ${cause}` : e.message;
}

function interrupted(d: FileDownload, done: number, reason: string): UserError {
  return new UserError(
    `${d.name}: the download stopped at ${done} of ${d.expected.size} bytes (${reason}); run the same command again to resume it`,
  );
}

function diskError(path: string, err: unknown): UserError {
  return new UserError(
    `cannot write ${path}: ${(err as Error).message}; what was downloaded is kept, run the command again once that is fixed`,
  );
}

/** Downloads d.final (resuming its .part), verifies it, and moves it into place. */
export async function downloadVerified(d: FileDownload): Promise<Outcome> {
  const part = partOf(d.final);
  let have = (await sizeOf(part)) ?? 0;
  if (have > d.expected.size) {
    rmSync(part, { force: true });
    have = 0;
  }
  const resumed = have > 0;
  const hash = runningHash(d.expected);
  if (have > 0) await hashFile(part, hash);
  let file;
  try {
    file = await open(part, 'a');
  } catch (err) {
    throw diskError(part, err);
  }
  const p: Partial = { file, hash, done: have };
  try {
    if (p.done < d.expected.size) await receive(d, p);
    await file.sync();
  } catch (err) {
    await file.close();
    if (err instanceof Overflow) rmSync(part, { force: true });
    if (err instanceof UserError) throw err;
    throw diskError(part, err);
  }
  await file.close();
  if (p.done < d.expected.size) throw interrupted(d, p.done, 'the connection ended early');
  const digest = p.hash.digest();
  if (d.expected.hash && digest !== d.expected.hash.hex) {
    rmSync(part, { force: true });
    throw new UserError(
      `${d.name}: ${d.expected.hash.kind} mismatch: the hub announces ${d.expected.hash.hex}, the download has ${digest}; the partial file is deleted, run the command again`,
    );
  }
  try {
    await rename(part, d.final);
  } catch (err) {
    throw diskError(d.final, err);
  }
  return resumed ? 'resumed' : 'downloaded';
}

function readWithin<T>(read: Promise<T>, ms: number, onStall: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // First: cancelling the reader ends the pending read, which must not win the race.
      reject(new Error(`no data for ${ms / 1000} s`));
      onStall();
    }, ms);
  });
  return Promise.race([read, stall]).finally(() => clearTimeout(timer));
}

// Appends the bytes from p.done on to the partial file.
async function receive(d: FileDownload, p: Partial): Promise<void> {
  let body: Body;
  try {
    body = await d.open(p.done);
  } catch (err) {
    throw interrupted(d, p.done, reasonOf(err));
  }
  const reader = body.stream.getReader();
  const asked = p.done;
  let first = true;
  let finished = false;
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await readWithin(reader.read(), d.stallMs, () => void reader.cancel().catch(() => {}));
      } catch (err) {
        throw interrupted(d, p.done, reasonOf(err));
      }
      if (chunk.done) {
        finished = true;
        return;
      }
      if (first) {
        first = false;
        const start = body.servedFrom();
        if (start !== asked) {
          if (start !== 0) throw interrupted(d, p.done, `asked for bytes from ${asked}, sent from ${start}`);
          // The server ignored the Range request and sends the whole file: start it over.
          await p.file.truncate(0);
          p.hash = runningHash(d.expected);
          p.done = 0;
        }
      }
      if (p.done + chunk.value.length > d.expected.size)
        throw new Overflow(
          `${d.name}: the server sent more than the announced ${d.expected.size} bytes; the partial file is deleted, run the command again`,
        );
      await writeAll(p.file, chunk.value);
      p.hash.update(chunk.value);
      p.done += chunk.value.length;
      d.onProgress(p.done);
    }
  } finally {
    // Closes the connection of a download that stops early.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += (await file.write(bytes, written, bytes.length - written)).bytesWritten;
  }
}
