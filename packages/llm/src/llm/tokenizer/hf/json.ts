// Reading the parts of a tokenizer.json: each part is an object with a "type", and every problem is
// one line naming the file, the part and what is supported.
import { UserError } from 'llm-scratch-core/errors';
import { isJsonObject as isObject, type JsonObject } from '../../../io/json.js';
import { readTextFile } from '../../../io/text-file.js';

export { isObject, type JsonObject };

// A JSON file of the model directory (tokenizer.json, tokenizer_config.json), parsed; a parse error
// is one line naming the file.
export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readTextFile(file));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${file}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
}

// The "type" of a component, checked against the supported ones.
export function componentType(node: unknown, where: string, supported: readonly string[]): string {
  const type = isObject(node) ? node.type : undefined;
  if (typeof type !== 'string' || !supported.includes(type)) {
    throw new UserError(
      `${where}: ${typeof type === 'string' ? `type '${type}'` : 'no "type"'} is not supported (supported: ${supported.join(', ')})`,
    );
  }
  return type;
}

export function stringField(node: JsonObject, key: string, where: string): string {
  const value = node[key];
  if (typeof value !== 'string') throw new UserError(`${where}: "${key}" must be a string`);
  return value;
}

// A { "String": s } or { "Regex": r } pattern.
export function patternField(node: JsonObject, where: string): { string: string } | { regex: string } {
  const pattern = node.pattern;
  if (isObject(pattern) && typeof pattern.String === 'string') return { string: pattern.String };
  if (isObject(pattern) && typeof pattern.Regex === 'string') return { regex: pattern.Regex };
  throw new UserError(`${where}: "pattern" must be {"String": ...} or {"Regex": ...}`);
}
