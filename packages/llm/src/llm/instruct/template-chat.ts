// Chat with a model directory that carries its chat template (a Hugging Face model's
// tokenizer_config.json or chat_template.jinja) instead of the book's Alpaca format: each turn the
// whole conversation is rendered by the template, encoded by the directory's own tokenizer, and the
// reply generated until a token that ends the assistant's turn (stopTokenIds) or the length limit.
import { generateTokens, promptWindow, type PromptWindow } from '../generate.js';
import type { CausalLM } from '../families/family.js';
import { loadTokenizerDir } from '../tokenizer/directory.js';
import {
  readChatTemplate,
  stopTokenIds,
  type ChatMessage,
  type ChatTemplate,
} from '../tokenizer/hf/chat-template.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

export interface TemplateReplyOptions {
  maxNewTokens: number;
  temperature?: number;
  topK?: number;
  seed?: number;
  // Told when the conversation is longer than the model's context and loses its beginning.
  onCropped?: (window: PromptWindow) => void;
}

export class TemplateChat {
  readonly history: ChatMessage[] = [];

  constructor(
    readonly template: ChatTemplate,
    readonly tokenizer: Tokenizer,
    readonly stopIds: readonly number[],
  ) {}

  // The chat of a directory with a chat template and tokenizer files, or null without a template.
  static fromDirectory(dir: string): TemplateChat | null {
    const template = readChatTemplate(dir);
    if (!template) return null;
    const tokenizer = loadTokenizerDir(dir);
    return new TemplateChat(
      template,
      tokenizer,
      stopTokenIds(dir, (t) => tokenizer.specialTokens.get(t)),
    );
  }

  // The ids of the conversation so far, ending with the header of the assistant's turn.
  promptIds(): number[] {
    const text = this.template.render(this.history, { addGenerationPrompt: true });
    return this.tokenizer.encode(text, { allowedSpecial: 'all' });
  }

  // Adds the user's message, generates the reply, adds it to the history and returns it.
  reply(model: CausalLM, message: string, options: TemplateReplyOptions): string {
    this.history.push({ role: 'user', content: message });
    const ids = this.promptIds();
    const window = promptWindow(ids.length, model.config.contextLength);
    if (window.cropped) options.onCropped?.(window);
    const out: number[] = [];
    const { maxNewTokens, temperature, topK, seed } = options;
    for (const id of generateTokens(model, ids, { maxNewTokens, temperature, topK, seed })) {
      if (this.stopIds.includes(id)) break;
      out.push(id);
    }
    const answer = this.tokenizer.decode(out);
    this.history.push({ role: 'assistant', content: answer });
    return answer;
  }
}
