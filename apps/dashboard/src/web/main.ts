import './zod-jitless.js';
import './styles.css';
import { ApiClient, ApiError, apiUrl as joinApiUrl, xhrUpload, type Me } from '@kiln/client';
import type { LinkState } from './connection-state.js';
import { DashboardSession, type NoticeSource, type SessionViews } from './dashboard.session.js';
import { byTestId, el, setText } from './dom.js';
import { EventLogView } from './event-log.view.js';
import { JobDetailController } from './job-detail.controller.js';
import { JobDetailView } from './job-detail.view.js';
import { JobTableView } from './job-table.view.js';
import { FALLBACK_PRESETS, NewJobFormView } from './new-job-form.view.js';
import { PageRoutes } from './page-routes.js';
import { ThroughputChartView } from './throughput-chart.view.js';
import { WebhookEndpointsController } from './webhook-endpoints.controller.js';
import { WebhookEndpointsView } from './webhook-endpoints.view.js';

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

/** The parts of the page that signing in and out show, hide and fill. */
interface PageChrome {
  signInView: HTMLElement;
  appView: HTMLElement;
  sessionBar: HTMLElement;
  keyInput: HTMLInputElement;
  signInButton: HTMLButtonElement;
  signInError: HTMLElement;
  customerId: HTMLElement;
  status: HTMLElement;
  noticeBox: HTMLElement;
}

function findChrome(): PageChrome {
  return {
    signInView: byTestId('sign-in-view'),
    appView: byTestId('app-view'),
    sessionBar: byTestId('session-bar'),
    keyInput: byTestId<HTMLInputElement>('api-key-input'),
    signInButton: byTestId<HTMLButtonElement>('sign-in'),
    signInError: byTestId('sign-in-error'),
    customerId: byTestId('customer-id'),
    status: byTestId('connection-status'),
    noticeBox: byTestId('notice'),
  };
}

/** The views a session fills; the page keeps them across sign-ins. */
type PageViews = Pick<SessionViews, 'table' | 'log' | 'form' | 'stats'>;

/** The controllers of one signed-in session's detail and webhooks pages. */
interface SessionPages {
  detail: JobDetailController;
  webhooks: WebhookEndpointsController;
}

/** The detail and webhooks views; their buttons act on the signed-in session's controllers. */
function createPageViews(current: () => SessionPages | undefined): {
  detail: JobDetailView;
  webhooks: WebhookEndpointsView;
} {
  const detail = new JobDetailView(byTestId('job-detail'), {
    signedUrl: (output) => current()?.detail.signedUrl(output) ?? Promise.reject(new ApiError(401, 'Signed out.')),
    replay: (id, button) => void current()?.detail.replay(id, button),
    refreshDeliveries: () => current()?.detail.refreshDeliveries(),
    copy: (text, button) => current()?.detail.copy(text, button),
  });
  const webhooks = new WebhookEndpointsView(byTestId('webhooks-view'), {
    create: (endpoint) => current()?.webhooks.create(endpoint) ?? Promise.reject(new ApiError(401, 'Signed out.')),
    act: (action, endpoint, button) => void current()?.webhooks.act(action, endpoint, button),
    copy: (text, button) => current()?.webhooks.copy(text, button),
  });
  return { detail, webhooks };
}

/** Makes the views; their buttons act on whichever session is signed in when they are used. */
function createViews(apiUrl: string, current: () => DashboardSession | undefined): PageViews {
  const table = new JobTableView(byTestId('jobs'), {
    urlOf: (path) => joinApiUrl(apiUrl, path),
    onDownload: (link) => void current()?.download(link),
    onAction: (action, jobId, button) => {
      // Deleting removes the outputs for good: ask first.
      if (action === 'delete' && !window.confirm(`Delete job ${jobId} and its outputs? This cannot be undone.`)) return;
      void current()?.act(action, jobId, button);
    },
  });
  const log = new EventLogView(byTestId('event-log'));
  const form = new NewJobFormView(byTestId('new-job'), {
    submit: (input, preset) => current()?.submit(input, preset) ?? Promise.resolve(),
    upload: (file, onProgress, signal) =>
      current()?.upload(file, onProgress, signal) ?? Promise.reject(new ApiError(401, 'Signed out.')),
  });
  const stats = new ThroughputChartView(byTestId('throughput'));
  form.setPresets(FALLBACK_PRESETS);
  return { table, log, form, stats };
}

/** The page's state: signed out, or signed in with one API key and the session that key runs. */
class DashboardPage {
  private session: DashboardSession | undefined;
  private pages: SessionPages | undefined;
  private readonly notices = new Map<NoticeSource, string>();
  private readonly views: PageViews;
  private readonly pageViews: { detail: JobDetailView; webhooks: WebhookEndpointsView };
  readonly routes: PageRoutes;

  constructor(
    private readonly apiUrl: string,
    private readonly chrome: PageChrome,
  ) {
    this.views = createViews(apiUrl, () => this.session);
    this.pageViews = createPageViews(() => this.pages);
    this.routes = new PageRoutes({
      list: byTestId('list-view'),
      detail: byTestId('job-detail'),
      webhooks: byTestId('webhooks-view'),
      nav: [...document.querySelectorAll<HTMLAnchorElement>('nav.views a')],
      openJob: (id) => this.pages?.detail.open(id),
      closeJob: () => this.pages?.detail.close(),
      openWebhooks: () => void this.pages?.webhooks.open(),
      closeWebhooks: () => this.pages?.webhooks.close(),
    });
  }

  setLinkState(state: LinkState): void {
    this.chrome.status.dataset['state'] = state;
    setText(this.chrome.status, state);
  }

  showSignIn(message?: string): void {
    const { appView, sessionBar, signInView, signInError, keyInput } = this.chrome;
    appView.hidden = true;
    sessionBar.hidden = true;
    signInView.hidden = false;
    signInError.hidden = message === undefined;
    setText(signInError, message ?? '');
    keyInput.focus();
  }

  signOut(message?: string): void {
    this.routes.reset();
    this.session?.close();
    this.session = undefined;
    this.pages = undefined;
    this.pageViews.detail.clear();
    this.pageViews.webhooks.clear();
    sessionStorage.removeItem(KEY_STORAGE);
    this.views.table.clear();
    this.views.log.clear();
    this.views.form.reset();
    this.views.stats.clear();
    this.notices.clear();
    this.showNotices();
    setText(this.chrome.customerId, '');
    this.setLinkState('offline');
    this.showSignIn(message);
  }

  async signIn(key: string): Promise<void> {
    const { signInButton, signInError } = this.chrome;
    signInButton.disabled = true;
    signInError.hidden = true;
    const api = new ApiClient({ baseUrl: this.apiUrl, apiKey: key, upload: xhrUpload });
    try {
      const me = await api.me();
      this.routes.reset();
      this.session?.close();
      sessionStorage.setItem(KEY_STORAGE, key);
      this.showApp(me);
      this.startSession(api, me);
    } catch (err) {
      sessionStorage.removeItem(KEY_STORAGE);
      this.showSignIn(signInMessage(err));
    } finally {
      signInButton.disabled = false;
    }
  }

  private showApp(me: Me): void {
    const { keyInput, customerId, signInView, sessionBar, appView } = this.chrome;
    keyInput.value = '';
    setText(customerId, me.customerId);
    signInView.hidden = true;
    sessionBar.hidden = false;
    appView.hidden = false;
  }

  private startSession(api: ApiClient, me: Me): void {
    const onUnauthorized = () => this.signOut('The API key is no longer accepted (401). Sign in again.');
    const pages: SessionPages = {
      detail: new JobDetailController(api, this.pageViews.detail, onUnauthorized),
      webhooks: new WebhookEndpointsController(api, this.pageViews.webhooks, onUnauthorized),
    };
    this.pages = pages;
    this.session = new DashboardSession({
      api,
      me,
      views: {
        ...this.views,
        detail: pages.detail,
        setLinkState: (state) => this.setLinkState(state),
        notice: (source, message) => {
          if (message === undefined) this.notices.delete(source);
          else this.notices.set(source, message);
          this.showNotices();
        },
      },
      onUnauthorized,
    });
    this.session.start();
    this.routes.apply();
  }

  private showNotices(): void {
    const box = this.chrome.noticeBox;
    box.replaceChildren(...[...this.notices.values()].map((m) => el('p', {}, m)));
    box.hidden = this.notices.size === 0;
  }
}

function boot(apiUrl: string): void {
  const chrome = findChrome();
  setText(byTestId('api-url'), apiUrl);
  const page = new DashboardPage(apiUrl, chrome);

  byTestId<HTMLFormElement>('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = chrome.keyInput.value.trim();
    if (key.length === 0) page.showSignIn('Enter an API key.');
    else void page.signIn(key);
  });
  byTestId('sign-out').addEventListener('click', () => page.signOut());

  page.setLinkState('offline');
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved !== null && saved.length > 0) void page.signIn(saved);
  else page.showSignIn();
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
