// What every reader of JSON files (config.json, safetensors headers, shard indexes, tokenizer.json)
// checks first, and how its messages name a value that is not what they expected.

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// A short description of a JSON value for a one-line error.
export function describeJson(v: unknown): string {
  return v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'string'
        ? `the string ${JSON.stringify(v).slice(0, 40)}`
        : String(v);
}
