type Child = Node | string | null | undefined | false;

/**
 * Creates an element with attributes and children. Strings become text nodes and attributes go
 * through setAttribute, so data from the API or the user is never parsed as HTML.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) node.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** {@link el} for SVG elements (created in the SVG namespace, so the browser draws them). */
export function svgEl<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | undefined> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) node.setAttribute(name, String(value));
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** The element with `data-testid="<id>"` under `root`; throws if the page skeleton lacks it. */
export function byTestId<T extends Element = HTMLElement>(id: string, root: ParentNode = document): T {
  const found = root.querySelector<T>(`[data-testid="${id}"]`);
  if (found === null) throw new Error(`missing element [data-testid="${id}"]`);
  return found;
}

/** Sets textContent only when it differs, so unchanged cells cause no DOM work. */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}
