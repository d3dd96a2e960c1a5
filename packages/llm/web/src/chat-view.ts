// The chat view for instruction-tuned models, through the OpenAI-compatible endpoint: the answer
// streams into its bubble as `choices[0].delta.content` arrives.
import { postEvents } from './api';
import { byId, element } from './dom';

interface Message {
  role: 'user' | 'assistant';
  content: string;
}

export interface ChatView {
  setModel(model: string): void;
}

export function chatView(showError: (err: unknown) => void): ChatView {
  const list = byId('messages');
  const form = byId<HTMLFormElement>('chat-form');
  const input = byId<HTMLTextAreaElement>('chat-input');
  let model = '';
  let history: Message[] = [];
  let running: AbortController | null = null;

  function bubble(role: Message['role'], text: string): HTMLElement {
    const div = element('div', `message ${role}`, text);
    list.append(div);
    list.scrollTop = list.scrollHeight;
    return div;
  }

  async function send(text: string) {
    running = new AbortController();
    history.push({ role: 'user', content: text });
    bubble('user', text);
    const answer = bubble('assistant', '');
    answer.classList.add('streaming');
    try {
      // No max_tokens: the server's default applies (at most its limit).
      const body = { model, messages: history, stream: true };
      for await (const message of postEvents('/v1/chat/completions', body, running.signal)) {
        if (message.data === '[DONE]') break;
        const chunk = JSON.parse(message.data);
        if (chunk.error) throw new Error(chunk.error.message);
        answer.textContent += chunk.choices[0]?.delta?.content ?? '';
        list.scrollTop = list.scrollHeight;
      }
      history.push({ role: 'assistant', content: answer.textContent ?? '' });
    } catch (err) {
      if (!running.signal.aborted) showError(err);
    } finally {
      answer.classList.remove('streaming');
      running = null;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || running) return;
    input.value = '';
    void send(text);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  return {
    setModel(name) {
      running?.abort();
      model = name;
      history = [];
      list.replaceChildren();
    },
  };
}
