// The plan: crew.yaml's schema, a first plan from a book, checks, documents, and the tracker state it implies.
export * from './types.js';
export { parsePlan, planToYaml, PlanError, formatIssue, slug, type PlanIssue } from './schema.js';
export { PLAN_SCHEMA_FILE } from './json-schema.js';
export { checkPlan, dueDayIssues, findCycle, withLines } from './check.js';
export { issueGraph, pointMilestone, type PlannedIssue } from './graph.js';
export { DEFAULT_STACK, detectStack, stackOrDefault, testFor, type Stack } from './stack.js';
export {
  proposePlan,
  balancedGroups,
  chapterDeliverables,
  moduleName,
  MAX_TASK_PAGES,
  type ProposeOptions,
} from './propose.js';
export { loadPlan, readPlanText, type PlanContext } from './load.js';
export {
  desiredState,
  agentLabel,
  milestoneLabel,
  STATUS_LABELS,
  type DesiredState,
  type DesiredIssue,
} from './desired.js';
export { planDocuments, writeDocuments, type Document } from './documents.js';
export { readStructure, chapters } from './book.js';
export { DEFAULT_TEMPLATES, render, type TemplateName } from './templates.js';
