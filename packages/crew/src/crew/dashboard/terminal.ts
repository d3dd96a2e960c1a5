/**
 * The terminal dashboard (Ink 6 on React 19; Ink 7 needs Node 22). Components are written with
 * React.createElement (`h`) so the project keeps plain .ts files: no JSX setting in tsconfig, the
 * linter or the test globs. `Dashboard` draws one snapshot; `LiveDashboard` reloads it on a timer
 * and, given actions (actions.ts), takes keys: up/down (or k/j) choose an agent, a shows the
 * command that attaches to it, s sends it a line, r restarts it (after a y), d shows its diff, q
 * quits.
 */
import { Box, Text, render, useApp, useInput, useStdin } from 'ink';
import {
  createContext,
  createElement as h,
  useContext,
  useEffect,
  useRef,
  useState,
  type ReactElement,
} from 'react';
import { colorEnabled } from 'llm-scratch-core/terminal';
import type { CrewEvent } from '../agents/types.js';
import type { DashboardActions } from './actions.js';
import {
  age,
  ageSince,
  agentState,
  bar,
  checksText,
  shortSha,
  testPoints,
  testVerdict,
  type Tone,
} from './format.js';
import type { Snapshot } from './snapshot.js';

const COLOR: Record<Tone, string | undefined> = { good: 'green', warn: 'yellow', bad: 'red', dim: 'gray' };

// Whether to colour at all (NO_COLOR, a pipe): Ink's chalk does not read NO_COLOR, so we ask once.
const Colors = createContext(true);
const useTint = () => {
  const on = useContext(Colors);
  return {
    tone: (tone?: Tone) => (on && tone ? { color: COLOR[tone] } : {}),
    dim: on ? { dimColor: true } : {},
  };
};

const cell = (text: string | number, width: number) => {
  const s = String(text);
  return s.length >= width ? `${s.slice(0, width - 1)}…` : s.padEnd(width);
};

function Heading({ title }: { title: string }): ReactElement {
  return h(Box, { marginTop: 1 }, h(Text, { bold: true, underline: true }, title));
}

// children is optional only because createElement passes it outside the props object.
function Line({ children, tone }: { children?: string; tone?: Tone }): ReactElement {
  return h(Text, { wrap: 'truncate-end', ...useTint().tone(tone) }, children);
}

// Columns sized for a 100-column terminal ("waiting for input" fits STATE); the last commit goes on a dim line of its own.
function Agents({ s, selected }: { s: Snapshot; selected: string | null }): ReactElement {
  const tint = useTint();
  const head = `${cell('AGENT', 13)}${cell('STATE', 18)}${cell('IDLE', 6)}${cell('DONE', 6)}${cell('CHECKS', 7)}${cell('AHEAD', 6)}${cell('DIRTY', 6)}${cell('RESTARTS', 9)}ISSUE`;
  return h(
    Box,
    { flexDirection: 'column' },
    h(Heading, { title: 'Agents' }),
    h(Text, { ...tint.dim, wrap: 'truncate-end' }, head),
    ...s.agents.map((a) => {
      const st = agentState(a);
      const commit = a.lastCommit ? `${a.lastCommit.subject} (${age(a.lastCommit.ageSeconds)} ago)` : 'none';
      return h(
        Box,
        { key: a.agent, flexDirection: 'column' },
        h(
          Text,
          { wrap: 'truncate-end' },
          h(Text, { inverse: a.agent === selected, bold: a.agent === selected }, cell(a.agent, 13)),
          h(Text, tint.tone(st.tone), cell(st.text, 18)),
          cell(age(a.idleSeconds), 6),
          cell(`${a.closed}/${a.closed + a.open}`, 6),
          cell(checksText(a.checks), 7),
          cell(a.ahead ?? '-', 6),
          cell(a.dirtyFiles, 6),
          cell(a.restarts, 9),
          a.issue ? `#${a.issue.number} ${a.issue.title}` : '-',
        ),
        h(
          Text,
          { ...tint.dim, wrap: 'truncate-end' },
          `${' '.repeat(13)}${a.branch ?? 'no branch'}, last commit: ${commit}`,
        ),
      );
    }),
  );
}

function Milestones({ s }: { s: Snapshot }): ReactElement {
  return h(
    Box,
    { flexDirection: 'column' },
    h(Heading, { title: 'Milestones' }),
    ...s.milestones.map((m) =>
      h(
        Line,
        { key: m.id, tone: m.state === 'done' ? 'good' : m.state === 'late' ? 'bad' : undefined },
        `${cell(m.title, 26)}${bar(m.closed, m.total)} ${cell(`${m.closed}/${m.total}`, 6)}${cell(m.owner, 14)}${m.due ? `due ${m.due}` : `day ${m.day}`}${m.checks.total ? `  checks ${checksText(m.checks)}` : ''}${m.blocked ? `  ${m.blocked} blocked` : ''}${m.state === 'late' ? '  LATE' : ''}`,
      ),
    ),
  );
}

function Integration({ s }: { s: Snapshot }): ReactElement {
  return h(
    Box,
    { flexDirection: 'column' },
    h(Heading, { title: 'Integration points: planned / actual' }),
    ...s.integration.map((x) =>
      h(
        Line,
        { key: x.id, tone: x.state === 'closed' ? (x.late ? 'warn' : 'good') : x.late ? 'bad' : undefined },
        `${cell(x.id, 24)}${cell(`${x.from} -> ${x.to}`, 27)}${cell(`day ${x.plannedDay} (${x.plannedDate})`, 19)}${cell(x.actualDay !== null ? `day ${x.actualDay}` : '-', 10)}${x.state}${x.late ? ', late' : ''}${x.check ? `, check ${x.check}` : ''}`,
      ),
    ),
  );
}

function Commits({ s }: { s: Snapshot }): ReactElement {
  return h(
    Box,
    { flexDirection: 'column' },
    h(Heading, { title: 'Recent commits (x: breaks type(scope): subject)' }),
    ...(s.commits.length === 0
      ? [h(Line, { key: 'none', tone: 'dim' }, 'no commits yet')]
      : s.commits.map((c) =>
          h(
            Line,
            { key: c.sha, tone: c.conventional ? undefined : 'bad' },
            `${c.conventional ? ' ' : 'x'} ${shortSha(c.sha)} ${cell(c.agent ?? 'main', 14)}${cell(ageSince(c.at, s.at), 5)}${c.subject}`,
          ),
        )),
  );
}

function eventLine(e: CrewEvent, now: string): string {
  return `${cell(ageSince(e.at, now), 5)}${cell(e.kind, 9)}${cell(e.agent ?? 'crew', 14)}${e.message}`;
}

function Events({ s }: { s: Snapshot }): ReactElement {
  const test = s.lastTest ? testVerdict(s.lastTest) : null;
  return h(
    Box,
    { flexDirection: 'column' },
    h(Heading, { title: 'Last test' }),
    test && s.lastTest
      ? h(Line, { tone: test.tone }, `${test.text} (${ageSince(s.lastTest.at, s.at)} ago)`)
      : h(Line, { tone: 'dim' }, 'no test run yet (llm-crew test)'),
    ...(s.lastTest ? testPoints(s.lastTest) : []).map((p) =>
      h(Line, { key: p.id, tone: p.status === 'passed' ? 'good' : 'bad' }, `  ${cell(p.id, 26)}${p.status}`),
    ),
    h(Heading, { title: 'Supervisor events' }),
    ...(s.events.length === 0
      ? [h(Line, { key: 'none', tone: 'dim' }, 'no events yet')]
      : s.events.map((e) =>
          h(
            Line,
            { key: e.id, tone: e.kind === 'gave-up' || e.kind === 'conflict' ? 'bad' : undefined },
            eventLine(e, s.at),
          ),
        )),
  );
}

export function Dashboard({
  snapshot: s,
  error,
  colors = true,
  selected = null,
  footer = null,
}: {
  snapshot: Snapshot;
  error?: string | null;
  colors?: boolean;
  /** The agent the keys act on, highlighted. */
  selected?: string | null;
  /** What the keys show: a prompt, a result, a diff. */
  footer?: ReactElement | null;
}): ReactElement {
  return h(
    Colors.Provider,
    { value: colors },
    h(
      Box,
      { flexDirection: 'column' },
      h(
        Text,
        { wrap: 'truncate-end' },
        h(Text, { bold: true }, `llm-crew: ${s.project}`),
        `  tracker ${s.tracker}  ·  ${s.at.slice(11, 19)} UTC`,
      ),
      error ? h(Line, { tone: 'bad' }, `refresh failed: ${error}`) : null,
      h(Agents, { s, selected }),
      h(Milestones, { s }),
      h(Integration, { s }),
      h(Commits, { s }),
      h(Events, { s }),
      footer,
    ),
  );
}

type Mode =
  { kind: 'browse' } | { kind: 'send'; text: string } | { kind: 'confirm' } | { kind: 'diff'; text: string };

const HELP = 'keys: up/down choose  a attach  s send  r restart  d diff  q quit';

function Footer({
  agent,
  mode,
  message,
}: {
  agent: string;
  mode: Mode;
  message: string | null;
}): ReactElement {
  const tint = useTint();
  const lines: ReactElement[] = [];
  if (mode.kind === 'send')
    lines.push(h(Text, { key: 'send' }, `send to ${agent}> ${mode.text}_  (Enter sends, Esc cancels)`));
  else if (mode.kind === 'confirm')
    lines.push(h(Text, { key: 'confirm', ...tint.tone('warn') }, `restart ${agent}? y/n`));
  else if (mode.kind === 'diff')
    lines.push(
      h(Text, { key: 'head', bold: true }, `diff of ${agent} (Esc closes)`),
      ...mode.text.split('\n').map((l, i) => h(Text, { key: `d${i}`, wrap: 'truncate-end' }, l || ' ')),
    );
  if (message) lines.push(h(Text, { key: 'message', wrap: 'truncate-end' }, message));
  lines.push(h(Text, { key: 'help', ...tint.dim }, `[${agent}] ${HELP}`));
  return h(Box, { flexDirection: 'column', marginTop: 1 }, ...lines);
}

export interface LiveProps {
  first: Snapshot;
  load: () => Promise<Snapshot>;
  intervalMs: number;
  colors?: boolean;
  /** What the keys do; without them (or without a keyboard) the dashboard only shows. */
  actions?: DashboardActions;
}

/** Reloads the snapshot every intervalMs; a failed load keeps the last one on screen with the error. */
export function LiveDashboard({ first, load, intervalMs, colors, actions }: LiveProps): ReactElement {
  const [snapshot, setSnapshot] = useState(first);
  const [error, setError] = useState<string | null>(null);
  const [index, setIndex] = useState(0);
  const [mode, setMode] = useState<Mode>({ kind: 'browse' });
  const [message, setMessage] = useState<string | null>(null);
  const { isRawModeSupported } = useStdin();
  const { exit } = useApp();
  const agents = snapshot.agents.map((a) => a.agent);
  const agent = agents[Math.min(index, agents.length - 1)] ?? null;
  // Ink hands keys to the handler of an earlier render when they come fast: it reads the latest state here.
  const latest = useRef({ agent, mode });
  latest.current = { agent, mode };
  const act = (what: Promise<string>) =>
    what
      .then((m) => {
        setMessage(m);
        setMode({ kind: 'browse' });
      })
      .catch((err: Error) => {
        setMessage(`error: ${err.message}`);
        setMode({ kind: 'browse' });
      });
  useInput(
    (input, key) => {
      const { agent, mode } = latest.current;
      if (!actions || !agent) return;
      if (mode.kind === 'send') {
        const edit = (f: (text: string) => string) => {
          const next: Mode = { kind: 'send', text: f(mode.text) };
          latest.current = { agent, mode: next };
          setMode(next);
        };
        if (key.escape) setMode({ kind: 'browse' });
        else if (key.return) {
          if (mode.text.trim()) void act(actions.send(agent, mode.text));
          else setMode({ kind: 'browse' });
        } else if (key.backspace || key.delete) edit((t) => t.slice(0, -1));
        else if (input && !key.ctrl && !key.meta) edit((t) => t + input);
        return;
      }
      if (mode.kind === 'confirm') {
        if (input === 'y') {
          setMessage(`restarting ${agent}...`);
          void act(actions.restart(agent));
        } else {
          setMessage('restart cancelled');
          setMode({ kind: 'browse' });
        }
        return;
      }
      if (mode.kind === 'diff' && (key.escape || input === 'd')) {
        setMode({ kind: 'browse' });
        return;
      }
      const move = (by: number) => {
        const i = Math.max(0, Math.min(agents.length - 1, agents.indexOf(agent) + by));
        latest.current = { agent: agents[i]!, mode };
        setIndex(i);
      };
      if (key.upArrow || input === 'k') move(-1);
      else if (key.downArrow || input === 'j') move(1);
      else if (input === 'q') exit();
      else if (input === 'a') {
        try {
          setMessage(`attach: ${actions.attachCommand(agent)}  (or: llm-crew attach ${agent})`);
        } catch (err) {
          setMessage(`error: ${(err as Error).message}`);
        }
      } else if (input === 's' || input === 'r') {
        const next: Mode = input === 's' ? { kind: 'send', text: '' } : { kind: 'confirm' };
        latest.current = { agent, mode: next };
        setMessage(null);
        setMode(next);
      } else if (input === 'd') {
        setMessage(null);
        void actions
          .diff(agent)
          .then((text) => setMode({ kind: 'diff', text }))
          .catch((err: Error) => setMessage(`error: ${err.message}`));
      }
    },
    { isActive: isRawModeSupported === true && actions !== undefined },
  );
  useEffect(() => {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      load()
        .then((s) => {
          setSnapshot(s);
          setError(null);
        })
        .catch((err: Error) => setError(err.message))
        .finally(() => (busy = false));
    }, intervalMs);
    return () => clearInterval(timer);
  }, [load, intervalMs]);
  const footer = actions && agent ? h(Footer, { agent, mode, message }) : null;
  return h(Dashboard, { snapshot, error, colors, selected: actions ? agent : null, footer });
}

/** Runs the live dashboard until Ctrl+C. */
export async function runTerminalDashboard(props: LiveProps): Promise<void> {
  const app = render(h(LiveDashboard, { colors: colorEnabled(process.stdout), ...props }));
  await app.waitUntilExit();
}
