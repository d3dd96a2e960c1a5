// llm-crew plan misuses from issue 25: init in a project whose tests it cannot tell how to run (it
// goes on with make test and says so), an empty --test-command, a plan whose issue waits for one due later, and notify hooks that are not
// a command or a local webhook.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { llmBook, SEED_YAML } from '../../../packages/crew/test/crew/plan/fixtures.js';
import type { BadInputCase } from '../case.js';

function writePlan(dir: string, yaml: string): void {
  writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook()));
  writeFileSync(join(dir, 'crew.yaml'), yaml);
}

const withNotify = (hooks: string) => (dir: string) => writePlan(dir, `${SEED_YAML}notify:\n${hooks}`);

// The interface foundation -> architecture planned on day 2, before the tokenizer task (day 3) it waits for.
const EARLY = SEED_YAML.replace(
  '    day: 3\n    test: npx vitest run test/integration/tokenizer',
  '    day: 2\n    test: npx vitest run test/integration/tokenizer',
);

export const cases: BadInputCase[] = [
  {
    program: 'llm-crew',
    kind: 'unknown project stack',
    args: ['init', '--book', 'structure.json', '--agents', '2'],
    setup: (dir) => writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook())),
    exit: 0,
    stderr:
      /warning: .*cannot tell how this project runs its tests \(no package\.json, .*\): the acceptance checks run 'make test'; name the command with --test-command 'CMD'/,
  },
  {
    program: 'llm-crew',
    kind: 'empty value',
    args: ['init', '--book', 'structure.json', '--agents', '2', '--test-command', ' '],
    setup: (dir) => writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook())),
    exit: 2,
    stderr: "--test-command expects a command, got ''",
  },
  {
    program: 'llm-crew',
    kind: 'inconsistent plan',
    args: ['plan', '--check'],
    setup: (dir) => writePlan(dir, EARLY),
    exit: 1,
    stderr:
      'integration[0].day: integration/tokenizer-interface (due day 2) depends on task/m1/tokenizer (due day 3), due later',
  },
  {
    program: 'llm-crew',
    kind: 'webhook off this machine',
    args: ['plan', '--check'],
    setup: withNotify('  - { url: "https://hooks.example.com/crew" }\n'),
    exit: 1,
    stderr:
      "notify[0].url: expected an http URL on 127.0.0.1, [::1] or localhost, got 'https://hooks.example.com/crew'",
  },
  {
    program: 'llm-crew',
    kind: 'wrong value in a file',
    args: ['plan', '--check'],
    setup: withNotify('  - { command: notify-send, url: "http://127.0.0.1:9000/" }\n'),
    exit: 1,
    stderr: 'notify[0]: give a hook either a command or a url (one of them)',
  },
  {
    program: 'llm-crew',
    kind: 'unknown choice',
    args: ['plan', '--check'],
    setup: withNotify('  - { command: notify-send, events: [finished] }\n'),
    exit: 1,
    stderr: "notify[0].events[0]: expected waiting-for-input or blocked or check-red, got 'finished'",
  },
];
