import { ApiError, type Preset, type UploadProgress } from '@kiln/client';
import { byTestId, el, setText } from './dom.js';
import { formatBytes, inputProblem } from './format.js';

/** Presets offered when `GET /v1/presets` cannot be read. */
export const FALLBACK_PRESETS: Preset[] = [
  { id: 'mp4-720p', description: 'MP4, H.264 up to 720p' },
  { id: 'mp4-360p', description: 'MP4, H.264 up to 360p' },
];

/** What the form asks the session to do. */
export interface NewJobActions {
  /** Creates a job from an input URL (`https://`, `file://` or an upload's `upload://`). */
  submit(input: string, preset: string): Promise<void>;
  /** Uploads a file and resolves with the `input` a job names it by. */
  upload(file: File, onProgress: UploadProgress, signal: AbortSignal): Promise<string>;
}

/**
 * The new-job form: an input URL or a local file, and a preset. A chosen file is uploaded first
 * (with a progress bar) and the job then names the upload. It checks a URL's scheme locally and
 * shows the API's 4xx message and field errors as text when the API refuses the upload or job.
 */
export class NewJobFormView {
  readonly #form: HTMLFormElement;
  readonly #input: HTMLInputElement;
  readonly #file: HTMLInputElement;
  readonly #fileClear: HTMLButtonElement;
  readonly #preset: HTMLSelectElement;
  readonly #submit: HTMLButtonElement;
  readonly #error: HTMLElement;
  readonly #upload: HTMLElement;
  readonly #uploadBar: HTMLProgressElement;
  readonly #uploadText: HTMLElement;
  #abort: AbortController | undefined;
  /** The last file uploaded and its input, so a job refused after the upload is retried without re-sending it. */
  #uploaded: { file: File; input: string } | undefined;

  constructor(
    root: HTMLElement,
    private readonly actions: NewJobActions,
  ) {
    const form = root.querySelector('form');
    if (form === null) throw new Error('the new-job section has no <form>');
    this.#form = form;
    this.#input = byTestId<HTMLInputElement>('new-job-input', root);
    this.#file = byTestId<HTMLInputElement>('new-job-file', root);
    this.#fileClear = byTestId<HTMLButtonElement>('new-job-file-clear', root);
    this.#preset = byTestId<HTMLSelectElement>('new-job-preset', root);
    this.#submit = byTestId<HTMLButtonElement>('new-job-submit', root);
    this.#error = byTestId('form-error', root);
    this.#upload = byTestId('upload-status', root);
    this.#uploadBar = byTestId<HTMLProgressElement>('upload-progress', root);
    this.#uploadText = byTestId('upload-text', root);
    this.#form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#send();
    });
    this.#file.addEventListener('change', () => this.#fileChanged());
    this.#fileClear.addEventListener('click', () => {
      this.#file.value = '';
      this.#fileChanged();
    });
  }

  /** Fills the preset picker; keeps the current choice when it is still offered. */
  setPresets(presets: Preset[]): void {
    const current = this.#preset.value;
    this.#preset.replaceChildren(
      ...presets.map((p) => el('option', { value: p.id, title: p.description || undefined }, p.id)),
    );
    if (presets.some((p) => p.id === current)) this.#preset.value = current;
  }

  /** Resets the form and abandons an upload in flight (sign-out). */
  reset(): void {
    this.#abort?.abort();
    this.#abort = undefined;
    this.#uploaded = undefined;
    this.#form.reset();
    this.#fileChanged();
    this.#showUpload(undefined);
    this.#showError(undefined);
    this.#submit.disabled = false;
  }

  #chosenFile(): File | undefined {
    return this.#file.files?.[0];
  }

  /** A chosen file replaces the URL: the URL field is disabled until the file is cleared. */
  #fileChanged(): void {
    const file = this.#chosenFile();
    this.#input.disabled = file !== undefined;
    this.#fileClear.hidden = file === undefined;
    if (file !== undefined) this.#showError(undefined);
  }

  async #send(): Promise<void> {
    if (this.#abort !== undefined) return;
    const file = this.#chosenFile();
    const preset = this.#preset.value;
    let input = this.#input.value.trim();
    if (file === undefined) {
      const problem = inputProblem(input);
      if (problem !== undefined) {
        this.#showError(problem);
        this.#input.focus();
        return;
      }
    } else if (file.size === 0) {
      this.#showError(`${file.name} is empty.`);
      return;
    }
    this.#showError(undefined);
    this.#submit.disabled = true;
    const abort = new AbortController();
    this.#abort = abort;
    try {
      if (file !== undefined) {
        if (this.#uploaded?.file === file) {
          input = this.#uploaded.input;
        } else {
          this.#showUpload(file, 0);
          input = await this.actions.upload(file, (sent) => this.#showUpload(file, sent), abort.signal);
          this.#uploaded = { file, input };
        }
        setText(this.#uploadText, `Uploaded ${file.name}; creating the job…`);
      }
      await this.actions.submit(input, preset);
      if (abort.signal.aborted) return;
      if (file !== undefined) {
        this.#file.value = '';
        this.#uploaded = undefined;
        this.#fileChanged();
      } else {
        this.#input.value = '';
      }
    } catch (err) {
      // Aborted by reset(): the form is already clean.
      if (abort.signal.aborted) return;
      if (err instanceof ApiError) {
        this.#showError(
          err.message,
          err.fields.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)),
        );
      } else {
        this.#showError(file === undefined ? 'The job could not be submitted.' : `${file.name} could not be uploaded.`);
      }
    } finally {
      if (this.#abort === abort) {
        this.#abort = undefined;
        this.#submit.disabled = false;
        this.#showUpload(undefined);
      }
    }
  }

  /** Shows upload progress for `file` (`sent` bytes so far), or hides it. */
  #showUpload(file: File | undefined, sent = 0): void {
    if (file === undefined) {
      this.#upload.hidden = true;
      return;
    }
    const pct = file.size > 0 ? Math.min(100, Math.round((sent / file.size) * 100)) : 0;
    this.#uploadBar.value = pct;
    this.#upload.dataset['percent'] = String(pct);
    setText(this.#uploadText, `Uploading ${file.name}: ${pct}% (${formatBytes(sent)} of ${formatBytes(file.size)})`);
    this.#upload.hidden = false;
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
