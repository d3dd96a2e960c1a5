// A stand-in for the Hugging Face hub on 127.0.0.1, speaking the download protocol as
// @huggingface/hub uses it: model info (/api/models/REPO/revision/REV, with the commit as `sha`),
// the tree (/api/models/REPO/tree/REV, with `lfs` entries), and /REPO/resolve/REV/PATH with the
// headers the client reads (ETag, X-Repo-Commit, X-Linked-Size and X-Linked-Etag on a redirect
// to an LFS file's storage), Range requests, and the hub's errors with their X-Error-Code
// (GatedRepo 401/403, RepoNotFound 401 without a token, RevisionNotFound, EntryNotFound).
// Faults for tests: cut a file's body after some bytes (a number of times), or serve wrong bytes.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRepo {
  files: Record<string, Uint8Array>;
  // Gated: /resolve needs `Authorization: Bearer <token>` (the info and the tree stay public).
  token?: string;
}

export type Fault =
  | { path: string; cut: number; times: number }
  | { path: string; corrupt: true }
  // Answers a Range request with the whole file (200), as a server without range support does.
  | { path: string; ignoreRange: true }
  // Sends this many bytes, then nothing more, keeping the connection open.
  | { path: string; stallAfter: number }
  // Never answers a request for the file (not even its headers).
  | { path: string; silent: true };

export interface SeenRequest {
  url: string;
  range: string | null;
  authorization: string | null;
  status: number;
  // Body bytes written to the socket.
  bytesSent: number;
}

export interface StandInHub {
  url: string;
  requests: SeenRequest[];
  faults: Fault[];
  close(): Promise<void>;
}

// As the hub's default .gitattributes: weights in any format go to LFS.
const LFS = /\.(safetensors|bin|pth|msgpack|onnx|gguf|model)$/;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Uint8Array) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
// A repository's commit, fixed by its content as a git commit would be.
const commitOf = (repo: StandInRepo) =>
  createHash('sha1')
    .update(JSON.stringify(Object.keys(repo.files).sort()))
    .update(Object.values(repo.files).map(sha256).join())
    .digest('hex');

function treeOf(repo: StandInRepo) {
  const entries: object[] = [];
  const dirs = new Set<string>();
  for (const [path, bytes] of Object.entries(repo.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    entries.push({
      type: 'file',
      path,
      size: bytes.length,
      ...(LFS.test(path)
        ? {
            oid: gitOid(
              Buffer.from(
                `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(bytes)}\nsize ${bytes.length}\n`,
              ),
            ),
            lfs: { oid: sha256(bytes), size: bytes.length, pointerSize: 134 },
          }
        : { oid: gitOid(bytes) }),
    });
  }
  for (const dir of dirs)
    entries.push({ type: 'directory', path: dir, size: 0, oid: gitOid(Buffer.from(dir)) });
  return entries;
}

function hubError(res: ServerResponse, status: number, code: string, message: string): number {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-error-code': code,
    'x-error-message': message,
  });
  res.end(JSON.stringify({ error: message }));
  return status;
}

export async function startStandInHub(repos: Record<string, StandInRepo>): Promise<StandInHub> {
  const requests: SeenRequest[] = [];
  const faults: Fault[] = [];
  const commits = new Map(Object.entries(repos).map(([name, repo]) => [name, commitOf(repo)]));

  // Sends bytes (or the part a Range asks for), applying the faults set for `path`.
  function sendBytes(
    req: IncomingMessage,
    res: ServerResponse,
    seen: SeenRequest,
    path: string,
    bytes: Uint8Array,
    headers: Record<string, string>,
  ): number {
    let body = bytes;
    const fault = faults.find((f) => f.path === path);
    if (fault && 'corrupt' in fault) {
      body = Uint8Array.from(bytes);
      body[body.length >> 1] ^= 0xff;
    }
    const probe = req.headers.range === 'bytes=0-0';
    const ignored = fault && 'ignoreRange' in fault && !probe;
    const range = ignored ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let status = 200;
    let start = 0;
    let end = body.length - 1;
    if (range) {
      start = Number(range[1]);
      end = range[2] === '' ? body.length - 1 : Math.min(Number(range[2]), body.length - 1);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` });
        res.end();
        return 416;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
    }
    const slice = body.subarray(start, end + 1);
    res.writeHead(status, { ...headers, 'accept-ranges': 'bytes', 'content-length': String(slice.length) });
    // A cut applies to a real download, not to the client's one-byte probe.
    if (fault && 'cut' in fault && fault.times > 0 && slice.length > 1) {
      fault.times--;
      const sent = slice.subarray(0, Math.min(fault.cut, slice.length));
      seen.bytesSent = sent.length;
      res.write(sent, () => res.socket?.destroy());
      return status;
    }
    if (fault && 'stallAfter' in fault && !probe) {
      seen.bytesSent = Math.min(fault.stallAfter, slice.length);
      res.write(slice.subarray(0, seen.bytesSent));
      return status;
    }
    seen.bytesSent = slice.length;
    res.end(slice);
    return status;
  }

  function handle(req: IncomingMessage, res: ServerResponse, seen: SeenRequest): number {
    const url = new URL(req.url ?? '/', 'http://hub');
    const path = decodeURIComponent(url.pathname);
    const auth = req.headers.authorization ?? null;

    const lfs = /^\/lfs-storage\/([0-9a-f]{64})$/.exec(path);
    if (lfs) {
      const [name, file] = [url.searchParams.get('repo') ?? '', url.searchParams.get('path') ?? ''];
      const bytes = repos[name]?.files[file];
      if (!bytes || sha256(bytes) !== lfs[1]) return hubError(res, 404, 'EntryNotFound', 'no such object');
      return sendBytes(req, res, seen, file, bytes, { etag: `"${lfs[1]}"` });
    }

    const api = /^\/api\/models\/(.+?)\/(revision|tree)\/([^/]+)(?:\/(.*))?$/.exec(path);
    const resolve = api ? null : /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const [name, revision] = api ? [api[1], api[3]] : resolve ? [resolve[1], resolve[2]] : ['', ''];
    const repo = repos[name];
    if (!api && !resolve) return hubError(res, 404, 'NotFound', 'no such route');
    // The hub answers 401 for a repository it does not show, so as not to tell whether it exists.
    if (!repo) return hubError(res, auth ? 404 : 401, 'RepoNotFound', 'Repository not found');
    const commit = commits.get(name) as string;
    if (revision !== 'main' && revision !== 'HEAD' && revision !== commit)
      return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);

    if (api?.[2] === 'revision') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          _id: commit.slice(0, 24),
          id: name,
          private: false,
          gated: repo.token ? 'manual' : false,
          downloads: 0,
          likes: 0,
          lastModified: '2026-01-01T00:00:00.000Z',
          sha: commit,
        }),
      );
      return 200;
    }
    if (api) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(treeOf(repo)));
      return 200;
    }

    const file = (resolve as RegExpExecArray)[3];
    if (faults.some((f) => f.path === file && 'silent' in f)) return 0;
    if (repo.token && auth !== `Bearer ${repo.token}`)
      return hubError(res, auth ? 403 : 401, 'GatedRepo', `Access to model ${name} is restricted.`);
    const bytes = repo.files[file];
    if (!bytes) return hubError(res, 404, 'EntryNotFound', 'Entry not found');
    if (LFS.test(file)) {
      const hash = sha256(bytes);
      res.writeHead(302, {
        location: `/lfs-storage/${hash}?repo=${encodeURIComponent(name)}&path=${encodeURIComponent(file)}`,
        'x-repo-commit': commit,
        'x-linked-size': String(bytes.length),
        'x-linked-etag': `"${hash}"`,
        etag: `"${hash}"`,
      });
      res.end();
      return 302;
    }
    return sendBytes(req, res, seen, file, bytes, { etag: `"${gitOid(bytes)}"`, 'x-repo-commit': commit });
  }

  const server = createServer((req, res) => {
    const seen: SeenRequest = {
      url: req.url ?? '',
      range: req.headers.range ?? null,
      authorization: req.headers.authorization ?? null,
      status: 0,
      bytesSent: 0,
    };
    requests.push(seen);
    seen.status = handle(req, res, seen);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
