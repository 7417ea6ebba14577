/**
 * The agency's local report as one static HTML page: GOV.UK Design System styles (inlined, so the
 * page opens offline from a file), a table of our records with what the release says about each,
 * and a small inline script that filters the rows. Without JavaScript the filter stays hidden and
 * every row is shown. Every value is escaped: names and ids come from the agency's own files.
 */
import type { ReleaseReport } from './release-rows.js';

/** Text for an HTML element or a quoted attribute. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * govuk-frontend's compiled CSS for a page opened from a file: its @font-face rules go (the GDS
 * Transport font may be used on GOV.UK domains only, and the page must not fetch anything; text
 * falls back to Arial as the Design System intends), and so does the source map comment.
 */
export function offlineCss(css: string): string {
  return css.replace(/@font-face\{[^}]*\}/g, '').replace(/\/\*# sourceMappingURL=[^*]*\*\//g, '');
}

export interface LocalColumns {
  /** Headings of the agency's own columns shown beside each record. */
  columns: string[];
  /** Record id → its values of those columns. */
  byId: ReadonlyMap<string, readonly string[]>;
}

export interface PageOptions {
  css: string;
  generatedAt: Date;
  /** The release file the page was made from (its name only). */
  source: string;
  local?: LocalColumns;
}

/** The filter: a search box over the row's text and a choice of tag; shown only when the script runs. */
const SCRIPT = `(function () {
  var form = document.getElementById('filter');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#records tbody tr'));
  var text = document.getElementById('filter-text');
  var tag = document.getElementById('filter-tag');
  var shown = document.getElementById('shown');
  // Each row's text and tags read once: a council's release can hold tens of thousands of rows.
  var data = rows.map(function (r) {
    return { text: r.textContent.toLowerCase(), tags: JSON.parse(r.getAttribute('data-tags')) };
  });
  function apply() {
    var q = text.value.trim().toLowerCase();
    var t = tag.value;
    var n = 0;
    rows.forEach(function (r, i) {
      var ok = (q === '' || data[i].text.indexOf(q) >= 0) && (t === '' || data[i].tags.indexOf(t) >= 0);
      if (r.hidden === ok) r.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + ' of ' + rows.length + ' records shown';
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
  text.addEventListener('input', apply);
  tag.addEventListener('change', apply);
  form.hidden = false;
  shown.textContent = rows.length + ' of ' + rows.length + ' records shown';
})();`;

function summaryRow(k: string, v: string): string {
  return (
    `<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${escapeHtml(k)}</dt>` +
    `<dd class="govuk-summary-list__value">${escapeHtml(v)}</dd></div>`
  );
}

function headerCell(h: string): string {
  return `<th scope="col" class="govuk-table__header">${escapeHtml(h)}</th>`;
}

export function reportPage(report: ReleaseReport, o: PageOptions): string {
  const e = escapeHtml;
  const local = o.local;
  const tags = [...new Set(report.rows.flatMap((r) => r.tags))].sort();
  const headings = ['Record id', ...(local?.columns ?? []), ...report.columns];
  const missing = (local?.columns ?? []).map(() => '');
  const body = report.rows
    .map((r) => {
      const cells = [r.recordId, ...(local ? (local.byId.get(r.recordId) ?? missing) : []), ...r.cells];
      return (
        `<tr class="govuk-table__row" data-tags="${e(JSON.stringify(r.tags))}">` +
        cells
          .map(
            (c, i) =>
              (i === 0 ? `<th scope="row" class="govuk-table__header">` : '<td class="govuk-table__cell">') +
              e(c) +
              (i === 0 ? '</th>' : '</td>'),
          )
          .join('') +
        '</tr>'
      );
    })
    .join('\n');
  const summary: [string, string][] = [
    ['Purpose', report.purpose],
    ['Policy', report.policy],
    ['Run', report.runId],
    ['Release file', o.source],
    ['Made', o.generatedAt.toISOString().replace('T', ' ').slice(0, 16) + ' UTC'],
  ];
  return `<!DOCTYPE html>
<html lang="en-GB" class="govuk-template">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${e(report.title)} – ${e(report.purpose)}</title>
<style>${o.css}</style>
<style>[hidden]{display:none!important}</style>
</head>
<body class="govuk-template__body">
<script>document.body.className += ' js-enabled govuk-frontend-supported';</script>
<div class="govuk-width-container">
<main class="govuk-main-wrapper" id="main-content">
<span class="govuk-caption-l">${e(report.purpose)}</span>
<h1 class="govuk-heading-l">${e(report.title)}</h1>
<div class="govuk-warning-text">
<span class="govuk-warning-text__icon" aria-hidden="true">!</span>
<strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>
This page lists our own records. It was made on this machine from a release and our token map;
keep it here and handle it as the records themselves.</strong>
</div>
<dl class="govuk-summary-list">
${summary.map(([k, v]) => summaryRow(k, v)).join('\n')}
</dl>
<form id="filter" class="govuk-form-group" hidden>
<div class="govuk-form-group">
<label class="govuk-label" for="filter-text">Search the records</label>
<input class="govuk-input govuk-!-width-one-half" id="filter-text" type="search" autocomplete="off">
</div>
<div class="govuk-form-group">
<label class="govuk-label" for="filter-tag">Show</label>
<select class="govuk-select" id="filter-tag">
<option value="">All records</option>
${tags.map((t) => `<option value="${e(t)}">${e(t)}</option>`).join('\n')}
</select>
</div>
</form>
<p class="govuk-body" id="shown" aria-live="polite">${report.rows.length} records</p>
<table class="govuk-table" id="records">
<caption class="govuk-table__caption govuk-table__caption--m">${e(report.title)}</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row">${headings.map(headerCell).join('')}</tr></thead>
<tbody class="govuk-table__body">
${body}
</tbody>
</table>
</main>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
