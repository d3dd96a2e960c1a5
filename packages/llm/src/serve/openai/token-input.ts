// OpenAI's text inputs (`prompt` of /v1/completions, `input` of /v1/embeddings): a string, a list of
// strings, a list of token ids, or a list of such lists, as token id lists. Strings are encoded by
// the model's tokenizer (special-token text as the special token), ids checked against its vocabulary.
import { ApiError } from '../errors.js';
import type { ServedModel } from '../registry.js';

export type TokenInput = string | string[] | number[] | number[][];

// The JSON schema of such a field: non-empty texts (up to maxChars each) and id lists, up to maxItems.
export function tokenInputSchema(maxChars: number, maxItems: number) {
  const text = { type: 'string', minLength: 1, maxLength: maxChars } as const;
  const ids = { type: 'array', minItems: 1, items: { type: 'integer' } } as const;
  return {
    anyOf: [
      text,
      { type: 'array', minItems: 1, maxItems, items: text },
      ids,
      { type: 'array', minItems: 1, maxItems, items: ids },
    ],
  } as const;
}

export async function tokenInputIds(
  input: TokenInput,
  served: Pick<ServedModel, 'tokenizer' | 'config'>,
  field: string,
): Promise<number[][]> {
  const list: Array<string | number[]> =
    typeof input === 'string'
      ? [input]
      : typeof input[0] === 'number'
        ? [input as number[]]
        : (input as Array<string | number[]>);
  const V = served.config.vocabSize;
  return Promise.all(
    list.map(async (item) => {
      if (typeof item === 'string') return served.tokenizer.encodeAsync(item, { allowedSpecial: 'all' });
      const bad = item.find((id) => id < 0 || id >= V);
      if (bad !== undefined)
        throw new ApiError(
          400,
          `${field}: token id ${bad} is outside the vocabulary 0..${V - 1}`,
          field,
          'invalid_value',
        );
      return item;
    }),
  );
}
