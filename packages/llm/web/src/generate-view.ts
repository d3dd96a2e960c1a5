// "Continue text": a prompt, the sampling settings, and the continuation streaming in token by token.
import { postEvents } from './api';
import { byId, element } from './dom';

export interface GenerateView {
  setModel(model: string): void;
}

export function generateView(showError: (err: unknown) => void): GenerateView {
  const prompt = byId<HTMLTextAreaElement>('prompt');
  const temperature = byId<HTMLInputElement>('temperature');
  const temperatureValue = byId<HTMLOutputElement>('temperature-value');
  const topK = byId<HTMLInputElement>('top-k');
  const maxTokens = byId<HTMLInputElement>('max-tokens');
  const seed = byId<HTMLInputElement>('seed');
  const start = byId<HTMLButtonElement>('generate');
  const stop = byId<HTMLButtonElement>('stop');
  // The prompt, muted, then the continuation; built here because the output keeps white space.
  const outputPrompt = element('span', 'muted');
  const generated = element('span', '');
  generated.id = 'generated';
  byId('output').append(outputPrompt, generated);
  const status = byId('generate-status');
  let model = '';
  let running: AbortController | null = null;

  temperature.addEventListener('input', () => {
    temperatureValue.value = Number(temperature.value).toFixed(1);
  });

  async function run() {
    running = new AbortController();
    start.disabled = true;
    stop.disabled = false;
    outputPrompt.textContent = prompt.value;
    generated.textContent = '';
    status.textContent = 'generating...';
    const began = performance.now();
    let tokens = 0;
    let warning = '';
    const body = {
      model,
      prompt: prompt.value,
      stream: true,
      temperature: Number(temperature.value),
      maxNewTokens: Number(maxTokens.value),
      seed: Number(seed.value),
      ...(topK.value ? { topK: Number(topK.value) } : {}),
    };
    try {
      for await (const message of postEvents('/v1/generate', body, running.signal)) {
        const data = JSON.parse(message.data);
        if (message.event === 'start' && data.prompt.warning) warning = ` · ${data.prompt.warning}`;
        if (message.event === 'token') {
          tokens++;
          generated.textContent += data.text;
        }
        if (message.event === 'error') throw new Error(data.message);
        if (message.event === 'done') {
          const seconds = (performance.now() - began) / 1000;
          status.textContent = `${data.usage.completionTokens} tokens in ${seconds.toFixed(1)} s · ${data.finishReason}${warning}`;
        }
      }
    } catch (err) {
      if (running.signal.aborted) status.textContent = `stopped after ${tokens} pieces`;
      else showError(err);
    } finally {
      running = null;
      start.disabled = false;
      stop.disabled = true;
    }
  }

  start.addEventListener('click', () => void run());
  stop.addEventListener('click', () => running?.abort());
  prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !running) void run();
  });

  return {
    setModel(name) {
      running?.abort();
      model = name;
    },
  };
}
