// /v1/completions through the official `openai` client, on a pretrained GPT-2, an instruction-tuned
// GPT-2 and a Llama 3 hub directory: the text is the model's own continuation (checked against the
// library's generate), stop sequences end it before them (streamed or not), n choices with a seed
// repeat, and logprobs are the log-softmax of the model's logits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/llm/generate.js';
import { noGrad, Tensor } from '../../src/tensor/index.js';
import { MODELS, startOpenAIServer, type OpenAIServer } from './openai-server.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());

const PROMPT = 'Every effort moves you';

// What the library generates greedily from the prompt, and the log-softmax rows of each new token.
function reference(name: string, prompt: string, maxNewTokens: number) {
  const served = server.registry.get(name)!;
  const promptIds = served.tokenizer.encode(prompt, { allowedSpecial: 'all' });
  const ids = generate(served.model, promptIds, { maxNewTokens, eosIds: served.eosIds });
  const all = [...promptIds, ...ids];
  const logits = noGrad(() =>
    served.model
      .forward(new Tensor(Int32Array.from(all), [1, all.length]))
      .f32()
      .slice(),
  ); // (1, T, V)
  const V = served.config.vocabSize;
  const logprob = (i: number) => {
    const row = logits.subarray((promptIds.length - 1 + i) * V, (promptIds.length + i) * V);
    const max = Math.max(...row);
    const logZ = max + Math.log(row.reduce((s, l) => s + Math.exp(l - max), 0));
    return row[ids[i]] - logZ;
  };
  const text = served.tokenizer.decode(ids.filter((id) => !served.eosIds.includes(id)));
  return { promptIds, ids, text, logprob, tokenizer: served.tokenizer };
}

async function streamed(params: Record<string, unknown>) {
  const stream = await server.client.completions.create({
    ...(params as { model: string; prompt: string }),
    stream: true,
    stream_options: { include_usage: true },
  });
  const texts: string[] = [];
  let finish: string | null = null;
  let usage = null;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      texts[c.index] = (texts[c.index] ?? '') + c.text;
      if (c.finish_reason) finish = c.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { texts, finish, usage };
}

describe.each([MODELS.base, MODELS.instruct, MODELS.llama])('/v1/completions on %s', (model) => {
  it('continues the prompt as the library does, streaming and not', async () => {
    const want = reference(model, PROMPT, 12);
    const r = await server.client.completions.create({ model, prompt: PROMPT, max_tokens: 12 });
    expect(r.object).toBe('text_completion');
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0].text).toBe(want.text);
    expect(r.choices[0].finish_reason).toBe(want.ids.length === 12 ? 'length' : 'stop');
    expect(r.usage).toEqual({
      prompt_tokens: want.promptIds.length,
      completion_tokens: want.ids.length,
      total_tokens: want.promptIds.length + want.ids.length,
    });
    const s = await streamed({ model, prompt: PROMPT, max_tokens: 12 });
    expect(s.texts).toEqual([want.text]);
    expect(s.usage).toEqual(r.usage);
  });

  it('ends the text before a stop sequence taken from the greedy output', async () => {
    const { text } = reference(model, PROMPT, 12);
    // Three characters that first occur after the start: the answer must end where they begin.
    let at = 1;
    while (at + 3 <= text.length && text.indexOf(text.slice(at, at + 3)) !== at) at++;
    expect(at + 3).toBeLessThanOrEqual(text.length);
    const stop = text.slice(at, at + 3);
    const r = await server.client.completions.create({
      model,
      prompt: PROMPT,
      max_tokens: 12,
      stop: [stop, '@@'],
    });
    expect(r.choices[0].text).toBe(text.slice(0, at));
    expect(r.choices[0].finish_reason).toBe('stop');
    const s = await streamed({ model, prompt: PROMPT, max_tokens: 12, stop });
    expect(s.texts).toEqual([text.slice(0, at)]);
    expect(s.finish).toBe('stop');
  });

  it('gives logprobs that are the log-softmax of the logits', async () => {
    const want = reference(model, PROMPT, 6);
    const r = await server.client.completions.create({ model, prompt: PROMPT, max_tokens: 6, logprobs: 2 });
    const lp = r.choices[0].logprobs!;
    const visible = want.ids.filter((id) => !server.registry.get(model)!.eosIds.includes(id));
    expect(lp.tokens).toEqual(visible.map((id) => want.tokenizer.decode([id])));
    lp.token_logprobs!.forEach((l, i) => expect(l).toBeCloseTo(want.logprob(i), 4));
    // Greedy: the chosen token is the most likely one.
    lp.top_logprobs!.forEach((top, i) => {
      expect(Object.keys(top).length).toBeGreaterThanOrEqual(1);
      expect(Math.max(...Object.values(top))).toBeCloseTo(lp.token_logprobs![i], 6);
    });
    expect(lp.text_offset![0]).toBe(0);
  });
});

describe('/v1/completions sampling', () => {
  it('n=2 with a seed gives two different choices, the same ones every time, streamed or not', async () => {
    const params = { model: MODELS.base, prompt: PROMPT, max_tokens: 8, n: 2, temperature: 1, seed: 7 };
    const a = await server.client.completions.create(params);
    const b = await server.client.completions.create(params);
    const texts = a.choices.map((c) => c.text);
    expect(a.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(b.choices.map((c) => c.text)).toEqual(texts);
    expect(texts[0]).not.toBe(texts[1]);
    expect((await streamed(params)).texts).toEqual(texts);
    // Choice i is the stream seeded seed + i.
    const second = await server.client.completions.create({ ...params, n: 1, seed: 8 });
    expect(second.choices[0].text).toBe(texts[1]);
  });

  it('takes a list of prompts and token ids', async () => {
    const ids = server.registry.get(MODELS.base)!.tokenizer.encode(PROMPT);
    const r = await server.client.completions.create({
      model: MODELS.base,
      prompt: [PROMPT, 'Hello'],
      max_tokens: 5,
    });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1]);
    const fromIds = await server.client.completions.create({
      model: MODELS.base,
      prompt: ids,
      max_tokens: 5,
    });
    expect(fromIds.choices[0].text).toBe(r.choices[0].text);
    expect(fromIds.usage!.prompt_tokens).toBe(ids.length);
  });
});
