// One of the processes in concurrent.test.ts: syncs the seed plan, then comments on and labels
// issue 1 ROUNDS times, each a read-modify-write on the same row as every other process.
import { desiredState, loadPlan } from '../../../src/crew/plan/index.js';
import { LocalTracker, syncTracker } from '../../../src/crew/tracker/index.js';

const [db, plan, id, rounds] = process.argv.slice(2) as [string, string, string, string];
const tracker = new LocalTracker(db);
const sync = await syncTracker(tracker, desiredState(loadPlan(plan)));
for (let r = 0; r < Number(rounds); r++) {
  await tracker.addComment(1, `p${id}-${r}`, `worker-${id}`);
  await tracker.editLabels(1, [`w${id}-${r}`], r > 0 ? [`w${id}-${r - 1}-tmp`] : []);
  await tracker.editLabels(1, [`w${id}-${r}-tmp`], []);
}
await tracker.close();
process.stdout.write(JSON.stringify({ created: sync.counts.issue.create }) + '\n');
