// A pre-tokenizer regex of a tokenizer.json, translated to a JavaScript RegExp that matches what
// Hugging Face tokenizers matches. tokenizers runs these patterns with Oniguruma, whose syntax and
// classes differ from JavaScript's in three ways that the released models use:
//   (?i:...)  a case-insensitive group (Llama 3, Qwen3), invalid in Node 20's RegExp: each letter
//             inside becomes the class of the characters that fold to it, so 's' also matches
//             U+017F LATIN SMALL LETTER LONG S, as Oniguruma's Unicode case folding does;
//   \s, \S    Oniguruma's \s is Unicode White_Space, which has U+0085 and lacks U+FEFF, the reverse
//             of JavaScript's; both are written out as explicit classes;
//   \d, \w    Unicode in Oniguruma, ASCII in JavaScript.
// Escapes of punctuation that is not special (\# \& \~, valid in Oniguruma) are invalid with the u
// flag and become the character. Anything else this translator does not understand is refused with
// a one-line error rather than guessed.
import { UserError } from 'llm-scratch-core/errors';

const WHITE_SPACE = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const DIGIT = '\\p{Nd}';
const WORD = '\\p{L}\\p{M}\\p{Nd}\\p{Pc}';
// Characters that keep their backslash under the u flag.
const SYNTAX = new Set('^$\\.*+?()[]{}|/-');

// The escape at source[i] (a backslash), inside a class or not: the JavaScript text and its length.
function translateEscape(source: string, i: number, inClass: boolean, where: string): [string, number] {
  const c = source[i + 1];
  if (c === undefined) throw new UserError(`${where}: the regex ends with a backslash`);
  const within = (body: string) => (inClass ? body : `[${body}]`);
  switch (c) {
    case 's':
      return [within(WHITE_SPACE), 2];
    case 'd':
      return [within(DIGIT), 2];
    case 'w':
      return [within(WORD), 2];
    case 'S':
    case 'D':
    case 'W': {
      if (inClass) throw new UserError(`${where}: \\${c} inside a character class is not supported`);
      const body = c === 'S' ? WHITE_SPACE : c === 'D' ? DIGIT : WORD;
      return [`[^${body}]`, 2];
    }
    case 'p':
    case 'P': {
      const end = source.indexOf('}', i);
      if (source[i + 2] !== '{' || end < 0) {
        throw new UserError(`${where}: \\${c} without {Name} is not supported`);
      }
      return [source.slice(i, end + 1), end + 1 - i];
    }
    default:
      if (c === '-' && !inClass) return ['-', 2];
      if (/[A-Za-z0-9]/.test(c) || SYNTAX.has(c)) return [source.slice(i, i + 2), 2];
      return [`\\u{${c.codePointAt(0)!.toString(16)}}`, 2];
  }
}

let foldGroups: Map<string, string[]> | null = null;

// BMP characters grouped by their lower case and by the lower case of their upper case (U+017F's
// upper case is 'S'), built once: the candidates for case folding, which a RegExp test then confirms.
function caseCandidates(key: string): string[] {
  if (!foldGroups) {
    const groups = new Map<string, string[]>();
    const add = (k: string, x: string) => {
      const list = groups.get(k);
      if (!list) groups.set(k, [x]);
      else if (!list.includes(x)) list.push(x);
    };
    for (let cp = 0; cp < 0x10000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const x = String.fromCharCode(cp);
      const lower = x.toLowerCase();
      if (lower === x && x.toUpperCase() === x) continue;
      add(lower, x);
      add(x.toUpperCase().toLowerCase(), x);
    }
    foldGroups = groups;
  }
  return foldGroups.get(key) ?? [];
}

// The characters that fold to the same character as ch, as a class (or ch itself when none other).
function caseClass(ch: string): string {
  const test = new RegExp(`^${ch}$`, 'iu');
  const found = new Set<string>([ch]);
  for (const key of [ch.toLowerCase(), ch.toUpperCase().toLowerCase()]) {
    for (const x of caseCandidates(key)) if (test.test(x)) found.add(x);
  }
  if (found.size === 1) return ch;
  return `[${[...found].map((x) => `\\u{${x.codePointAt(0)!.toString(16)}}`).join('')}]`;
}

// The body of a (?i:...) group: letters, and the literal punctuation and alternation our models use.
function caseInsensitive(body: string, where: string): string {
  let out = '(?:';
  for (const ch of body) {
    if (/\p{L}/u.test(ch)) out += caseClass(ch);
    else if (ch === '|') out += '|';
    else if (/[\p{P}\p{S}\p{Zs}]/u.test(ch) && !SYNTAX.has(ch))
      out += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
    else throw new UserError(`${where}: ${JSON.stringify(ch)} inside (?i:...) is not supported`);
  }
  return out + ')';
}

export function translateRegex(source: string, where: string): RegExp {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length;) {
    const c = source[i];
    if (c === '\\') {
      const [text, length] = translateEscape(source, i, inClass, where);
      out += text;
      i += length;
    } else if (!inClass && source.startsWith('(?i:', i)) {
      const end = source.indexOf(')', i);
      if (end < 0) throw new UserError(`${where}: unclosed (?i: group`);
      out += caseInsensitive(source.slice(i + 4, end), where);
      i = end + 1;
    } else if (!inClass && source.startsWith('(?', i) && !/^\(\?(:|=|!|<=|<!)/.test(source.slice(i))) {
      throw new UserError(`${where}: the group ${source.slice(i, i + 4)}... is not supported`);
    } else {
      if (c === '[' && !inClass) inClass = true;
      else if (c === ']' && inClass) inClass = false;
      out += c;
      i++;
    }
  }
  try {
    return new RegExp(out, 'gu');
  } catch (err) {
    throw new UserError(`${where}: the regex is not supported (${(err as Error).message})`);
  }
}
