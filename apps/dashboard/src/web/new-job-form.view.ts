import { ApiError, type PresetSummary } from './api.client.js';
import { byTestId, el } from './dom.js';
import { inputProblem } from './format.js';

/** Presets offered when `GET /v1/presets` cannot be read. */
export const FALLBACK_PRESETS: PresetSummary[] = [
  { id: 'mp4-720p', description: 'MP4, H.264 up to 720p' },
  { id: 'mp4-360p', description: 'MP4, H.264 up to 360p' },
];

/**
 * The new-job form: an input URL and a preset. It checks the input's scheme locally, then shows
 * the API's 4xx message and field errors as text when the API refuses the job.
 */
export class NewJobFormView {
  readonly #form: HTMLFormElement;
  readonly #input: HTMLInputElement;
  readonly #preset: HTMLSelectElement;
  readonly #submit: HTMLButtonElement;
  readonly #error: HTMLElement;

  constructor(
    root: HTMLElement,
    private readonly submit: (input: string, preset: string) => Promise<void>,
  ) {
    const form = root.querySelector('form');
    if (form === null) throw new Error('the new-job section has no <form>');
    this.#form = form;
    this.#input = byTestId<HTMLInputElement>('new-job-input', root);
    this.#preset = byTestId<HTMLSelectElement>('new-job-preset', root);
    this.#submit = byTestId<HTMLButtonElement>('new-job-submit', root);
    this.#error = byTestId('form-error', root);
    this.#form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#send();
    });
  }

  /** Fills the preset picker; keeps the current choice when it is still offered. */
  setPresets(presets: PresetSummary[]): void {
    const current = this.#preset.value;
    this.#preset.replaceChildren(...presets.map((p) => el('option', { value: p.id, title: p.description || undefined }, p.id)));
    if (presets.some((p) => p.id === current)) this.#preset.value = current;
  }

  /** Resets the form (sign-out). */
  reset(): void {
    this.#form.reset();
    this.#showError(undefined);
  }

  async #send(): Promise<void> {
    const input = this.#input.value.trim();
    const problem = inputProblem(input);
    if (problem !== undefined) {
      this.#showError(problem);
      this.#input.focus();
      return;
    }
    this.#showError(undefined);
    this.#submit.disabled = true;
    try {
      await this.submit(input, this.#preset.value);
      this.#input.value = '';
    } catch (err) {
      if (err instanceof ApiError) {
        this.#showError(err.message, err.fields.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)));
      } else {
        this.#showError('The job could not be submitted.');
      }
    } finally {
      this.#submit.disabled = false;
    }
  }

  #showError(message: string | undefined, details: string[] = []): void {
    if (message === undefined) {
      this.#error.hidden = true;
      this.#error.replaceChildren();
      return;
    }
    this.#error.replaceChildren(message);
    if (details.length > 0) this.#error.append(el('ul', {}, ...details.map((d) => el('li', {}, d))));
    this.#error.hidden = false;
  }
}
