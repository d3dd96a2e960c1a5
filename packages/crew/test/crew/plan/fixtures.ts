// A hand-built structure.json for a 7-chapter book shaped like "Build a Large Language Model (From
// Scratch)" (titles as in its contents; page counts chosen so that 4 agents split it 1-2 / 3-4 / 5 / 6-7),
// and the seed's crew.yaml, written into a temporary directory for each test.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BookStructure, Entry } from '../../../src/crew/book/types.js';

const CHAPTERS: [string, number, string[]][] = [
  [
    'Understanding large language models',
    12,
    ['What is an LLM?', 'Applications of LLMs', 'Stages of building and using LLMs'],
  ],
  [
    'Working with text data',
    30,
    [
      'Understanding word embeddings',
      'Tokenizing text',
      'Converting tokens into token IDs',
      'Byte pair encoding',
      'Data sampling with a sliding window',
    ],
  ],
  [
    'Coding attention mechanisms',
    22,
    [
      'The problem with modeling long sequences',
      'Self-attention',
      'Causal attention',
      'Multi-head attention',
    ],
  ],
  [
    'Implementing a GPT model from scratch to generate text',
    20,
    ['Coding an LLM architecture', 'Layer normalization', 'Shortcut connections', 'Generating text'],
  ],
  [
    'Pretraining on unlabeled data',
    40,
    [
      'Evaluating generative text models',
      'Training an LLM',
      'Decoding strategies',
      'Loading pretrained weights from OpenAI',
    ],
  ],
  [
    'Fine-tuning for classification',
    18,
    [
      'Preparing the dataset',
      'Creating data loaders',
      'Adding a classification head',
      'Fine-tuning the model on supervised data',
    ],
  ],
  [
    'Fine-tuning to follow instructions',
    24,
    [
      'Preparing a dataset for supervised instruction fine-tuning',
      'Organizing data into training batches',
      'Evaluating the fine-tuned LLM',
    ],
  ],
];

const FRONT = 20;

function entry(
  e: Partial<Entry> &
    Pick<Entry, 'id' | 'title' | 'kind' | 'matter' | 'level' | 'number' | 'firstPage' | 'lastPage'>,
): Entry {
  return {
    pageCount: e.lastPage - e.firstPage + 1,
    firstLabel: String(e.firstPage - FRONT),
    lastLabel: String(e.lastPage - FRONT),
    method: 'outline',
    children: [],
    ...e,
  };
}

export function llmBook(): BookStructure {
  let page = FRONT + 1;
  const chapters: Entry[] = CHAPTERS.map(([title, pages, sections], i) => {
    const first = page;
    page += pages;
    const per = Math.floor(pages / sections.length);
    const children = sections.map((s, j) =>
      entry({
        id: `${i + 2}.${j + 1}`,
        title: s,
        kind: 'section',
        matter: 'body',
        level: 1,
        number: `${i + 1}.${j + 1}`,
        firstPage: first + j * per,
        lastPage: j === sections.length - 1 ? first + pages - 1 : first + (j + 1) * per - 1,
      }),
    );
    return entry({
      id: String(i + 2),
      title,
      kind: 'chapter',
      matter: 'body',
      level: 0,
      number: String(i + 1),
      firstPage: first,
      lastPage: first + pages - 1,
      children,
    });
  });
  const pageCount = page + 9;
  const front = entry({
    id: '1',
    title: 'Preface',
    kind: 'front',
    matter: 'front',
    level: 0,
    number: null,
    firstPage: 1,
    lastPage: FRONT,
  });
  front.firstLabel = 'i';
  front.lastLabel = 'xx';
  const back = entry({
    id: '9',
    title: 'Index',
    kind: 'back',
    matter: 'back',
    level: 0,
    number: null,
    firstPage: page,
    lastPage: pageCount,
  });
  return {
    format: 'llm-crew/book-structure',
    version: 1,
    source: { file: 'build-llm.pdf', bytes: 1, sha256: '0'.repeat(64) },
    title: 'Build a Large Language Model (From Scratch)',
    author: 'Sebastian Raschka',
    titleSource: 'metadata',
    pageCount,
    hasPageLabels: true,
    pageLabelsSource: 'pdf',
    pageLabels: Array.from({ length: pageCount }, (_, i) => String(i + 1 - FRONT)),
    method: 'outline',
    matter: {
      front: { firstPage: 1, lastPage: FRONT },
      body: { firstPage: FRONT + 1, lastPage: page - 1 },
      back: { firstPage: page, lastPage: pageCount },
    },
    entries: [front, ...chapters, back],
    pagesWithoutText: [],
    warnings: [],
  };
}

export const SEED_YAML = `# The seed's plan: four agents, five milestones, four integration points.
version: 1
project:
  name: llm-scratch
  repo: acme/llm-scratch
  start: 2026-12-01
book:
  file: build-llm.pdf
  structure: structure.json
agents:
  - id: foundation
    role: Foundation
    chapters: [1, 2]
    modules: [fundamentals, text]
  - id: architecture
    role: Architecture
    chapters: [3, 4]
    modules: [attention, gpt]
  - id: training
    role: Training
    chapters: [5]
    modules: [pretrain]
  - id: application
    role: Application
    chapters: [6, 7]
    modules: [finetune, instruction]
milestones:
  - id: m1
    title: "M1: Foundation"
    owner: foundation
    day: 3
    deliverables:
      - { id: tokenizer, title: Tokenizers and vocabulary, sections: ["1", "2.1", "2.2", "2.3", "2.4"], module: fundamentals }
      - { id: data-pipeline, title: Sliding-window dataset and loader, sections: ["2.5"], module: text }
  - id: m2
    title: "M2: Architecture"
    owner: architecture
    day: 7
    depends: [m1]
    deliverables:
      - { id: attention, title: Attention mechanisms, sections: ["3"], module: attention }
      - { id: gpt-model, title: GPT model and generation, sections: ["4"], module: gpt }
  - id: m3
    title: "M3: Training"
    owner: training
    day: 10
    depends: [m2]
    deliverables:
      - { id: pretraining, title: Pretraining loop and evaluation, sections: ["5.1", "5.2", "5.3"], module: pretrain }
      - { id: weights, title: Loading the GPT-2 weights, sections: ["5.4"], module: pretrain }
  - id: m4
    title: "M4: Application"
    owner: application
    day: 14
    depends: [m3]
    deliverables:
      - { id: classification, title: Fine-tuning for classification, sections: ["6"], module: finetune }
      - { id: instruction, title: Instruction fine-tuning, sections: ["7"], module: instruction }
  - id: m5
    title: "M5: Integration"
    owner: coordinator
    day: 16
    depends: [m1, m2, m3, m4]
integration:
  - id: tokenizer-interface
    from: foundation
    to: architecture
    module: fundamentals
    interface: "encode(text): number[] and decode(ids): string with the GPT-2 vocabulary"
    day: 3
    test: npx vitest run test/integration/tokenizer.test.ts
  - id: data-pipeline
    from: foundation
    to: training
    module: text
    interface: "createDataLoader(text, { batchSize, maxLength, stride }) yields (inputs, targets)"
    day: 4
    test: npx vitest run test/integration/data.test.ts
  - id: model-forward
    from: architecture
    to: training
    module: gpt
    interface: "GPTModel.forward(ids (B, T)) -> logits (B, T, V)"
    day: 7
    test: npx vitest run test/integration/gpt.test.ts
  - id: training-infrastructure
    from: training
    to: application
    module: pretrain
    interface: "train(model, loaders, options) and loadGpt2Weights(model, dir)"
    day: 10
    test: npx vitest run test/integration/train.test.ts
`;

/** A fresh directory holding structure.json and (unless yaml is null) crew.yaml. */
export function seedDir(yaml: string | null = SEED_YAML): string {
  const dir = mkdtempSync(join(tmpdir(), 'crew-plan-'));
  writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook(), null, 2));
  if (yaml !== null) writeFileSync(join(dir, 'crew.yaml'), yaml);
  return dir;
}

/** The test command template of a vitest project, as `init` detects it from package.json. */
export const TEST_COMMAND = 'npx vitest run test/{module}.test.ts';
