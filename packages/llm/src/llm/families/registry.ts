// The families this program runs, found from config.json's model_type (or, failing that, its
// architectures). A config without either is GPT-2's as this program wrote it before families.
// To add a family: write its file (see llama3.ts), then list it here.
import { UserError } from 'llm-scratch-core/errors';
import type { AnyFamily } from './family.js';
import { gemma3 } from './gemma3.js';
import { gpt2 } from './gpt2.js';
import { llama3 } from './llama3.js';
import { qwen3 } from './qwen3.js';

export const FAMILIES: readonly AnyFamily[] = [gpt2, llama3, qwen3, gemma3];

export const supportedModelTypes = (): string[] => FAMILIES.flatMap((f) => f.modelTypes);

// The family of a parsed config.json; `file` names it in the error for an unsupported type.
export function familyFor(hf: Record<string, unknown>, file: string): AnyFamily {
  const type = hf.model_type;
  const architectures = Array.isArray(hf.architectures) ? hf.architectures : [];
  if (type === undefined && architectures.length === 0) return gpt2;
  const byType = FAMILIES.find((f) => typeof type === 'string' && f.modelTypes.includes(type));
  if (byType) return byType;
  const byArchitecture =
    type === undefined
      ? FAMILIES.find((f) => architectures.some((a) => typeof a === 'string' && f.architectures.includes(a)))
      : undefined;
  if (byArchitecture) return byArchitecture;
  const what =
    type !== undefined
      ? `model_type ${JSON.stringify(type)}`
      : `architectures ${JSON.stringify(architectures).slice(0, 80)}`;
  throw new UserError(
    `${file}: ${what} is not supported (supported model types: ${supportedModelTypes().join(', ')})`,
  );
}

export function familyNamed(name: string): AnyFamily | undefined {
  return FAMILIES.find((f) => f.name === name);
}
