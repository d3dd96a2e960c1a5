// A real server on port 0 driven by the official `openai` client, holding the three kinds of model
// the OpenAI endpoints must serve: a pretrained GPT-2 and an instruction-tuned one of this project
// (GPT-2's tokenizer, no chat template: the Alpaca format), and a tiny Llama 3 hub directory with
// its own tokenizer files (GPT-2's, as the hub ships them) and a chat template.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { llama3, llama3ConfigFromHF } from '../../src/llm/families/llama3.js';
import { saveModel } from '../../src/llm/families/load.js';
import { dataPath } from '../../src/paths.js';
import { ModelRegistry, parseModelSpec } from '../../src/serve/registry.js';
import { buildServer } from '../../src/serve/server.js';
import { Rng } from '../../src/tensor/index.js';
import { saveTinyLong } from './models.js';

// Renders system messages too; each turn ends with GPT-2's end token, which ends the reply.
export const TEMPLATE =
  '{% for m in messages %}<{{ m.role }}> {{ m.content }}{{ eos_token }}{% endfor %}' +
  '{% if add_generation_prompt %}<assistant>{% endif %}';

export function saveTinyLlama(dir: string): string {
  const config = llama3ConfigFromHF(
    {
      model_type: 'llama',
      vocab_size: 50257,
      hidden_size: 16,
      intermediate_size: 32,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      max_position_embeddings: 256,
      rope_theta: 10000,
      eos_token_id: 50256,
      tie_word_embeddings: true,
    },
    'tiny-llama/config.json',
  );
  saveModel(dir, llama3.create(config, { rng: new Rng(5) }));
  copyFileSync(dataPath('gpt2', 'encoder.json'), join(dir, 'vocab.json'));
  copyFileSync(dataPath('gpt2', 'vocab.bpe'), join(dir, 'merges.txt'));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ chat_template: TEMPLATE, eos_token: '<|endoftext|>' }),
  );
  return dir;
}

export interface OpenAIServer {
  client: OpenAI;
  url: string;
  registry: ModelRegistry;
  dirs: { base: string; instruct: string; llama: string };
  close: () => Promise<void>;
}

export async function startOpenAIServer(options: { corsOrigin?: string } = {}): Promise<OpenAIServer> {
  const root = mkdtempSync(join(tmpdir(), 'serve-openai-'));
  const dirs = {
    base: saveTinyLong(root, 'gpt2-base', 'base', 11),
    instruct: saveTinyLong(root, 'gpt2-instruct', 'instruct', 12),
    llama: saveTinyLlama(join(root, 'llama-chat')),
  };
  const registry = ModelRegistry.load(
    Object.values(dirs).map((dir) => parseModelSpec(dir)),
    { maxQueue: 8 },
  );
  const app = await buildServer({ registry, webDir: null, corsOrigin: options.corsOrigin });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'not-checked', maxRetries: 0 });
  return {
    client,
    url,
    registry,
    dirs,
    close: async () => {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

// The names the models are served under.
export const MODELS = { base: 'gpt2-base', instruct: 'gpt2-instruct', llama: 'llama-chat' } as const;
