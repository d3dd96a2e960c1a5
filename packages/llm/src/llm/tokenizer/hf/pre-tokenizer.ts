// The pre-tokenizers of tokenizer.json: they cut a stretch of normalized text into the pieces that
// BPE merges within. Split (a regex or a string, with its delimiter behaviour: Llama 3's and Qwen3's
// pattern, Gemma's split on ' '), ByteLevel (GPT-2's, with or without its own regex) and Sequence.
// ByteLevel's mapping of bytes to printable characters is not done here: it tells the BPE model to
// start from the UTF-8 bytes of each piece (bpe-model.ts), which is the same thing without the
// strings.
import { UserError } from 'llm-scratch-core/errors';
import { pretokenize } from '../pretokenize.js';
import { componentType, patternField, type JsonObject } from './json.js';
import { translateRegex } from './regex.js';

export type Split = (text: string) => string[];

export interface PreTokenizer {
  split: Split;
  // Whether the BPE model works on bytes (a ByteLevel pre-tokenizer) rather than characters.
  byteLevel: boolean;
}

const TYPES = ['Sequence', 'Split', 'ByteLevel'] as const;
const BEHAVIOURS = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

// The text cut at the matches into [start, end, isMatch] runs covering it, as tokenizers'
// Pattern::find_matches does.
function runs(text: string, matches: number[][]): number[][] {
  const out: number[][] = [];
  let at = 0;
  for (const [start, end] of matches) {
    if (start === end) continue;
    if (start > at) out.push([at, start, 0]);
    out.push([start, end, 1]);
    at = end;
  }
  if (at < text.length) out.push([at, text.length, 0]);
  return out;
}

// tokenizers' SplitDelimiterBehavior over the runs.
function splitBy(text: string, all: number[][], behaviour: string): string[] {
  let pieces: number[][];
  let previous = false;
  const merged: number[][] = [];
  switch (behaviour) {
    case 'Removed':
      pieces = all.filter((r) => r[2] === 0);
      break;
    case 'Isolated':
      pieces = all;
      break;
    case 'MergedWithPrevious':
      for (const r of all) {
        if (r[2] === 1 && !previous && merged.length > 0) merged[merged.length - 1][1] = r[1];
        else merged.push([r[0], r[1]]);
        previous = r[2] === 1;
      }
      pieces = merged;
      break;
    case 'MergedWithNext':
      for (let k = all.length - 1; k >= 0; k--) {
        const r = all[k];
        if (r[2] === 1 && !previous && merged.length > 0) merged[merged.length - 1][0] = r[0];
        else merged.push([r[0], r[1]]);
        previous = r[2] === 1;
      }
      pieces = merged.reverse();
      break;
    default:
      for (const r of all) {
        if ((r[2] === 1) === previous && merged.length > 0) merged[merged.length - 1][1] = r[1];
        else merged.push([r[0], r[1]]);
        previous = r[2] === 1;
      }
      pieces = merged;
  }
  return pieces.map(([start, end]) => text.slice(start, end));
}

function buildSplit(spec: JsonObject, where: string): Split {
  const pattern = patternField(spec, where);
  const behaviour = spec.behavior;
  if (typeof behaviour !== 'string' || !BEHAVIOURS.includes(behaviour)) {
    throw new UserError(`${where}: "behavior" must be one of ${BEHAVIOURS.join(', ')}`);
  }
  const invert = spec.invert === true;
  const regex = 'regex' in pattern ? translateRegex(pattern.regex, where) : null;
  const literal = 'string' in pattern ? pattern.string : '';
  return (text) => {
    const found: number[][] = [];
    if (regex) {
      for (const m of text.matchAll(regex)) found.push([m.index, m.index + m[0].length]);
    } else {
      for (
        let k = literal === '' ? -1 : text.indexOf(literal);
        k >= 0;
        k = text.indexOf(literal, k + literal.length)
      ) {
        found.push([k, k + literal.length]);
      }
    }
    const all = runs(text, found);
    if (invert) for (const r of all) r[2] = 1 - r[2];
    return splitBy(text, all, behaviour);
  };
}

export function buildPreTokenizer(node: unknown, where: string): PreTokenizer {
  if (node === null || node === undefined) return { split: (text) => [text], byteLevel: false };
  const type = componentType(node, where, TYPES);
  const spec = node as JsonObject;
  if (type === 'Split') return { split: buildSplit(spec, where), byteLevel: false };
  if (type === 'ByteLevel') {
    const prefix = spec.add_prefix_space === true;
    const useRegex = spec.use_regex !== false;
    return {
      byteLevel: true,
      split: (text) => {
        const spaced = prefix && !text.startsWith(' ') ? ' ' + text : text;
        // ByteLevel's use_regex is GPT-2's own pattern, which pretokenize scans.
        return useRegex ? pretokenize(spaced) : [spaced];
      },
    };
  }
  const parts = Array.isArray(spec.pretokenizers) ? spec.pretokenizers : [];
  const steps = parts.map((p, i) => buildPreTokenizer(p, `${where}.pretokenizers[${i}]`));
  steps.forEach((step, i) => {
    if (step.byteLevel && i < steps.length - 1) {
      throw new UserError(`${where}: a ByteLevel pre-tokenizer is supported only as the last of a Sequence`);
    }
  });
  return {
    byteLevel: steps.some((s) => s.byteLevel),
    split: (text) => steps.reduce<string[]>((pieces, step) => pieces.flatMap(step.split), [text]),
  };
}
