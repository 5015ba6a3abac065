// The fleet page: polls the fleet's JSON every 2 s and redraws three tables. Plain DOM, no
// framework; every value goes in as text (host names and customer ids are not markup).
const POLL_MS = 2000;
// From /admin/fleet this is /v1/admin/fleet, also when the API sits under a path prefix. Without
// the user and password a page opened as http://user:pass@host/admin/fleet carries in its URL:
// fetch refuses such URLs; the browser sends the credentials it keeps for the realm instead.
const FLEET_URL = new URL('../v1/admin/fleet', document.baseURI);
FLEET_URL.username = '';
FLEET_URL.password = '';

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) tr.append(cell instanceof Node ? cell : el('td', cell));
  return tr;
}

function fill(tableId, rows, empty) {
  const body = document.querySelector(`#${tableId} tbody`);
  const columns = document.querySelectorAll(`#${tableId} thead th`).length;
  if (rows.length === 0) {
    const td = el('td', empty, 'muted');
    td.colSpan = columns;
    rows = [row([td])];
  }
  body.replaceChildren(...rows);
}

function ago(seconds) {
  if (seconds < 1) return 'just now';
  if (seconds < 120) return `${Math.round(seconds)} s ago`;
  return `${Math.round(seconds / 60)} min ago`;
}

function duration(seconds) {
  if (seconds === null) return '–';
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function jobCell(jobs) {
  const td = el('td');
  if (jobs.length === 0) td.append(el('span', 'idle', 'muted'));
  for (const job of jobs) {
    const line = el('div', undefined, 'job');
    line.dataset.jobId = job.id;
    const bar = el('progress');
    bar.max = 100;
    bar.value = job.percent;
    const speed = job.speed === null ? '' : ` · ${job.speed.toFixed(2)}×`;
    line.append(
      el('code', job.id),
      ' ',
      el('span', `${job.customerId} · ${job.status} `, 'muted'),
      bar,
      ` ${job.percent.toFixed(1)} %${speed}`,
    );
    td.append(line);
  }
  return td;
}

function render(fleet) {
  document.getElementById('workers-online').textContent = String(fleet.workers.length);
  document.getElementById('jobs-per-minute').textContent = String(fleet.jobsPerMinute);
  const slots = Object.entries(fleet.slotsOnline).map(([pool, n]) => `${pool}: ${n}`);
  document.getElementById('slots-online').textContent = slots.length > 0 ? slots.join(', ') : '0';
  fill(
    'workers',
    fleet.workers.map((w) => {
      const tr = row([
        w.host,
        w.pid,
        w.pools.join(', '),
        el('td', w.concurrency, 'num'),
        jobCell(w.jobs),
        ago(w.lastSeenSecondsAgo),
      ]);
      tr.dataset.pid = String(w.pid);
      return tr;
    }),
    'no worker online',
  );
  fill(
    'by-priority',
    fleet.queue.byPriority.map((p) => row([p.priority, el('td', p.waiting, 'num'), duration(p.oldestWaitSeconds)])),
    'nothing waiting',
  );
  fill(
    'by-customer',
    fleet.queue.byCustomer.map((c) => row([c.customerId, el('td', c.waiting, 'num'), el('td', c.running, 'num')])),
    'no customer has jobs waiting or running',
  );
}

async function poll() {
  const status = document.getElementById('status');
  try {
    const res = await fetch(FLEET_URL, { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    render(await res.json());
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    status.className = 'muted';
  } catch (err) {
    status.textContent = `could not read the fleet (${err.message}); trying again`;
    status.className = 'error';
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

void poll();
