// The page of `llm-scratch serve`: pick a model, then continue text, chat (instruction models) or
// classify (classifiers); which views a model offers follows from its kind.
import { getJson, type ModelInfo, type ModelKind } from './api';
import { chatView } from './chat-view';
import { classifyView } from './classify-view';
import { byId, element } from './dom';
import { generateView } from './generate-view';
import './style.css';

type View = 'generate' | 'chat' | 'classify';

const VIEWS: Record<ModelKind, View[]> = {
  base: ['generate'],
  instruct: ['chat', 'generate'],
  classifier: ['classify'],
};

const errorLine = byId('error');
function showError(err: unknown) {
  errorLine.textContent = err instanceof Error ? err.message : String(err);
  errorLine.hidden = false;
}

const select = byId<HTMLSelectElement>('model');
const info = byId('model-info');
const tabs = [...byId('tabs').querySelectorAll<HTMLButtonElement>('button')];
const views = {
  generate: generateView(showError),
  chat: chatView(showError),
  classify: classifyView(showError),
};
let models: ModelInfo[] = [];

function showView(view: View) {
  for (const tab of tabs) tab.setAttribute('aria-selected', String(tab.dataset.view === view));
  for (const name of Object.keys(views)) byId(`view-${name}`).hidden = name !== view;
}

function pickModel(id: string) {
  const model = models.find((m) => m.id === id);
  if (!model) return;
  errorLine.hidden = true;
  const { config } = model;
  info.textContent = `${model.kind} · ${(model.parameters / 1e6).toFixed(2)}M parameters · ${config.nLayers} layer${config.nLayers === 1 ? '' : 's'} · context ${config.contextLength}`;
  for (const view of Object.values(views)) view.setModel(model.id);
  const offered = VIEWS[model.kind];
  for (const tab of tabs) tab.hidden = !offered.includes(tab.dataset.view as View);
  showView(offered[0]);
}

for (const tab of tabs) tab.addEventListener('click', () => showView(tab.dataset.view as View));
select.addEventListener('change', () => pickModel(select.value));

async function start() {
  try {
    models = (await getJson<{ data: ModelInfo[] }>('/v1/models')).data;
    select.replaceChildren(
      ...models.map((m) => Object.assign(element('option', '', `${m.id} (${m.kind})`), { value: m.id })),
    );
    if (models.length) pickModel(models[0].id);
    else showError('the server holds no models');
  } catch (err) {
    showError(err);
  }
}

void start();
