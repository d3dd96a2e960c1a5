// The prompt of a whole conversation: rendered by the model's chat template when its directory has
// one, otherwise in the book's Alpaca format (chapter 7), which GPT-2 models of this project are
// fine-tuned on. The Alpaca mapping (docs/web-app.md): the system (and developer) messages replace the
// book's preamble; each user message is an '### Instruction:' block, each tool message an
// '### Input:' block, each assistant message a '### Response:' block with its text; the prompt ends
// with an empty '### Response:' header unless the last message is the assistant's (which the model
// then continues). A one-message conversation is exactly the book's format_input + response header.
import { PREAMBLE, RESPONSE_HEADER } from '../../llm/instruction.js';
import type { ChatTemplate } from '../../llm/tokenizer/hf/chat-template.js';
import { ApiError } from '../errors.js';

export type Content = string | Array<{ type: string; text?: string }> | null;

export interface Message {
  role: string;
  content: Content;
}

export type ChatFormat = 'alpaca' | 'chat_template';

export function textOf(content: Content): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

const isSystem = (m: Message) => m.role === 'system' || m.role === 'developer';

const ALPACA_HEADERS: Record<string, string> = {
  user: '\n\n### Instruction:\n',
  tool: '\n\n### Input:\n',
  assistant: RESPONSE_HEADER,
};

export function alpacaPrompt(messages: readonly Message[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  if (!lastUser) throw new ApiError(400, 'messages: no message with role user', 'messages', 'invalid_value');
  if (!textOf(lastUser.content).trim())
    throw new ApiError(400, 'messages: the last user message is empty', 'messages', 'invalid_value');
  const system = messages
    .filter(isSystem)
    .map((m) => textOf(m.content).trim())
    .filter(Boolean);
  let prompt = system.length ? system.join('\n\n') : PREAMBLE;
  for (const m of messages) if (!isSystem(m)) prompt += ALPACA_HEADERS[m.role] + textOf(m.content).trim();
  return messages[messages.length - 1].role === 'assistant' ? prompt : prompt + RESPONSE_HEADER;
}

// Templates know 'system', not OpenAI's newer 'developer'.
export function templatePrompt(template: ChatTemplate, messages: readonly Message[]): string {
  const rendered = messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: textOf(m.content),
  }));
  const last = rendered[rendered.length - 1];
  return template.render(rendered, { addGenerationPrompt: last.role !== 'assistant' });
}
