// The decoders of tokenizer.json: token strings back to text, as tokenizers' decode_chain does.
// ByteLevel (the byte table inverted; bytes that are not UTF-8 become U+FFFD), and Gemma's chain
// Replace('▁' -> ' '), ByteFallback (runs of <0xNN> tokens to the character they spell), Fuse,
// plus Strip and a Sequence of them.
import { UserError } from 'llm-scratch-core/errors';
import { bytesToUnicode } from '../byte-unicode.js';
import { componentType, patternField, stringField, type JsonObject } from './json.js';

export type Decoder = (tokens: string[]) => string[];

const TYPES = ['Sequence', 'ByteLevel', 'Replace', 'ByteFallback', 'Fuse', 'Strip'] as const;

let charBytes: Map<string, number> | null = null;

// The UTF-8 bytes of byte-level tokens; a token with a character outside the byte table gives its
// own UTF-8 bytes (an added token such as <|eot_id|>), as tokenizers does.
export function byteLevelBytes(tokens: string[]): Uint8Array {
  charBytes ??= new Map(bytesToUnicode().map((ch, b) => [ch, b]));
  const table = charBytes;
  const out: number[] = [];
  const utf8 = new TextEncoder();
  for (const token of tokens) {
    const bytes: number[] = [];
    let inTable = true;
    for (const ch of token) {
      const b = table.get(ch);
      if (b === undefined) {
        inTable = false;
        break;
      }
      bytes.push(b);
    }
    for (const b of inTable ? bytes : utf8.encode(token)) out.push(b);
  }
  return Uint8Array.from(out);
}

const lossy = new TextDecoder('utf-8', { ignoreBOM: true });
const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;

function byteFallback(tokens: string[]): string[] {
  const out: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length === 0) return;
    try {
      out.push(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(run)));
    } catch {
      // tokenizers gives one U+FFFD per byte of a run that is not UTF-8.
      for (let k = 0; k < run.length; k++) out.push('\ufffd');
    }
    run = [];
  };
  for (const token of tokens) {
    const m = BYTE_TOKEN.exec(token);
    if (m) {
      run.push(parseInt(m[1], 16));
    } else {
      flush();
      out.push(token);
    }
  }
  flush();
  return out;
}

export function buildDecoder(node: unknown, where: string): Decoder {
  if (node === null || node === undefined) return (tokens) => [tokens.join(' ')];
  const type = componentType(node, where, TYPES);
  const spec = node as JsonObject;
  switch (type) {
    case 'Sequence': {
      const parts = Array.isArray(spec.decoders) ? spec.decoders : [];
      const steps = parts.map((p, i) => buildDecoder(p, `${where}.decoders[${i}]`));
      return (tokens) => steps.reduce((t, step) => step(t), tokens);
    }
    case 'ByteLevel':
      return (tokens) => [lossy.decode(byteLevelBytes(tokens))];
    case 'Replace': {
      const pattern = patternField(spec, where);
      if (!('string' in pattern))
        throw new UserError(`${where}: a Replace decoder with a Regex is not supported`);
      const content = stringField(spec, 'content', where);
      return (tokens) => tokens.map((t) => t.replaceAll(pattern.string, content));
    }
    case 'ByteFallback':
      return byteFallback;
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    default: {
      const content = stringField(spec, 'content', where);
      const [left, right] = [Number(spec.start ?? 0), Number(spec.stop ?? 0)];
      return (tokens) =>
        tokens.map((t) => {
          const chars = [...t];
          let s = 0;
          while (s < left && chars[s] === content) s++;
          let e = chars.length;
          while (chars.length - e < right && e > s && chars[e - 1] === content) e--;
          return chars.slice(s, e).join('');
        });
    }
  }
}
