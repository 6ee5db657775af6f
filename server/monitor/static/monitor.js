// The monitor page: GraphQL queries over HTTP for the snapshot, and the graphql-transport-ws
// subscriptions syncEvents / syncRunProgress for what happens next. No dependencies.
"use strict";

const TOKEN_KEY = "fmsf.monitor.token";
const MAX_ROWS = 100;
const HTTP_URL = `${location.origin}/graphql`;
const WS_URL = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;

const ENTITY_LABELS = {
  ACCOUNT: "Accounts", CONTACT: "Contacts", OPPORTUNITY: "Opportunities",
  TASK: "Tasks", EVENT: "Events", PRODUCT: "Products",
};
const DIRECTIONS = [
  ["SALESFORCE_TO_FORCEMANAGER", "SF → FM", "Salesforce → ForceManager"],
  ["FORCEMANAGER_TO_SALESFORCE", "FM → SF", "ForceManager → Salesforce"],
];
const ACTIONS = ["created", "updated", "deleted"];

const RECORD_FIELDS = `id entity recordName salesforceId forcemanagerId action direction status
  errorCode errorMessage ownerFallback runId at`;

const SNAPSHOT = `query MonitorSnapshot($since: DateTime) {
  salesforceIntegration {
    state errorReason plan intervalMinutes nextRunAt forcemanagerConnected
    connection { username instanceUrl connectedAt }
    entities { entity enabled direction }
    lastRun { id kind status reason startedAt finishedAt created updated deleted failed }
  }
  syncStatistics(since: $since) {
    __typename
    ... on SyncStatistics { since until entities { entity direction created updated deleted failed } }
    ... on UserError { message }
  }
  recentSyncRecords(limit: ${MAX_ROWS}) {
    __typename
    ... on SyncRecordList { records { ${RECORD_FIELDS} } }
    ... on UserError { message }
  }
}`;

const EVENTS = `subscription MonitorEvents($after: String) {
  syncEvents(after: $after) {
    __typename
    ... on SyncEvent { ${RECORD_FIELDS} cursor }
    ... on FeedReset { reason message resumeAfter }
  }
}`;

const PROGRESS = `subscription MonitorProgress {
  syncRunProgress { type runId kind entity processed total status reason }
}`;

const $ = (id) => document.getElementById(id);

const view = {
  token: null,
  records: new Map(),      // id -> record, the rows of the table
  stats: new Map(),        // "ENTITY|DIRECTION" -> {created, updated, deleted, failed}
  statsUpTo: 0,            // records with a larger id are not yet in `stats`
  enabledEntities: [],
  cursor: null,            // of the last live event, to resume after a reconnect
  socket: null,
  retries: 0,
  opSeq: 0,
  eventsOp: null,
  progress: null,
  stopped: true,
};

// ---------------------------------------------------------------- token and screens

function showLogin(message) {
  view.stopped = true;
  closeSocket();
  $("dashboard").hidden = true;
  $("forget").hidden = true;
  $("login").hidden = false;
  $("login-error").hidden = !message;
  $("login-error").textContent = message || "";
  setLive("off");
  $("token").focus();
}

function forgetToken(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  view.token = null;
  showLogin(message);
}

async function open(token) {
  view.token = token;
  view.stopped = false;
  view.records.clear();
  view.cursor = null;
  $("login").hidden = true;
  $("dashboard").hidden = false;
  $("forget").hidden = false;
  // Subscribe before taking the snapshot: whatever is logged in between arrives live, and
  // records present in both are shown once (keyed by id).
  connect();
  await refresh();
}

// ---------------------------------------------------------------- HTTP queries

class AuthError extends Error {}

async function graphql(query, variables) {
  const response = await fetch(HTTP_URL, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${view.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({}));
  const errors = body.errors || [];
  if (errors.some((e) => e.extensions && e.extensions.code === "UNAUTHENTICATED")) {
    throw new AuthError(errors[0].message);
  }
  if (!response.ok || errors.length) {
    throw new Error(errors.length ? errors[0].message : `HTTP ${response.status}`);
  }
  return body.data;
}

function periodStart() {
  const days = Number($("period").value);
  return new Date(Date.now() - days * 86400000).toISOString();
}

async function refresh() {
  let data;
  try {
    data = await graphql(SNAPSHOT, { since: periodStart() });
  } catch (error) {
    if (error instanceof AuthError) return forgetToken("This token was refused. Paste a valid one.");
    return banner(`Could not load the integration: ${error.message}`);
  }
  banner(null);
  renderIntegration(data.salesforceIntegration);
  const records = data.recentSyncRecords.records || [];
  for (const record of records) view.records.set(record.id, record);
  view.statsUpTo = Math.max(0, ...records.map((r) => Number(r.id)));
  view.stats.clear();
  for (const row of (data.syncStatistics.entities || [])) {
    view.stats.set(`${row.entity}|${row.direction}`, { ...row });
  }
  // Live events newer than this snapshot are not in its statistics yet.
  for (const record of view.records.values()) {
    if (Number(record.id) > view.statsUpTo) count(record);
  }
  renderChart();
  renderRecords();
}

function banner(message) {
  $("banner").hidden = !message;
  $("banner").textContent = message || "";
}

// ---------------------------------------------------------------- live feed

function setLive(state) {
  const pill = $("live");
  pill.dataset.state = state;
  pill.textContent = { live: "live", connecting: "connecting…", off: "offline" }[state];
}

function closeSocket() {
  if (view.socket) {
    view.socket.onclose = null;
    view.socket.close();
    view.socket = null;
  }
}

function connect() {
  closeSocket();
  setLive("connecting");
  const socket = new WebSocket(WS_URL, "graphql-transport-ws");
  view.socket = socket;
  const send = (message) => socket.send(JSON.stringify(message));
  socket.onopen = () => {
    send({ type: "connection_init", payload: { Authorization: `Bearer ${view.token}` } });
  };
  socket.onmessage = (message) => {
    const msg = JSON.parse(message.data);
    if (msg.type === "connection_ack") {
      const reconnected = view.retries > 0;
      view.retries = 0;
      setLive("live");
      subscribeEvents(view.cursor);
      // Without a cursor there is nothing to resume from: what happened while the socket
      // was down comes from a fresh snapshot instead.
      if (reconnected && !view.cursor) refresh();
      send({ id: `progress-${++view.opSeq}`, type: "subscribe", payload: { query: PROGRESS } });
    } else if (msg.type === "ping") {
      send({ type: "pong" });
    } else if (msg.type === "next" && msg.id === view.eventsOp) {
      onEventPayload(msg.payload);
    } else if (msg.type === "next") {
      if (refusedToken(msg.payload)) return;
      if (msg.payload.data) onProgress(msg.payload.data.syncRunProgress);
    } else if (msg.type === "error") {
      banner(`Live feed error: ${(msg.payload[0] || {}).message || "unknown"}`);
    }
  };
  socket.onclose = (event) => {
    view.socket = null;
    setLive("off");
    if (event.code === 4403) return forgetToken("This token was refused. Paste a valid one.");
    if (view.stopped) return;
    // Back off a little, then resume after the last cursor: nothing is missed.
    const delay = Math.min(30000, 500 * 2 ** view.retries++);
    setTimeout(() => { if (!view.stopped) connect(); }, delay);
  };
}

function subscribeEvents(after) {
  view.eventsOp = `events-${++view.opSeq}`;
  view.socket.send(JSON.stringify({
    id: view.eventsOp, type: "subscribe", payload: { query: EVENTS, variables: { after } },
  }));
}

function refusedToken(payload) {
  const errors = payload.errors || [];
  if (!errors.some((e) => e.extensions && e.extensions.code === "UNAUTHENTICATED")) return false;
  forgetToken("This token is no longer valid. Paste a valid one.");
  return true;
}

function onEventPayload(payload) {
  if (refusedToken(payload)) return;
  if (payload.errors) return banner(`Live feed error: ${payload.errors[0].message}`);
  const item = payload.data.syncEvents;
  if (item.__typename === "FeedReset") {
    if (item.resumeAfter) {
      view.cursor = item.resumeAfter;
      subscribeEvents(item.resumeAfter);
    } else {
      // Events were lost (past the retained window): start over from a fresh snapshot.
      view.cursor = null;
      subscribeEvents(null);
      refresh();
    }
    return;
  }
  view.cursor = item.cursor;
  const known = view.records.has(item.id);
  view.records.set(item.id, item);
  if (!known && Number(item.id) > view.statsUpTo) {
    count(item);
    renderChart();
  }
  if (!known) renderRecords(item.id);
}

function count(record) {
  const key = `${record.entity}|${record.direction}`;
  const row = view.stats.get(key) || {
    entity: record.entity, direction: record.direction, created: 0, updated: 0, deleted: 0, failed: 0,
  };
  if (record.status === "ERROR") row.failed += 1;
  else row[record.action.toLowerCase()] += 1;
  view.stats.set(key, row);
}

function onProgress(event) {
  if (!event) return;
  if (event.type === "STARTED" || !view.progress || view.progress.runId !== event.runId) {
    view.progress = { runId: event.runId, kind: event.kind, entities: new Map(), done: false };
  }
  const run = view.progress;
  if (event.kind) run.kind = event.kind;
  if (event.type === "PROGRESS" && event.entity) {
    run.entities.set(event.entity, { processed: event.processed || 0, total: event.total || 0 });
  }
  if (event.type === "FINISHED") {
    run.done = true;
    run.status = event.status;
    run.reason = event.reason;
  }
  renderProgress();
  if (event.type === "FINISHED") {
    refresh();
    // The outcome stays readable a moment; "Last run" keeps it afterwards.
    setTimeout(() => {
      if (view.progress === run) {
        view.progress = null;
        renderProgress();
      }
    }, 8000);
  }
}

// ---------------------------------------------------------------- rendering

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : date.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function humanize(text) {
  return text ? text.charAt(0) + text.slice(1).toLowerCase().replace(/_/g, " ") : "";
}

function renderIntegration(integration) {
  const state = $("state");
  state.textContent = humanize(integration.state);
  state.dataset.state = integration.state;
  view.enabledEntities = integration.entities.filter((e) => e.enabled).map((e) => e.entity);
  const facts = $("facts");
  facts.replaceChildren();
  const add = (label, value) => { if (value) facts.append(el("dt", { text: label }), el("dd", { text: value })); };
  add("Problem", integration.errorReason);
  add("Salesforce", integration.connection
    ? `${integration.connection.username || "connected"} · ${integration.connection.instanceUrl}`
    : "not connected");
  add("ForceManager", integration.forcemanagerConnected ? "connected" : "not connected");
  add("Entities", integration.entities.filter((e) => e.enabled)
    .map((e) => `${ENTITY_LABELS[e.entity] || e.entity}${e.direction === "BIDIRECTIONAL" ? " ⇄" : " →"}`)
    .join(", ") || "none");
  const run = integration.lastRun;
  if (run) {
    add("Last run", `${humanize(run.kind)} · ${humanize(run.status)} · ${when(run.startedAt)}`
      + ` · ${run.created} created, ${run.updated} updated, ${run.deleted} deleted`
      + (run.failed ? `, ${run.failed} failed` : ""));
    if (run.reason) add("Reason", run.reason);
  }
  add("Next run", integration.nextRunAt ? `${when(integration.nextRunAt)} (every ${integration.intervalMinutes} min)` : null);
  if (run && run.status === "RUNNING" && !view.progress) {
    view.progress = { runId: run.id, kind: run.kind, entities: new Map(), done: false };
    renderProgress();
  }
}

function renderProgress() {
  const run = view.progress;
  $("progress").hidden = !run;
  if (!run) return;
  $("progress-title").textContent = run.kind === "INITIAL" ? "Initial load" : "Sync run";
  let processed = 0;
  let total = 0;
  const list = $("progress-entities");
  list.replaceChildren();
  for (const [entity, p] of run.entities) {
    processed += Math.min(p.processed, p.total || p.processed);
    total += p.total;
    const pct = p.total ? Math.min(100, (100 * p.processed) / p.total) : 0;
    const fill = el("div");
    fill.style.width = `${pct}%`; // CSSOM, not a style attribute: the page's CSP forbids those
    const bar = el("div", { class: "progress" }, fill);
    list.append(el("li", {}, el("span", { text: ENTITY_LABELS[entity] || entity }), bar,
      el("span", { class: "muted", text: `${p.processed} / ${p.total}` })));
  }
  const pct = run.done ? 100 : total ? Math.floor((100 * processed) / total) : 0;
  $("progress-bar").style.width = `${pct}%`;
  document.querySelector("#progress .progress").setAttribute("aria-valuenow", String(pct));
  $("progress-pct").textContent = `${pct}%`;
  $("progress-outcome").textContent = run.done
    ? `Finished: ${humanize(run.status || "")}${run.reason ? ` — ${run.reason}` : ""}`
    : "Running…";
}

function renderChart() {
  const chart = $("chart");
  chart.replaceChildren();
  const entities = Object.keys(ENTITY_LABELS).filter((entity) =>
    view.enabledEntities.includes(entity)
    || DIRECTIONS.some(([d]) => view.stats.has(`${entity}|${d}`)));
  let max = 1;
  for (const row of view.stats.values()) max = Math.max(max, row.created + row.updated + row.deleted);
  let any = false;
  for (const entity of entities) {
    const group = el("div", { class: "chart-entity", "data-entity": entity },
      el("h3", { text: ENTITY_LABELS[entity] }));
    for (const [direction, short, long] of DIRECTIONS) {
      const row = view.stats.get(`${entity}|${direction}`)
        || { created: 0, updated: 0, deleted: 0, failed: 0 };
      const total = row.created + row.updated + row.deleted;
      any = any || total > 0 || row.failed > 0;
      const bar = svg("svg", { viewBox: "0 0 1000 16", preserveAspectRatio: "none", role: "img",
        "aria-label": `${long}: ${row.created} created, ${row.updated} updated, ${row.deleted} deleted, ${row.failed} failed` });
      bar.append(svg("rect", { class: "track", x: 0, y: 0, width: 1000, height: 16, rx: 3 }));
      let x = 0;
      for (const action of ACTIONS) {
        const width = (1000 * row[action]) / max;
        if (width > 0) {
          const rect = svg("rect", { class: action, x, y: 0, width, height: 16 });
          rect.append(svg("title", {}));
          rect.firstChild.textContent = `${row[action]} ${action}`;
          bar.append(rect);
        }
        x += width;
      }
      const numbers = el("span", { class: "num" }, `${total}`);
      if (row.failed) numbers.append(" · ", el("span", { class: "failed", text: `${row.failed} failed` }));
      group.append(el("div", { class: "chart-row", "data-direction": direction, title: long },
        el("span", { class: "dir", text: short }), bar, numbers));
    }
    chart.append(group);
  }
  $("chart-empty").hidden = any;
}

function recordRow(record, fresh) {
  const error = record.status === "ERROR";
  const direction = DIRECTIONS.find(([d]) => d === record.direction) || [null, record.direction, record.direction];
  const ids = [record.salesforceId && `SF ${record.salesforceId}`,
    record.forcemanagerId && `FM ${record.forcemanagerId}`].filter(Boolean).join(" · ");
  const cell = el("td", { class: "record" },
    el("div", { class: "name", text: record.recordName || "(no name)" }),
    el("div", { class: "meta", text: `${ENTITY_LABELS[record.entity] || record.entity} · ${humanize(record.action)} · ${direction[1]}` }),
    ids ? el("div", { class: "ids", text: ids }) : null,
    record.ownerFallback ? el("div", { class: "fallback", text: "owner not matched: assigned to the fallback user" }) : null,
    error ? el("div", { class: "why", text: `${record.errorCode || "ERROR"}: ${record.errorMessage || ""}` }) : null);
  return el("tr", { class: `${error ? "error" : ""}${fresh ? " fresh" : ""}`, "data-id": record.id },
    el("td", { class: "time", text: when(record.at) }),
    el("td", { class: "entity", text: ENTITY_LABELS[record.entity] || record.entity }),
    cell,
    el("td", { class: "action", text: humanize(record.action) }),
    el("td", { class: "direction", title: direction[2], text: direction[1] }),
    el("td", { class: "status" }, el("span", { class: `badge ${error ? "error" : "ok"}`, text: error ? "Error" : "OK" })));
}

function renderRecords(freshId) {
  const rows = [...view.records.values()].sort((a, b) => Number(b.id) - Number(a.id));
  for (const old of rows.slice(MAX_ROWS)) view.records.delete(old.id);
  const shown = rows.slice(0, MAX_ROWS);
  const body = $("records").tBodies[0];
  body.replaceChildren(...shown.map((r) => recordRow(r, r.id === freshId)));
  $("records-empty").hidden = shown.length > 0;
  $("records").hidden = shown.length === 0;
  const errors = shown.filter((r) => r.status === "ERROR").length;
  $("error-count").hidden = errors === 0;
  $("error-count").textContent = `${errors} error${errors === 1 ? "" : "s"}`;
}

// ---------------------------------------------------------------- wiring

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  $("token").value = "";
  sessionStorage.setItem(TOKEN_KEY, token);
  open(token);
});
$("forget").addEventListener("click", () => forgetToken(null));
$("period").addEventListener("change", () => refresh());

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) open(saved); else showLogin(null);
