// --dtype of the commands that decode (generate, chat, respond, serve), kept apart from the decoder
// so that option tables and --help do not load the tensor library.
import type { WeightDType } from '../llm/decoder.js';

const WEIGHT_DTYPES = ['f32', 'bf16'] as const satisfies readonly WeightDType[];

export const DTYPE_OPTION = {
  type: 'string',
  value: 'f32|bf16',
  choices: WEIGHT_DTYPES,
  description: 'weight type for decoding (default: as the model file stores it); bf16 reads half the bytes',
} as const;

/** The --dtype given, checked by its choices; undefined lets the model file decide. */
export const weightDType = (value: string | undefined) => value as WeightDType | undefined;
