/**
 * Copies text to the clipboard: the async Clipboard API where the page may use it (a secure
 * context: https or localhost), else the older copy command on a selected, hidden textarea.
 */
async function copyText(text: string): Promise<boolean> {
  if (navigator.clipboard?.writeText !== undefined && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Refused (no permission, page not focused): try the copy command below.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.append(area);
  area.select();
  try {
    return document.execCommand('copy');
  } finally {
    area.remove();
  }
}

/** Copies `text` and says so on `button` for a moment ("Copied" or "Copy failed"). */
export async function copyWithFeedback(text: string, button: HTMLButtonElement): Promise<void> {
  const label = button.dataset['label'] ?? button.textContent ?? 'Copy';
  button.dataset['label'] = label;
  const ok = await copyText(text);
  button.textContent = ok ? 'Copied' : 'Copy failed';
  button.dataset['copied'] = String(ok);
  setTimeout(() => {
    button.textContent = label;
  }, 1500);
}
