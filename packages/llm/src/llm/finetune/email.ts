// Raw RFC 822 / MIME messages (the SpamAssassin corpus) reduced to what a reader sees: the subject
// and a readable body. Headers are dropped; multipart messages are walked (text/plain preferred over
// text/html inside multipart/alternative, every text part of mixed/related kept, attachments
// dropped); quoted-printable and base64 are decoded; the bytes are decoded with the part's charset
// (TextDecoder: iso-8859-x, windows-125x, koi8-r, gb2312, big5, ...), guessing UTF-8 or windows-1252
// when none is declared; HTML is turned into text. The message is handled as a latin1 "binary"
// string so that every byte survives until its charset is known.

export interface ParsedEmail {
  subject: string;
  body: string;
}

type Headers = Map<string, string>;

// Splits a message (binary string) at its first empty line and unfolds the headers.
function splitMessage(raw: string): { headers: Headers; body: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  const head = m ? raw.slice(0, m.index) : raw;
  const body = m ? raw.slice(m.index + m[0].length) : '';
  const headers: Headers = new Map();
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    // The mbox "From addr date" line and anything else without a name: not a header.
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) continue;
    const name = line.slice(0, colon).toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { headers, body };
}

interface ContentType {
  type: string;
  params: Map<string, string>;
}

function parseContentType(value: string | undefined): ContentType {
  const params = new Map<string, string>();
  if (!value) return { type: 'text/plain', params };
  const [first, ...rest] = value.split(';');
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    let v = part.slice(eq + 1).trim();
    if (v.startsWith('"')) v = v.slice(1, v.indexOf('"', 1) > 0 ? v.indexOf('"', 1) : undefined);
    if (!params.has(key)) params.set(key, v);
  }
  // A boundary parameter may itself contain ';' inside its quotes.
  const quoted = /boundary\s*=\s*"([^"]*)"/i.exec(value);
  if (quoted) params.set('boundary', quoted[1]);
  return { type: first.trim().toLowerCase() || 'text/plain', params };
}

// Quoted-printable: soft line breaks removed, =XX turned back into its byte.
export function decodeQuotedPrintable(s: string): string {
  return s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function decodeTransfer(body: string, encoding: string | undefined): string {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1');
  if (e === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// Bytes (as a binary string) to text in the given charset, or a guess when it is absent or unknown.
export function decodeCharset(binary: string, charset: string | undefined): string {
  const bytes = Buffer.from(binary, 'latin1');
  const label = (charset ?? '').trim().toLowerCase().replace(/^"|"$/g, '');
  if (label && label !== 'default' && label !== 'us-ascii' && label !== 'ascii') {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // an unknown label: guess below
    }
  }
  if (!/[\x80-\xff]/.test(binary)) return binary;
  return new TextDecoder(isValidUtf8(bytes) ? 'utf-8' : 'windows-1252').decode(bytes);
}

// RFC 2047 encoded words in a header (=?charset?B|Q?text?=); the white space between two of them
// is dropped, as the RFC says.
export function decodeHeader(value: string): string {
  const word = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  const joined = value.replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?)/g, '$1');
  if (!word.test(joined)) return decodeCharset(joined, undefined);
  word.lastIndex = 0;
  let out = '';
  let last = 0;
  for (let m = word.exec(joined); m; m = word.exec(joined)) {
    out += decodeCharset(joined.slice(last, m.index), undefined);
    const [, charset, enc, text] = m;
    const binary =
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('latin1')
        : text
            .replace(/_/g, ' ')
            .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    out += decodeCharset(binary, charset.replace(/\*.*$/, ''));
    last = m.index + m[0].length;
  }
  return out + decodeCharset(joined.slice(last), undefined);
}

const ENTITIES: Record<string, string> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  bull: '•',
  middot: '·',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  deg: '°',
  times: '×',
  laquo: '«',
  raquo: '»',
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);?/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

// HTML to text: scripts, styles, comments and the head dropped; block elements end lines; the
// remaining tags removed and the entities decoded.
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<(br|hr)\b[^>]*>/gi, '\n')
      .replace(/<\/?(p|div|tr|li|ul|ol|table|h[1-6]|blockquote|pre|center|dd|dt|form)\b[^>]*>/gi, '\n')
      .replace(/<\/?(td|th)\b[^>]*>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/<[^>]*$/, ' '),
  );
}

// Readable text of one part (and its sub-parts), '' for attachments and non-text parts.
function partText(headers: Headers, body: string, depth: number): string {
  const ct = parseContentType(headers.get('content-type'));
  const [major, minor] = ct.type.split('/');
  if (major === 'multipart' && depth < 10) {
    const boundary = ct.params.get('boundary');
    if (!boundary) return decodeCharset(body, ct.params.get('charset'));
    const parts = splitMultipart(body, boundary).map((p) => splitMessage(p));
    if (minor === 'alternative') {
      const texts = parts.map((p) => ({ ct: parseContentType(p.headers.get('content-type')).type, p }));
      const plain = texts.find((t) => t.ct === 'text/plain');
      if (plain) {
        const text = partText(plain.p.headers, plain.p.body, depth + 1);
        if (text.trim()) return text;
      }
      for (const t of texts.reverse()) {
        const text = partText(t.p.headers, t.p.body, depth + 1);
        if (text.trim()) return text;
      }
      return '';
    }
    return parts
      .map((p) => partText(p.headers, p.body, depth + 1))
      .filter((t) => t.trim())
      .join('\n\n');
  }
  if (major === 'message' && minor === 'rfc822' && depth < 10) {
    const inner = splitMessage(decodeTransfer(body, headers.get('content-transfer-encoding')));
    return partText(inner.headers, inner.body, depth + 1);
  }
  // Attachments, images and the like carry no readable text.
  if (major !== 'text' || /^\s*attachment/i.test(headers.get('content-disposition') ?? '')) {
    return '';
  }
  const text = decodeCharset(
    decodeTransfer(body, headers.get('content-transfer-encoding')),
    ct.params.get('charset'),
  );
  // Much spam sends HTML as text/plain or with no Content-Type at all.
  return minor === 'html' || /<html|<body|<\/?(table|font|div)\b/i.test(text) ? htmlToText(text) : text;
}

function splitMultipart(body: string, boundary: string): string[] {
  const lines = body.split(/\r?\n/);
  const open = `--${boundary}`;
  const close = `--${boundary}--`;
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of lines) {
    const t = line.trimEnd();
    if (t === close) {
      if (current) parts.push(current.join('\n'));
      current = null;
      break;
    }
    if (t === open) {
      if (current) parts.push(current.join('\n'));
      current = [];
      continue;
    }
    current?.push(line);
  }
  if (current) parts.push(current.join('\n'));
  return parts;
}

// Spaces collapsed, lines trimmed, at most one empty line in a row.
export function tidyText(s: string): string {
  return s
    .replace(/\r/g, '')
    .replace(/[\t\f\v\u00a0 ]+/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function parseEmail(raw: Buffer | string): ParsedEmail {
  const binary =
    typeof raw === 'string' ? Buffer.from(raw, 'utf8').toString('latin1') : raw.toString('latin1');
  const { headers, body } = splitMessage(binary);
  // Some spam is multipart without saying so: the top-level Content-Type is missing but the body
  // has boundary lines followed by part headers.
  if (!headers.has('content-type')) {
    const m = /^--([^\r\n]+?)[ \t]*\r?\nContent-(?:Type|Transfer-Encoding):/im.exec(body);
    if (m) headers.set('content-type', `multipart/mixed; boundary="${m[1]}"`);
  }
  const subject = tidyText(decodeHeader(headers.get('subject') ?? '')).replace(/\n/g, ' ');
  return { subject, body: tidyText(partText(headers, body, 0)) };
}

// The text a classifier sees: the subject line, then the body.
export function emailToText(raw: Buffer | string): string {
  const { subject, body } = parseEmail(raw);
  return [subject, body].filter((s) => s !== '').join('\n');
}
