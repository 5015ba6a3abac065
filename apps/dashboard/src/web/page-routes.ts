import { parseRoute, type Route } from './hash-route.js';

/** The page's three views and what opening or leaving each one does. */
export interface RoutedViews {
  list: HTMLElement;
  detail: HTMLElement;
  webhooks: HTMLElement;
  /** The navigation links; the one of the current view is marked `aria-current`. */
  nav: readonly HTMLAnchorElement[];
  openJob(id: string): void;
  closeJob(): void;
  openWebhooks(): void;
  closeWebhooks(): void;
}

/**
 * Shows the view the URL's hash names (`#/`, `#/jobs/<id>`, `#/webhooks`) and follows it as it
 * changes, so every view can be linked, reloaded and left with the browser's back button.
 */
export class PageRoutes {
  #route: Route = { view: 'jobs' };

  constructor(private readonly views: RoutedViews) {
    window.addEventListener('hashchange', () => this.apply());
  }

  /** Shows the view of the current hash (also after signing in). */
  apply(): void {
    const route = parseRoute(location.hash);
    const { list, detail, webhooks, nav } = this.views;
    list.hidden = route.view !== 'jobs';
    detail.hidden = route.view !== 'job';
    webhooks.hidden = route.view !== 'webhooks';
    for (const link of nav) {
      const current = parseRoute(link.hash).view === (route.view === 'job' ? 'jobs' : route.view);
      if (current) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (route.view === 'job') this.views.openJob(route.id);
    else if (this.#route.view === 'job') this.views.closeJob();
    if (route.view === 'webhooks' && this.#route.view !== 'webhooks') this.views.openWebhooks();
    else if (route.view !== 'webhooks' && this.#route.view === 'webhooks') this.views.closeWebhooks();
    this.#route = route;
    if (route.view !== 'jobs') window.scrollTo(0, 0);
  }

  /** Forgets the view shown (sign-out), so the next {@link apply} opens it afresh. */
  reset(): void {
    if (this.#route.view === 'job') this.views.closeJob();
    if (this.#route.view === 'webhooks') this.views.closeWebhooks();
    this.#route = { view: 'jobs' };
  }
}
