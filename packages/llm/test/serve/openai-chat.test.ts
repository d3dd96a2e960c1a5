// /v1/chat/completions through the official `openai` client: a system message and two turns, streamed
// and not, with stop sequences, on a pretrained GPT-2 and an instruction-tuned one (the book's Alpaca
// format) and on a Llama 3 hub directory (its chat template); the prompt is the whole conversation.
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/llm/generate.js';
import { readChatTemplate } from '../../src/llm/tokenizer/hf/chat-template.js';
import { noGrad, Tensor } from '../../src/tensor/index.js';
import { alpacaPrompt } from '../../src/serve/openai/chat-prompt.js';
import { MODELS, startOpenAIServer, type OpenAIServer } from './openai-server.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

const FIRST: Message[] = [
  { role: 'system', content: 'You answer in one word.' },
  { role: 'user', content: 'Name a colour.' },
];
const TWO_TURNS: Message[] = [
  ...FIRST,
  { role: 'assistant', content: 'Blue.' },
  { role: 'user', content: 'And another?' },
];

// The prompt the model should see, and its greedy reply from the library.
function reference(name: string, messages: Message[], maxNewTokens: number) {
  const served = server.registry.get(name)!;
  const plain = messages.map((m) => ({ role: m.role, content: m.content as string }));
  const template = name === MODELS.llama ? readChatTemplate(server.dirs.llama)! : null;
  const text = template ? template.render(plain, { addGenerationPrompt: true }) : alpacaPrompt(plain);
  const promptIds = served.tokenizer.encode(
    text,
    template ? { allowedSpecial: 'all' } : { disallowedSpecial: [] },
  );
  const ids = generate(served.model, promptIds, { maxNewTokens, eosIds: served.eosIds });
  const reply = served.tokenizer.decode(ids.filter((id) => !served.eosIds.includes(id)));
  return { text, promptIds, ids, content: template ? reply : reply.trim() };
}

async function streamed(params: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming) {
  const stream = await server.client.chat.completions.create({
    ...params,
    stream: true,
    stream_options: { include_usage: true },
  });
  const contents: string[] = [];
  let finish: string | null = null;
  let usage = null;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      contents[c.index] = (contents[c.index] ?? '') + (c.delta.content ?? '');
      if (c.finish_reason) finish = c.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { contents, finish, usage };
}

describe('/v1/models', () => {
  it('says which chat format each model takes', async () => {
    const list = await server.client.models.list();
    const formats = Object.fromEntries(
      list.data.map((m) => [m.id, (m as unknown as { chat_format: string }).chat_format]),
    );
    expect(formats).toEqual({
      [MODELS.base]: 'alpaca',
      [MODELS.instruct]: 'alpaca',
      [MODELS.llama]: 'chat_template',
    });
  });
});

describe.each([MODELS.base, MODELS.instruct, MODELS.llama])('/v1/chat/completions on %s', (model) => {
  it('answers the whole conversation, streaming and not; prompt_tokens grows with it', async () => {
    const one = await server.client.chat.completions.create({ model, messages: FIRST, max_tokens: 10 });
    const two = await server.client.chat.completions.create({ model, messages: TWO_TURNS, max_tokens: 10 });
    const want = reference(model, TWO_TURNS, 10);
    expect(want.text).toContain('You answer in one word.');
    expect(want.text).toContain('Blue.');
    expect(two.object).toBe('chat.completion');
    expect(two.choices[0].message).toMatchObject({ role: 'assistant', content: want.content });
    expect(two.usage!.prompt_tokens).toBe(want.promptIds.length);
    expect(one.usage!.prompt_tokens).toBe(reference(model, FIRST, 1).promptIds.length);
    expect(two.usage!.prompt_tokens).toBeGreaterThan(one.usage!.prompt_tokens);
    const s = await streamed({ model, messages: TWO_TURNS, max_tokens: 10 });
    expect(s.contents).toEqual([want.content]);
    expect(s.finish).toBe(two.choices[0].finish_reason);
    expect(s.usage).toEqual(two.usage);
  });

  it('ends the answer before a stop sequence taken from the same seeded answer', async () => {
    // Sampled, since a tiny random model's greedy answer may repeat one token throughout.
    const sampling = { model, messages: TWO_TURNS, max_completion_tokens: 12, temperature: 1, seed: 5 };
    const content = (await server.client.chat.completions.create(sampling)).choices[0].message.content!;
    let at = 1;
    while (at + 2 <= content.length && content.indexOf(content.slice(at, at + 2)) !== at) at++;
    expect(at + 2).toBeLessThanOrEqual(content.length);
    const stop = content.slice(at, at + 2);
    const params = { ...sampling, stop: [stop] };
    const r = await server.client.chat.completions.create(params);
    const cut = content.slice(0, at);
    expect(r.choices[0].message.content).toBe(model === MODELS.llama ? cut : cut.trim());
    expect(r.choices[0].finish_reason).toBe('stop');
    const s = await streamed(params);
    expect(s.contents).toEqual([r.choices[0].message.content]);
    expect(s.finish).toBe('stop');
  });
});

describe('/v1/chat/completions options', () => {
  it('gives logprobs in the chat shape, the log-softmax of the logits', async () => {
    const model = MODELS.llama;
    const want = reference(model, FIRST, 5);
    const r = await server.client.chat.completions.create({
      model,
      messages: FIRST,
      max_tokens: 5,
      logprobs: true,
      top_logprobs: 3,
    });
    const served = server.registry.get(model)!;
    const all = [...want.promptIds, ...want.ids];
    const logits = noGrad(() =>
      served.model
        .forward(new Tensor(Int32Array.from(all), [1, all.length]))
        .f32()
        .slice(),
    );
    const V = served.config.vocabSize;
    const content = r.choices[0].logprobs!.content!;
    const visible = want.ids.filter((id) => !served.eosIds.includes(id));
    expect(content).toHaveLength(visible.length);
    content.forEach((entry, i) => {
      const row = logits.subarray((want.promptIds.length - 1 + i) * V, (want.promptIds.length + i) * V);
      const max = Math.max(...row);
      const logZ = max + Math.log(row.reduce((s, l) => s + Math.exp(l - max), 0));
      expect(entry.token).toBe(served.tokenizer.decode([visible[i]]));
      expect(entry.bytes).toEqual(Array.from(served.tokenizer.decodeBytes([visible[i]])));
      expect(entry.logprob).toBeCloseTo(row[visible[i]] - logZ, 4);
      expect(entry.top_logprobs).toHaveLength(3);
      expect(entry.top_logprobs[0].logprob).toBeCloseTo(entry.logprob, 6);
    });
  });

  it('n=2 with a seed repeats, streamed or not; unknown fields are ignored', async () => {
    const params = {
      model: MODELS.instruct,
      messages: FIRST,
      max_tokens: 8,
      n: 2,
      temperature: 1.5,
      seed: 99,
      frequency_penalty: 0.5,
      user: 'someone',
      metadata: { any: 'thing' },
    };
    const a = await server.client.chat.completions.create(params);
    const b = await server.client.chat.completions.create(params);
    const contents = a.choices.map((c) => c.message.content);
    expect(b.choices.map((c) => c.message.content)).toEqual(contents);
    expect(contents[0]).not.toBe(contents[1]);
    expect((await streamed(params)).contents).toEqual(contents);
  });
});
