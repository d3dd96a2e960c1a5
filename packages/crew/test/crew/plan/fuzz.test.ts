// Seeded fuzzing of crew.yaml's reader: any text, any YAML document, and mutations of the fixture
// plans (a field replaced by any value, dropped, or added; the text cut, spliced or garbled) each
// give a plan or a PlanError whose one line names the file (and the line, once the YAML parses),
// never another exception.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parsePlan, PlanError, planToYaml, proposePlan } from '../../../src/crew/plan/index.js';
import { planYaml } from '../agents/project.js';
import { llmBook, SEED_YAML, TEST_COMMAND } from './fixtures.js';

const FILE = 'plans/crew.yaml';
const FIXTURES = [
  SEED_YAML,
  planYaml('/tmp/fake agent.mjs'),
  planToYaml(
    proposePlan(llmBook(), { agents: 3, structurePath: 'structure.json', testCommand: TEST_COMMAND }),
  ),
];

/** Parses; a PlanError must be one line naming the file. Returns 'plan' or 'error'. */
function outcome(text: string): 'plan' | 'error' {
  try {
    parsePlan(text, FILE);
    return 'plan';
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    expect(err.message).toMatch(/^plans\/crew\.yaml(:\d+)?: \S/);
    expect(err.message).not.toContain('\n');
    // Once the text is YAML, every issue has the line of its field (or of the nearest parent).
    if (!err.message.startsWith(`${FILE}: not valid YAML`))
      for (const issue of err.issues) expect(issue.line, issue.message).toBeGreaterThan(0);
    return 'error';
  }
}

type Path = (string | number)[];

/** Every path to a node of a plain-data value. */
function paths(value: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

function edit(
  root: unknown,
  path: Path,
  change: (parent: Record<string | number, unknown>, key: string | number) => void,
): unknown {
  const copy = structuredClone(root);
  if (path.length === 0) return copy;
  let node = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  change(node, path.at(-1)!);
  return copy;
}

const anyValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 42, '', ' ', 'x', 'Bad Id', '#(touch x)', [], {}),
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 20 }),
);

const structuralEdit = fc.record({
  fixture: fc.nat(FIXTURES.length - 1),
  pick: fc.nat(),
  kind: fc.constantFrom('replace', 'delete', 'add'),
  value: anyValue,
  key: fc.oneof(
    fc.constantFrom('id', 'command', 'chapters', 'day', 'extra', '<<'),
    fc.string({ maxLength: 8 }),
  ),
});

const textEdit = fc.record({
  fixture: fc.nat(FIXTURES.length - 1),
  at: fc.nat(),
  length: fc.nat(40),
  insert: fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      ': ',
      '\n',
      '  ',
      '- ',
      '&a ',
      '*a',
      '*b',
      '!!binary ',
      '{',
      '[',
      '"',
      "'",
      '#',
      '? ',
      '|',
      '\t',
    ),
  ),
});

describe('crew.yaml fuzzing', () => {
  it('any text gives a plan or one clean line', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        outcome(text);
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('any YAML document gives a plan or one clean line', () => {
    fc.assert(
      fc.property(
        fc.anything({ maxDepth: 3, withNullPrototype: false, withMap: false, withSet: false }),
        (value) => {
          let text: string | undefined;
          try {
            text = stringify(value) as string | undefined;
          } catch {
            return; // not representable as YAML (a symbol, a function): nothing to read
          }
          if (text !== undefined) outcome(text);
        },
      ),
      { seed: 42, numRuns: 150 },
    );
  });

  it('fixture plans with a field replaced, dropped or added give a plan or one clean line', () => {
    fc.assert(
      fc.property(structuralEdit, (e) => {
        const data = parse(FIXTURES[e.fixture]!) as unknown;
        const all = paths(data);
        const path = all[e.pick % all.length]!;
        const mutated = edit(data, path, (parent, key) => {
          if (e.kind === 'replace') parent[key] = e.value;
          else if (e.kind === 'delete' && Array.isArray(parent)) parent.splice(Number(key), 1);
          else if (e.kind === 'delete') delete parent[key];
          else if (parent[key] !== null && typeof parent[key] === 'object' && !Array.isArray(parent[key]))
            (parent[key] as Record<string, unknown>)[e.key] = e.value;
          else parent[key] = { [e.key]: e.value };
        });
        outcome(stringify(mutated));
      }),
      { seed: 42, numRuns: 80 },
    );
  });

  it('fixture plans cut, spliced or garbled as text give a plan or one clean line', () => {
    fc.assert(
      fc.property(fc.array(textEdit, { minLength: 1, maxLength: 3 }), (edits) => {
        let text = FIXTURES[edits[0]!.fixture]!;
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.length);
        }
        outcome(text);
      }),
      { seed: 42, numRuns: 80 },
    );
  });

  it('the unmutated fixtures are plans, so the properties above see both outcomes', () => {
    for (const text of FIXTURES) expect(outcome(text)).toBe('plan');
  });
});
