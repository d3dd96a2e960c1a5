/**
 * Which tmux sessions belong to this crew: those whose CREW_TAG names its directory. A session of
 * an agent's name without the tag is someone else's: reported, never adopted, restarted or killed.
 */
import { resolve } from 'node:path';
import { Tmux } from './tmux.js';

export const socketName = (socket: string | null) =>
  socket ? `tmux socket '${socket}' (tmux -L ${socket})` : 'the default tmux server';

/** Names of the live sessions on `socket` that the crew in `dir` started. */
export async function crewSessions(
  dir: string,
  socket: string | null,
  env?: NodeJS.ProcessEnv,
): Promise<string[]> {
  const root = resolve(dir);
  const panes = await new Tmux(socket, env).panes();
  return [...new Set(panes.filter((p) => p.crewRoot === root).map((p) => p.session))];
}

/** Whether `session` on this server is the crew's in `dir`, someone else's, or absent. */
export async function sessionOwner(
  tmux: Tmux,
  dir: string,
  session: string,
): Promise<'ours' | 'foreign' | null> {
  const pane = (await tmux.panes()).find((p) => p.session === session);
  return pane ? (pane.crewRoot === resolve(dir) ? 'ours' : 'foreign') : null;
}
