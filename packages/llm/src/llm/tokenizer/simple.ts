// The book's word-level tokenizers (sections 2.3 and 2.4): split on punctuation, '--' and white space
// with the book's regex, map each word to its index in a sorted vocabulary, and on decode glue the
// punctuation back to the word before it.
import { UserError } from 'llm-scratch-core/errors';

// re.split(r'([,.:;?_!"()\']|--|\s)', text), keeping the non-blank items, stripped.
export function splitWords(text: string): string[] {
  return text
    .split(/([,.:;?_!"()']|--|\s)/)
    .map((item) => item?.trim() ?? '')
    .filter((item) => item !== '');
}

// The vocabulary of the book: the sorted set of words of a text, word -> index.
export function buildVocabulary(text: string, extra: string[] = []): Map<string, number> {
  const words = [...new Set(splitWords(text))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map([...words, ...extra].map((word, id) => [word, id]));
}

export class SimpleTokenizerV1 {
  protected readonly strToInt: Map<string, number>;
  protected readonly intToStr: Map<number, string>;

  constructor(vocab: Map<string, number>) {
    this.strToInt = vocab;
    this.intToStr = new Map([...vocab].map(([word, id]) => [id, word]));
  }

  encode(text: string): number[] {
    return splitWords(text).map((word) => {
      const id = this.strToInt.get(word);
      if (id === undefined) throw new UserError(`the word ${JSON.stringify(word)} is not in the vocabulary`);
      return id;
    });
  }

  decode(ids: number[]): string {
    return this.words(ids)
      .join(' ')
      .replace(/\s+([,.?!"()'])/g, '$1');
  }

  protected words(ids: number[]): string[] {
    return ids.map((id) => {
      const word = this.intToStr.get(id);
      if (word === undefined) throw new UserError(`unknown token id ${id}`);
      return word;
    });
  }
}

export const UNK = '<|unk|>';
export const END_OF_TEXT = '<|endoftext|>';

// V2 maps unknown words to <|unk|> and knows <|endoftext|>, which the book appends to the vocabulary
// (buildVocabulary(text, [END_OF_TEXT, UNK])).
export class SimpleTokenizerV2 extends SimpleTokenizerV1 {
  constructor(vocab: Map<string, number>) {
    super(vocab);
    for (const token of [UNK, END_OF_TEXT]) {
      if (!vocab.has(token)) throw new UserError(`SimpleTokenizerV2 needs ${token} in its vocabulary`);
    }
  }

  override encode(text: string): number[] {
    const unk = this.strToInt.get(UNK)!;
    return splitWords(text).map((word) => this.strToInt.get(word) ?? unk);
  }

  override decode(ids: number[]): string {
    return this.words(ids)
      .join(' ')
      .replace(/\s+([,.:;?!"()'])/g, '$1');
  }
}
