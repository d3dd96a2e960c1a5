// The added tokens of a tokenizer.json (tokenizers' AddedVocabulary): special tokens such as
// <|begin_of_text|> or <start_of_turn>, and ordinary added tokens such as Qwen3's <think>. They are
// cut out of the text before the normalizer and the pre-tokenizer see it: the leftmost match first,
// the longest at one position (Aho-Corasick's leftmost-longest), then single_word, lstrip and rstrip
// applied as tokenizers' find_matches applies them. A token with "normalized": true is matched in the
// normalized text instead, in a second pass.
import { UserError } from 'llm-scratch-core/errors';
import { MAX_ID } from './bpe-model.js';
import { isObject } from './json.js';

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

// What to do with a special token found in the text: 'split' it out as its id, encode it as 'text',
// or 'refuse' the text.
export type SpecialPolicy = (token: AddedToken) => 'split' | 'text' | 'refuse';

// A stretch of text [start, end) and the added token it is (id), or -1 for ordinary text.
export type Segment = [start: number, end: number, id: number];

// A word character as tokenizers' single_word reads it (regex-syntax's Unicode \w).
const WORD = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const SPACE = /\p{White_Space}/u;

interface TrieNode {
  next: Map<number, TrieNode>;
  token?: AddedToken;
}

export function parseAddedTokens(list: unknown, where: string): AddedToken[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new UserError(`${where}: "added_tokens" must be a list`);
  return list.map((t, i) => {
    const id = isObject(t) ? t.id : undefined;
    if (
      !isObject(t) ||
      typeof t.content !== 'string' ||
      t.content === '' ||
      !Number.isInteger(id) ||
      (id as number) < 0 ||
      (id as number) >= MAX_ID
    ) {
      throw new UserError(
        `${where}: added_tokens[${i}] needs a non-empty "content" and an "id" in 0..${MAX_ID - 1}`,
      );
    }
    return {
      id: t.id as number,
      content: t.content,
      special: t.special === true,
      singleWord: t.single_word === true,
      lstrip: t.lstrip === true,
      rstrip: t.rstrip === true,
      normalized: t.normalized === true,
    };
  });
}

// Matches one set of added tokens (those matched in the raw text, or in the normalized text).
export class AddedTokenMatcher {
  private readonly root: TrieNode = { next: new Map() };
  readonly size: number;

  constructor(tokens: AddedToken[]) {
    for (const token of tokens) {
      let node = this.root;
      for (let k = 0; k < token.content.length; k++) {
        const c = token.content.charCodeAt(k);
        let child = node.next.get(c);
        if (!child) node.next.set(c, (child = { next: new Map() }));
        node = child;
      }
      node.token = token;
    }
    this.size = tokens.length;
  }

  // The longest token starting at i, or undefined.
  private longestAt(text: string, i: number): AddedToken | undefined {
    let node: TrieNode | undefined = this.root;
    let found: AddedToken | undefined;
    for (let k = i; k < text.length; k++) {
      node = node.next.get(text.charCodeAt(k));
      if (!node) break;
      if (node.token) found = node.token;
    }
    return found;
  }

  // text[start, end) cut into ordinary stretches and added tokens, in order.
  split(text: string, start: number, end: number, policy: SpecialPolicy): Segment[] {
    const out: Segment[] = [];
    if (this.size === 0) return start < end ? [[start, end, -1]] : [];
    const slice = text.slice(0, end);
    let done = start;
    for (let i = start; i < end;) {
      const token = this.root.next.has(slice.charCodeAt(i)) ? this.longestAt(slice, i) : undefined;
      if (!token) {
        i++;
        continue;
      }
      let from = i;
      let to = i + token.content.length;
      i = to;
      if (token.special) {
        const action = policy(token);
        if (action === 'refuse') {
          throw new UserError(
            `the text contains the special token ${token.content} (id ${token.id}), which is not allowed: ` +
              `allow it (allowedSpecial, or --allow-special) or pass disallowedSpecial: [] to encode it as ordinary text`,
          );
        }
        if (action === 'text') continue;
      }
      if (token.singleWord) {
        const low = from - 1 > start && /[\udc00-\udfff]/.test(slice[from - 1]) ? 2 : 1;
        const before = from > start && WORD.test(slice.slice(from - low, from));
        const after = to < end && WORD.test(String.fromCodePoint(slice.codePointAt(to)!));
        if (before || after) continue;
      }
      if (token.lstrip) {
        let s = from;
        while (s > start && SPACE.test(slice[s - 1])) s--;
        from = Math.max(s, done);
      }
      if (token.rstrip) {
        while (to < end && SPACE.test(slice[to])) to++;
        i = to;
      }
      if (done < from) out.push([done, from, -1]);
      out.push([from, to, token.id]);
      done = to;
    }
    if (done < end) out.push([done, end, -1]);
    return out;
  }
}
