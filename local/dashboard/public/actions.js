// The "run now" buttons: one per schedule rule of the stack (the fetch and
// the rollups). A click fires the rule as `npm run fire` does; the button
// says how its last run went. Kept apart from app.js: it only needs the
// header's #actions element.

const LOCALE = globalThis.pricestreamLocale ?? 'en-US';
const box = document.getElementById('actions');
const timeFormat = new Intl.DateTimeFormat(LOCALE, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
let timer;
/** A refusal the server gave for a click, shown next to that button until the next click. */
const refusals = new Map();

function describe(action) {
  const targets = action.targets.join(', ');
  const next = action.next.length
    ? `next ${action.next.map((t) => timeFormat.format(new Date(t))).join(', ')}`
    : (action.notRunBecause ?? 'not scheduled here');
  return `${action.expression} → ${targets}; ${next}`;
}

function lastRun(last) {
  if (!last) return '';
  const at = timeFormat.format(new Date(last.startedAt));
  if (last.state === 'running') return `running since ${at}`;
  if (last.state === 'succeeded') return `done (${at})`;
  return `failed (${at}): ${last.message ?? ''}`;
}

function render(actions) {
  box.replaceChildren();
  for (const action of actions) {
    const item = document.createElement('span');
    item.className = 'action';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `Run ${action.id}`;
    button.title = describe(action);
    button.dataset.rule = action.id;
    button.addEventListener('click', () => fire(action.id));
    const state = document.createElement('span');
    const refusal = refusals.get(action.id);
    state.className = `action-state ${refusal ? 'failed' : (action.last?.state ?? '')}`;
    state.textContent = refusal ?? lastRun(action.last);
    item.append(button, state);
    box.append(item);
  }
  clearTimeout(timer);
  // While something runs, look again soon.
  if (actions.some((a) => a.last?.state === 'running')) timer = setTimeout(load, 2000);
}

async function load() {
  try {
    const response = await fetch('/api/actions');
    if (!response.ok) return;
    render((await response.json()).actions);
  } catch {
    // The page's own status line reports a runtime that went away.
  }
}

async function fire(rule) {
  const response = await fetch(`/api/actions/${encodeURIComponent(rule)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  refusals.delete(rule);
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    refusals.set(rule, body.message ?? `HTTP ${response.status}`);
  }
  await load();
}

if (box) void load();
