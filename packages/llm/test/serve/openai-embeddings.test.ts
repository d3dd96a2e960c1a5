// /v1/embeddings through the official `openai` client (which asks for base64 and decodes it) and as
// floats: one vector of the model's width per input, the mean of the last hidden states computed here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/llm/families/load.js';
import { noGrad, Tensor } from '../../src/tensor/index.js';
import { MODELS, startOpenAIServer, type OpenAIServer } from './openai-server.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());

// The mean over tokens of the final norm's output, from a model loaded here and the hidden states
// of every position summed in float64.
function meanHidden(dir: string, ids: number[]): number[] {
  const model = loadModel(dir).eval();
  const h = noGrad(() => model.forward(new Tensor(Int32Array.from(ids), [1, ids.length]), { hidden: true }));
  const C = h.shape[2];
  const data = h.f32();
  return Array.from({ length: C }, (_, c) => {
    let sum = 0;
    for (let t = 0; t < ids.length; t++) sum += data[t * C + c];
    return sum / ids.length;
  });
}

describe.each([
  [MODELS.base, 'base', 16],
  [MODELS.llama, 'llama', 16],
] as const)('/v1/embeddings on %s', (model, dirKey, width) => {
  const inputs = ['The cat sat on the mat.', 'Hello'];

  it("returns one vector of the model's width per input, the mean hidden state", async () => {
    const r = await server.client.embeddings.create({ model, input: inputs });
    expect(r.object).toBe('list');
    expect(r.data.map((d) => d.index)).toEqual([0, 1]);
    const tokenizer = server.registry.get(model)!.tokenizer;
    r.data.forEach((d, i) => {
      expect(d.embedding).toHaveLength(width);
      const want = meanHidden(server.dirs[dirKey], tokenizer.encode(inputs[i]));
      d.embedding.forEach((v, c) => expect(v).toBeCloseTo(want[c], 5));
    });
    const tokens = inputs.reduce((s, t) => s + tokenizer.encode(t).length, 0);
    expect(r.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
  });

  it('gives the same vectors as floats, and for token ids', async () => {
    const base64 = await server.client.embeddings.create({ model, input: inputs[0] });
    const floats = await server.client.embeddings.create({
      model,
      input: inputs[0],
      encoding_format: 'float',
    });
    expect(floats.data[0].embedding).toEqual(base64.data[0].embedding);
    const ids = server.registry.get(model)!.tokenizer.encode(inputs[0]);
    const fromIds = await server.client.embeddings.create({ model, input: [ids], encoding_format: 'float' });
    expect(fromIds.data[0].embedding).toEqual(floats.data[0].embedding);
  });
});
