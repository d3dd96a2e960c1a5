// The tracker: one interface, a local SQLite backend (default) and a GitHub backend, and the sync.
export * from './types.js';
export { LocalTracker, MIGRATIONS, openDatabase } from './local.js';
export { GitHubTracker, withKey, splitKey, type GitHubOptions } from './github.js';
export {
  openTracker,
  resolveToken,
  resolveRepo,
  repoFromRemote,
  DEFAULT_DB,
  DEFAULT_EVENTS_DB,
  type OpenOptions,
} from './open.js';
export { addEvent, listEvents } from './events.js';
export { syncTracker, issueBody, type SyncAction, type SyncResult } from './sync.js';
