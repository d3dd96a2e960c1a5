// Pulls a model directory from the Hugging Face hub with @huggingface/hub: the revision is
// resolved to its commit once (so that a branch that moves during the pull cannot mix two
// versions), the commit's tree says which files exist with their sizes and hashes, and each file
// the model needs is downloaded resumably and verified (download.ts). A file already there and
// matching is left alone, so a rerun finishes what an earlier one started.
import { downloadFile, fileDownloadInfo, listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { explain, gatedError, hubFetch, type HubFetch, type HubTarget } from './client.js';
import { downloadVerified, type Body } from './download.js';
import { chooseModelFiles, weightsFromIndex } from './model-files.js';
import { expectedOf, fileMatches, type Expected } from './verify.js';

export interface PullRequest extends HubTarget {
  dir: string;
  // Before a file is checked and fetched, and after it is in place.
  onFile?(path: string, size: number): void;
  onProgress?(path: string, done: number, size: number): void;
  onDone?(file: PulledFile): void;
  // How long a server may stay silent before a request gives up (default: one minute).
  stallMs?: number;
}

export interface PulledFile {
  path: string;
  size: number;
  sha256?: string;
  // The git blob id of a file kept in git rather than LFS.
  oid?: string;
  status: 'present' | 'downloaded' | 'resumed';
}

export interface PullResult {
  repo: string;
  revision: string;
  commit: string;
  dir: string;
  files: PulledFile[];
}

const STALL_MS = 60_000;

// Files that hold weights in a format llm-scratch does not read, named when a repository has
// no safetensors so that the message says what is there instead.
const OTHER_WEIGHTS = /\.(bin|pth|pt|ckpt|gguf|msgpack|h5|onnx)$/;

interface Session {
  target: HubTarget;
  http: HubFetch;
  hub: { hubUrl: string; accessToken: string | undefined; fetch: typeof fetch };
}

async function resolveCommit(s: Session): Promise<string> {
  let info;
  try {
    info = await modelInfo({
      name: s.target.repo,
      revision: s.target.revision,
      additionalFields: ['sha'],
      ...s.hub,
    });
  } catch (err) {
    explain(err, s.target, s.http);
  }
  // Said before any download: the hub shows a gated repository's info and tree to anyone.
  if (info.gated && !s.target.token) throw gatedError(s.target, true);
  if (typeof info.sha !== 'string' || info.sha === '')
    throw new UserError(`${s.target.endpoint} gave no commit for ${s.target.repo} at '${s.target.revision}'`);
  return info.sha;
}

async function listTree(s: Session, commit: string): Promise<Map<string, ListFileEntry>> {
  const tree = new Map<string, ListFileEntry>();
  try {
    for await (const entry of listFiles({ repo: s.target.repo, revision: commit, recursive: true, ...s.hub }))
      if (entry.type === 'file') tree.set(entry.path, entry);
  } catch (err) {
    explain(err, s.target, s.http);
  }
  return tree;
}

// The hub's answer to a download names the file by its ETag (X-Linked-Etag for LFS: the sha256).
const etagHex = (etag: string) => etag.replace(/^W\//, '').replaceAll('"', '');

function checkAnnounced(path: string, expected: Expected, size: number, etag: string): Expected {
  if (size !== expected.size)
    throw new UserError(
      `${path}: the hub's tree lists ${expected.size} bytes but its download announces ${size}; run again, the repository may have changed`,
    );
  // The tree's lfs.oid comes first; a CDN's own ETag after a redirect need not be the sha256.
  const hex = etagHex(etag);
  if (expected.hash === null && /^[0-9a-f]{64}$/.test(hex)) return { size, hash: { kind: 'sha256', hex } };
  return expected;
}

async function matchesOnDisk(path: string, size: number, expected: Expected): Promise<boolean> {
  try {
    return await fileMatches(path, size, expected);
  } catch (err) {
    throw new UserError(`cannot read ${path} to check it: ${(err as Error).message}`);
  }
}

async function pullFile(
  s: Session,
  req: PullRequest,
  commit: string,
  entry: ListFileEntry,
): Promise<PulledFile> {
  const path = entry.path;
  let expected = expectedOf(entry);
  const final = join(req.dir, path);
  const described = (status: PulledFile['status']): PulledFile => ({
    path,
    size: expected.size,
    ...(expected.hash?.kind === 'sha256' ? { sha256: expected.hash.hex } : {}),
    ...(expected.hash?.kind === 'git-sha1' ? { oid: expected.hash.hex } : {}),
    status,
  });
  const onDisk = (() => {
    try {
      return lstatSync(final);
    } catch {
      return null;
    }
  })();
  if (onDisk?.isDirectory())
    throw new UserError(`${final}: a directory where ${path} of ${s.target.repo} goes`);
  if (onDisk?.isFile() && (await matchesOnDisk(final, onDisk.size, expected))) return described('present');

  const args = { repo: s.target.repo, path, revision: commit, ...s.hub };
  let blob: Blob | null;
  try {
    const info = await fileDownloadInfo(args);
    if (!info) throw new UserError(`${path}: listed in ${s.target.repo} but the hub does not serve it`);
    expected = checkAnnounced(path, expected, info.size, info.etag);
    // xet: false: the plain resolve URL, which answers Range requests (the xet protocol's own
    // download does not resume a partial file).
    blob = await downloadFile({ ...args, downloadInfo: info, xet: false });
  } catch (err) {
    explain(err, s.target, s.http, path);
  }
  if (!blob) throw new UserError(`${path}: listed in ${s.target.repo} but the hub does not serve it`);
  const source = blob;
  const status = await downloadVerified({
    name: path,
    final,
    expected,
    stallMs: req.stallMs ?? STALL_MS,
    open: async (offset): Promise<Body> => ({
      stream: source.slice(offset).stream() as ReadableStream<Uint8Array>,
      servedFrom: () => s.http.servedFrom(),
    }),
    onProgress: (done) => req.onProgress?.(path, done, expected.size),
  });
  return described(status);
}

function shardsOf(s: Session, dir: string, index: string, tree: Map<string, ListFileEntry>): string[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, index), 'utf8'));
  } catch (err) {
    throw new UserError(`${index} of ${s.target.repo}: not JSON (${(err as Error).message})`);
  }
  const shards = weightsFromIndex(json);
  if (typeof shards === 'string') throw new UserError(`${index} of ${s.target.repo}: ${shards}`);
  const missing = shards.find((f) => !tree.has(f));
  if (missing)
    throw new UserError(`${index} of ${s.target.repo} names ${missing}, which the repository does not hold`);
  return shards;
}

/** Downloads what a model directory needs from `req.repo` at `req.revision` into `req.dir`. */
export async function pullModel(req: PullRequest): Promise<PullResult> {
  const http = hubFetch(req.stallMs ?? STALL_MS);
  const s: Session = {
    target: { endpoint: req.endpoint, repo: req.repo, revision: req.revision, token: req.token },
    http,
    hub: { hubUrl: req.endpoint, accessToken: req.token, fetch: http.fetch },
  };
  const commit = await resolveCommit(s);
  const tree = await listTree(s, commit);
  const choice = chooseModelFiles([...tree.keys()]);
  if (!choice.first.includes('config.json'))
    throw new UserError(
      `${req.repo} has no config.json at its top level: not a model repository llm-scratch can load`,
    );
  if (!choice.index && choice.weights.length === 0) {
    const other = [...tree.keys()].filter((p) => OTHER_WEIGHTS.test(p));
    throw new UserError(
      `${req.repo} has no safetensors weights${other.length ? ` (only ${other.slice(0, 3).join(', ')})` : ''}: llm-scratch reads safetensors only`,
    );
  }
  mkdirSync(req.dir, { recursive: true });
  const files: PulledFile[] = [];
  const fetchAll = async (paths: string[]) => {
    for (const path of paths) {
      const entry = tree.get(path) as ListFileEntry;
      req.onFile?.(path, expectedOf(entry).size);
      const file = await pullFile(s, req, commit, entry);
      files.push(file);
      req.onDone?.(file);
    }
  };
  // The shard index first: it says which weight files there are.
  if (choice.index) await fetchAll([choice.index]);
  await fetchAll(choice.first.filter((f) => f !== choice.index));
  await fetchAll(choice.index ? shardsOf(s, req.dir, choice.index, tree) : choice.weights);
  return { repo: req.repo, revision: req.revision, commit, dir: req.dir, files };
}
