// What the hub announces about a file, and the running hash that checks a download against it.
// An LFS file (the weights) is named by the sha256 of its content (the tree's lfs.oid, also sent
// as X-Linked-Etag); a file kept in git itself by its git blob id, the sha1 of
// "blob <size>\0" + content, which the tree lists as its oid.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface Expected {
  size: number;
  hash: { kind: 'sha256' | 'git-sha1'; hex: string } | null;
}

interface TreeEntry {
  size: number;
  oid?: string;
  lfs?: { oid: string; size: number };
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX40 = /^[0-9a-f]{40}$/;

export function expectedOf(entry: TreeEntry): Expected {
  if (entry.lfs) {
    const oid = entry.lfs.oid.replace(/^sha256:/, '');
    return { size: entry.lfs.size, hash: HEX64.test(oid) ? { kind: 'sha256', hex: oid } : null };
  }
  const oid = entry.oid ?? '';
  return { size: entry.size, hash: HEX40.test(oid) ? { kind: 'git-sha1', hex: oid } : null };
}

export interface RunningHash {
  update(bytes: Uint8Array): void;
  // The hex digest, or null when the hub announced no hash to compare with.
  digest(): string | null;
}

export function runningHash(expected: Expected): RunningHash {
  let hash: Hash | null = null;
  if (expected.hash?.kind === 'sha256') hash = createHash('sha256');
  if (expected.hash?.kind === 'git-sha1') {
    hash = createHash('sha1');
    hash.update(`blob ${expected.size}\0`);
  }
  return {
    update: (bytes) => void hash?.update(bytes),
    digest: () => (hash ? hash.digest('hex') : null),
  };
}

/** Feeds a file on disk into a running hash (the part of a download already there). */
export async function hashFile(path: string, into: RunningHash): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    into.update(chunk);
    bytes += chunk.length;
  }
  return bytes;
}

/** Whether a file on disk is the one announced: its size, then its hash. */
export async function fileMatches(path: string, size: number, expected: Expected): Promise<boolean> {
  if (size !== expected.size) return false;
  if (!expected.hash) return true;
  const hash = runningHash(expected);
  await hashFile(path, hash);
  return hash.digest() === expected.hash.hex;
}
