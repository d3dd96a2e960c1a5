// Chapter 7: instruction fine-tuning. The Alpaca-style prompt exactly as the book formats it.

export interface InstructionEntry {
  instruction: string;
  input?: string;
  output: string;
}

const PREAMBLE =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.';
export const RESPONSE_HEADER = '\n\n### Response:\n';

// The book's format_input: the preamble, the instruction and, when not empty, the input.
export function formatInput(entry: Pick<InstructionEntry, 'instruction' | 'input'>): string {
  const input = entry.input ? `\n\n### Input:\n${entry.input}` : '';
  return `${PREAMBLE}\n\n### Instruction:\n${entry.instruction}${input}`;
}

// The prompt given to the model at inference: the formatted input and the response header.
export function formatPrompt(entry: Pick<InstructionEntry, 'instruction' | 'input'>): string {
  return formatInput(entry) + RESPONSE_HEADER;
}

// One training text: prompt plus the reference answer.
export function formatExample(entry: InstructionEntry): string {
  return formatPrompt(entry) + entry.output;
}

// What the model answered: the text after the prompt, without the response header (the book's
// `generated_text[len(input_text):].replace("### Response:", "").strip()`).
export function extractResponse(generated: string, prompt: string): string {
  const rest = generated.startsWith(prompt) ? generated.slice(prompt.length) : generated;
  return rest.replace('### Response:', '').trim();
}
