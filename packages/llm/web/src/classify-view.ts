// The classify view: a text, and each label's probability as a bar.
import { postJson } from './api';
import { byId, element } from './dom';

interface Classification {
  label: string;
  probabilities: Record<string, number>;
  truncated: boolean;
  tokens: number;
}

export interface ClassifyView {
  setModel(model: string): void;
}

export function classifyView(showError: (err: unknown) => void): ClassifyView {
  const text = byId<HTMLTextAreaElement>('classify-text');
  const button = byId<HTMLButtonElement>('classify');
  const bars = byId('bars');
  const status = byId('classify-status');
  let model = '';

  function show(result: Classification) {
    bars.replaceChildren(
      ...Object.entries(result.probabilities).map(([label, p]) => {
        const row = element('div', `bar${label === result.label ? ' best' : ''}`);
        row.dataset.label = label;
        const fill = element('div', 'fill');
        fill.style.width = `${(p * 100).toFixed(1)}%`;
        row.append(
          element('span', 'name', label),
          element('div', 'track'),
          element('span', 'value', `${(p * 100).toFixed(1)}%`),
        );
        row.querySelector('.track')!.append(fill);
        return row;
      }),
    );
    status.textContent = `${result.label} · ${result.tokens} tokens${result.truncated ? ' (cut to the length the model was trained with)' : ''}`;
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      show(await postJson<Classification>('/v1/classify', { model, text: text.value }));
    } catch (err) {
      showError(err);
    } finally {
      button.disabled = false;
    }
  });

  return {
    setModel(name) {
      model = name;
      bars.replaceChildren();
      status.textContent = '';
    },
  };
}
