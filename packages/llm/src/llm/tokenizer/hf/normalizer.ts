// The normalizers of tokenizer.json that the supported families use: Unicode normal forms (Qwen3's
// NFC), Replace (Gemma's ' ' -> '▁'), Prepend, Lowercase and a Sequence of them. A normalizer runs
// on each stretch of text between added tokens, before the pre-tokenizer.
import { componentType, patternField, stringField } from './json.js';
import { translateRegex } from './regex.js';

export type Normalizer = (text: string) => string;

const TYPES = ['Sequence', 'NFC', 'NFD', 'NFKC', 'NFKD', 'Replace', 'Prepend', 'Lowercase'] as const;

export function buildNormalizer(node: unknown, where: string): Normalizer | null {
  if (node === null || node === undefined) return null;
  const type = componentType(node, where, TYPES);
  const spec = node as Record<string, unknown>;
  switch (type) {
    case 'Sequence': {
      const parts = Array.isArray(spec.normalizers) ? spec.normalizers : [];
      const steps = parts.map((p, i) => buildNormalizer(p, `${where}.normalizers[${i}]`)!);
      return (text) => steps.reduce((t, step) => step(t), text);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (text) => text.normalize(type);
    case 'Replace': {
      const pattern = patternField(spec, where);
      const content = stringField(spec, 'content', where);
      if ('string' in pattern) return (text) => text.replaceAll(pattern.string, content);
      const regex = translateRegex(pattern.regex, where);
      return (text) => text.replace(regex, () => content);
    }
    case 'Prepend': {
      const prefix = stringField(spec, 'prepend', where);
      return (text) => (text === '' ? text : prefix + text);
    }
    default:
      return (text) => text.toLowerCase();
  }
}
