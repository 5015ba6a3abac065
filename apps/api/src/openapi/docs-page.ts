import { createHash } from 'node:crypto';
import type { JsonSchema, OpenApiDocument } from './openapi.document.js';

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d232b}
h1{margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:1px solid #d8dde3}
.op{border:1px solid #d8dde3;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4.2rem;font:600 13px monospace;text-transform:uppercase;color:#fff;border-radius:4px;padding:.1rem .4rem;text-align:center}
.get{background:#2f6fb0}.post{background:#2c8a4b}.path{font:600 15px monospace;margin-left:.5rem}
pre{background:#f4f6f8;padding:.6rem;border-radius:4px;overflow:auto;font-size:13px}
table{border-collapse:collapse}td,th{border:1px solid #d8dde3;padding:.2rem .5rem;text-align:left;vertical-align:top}
code{font-size:13px}.lock{color:#8a5a00;font-size:13px}nav a{margin-right:.8rem}
`;

/** The `style-src` source that lets exactly this page's inline stylesheet through a CSP. */
const DOCS_STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** The Content-Security-Policy of the docs page: no scripts, no requests, only its own styles. */
export const DOCS_CSP = `default-src 'none'; style-src ${DOCS_STYLE_HASH}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const anchor = (name: string) => `schema-${name}`;

/** A schema as JSON, with `$ref`s turned into links to the schema's section. */
function schemaBlock(schema: unknown): string {
  const text = esc(JSON.stringify(schema, null, 2));
  return `<pre>${text.replace(/&#34;#\/components\/(?:schemas|responses)\/(\w+)&#34;/g, (_m, name: string) => `&#34;<a href="#${anchor(name)}">${name}</a>&#34;`)}</pre>`;
}

function contentBlocks(content: unknown): string {
  if (!content || typeof content !== 'object') return '';
  return Object.entries(content as Record<string, { schema?: JsonSchema }>)
    .map(([type, media]) => `<div><code>${esc(type)}</code>${media.schema ? schemaBlock(media.schema) : ''}</div>`)
    .join('');
}

/**
 * The OpenAPI document as one self-contained HTML page rendered on the server: no script and
 * nothing fetched, so it works offline and under {@link DOCS_CSP}.
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const ops: string[] = [];
  for (const tag of doc.tags) {
    ops.push(`<h2 id="tag-${esc(tag.name)}">${esc(tag.name)}</h2><p>${esc(tag.description)}</p>`);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (!op.tags.includes(tag.name)) continue;
        const params = op.parameters?.length
          ? `<table><tr><th>parameter</th><th>in</th><th>schema</th></tr>${op.parameters.map((p) => `<tr><td><code>${esc(p.name)}</code>${p.required ? ' (required)' : ''}</td><td>${esc(p.in)}</td><td><code>${esc(JSON.stringify(p.schema))}</code></td></tr>`).join('')}</table>`
          : '';
        const body = op.requestBody
          ? `<h4>Request body</h4>${contentBlocks((op.requestBody as { content?: unknown }).content)}`
          : '';
        const responses = Object.entries(op.responses)
          .map(([status, r]) => {
            const resp = r as { $ref?: string; description?: string; content?: unknown };
            if (resp.$ref) {
              const name = resp.$ref.split('/').pop() ?? '';
              return `<li><b>${esc(status)}</b> <a href="#${anchor(name)}">${esc(name)}</a></li>`;
            }
            return `<li><b>${esc(status)}</b> ${esc(resp.description ?? '')}${contentBlocks(resp.content)}</li>`;
          })
          .join('');
        ops.push(
          `<div class="op" id="${esc(`${method}-${path}`)}"><span class="m ${esc(method)}">${esc(method)}</span><span class="path">${esc(path)}</span>` +
            `${op.security ? ' <span class="lock">(authenticated)</span>' : ''}<p>${esc(op.summary)}</p>${op.description ? `<p>${esc(op.description)}</p>` : ''}${params}${body}<h4>Responses</h4><ul>${responses}</ul></div>`,
        );
      }
    }
  }
  const schemas = Object.entries(doc.components.schemas)
    .map(([name, schema]) => `<h3 id="${anchor(name)}">${esc(name)}</h3>${schemaBlock(schema)}`)
    .join('');
  const responses = Object.entries(doc.components.responses)
    .map(
      ([name, r]) =>
        `<h3 id="${anchor(name)}">${esc(name)}</h3><p>${esc((r as { description?: string }).description ?? '')}</p>${contentBlocks((r as { content?: unknown }).content)}`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(doc.info.title)}</title><style>${STYLE}</style></head>
<body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${esc(doc.info.description)}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI ${esc(doc.openapi)}).</p>
<nav>${doc.tags.map((t) => `<a href="#tag-${esc(t.name)}">${esc(t.name)}</a>`).join('')}<a href="#schemas">schemas</a></nav>
${ops.join('\n')}
<h2 id="schemas">Schemas</h2>${schemas}
<h2>Common responses</h2>${responses}
</body></html>
`;
}
