/**
 * Entry of the browser bundle the API serves at `/embed/kiln-progress.js`: registers
 * `<kiln-progress>`, whose `api` defaults to the origin (and path prefix) the script came from.
 */
import { defineKilnProgress, KilnProgressElement } from './kiln-progress.element.js';

// Not `new URL('..', import.meta.url)`: bundlers take that form for an asset to emit.
const scriptUrl = import.meta.url;
KilnProgressElement.defaultApi = new URL('..', scriptUrl).href.replace(/\/+$/, '');
defineKilnProgress();

export { KilnProgressElement };
