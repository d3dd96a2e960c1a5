/**
 * The web dashboard's markup: the server renders a snapshot to an HTML fragment (the same sections
 * and words as the terminal, from format.ts) and pushes it over server-sent events; the page's only
 * script swaps the fragment in. Nothing in the page can change the crew: it is read-only.
 */
import type { CrewEvent } from '../agents/types.js';
import {
  age,
  ageSince,
  agentState,
  checksText,
  checkTone,
  shortSha,
  testPoints,
  testVerdict,
  type Tone,
} from './format.js';
import type { Snapshot } from './snapshot.js';

const escapeHtml = (s: string | number) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

// Tagged template: every interpolated value is escaped unless it is already markup (an array of
// fragments or a Markup value).
class Markup {
  constructor(readonly html: string) {}
  toString() {
    return this.html;
  }
}
type Value = string | number | null | Markup | Markup[];
function html(strings: TemplateStringsArray, ...values: Value[]): Markup {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const text =
      v === null
        ? ''
        : v instanceof Markup
          ? v.html
          : Array.isArray(v)
            ? v.map((m) => m.html).join('')
            : escapeHtml(v);
    out += text + strings[i + 1]!;
  });
  return new Markup(out);
}

const tone = (t: Tone | undefined) => (t ? ` class="${t}"` : '');

function agents(s: Snapshot): Markup {
  const rows = s.agents.map((a) => {
    const st = agentState(a);
    return html`<tr data-agent="${a.agent}">
      <td><b>${a.agent}</b><br /><small>${a.role} · ${a.session}</small></td>
      <td${new Markup(tone(st.tone))} data-field="state">${st.text}</td>
      <td>${age(a.idleSeconds)}</td>
      <td>${a.issue ? `#${a.issue.number} ${a.issue.title}` : '-'}</td>
      <td>${a.branch ?? '-'}</td>
      <td>${a.ahead ?? '-'}</td>
      <td>${a.dirtyFiles}</td>
      <td>${a.restarts}</td>
      <td data-field="issues">${a.closed} closed, ${a.open} open</td>
      <td data-field="checks">${checksText(a.checks)}</td>
      <td>${a.lastCommit ? `${a.lastCommit.subject} (${age(a.lastCommit.ageSeconds)})` : '-'}</td>
    </tr>`;
  });
  return html`<section id="agents">
    <h2>Agents</h2>
    <table>
      <tr>
        <th>Agent</th>
        <th>State</th>
        <th>Idle</th>
        <th>Issue</th>
        <th>Branch</th>
        <th>Ahead</th>
        <th>Dirty</th>
        <th>Restarts</th>
        <th>Issues</th>
        <th>Checks passing</th>
        <th>Last commit</th>
      </tr>
      ${rows}
    </table>
  </section>`;
}

function milestones(s: Snapshot): Markup {
  const rows = s.milestones.map((m) => {
    const pct = m.total ? Math.round((m.closed / m.total) * 100) : 0;
    const t: Tone | undefined = m.state === 'done' ? 'good' : m.state === 'late' ? 'bad' : undefined;
    return html`<tr data-milestone="${m.id}" ${new Markup(tone(t))}>
      <td>${m.title}</td>
      <td>${m.owner}</td>
      <td>
        <progress max="100" value="${pct}"></progress>
        <span data-field="progress">${m.closed}/${m.total}</span>
      </td>
      <td>${m.due ?? `day ${m.day}`}</td>
      <td>${m.blocked}</td>
      <td data-field="checks">${checksText(m.checks)}</td>
      <td>${m.state}</td>
    </tr>`;
  });
  return html`<section id="milestones">
    <h2>Milestones</h2>
    <table>
      <tr>
        <th>Milestone</th>
        <th>Owner</th>
        <th>Progress</th>
        <th>Due</th>
        <th>Blocked</th>
        <th>Checks passing</th>
        <th>State</th>
      </tr>
      ${rows}
    </table>
  </section>`;
}

function integration(s: Snapshot): Markup {
  const rows = s.integration.map((x) => {
    const t: Tone | undefined =
      x.state === 'closed' ? (x.late ? 'warn' : 'good') : x.late ? 'bad' : undefined;
    return html`<tr data-integration="${x.id}" ${new Markup(tone(t))}>
      <td>${x.id}</td>
      <td>${x.from} → ${x.to}</td>
      <td>${x.module}</td>
      <td>day ${x.plannedDay} (${x.plannedDate})</td>
      <td>${x.actualDay !== null ? `day ${x.actualDay}` : '-'}</td>
      <td data-field="state">${x.state}${x.late ? ', late' : ''}</td>
      <td data-field="check" ${new Markup(tone(checkTone(x.check)))}>${x.check ?? 'not run'}</td>
    </tr>`;
  });
  return html`<section id="integration">
    <h2>Integration points: planned / actual</h2>
    <table>
      <tr>
        <th>Point</th>
        <th>From → to</th>
        <th>Module</th>
        <th>Planned</th>
        <th>Actual</th>
        <th>State</th>
        <th>Check</th>
      </tr>
      ${rows}
    </table>
  </section>`;
}

function commits(s: Snapshot): Markup {
  const rows = s.commits.map(
    (c) => html`<tr${new Markup(c.conventional ? '' : ' class="bad" title="breaks type(scope): subject"')}>
      <td>${c.conventional ? '' : '✗'}</td><td><code>${shortSha(c.sha)}</code></td>
      <td>${c.agent ?? 'main'}</td><td>${ageSince(c.at, s.at)}</td><td>${c.subject}</td></tr>`,
  );
  return html`<section id="commits">
    <h2>Recent commits</h2>
    ${
      s.commits.length
        ? html`<table>
            <tr>
              <th title="breaks the convention">✗</th>
              <th>Commit</th>
              <th>Agent</th>
              <th>Age</th>
              <th>Subject</th>
            </tr>
            ${rows}
          </table>`
        : html`<p class="dim">no commits yet</p>`
    }
  </section>`;
}

const eventRow = (e: CrewEvent, now: string) =>
  html`<tr${new Markup(tone(e.kind === 'gave-up' || e.kind === 'conflict' ? 'bad' : undefined))}>
    <td>${ageSince(e.at, now)}</td><td>${e.kind}</td><td>${e.agent ?? 'crew'}</td><td>${e.message}</td></tr>`;

function events(s: Snapshot): Markup {
  const test = s.lastTest ? testVerdict(s.lastTest) : null;
  return html`<section id="test">
      <h2>Last test</h2>
      ${test && s.lastTest ? html`<p${new Markup(tone(test.tone))}>${test.text} (${ageSince(s.lastTest.at, s.at)} ago)</p>` : html`<p class="dim">no test run yet (llm-crew test)</p>`}
      ${s.lastTest ? testPoints(s.lastTest).map((p) => html`<span class="${p.status === 'passed' ? 'good' : 'bad'}" data-point="${p.id}">${p.id}: ${p.status}</span> `) : null}
    </section>
    <section id="events">
      <h2>Supervisor events</h2>
      ${
        s.events.length
          ? html`<table>
              <tr>
                <th>Age</th>
                <th>Kind</th>
                <th>Agent</th>
                <th>Message</th>
              </tr>
              ${s.events.map((e) => eventRow(e, s.at))}
            </table>`
          : html`<p class="dim">no events yet</p>`
      }
    </section>`;
}

/** The part of the page that live updates replace. */
export function dashboardFragment(s: Snapshot): string {
  return html`<header>
      <h1>llm-crew: ${s.project}</h1>
      <p class="dim">tracker ${s.tracker} · updated <time>${s.at.slice(11, 19)}</time> UTC</p>
    </header>
    ${agents(s)}${milestones(s)}${integration(s)}${commits(s)}${events(s)}`.html;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1b1f24; background: #fff; }
h1 { font-size: 1.4em; margin: 0; } h2 { font-size: 1.1em; margin: 1.2em 0 0.4em; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { color: #57606a; font-weight: 600; } small, .dim { color: #6e7781; }
.good { color: #1a7f37; } .warn { color: #9a6700; } .bad { color: #cf222e; }
#status { position: fixed; top: 0.5em; right: 1em; font-size: 0.85em; }
`;

/** The whole page: the first fragment inline, then live updates from /events. */
export function dashboardPage(s: Snapshot): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><title>llm-crew: ${escapeHtml(s.project)}</title>
<style>${STYLE}</style></head>
<body><span id="status" class="dim">live</span><main id="app">${dashboardFragment(s)}</main>
<script>
const status = document.getElementById('status');
const source = new EventSource('/events');
source.addEventListener('snapshot', (e) => {
  document.getElementById('app').innerHTML = JSON.parse(e.data).html;
  status.textContent = 'live';
});
source.onerror = () => { status.textContent = 'reconnecting…'; };
</script></body></html>`;
}
