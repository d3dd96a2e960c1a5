#!/usr/bin/env node
// The repository's llm-scratch: the one in packages/llm (npm workspaces), so that `npm link` or
// `npx llm-scratch` at the root of a clone runs it.
import '../packages/llm/bin/llm-scratch.js';
