/**
 * Entry of the browser bundle the API serves at `/embed/kiln-progress.js`: registers
 * `<kiln-progress>`, whose `api` defaults to the origin (and path prefix) the script came from.
 */
import { defineKilnProgress, KilnProgressElement } from './kiln-progress.element.js';

KilnProgressElement.defaultApi = new URL('..', import.meta.url).href.replace(/\/+$/, '');
defineKilnProgress();

export { KilnProgressElement };
