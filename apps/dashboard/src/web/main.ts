import './zod-jitless.js';
import './styles.css';
import { ApiClient, ApiError, apiUrl as joinApiUrl, xhrUpload } from '@kiln/client';
import type { LinkState } from './connection-state.js';
import { DashboardSession, type NoticeSource } from './dashboard.session.js';
import { byTestId, el, setText } from './dom.js';
import { EventLogView } from './event-log.view.js';
import { JobTableView } from './job-table.view.js';
import { FALLBACK_PRESETS, NewJobFormView } from './new-job-form.view.js';
import { ThroughputChartView } from './throughput-chart.view.js';

const KEY_STORAGE = 'kiln.apiKey';

/** Where the API is: `/config.json` from the dashboard server, else the default port on this host. */
async function loadApiUrl(): Promise<string> {
  try {
    const res = await fetch('/config.json', { cache: 'no-store' });
    const body = (await res.json()) as { apiUrl?: unknown };
    if (res.ok && typeof body.apiUrl === 'string' && body.apiUrl.length > 0) return body.apiUrl;
  } catch {
    // Served without the dashboard server (vite preview, a CDN): fall through to the default.
  }
  return `${location.protocol}//${location.hostname}:3000`;
}

function boot(apiUrl: string): void {
  const signInView = byTestId('sign-in-view');
  const appView = byTestId('app-view');
  const sessionBar = byTestId('session-bar');
  const keyInput = byTestId<HTMLInputElement>('api-key-input');
  const signInButton = byTestId<HTMLButtonElement>('sign-in');
  const signInError = byTestId('sign-in-error');
  const customerId = byTestId('customer-id');
  const status = byTestId('connection-status');
  const noticeBox = byTestId('notice');
  setText(byTestId('api-url'), apiUrl);

  const notices = new Map<NoticeSource, string>();
  const showNotices = () => {
    noticeBox.replaceChildren(...[...notices.values()].map((m) => el('p', {}, m)));
    noticeBox.hidden = notices.size === 0;
  };

  let session: DashboardSession | undefined;
  const table = new JobTableView(
    byTestId('jobs'),
    (path) => joinApiUrl(apiUrl, path),
    (link) => void session?.download(link),
    (action, jobId, button) => {
      // Deleting removes the outputs for good: ask first.
      if (action === 'delete' && !window.confirm(`Delete job ${jobId} and its outputs? This cannot be undone.`)) return;
      void session?.act(action, jobId, button);
    },
  );
  const log = new EventLogView(byTestId('event-log'));
  const form = new NewJobFormView(byTestId('new-job'), {
    submit: (input, preset) => session?.submit(input, preset) ?? Promise.resolve(),
    upload: (file, onProgress, signal) =>
      session?.upload(file, onProgress, signal) ?? Promise.reject(new ApiError(401, 'Signed out.')),
  });
  const stats = new ThroughputChartView(byTestId('throughput'));
  form.setPresets(FALLBACK_PRESETS);

  const setLinkState = (state: LinkState) => {
    status.dataset['state'] = state;
    setText(status, state);
  };

  const showSignIn = (message?: string) => {
    appView.hidden = true;
    sessionBar.hidden = true;
    signInView.hidden = false;
    signInError.hidden = message === undefined;
    setText(signInError, message ?? '');
    keyInput.focus();
  };

  const signOut = (message?: string) => {
    session?.close();
    session = undefined;
    sessionStorage.removeItem(KEY_STORAGE);
    table.clear();
    log.clear();
    form.reset();
    stats.clear();
    notices.clear();
    showNotices();
    setText(customerId, '');
    setLinkState('offline');
    showSignIn(message);
  };

  const signIn = async (key: string) => {
    signInButton.disabled = true;
    signInError.hidden = true;
    const api = new ApiClient({ baseUrl: apiUrl, apiKey: key, upload: xhrUpload });
    try {
      const me = await api.me();
      session?.close();
      sessionStorage.setItem(KEY_STORAGE, key);
      keyInput.value = '';
      setText(customerId, me.customerId);
      signInView.hidden = true;
      sessionBar.hidden = false;
      appView.hidden = false;
      session = new DashboardSession(
        api,
        me,
        {
          table,
          log,
          form,
          stats,
          setLinkState,
          notice: (source, message) => {
            if (message === undefined) notices.delete(source);
            else notices.set(source, message);
            showNotices();
          },
        },
        () => signOut('The API key is no longer accepted (401). Sign in again.'),
      );
      session.start();
    } catch (err) {
      sessionStorage.removeItem(KEY_STORAGE);
      showSignIn(signInMessage(err));
    } finally {
      signInButton.disabled = false;
    }
  };

  byTestId<HTMLFormElement>('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = keyInput.value.trim();
    if (key.length === 0) showSignIn('Enter an API key.');
    else void signIn(key);
  });
  byTestId('sign-out').addEventListener('click', () => signOut());

  setLinkState('offline');
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved !== null && saved.length > 0) void signIn(saved);
  else showSignIn();
}

function signInMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'That API key was not accepted (401 Unauthorized). Check it and try again.';
    // The client's messages are lower-case clauses (the CLI prints them after `error: `).
    if (err.status === 0) return `${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}.`;
    return `Sign-in failed (${err.status}): ${err.message}`;
  }
  return 'Sign-in failed.';
}

void loadApiUrl().then(boot);
