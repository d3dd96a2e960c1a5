/** Reading crew.yaml and what it points at, into one context that documents and the tracker share. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import type { BookStructure } from '../book/types.js';
import type { Splits } from '../book/split.js';
import type { ChunkSummary } from '../book/summarize.js';
import { readStructure } from './book.js';
import { checkPlan, withLines } from './check.js';
import { parsePlan, PlanError } from './schema.js';
import type { Plan } from './types.js';

export interface PlanContext {
  file: string;
  /** crew.yaml's directory: every path in the plan is relative to it. */
  dir: string;
  text: string;
  plan: Plan;
  structure: BookStructure;
  /** splits.json of book.chunks, and summaries.json beside it (from `book summarize --json`), when present. */
  splits: Splits | null;
  summaries: ChunkSummary[] | null;
}

export function readPlanText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UserError(
        `${file}: no plan here; make one with 'llm-crew init --book structure.json --agents N'`,
      );
    throw new UserError(`${file}: cannot read (${code})`);
  }
}

/** Parses and checks the plan; with `check: false` only the schema is enforced. */
export function loadPlan(file: string, { check = true } = {}): PlanContext {
  const text = readPlanText(file);
  const plan = parsePlan(text, file);
  const dir = dirname(resolve(file));
  const structure = readStructure(join(dir, plan.book.structure));
  if (check) {
    const issues = withLines(text, checkPlan(plan, structure));
    if (issues.length > 0) throw new PlanError(file, issues);
  }
  let splits: Splits | null = null;
  let summaries: ChunkSummary[] | null = null;
  if (plan.book.chunks) {
    const chunks = join(dir, plan.book.chunks);
    if (existsSync(join(chunks, 'splits.json')))
      splits = JSON.parse(readFileSync(join(chunks, 'splits.json'), 'utf8')) as Splits;
    if (existsSync(join(chunks, 'summaries.json')))
      summaries = (
        JSON.parse(readFileSync(join(chunks, 'summaries.json'), 'utf8')) as { chunks: ChunkSummary[] }
      ).chunks;
  }
  return { file, dir, text, plan, structure, splits, summaries };
}
