// A model's chat template: the Jinja program in its tokenizer_config.json ("chat_template", or the
// newer chat_template.jinja file beside it) that turns a conversation into the exact text the model
// was tuned on, rendered with @huggingface/jinja as transformers' apply_chat_template renders it:
// the messages, add_generation_prompt, the special tokens by name (bos_token, eos_token, ...) and any
// extra variables a template reads (Qwen3's enable_thinking). The rendered text holds special tokens
// as text (<|im_start|>, <start_of_turn>, Gemma's <bos>): encode it with allowedSpecial 'all'.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { now } from 'llm-scratch-core/clock';
import { UserError } from 'llm-scratch-core/errors';
import { readTextFile } from '../../../io/text-file.js';
import { isObject, readJsonFile, type JsonObject } from './json.js';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatTemplateOptions {
  // End with the header of the assistant's turn, so that the model writes the reply next.
  addGenerationPrompt?: boolean;
  // Variables some templates read: Qwen3's enable_thinking, tools, documents...
  variables?: Record<string, unknown>;
}

const TOKEN_NAMES = [
  'bos_token',
  'eos_token',
  'unk_token',
  'pad_token',
  'sep_token',
  'cls_token',
  'mask_token',
];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// Python's time.strftime in the C locale, in UTC, on the project's clock (Llama 3.2's template
// writes today's date into its system prompt).
export function strftimeNow(format: string): string {
  const date = now();
  const pad = (n: number) => String(n).padStart(2, '0');
  return format.replace(/%[YmdbBaAHMSy%]/g, (code) => {
    switch (code) {
      case '%Y':
        return String(date.getUTCFullYear());
      case '%y':
        return pad(date.getUTCFullYear() % 100);
      case '%m':
        return pad(date.getUTCMonth() + 1);
      case '%d':
        return pad(date.getUTCDate());
      case '%b':
        return MONTHS[date.getUTCMonth()].slice(0, 3);
      case '%B':
        return MONTHS[date.getUTCMonth()];
      case '%a':
        return DAYS[date.getUTCDay()].slice(0, 3);
      case '%A':
        return DAYS[date.getUTCDay()];
      case '%H':
        return pad(date.getUTCHours());
      case '%M':
        return pad(date.getUTCMinutes());
      case '%S':
        return pad(date.getUTCSeconds());
      default:
        return '%';
    }
  });
}

// Python's range, which templates use to count.
function range(start: number, stop?: number, step = 1): number[] {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  const out: number[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(i);
  return out;
}

// The globals of @huggingface/jinja's Template.render, with strftime_now on the project's clock
// (the library's reads the local wall clock, and its globals cannot be replaced).
const GLOBALS = {
  false: false,
  true: true,
  none: null,
  False: false,
  True: true,
  None: null,
  range,
  strftime_now: strftimeNow,
  raise_exception: (message: string) => {
    throw new Error(message);
  },
};

// A special token of tokenizer_config.json: a string, or an AddedToken object with "content".
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

export class ChatTemplate {
  readonly source: string;
  readonly specialTokens: Readonly<Record<string, string>>;
  private readonly template: Template;
  private readonly where: string;

  // config: a parsed tokenizer_config.json (its special tokens); source: the template's text.
  constructor(source: string, config: JsonObject, where: string) {
    this.source = source;
    this.where = where;
    const tokens: Record<string, string> = {};
    for (const name of TOKEN_NAMES) {
      const text = tokenText(config[name]);
      if (text !== undefined) tokens[name] = text;
    }
    this.specialTokens = tokens;
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new UserError(`${where}: the chat template does not parse (${(err as Error).message})`);
    }
  }

  render(messages: ChatMessage[], options: ChatTemplateOptions = {}): string {
    try {
      const env = new Environment();
      const context = {
        ...GLOBALS,
        ...this.specialTokens,
        ...options.variables,
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? false,
      };
      for (const [name, value] of Object.entries(context)) env.set(name, value);
      return new Interpreter(env).run(this.template.parsed).value as string;
    } catch (err) {
      throw new UserError(`${this.where}: the chat template failed: ${(err as Error).message}`);
    }
  }
}

// A parsed tokenizer_config.json: its "chat_template" is a string, or a list of {name, template} of
// which "default" is the one a chat uses.
function templateOf(config: JsonObject, file: string): string | undefined {
  const value = config.chat_template;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const chosen = value.find((t) => isObject(t) && t.name === 'default');
    if (isObject(chosen) && typeof chosen.template === 'string') return chosen.template;
  }
  throw new UserError(
    `${file}: "chat_template" must be a string or a list holding a {"name": "default", "template": ...}`,
  );
}

function readConfig(file: string): JsonObject {
  const json = readJsonFile(file);
  if (!isObject(json)) throw new UserError(`${file}: expected a JSON object`);
  return json;
}

// The chat template of a model directory, or null when it has none.
export function readChatTemplate(dir: string): ChatTemplate | null {
  const configFile = join(dir, 'tokenizer_config.json');
  const jinjaFile = join(dir, 'chat_template.jinja');
  const config = existsSync(configFile) ? readConfig(configFile) : {};
  if (existsSync(jinjaFile)) return new ChatTemplate(readTextFile(jinjaFile), config, jinjaFile);
  const source = templateOf(config, configFile);
  return source === undefined ? null : new ChatTemplate(source, config, configFile);
}

// The ids that end the assistant's turn: tokenizer_config.json's eos_token and generation_config.json's
// eos_token_id (a number or a list: Llama 3's lists <|eot_id|>, which ends a chat turn, beside
// <|end_of_text|>), in that order and without repeats. `idOf` maps a token's text to its id.
export function stopTokenIds(dir: string, idOf: (token: string) => number | undefined): number[] {
  const ids: number[] = [];
  const add = (id: unknown) => {
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && !ids.includes(id)) ids.push(id);
  };
  const configFile = join(dir, 'tokenizer_config.json');
  if (existsSync(configFile)) {
    const eos = tokenText(readConfig(configFile).eos_token);
    if (eos !== undefined) add(idOf(eos));
  }
  const generationFile = join(dir, 'generation_config.json');
  if (existsSync(generationFile)) {
    const value = readConfig(generationFile).eos_token_id;
    for (const id of Array.isArray(value) ? value : [value]) add(id);
  }
  return ids;
}

// Renders a directory's chat template; a directory without one is an error naming the files looked at.
export function renderChatTemplate(
  dir: string,
  messages: ChatMessage[],
  options: ChatTemplateOptions = {},
): string {
  const template = readChatTemplate(dir);
  if (!template) {
    throw new UserError(
      `${dir}: no chat template (looked for chat_template.jinja and "chat_template" in tokenizer_config.json)`,
    );
  }
  return template.render(messages, options);
}
