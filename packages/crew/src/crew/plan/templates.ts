/**
 * The documents' and issues' templates: Markdown with `{{name}}` placeholders, nothing more (no
 * logic: lists arrive already rendered). The built-in ones are below; a file of the same name in
 * project.templates (or an agent's own `brief`) replaces one. An unknown placeholder is an error,
 * so a typo in an override does not silently print nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';

export type TemplateName =
  'IMPLEMENTATION_PLAN.md' | 'AGENT_ASSIGNMENTS.md' | 'brief.md' | 'task.md' | 'integration.md';

export const DEFAULT_TEMPLATES: Record<TemplateName, string> = {
  'IMPLEMENTATION_PLAN.md': `# Implementation plan: {{project}}

Book: {{book}} ({{chapterCount}} chapters, {{pageCount}} pages). Tracker: {{tracker}}.

## Agents

{{agentTable}}

## Milestones

{{milestones}}

## Integration points

Each integration point is an executable contract: its test command passes once the interface works.

{{integrationTable}}
`,
  'AGENT_ASSIGNMENTS.md': `# Agent assignments: {{project}}

{{assignments}}
`,
  'brief.md': `# Brief for {{agent}}: {{role}}

You implement chapters {{chapters}} of {{book}} in the modules {{modules}}.
Your tmux session is \`{{session}}\`.

## Your chapters

{{chapterList}}

## Book chunks

{{chunks}}

## Your issues

Each issue closes when its acceptance check passes on the merged result (\`llm-crew test --merge\`);
run the check yourself before you say it is done.

{{issues}}

## Integration points

{{integration}}

## Working agreement

- Commit small, honest commits: \`feat(module): ...\`, \`test(module): ...\`, \`fix(module): ...\`
  ({{commitExample}}).
- Track your work with \`llm-crew issues list --agent {{agent}}\`; comment on an issue with
  \`llm-crew issues comment N --body TEXT\`; label it \`ready-for-review\` when done, \`blocked\` when
  waiting on another agent.
`,
  'task.md': `{{title}}

Milestone: {{milestone}} (planned day {{day}}). Owner: {{owner}}.
Module: {{module}}.

## From the book

{{sections}}

## Done when

- The code for the sections above is in \`{{module}}\`, with tests.
- Commits follow \`feat({{module}}): ...\`.
- {{accept}}
`,
  'integration.md': `Integration point \`{{id}}\`: {{from}} -> {{to}} (planned day {{day}}).

Module: \`{{module}}\`.
Interface: {{interface}}

## From the book

{{sections}}

## Contract

This passes once the interface works:

\`\`\`
{{test}}
\`\`\`
`,
};

export type TemplateVars = Record<string, string | number>;

export function render(template: string, vars: TemplateVars, name: string): string {
  return template.replace(/\{\{\s*([A-Za-z][\w]*)\s*\}\}/g, (_, key: string) => {
    if (!(key in vars))
      throw new UserError(
        `template ${name}: unknown placeholder {{${key}}} (known: ${Object.keys(vars).join(', ')})`,
      );
    return String(vars[key]);
  });
}

/** A template: the user's file when there is one, else the built-in text. */
export function loadTemplate(name: TemplateName, dir: string | null, file: string | null = null): string {
  const path = file ?? (dir ? join(dir, name) : null);
  if (!path) return DEFAULT_TEMPLATES[name];
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A templates directory overrides only what it holds; a named brief file must exist.
    if (code === 'ENOENT' && file === null) return DEFAULT_TEMPLATES[name];
    throw new UserError(`${path}: cannot read template (${code})`);
  }
}
