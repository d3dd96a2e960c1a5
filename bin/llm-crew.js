#!/usr/bin/env node
// The repository's llm-crew: the one in packages/crew (npm workspaces), so that `npm link` or
// `npx llm-crew` at the root of a clone runs it.
import '../packages/crew/bin/llm-crew.js';
