// The one place that reads the wall clock for what users see as dates: the tracker's timestamps,
// the dashboard's and the report's "now". Tests fix it with setClock; a child process started by a
// test can be given LLM_SCRATCH_NOW=<ISO time>, which starts its clock at that instant (it then
// runs on at the real rate, so timeouts still expire). Durations (timeouts, polls, speed) keep
// reading Date.now() / performance.now(): they do not depend on the date.
let source: () => Date = fromEnvironment(process.env.LLM_SCRATCH_NOW);

function fromEnvironment(fixed: string | undefined): () => Date {
  if (fixed === undefined || fixed === '') return () => new Date();
  const start = Date.parse(fixed);
  if (Number.isNaN(start)) throw new Error(`LLM_SCRATCH_NOW: '${fixed}' is not an ISO date`);
  const offset = start - Date.now();
  return () => new Date(Date.now() + offset);
}

export function now(): Date {
  return source();
}

export const nowIso = (): string => now().toISOString();

/** Replaces the clock (tests); returns a function that puts the previous one back. */
export function setClock(clock: Date | (() => Date)): () => void {
  const previous = source;
  source = typeof clock === 'function' ? clock : () => new Date(clock.getTime());
  return () => {
    source = previous;
  };
}
