//! The query page a browser gets at `/sparql`: a text area, a run button, a results table
//! and the named queries as examples. Self-contained: no script or style from elsewhere.

use crate::queries::Queries;

const DEFAULT_QUERY: &str = "PREFIX sa: <https://w3id.org/spyatlas/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?entity ?label WHERE {
  ?entity a sa:Vendor ; rdfs:label ?label .
  FILTER(langMatches(lang(?label), \"en\"))
}";

/// The page, with `query` in the editor (and run at once) when given.
pub fn query_page(queries: &Queries, query: Option<&str>) -> String {
    let examples: Vec<serde_json::Value> = queries
        .iter()
        .map(|query| {
            serde_json::json!({
                "name": query.name,
                "title": query.title,
                "description": query.description,
                "text": query.text,
            })
        })
        .collect();
    // `<` is escaped so that no query text can close the script element.
    let examples = serde_json::to_string(&examples)
        .expect("JSON values serialise")
        .replace('<', "\\u003c");
    let autorun = if query.is_some() { "true" } else { "false" };
    // The request's text goes in last, so nothing it contains is taken for a placeholder.
    PAGE.replace("{{AUTORUN}}", autorun)
        .replace("{{EXAMPLES}}", &examples)
        .replace("{{QUERY}}", &escape_html(query.unwrap_or(DEFAULT_QUERY)))
}

/// A link to an address outside spyatlas showing `text`; the text alone when the address
/// is not an `http(s)` web address, so that no `javascript:` IRI in the store ever becomes
/// a link.
pub fn external_link(address: &str, text: &str) -> String {
    if crate::links::is_web_address(address) {
        format!(
            "<a href=\"{}\" rel=\"external noopener noreferrer\">{}</a>",
            escape_html(address),
            escape_html(text)
        )
    } else {
        format!("<span class=\"address\">{}</span>", escape_html(text))
    }
}

/// `GET /assets/query.js`: the script of the query page. A file of its own rather than
/// inline, so that pages can forbid inline scripts (`Content-Security-Policy`).
pub async fn query_script() -> impl axum::response::IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        QUERY_SCRIPT,
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>spyatlas · SPARQL</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
  header { background: #222; color: #fff; padding: .6rem 1rem; }
  header a { color: #fff; text-decoration: none; font-weight: 600; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(14rem, 1fr); gap: 1rem; padding: 1rem; }
  textarea { width: 100%; min-height: 16rem; font-family: ui-monospace, monospace; font-size: .9rem; box-sizing: border-box; }
  .controls { display: flex; gap: .5rem; align-items: center; margin: .5rem 0; flex-wrap: wrap; }
  button { padding: .4rem 1rem; font-size: 1rem; cursor: pointer; }
  #status { color: #555; }
  #status.error { color: #b00020; white-space: pre-wrap; font-family: ui-monospace, monospace; }
  table { border-collapse: collapse; width: 100%; background: #fff; font-size: .9rem; }
  th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; word-break: break-word; }
  th { background: #f0f0f0; }
  pre { background: #fff; border: 1px solid #ddd; padding: .5rem; overflow: auto; }
  aside h2 { font-size: 1rem; margin-top: 0; }
  aside ul { list-style: none; padding: 0; margin: 0; }
  aside li { margin-bottom: .5rem; }
  aside a { cursor: pointer; color: #0645ad; }
  aside small { display: block; color: #555; }
  details { margin-top: .5rem; }
</style>
</head>
<body>
<header><a href="/">spyatlas</a> · SPARQL 1.1 endpoint</header>
<main>
  <section>
    <form id="form" data-autorun="{{AUTORUN}}">
      <label for="query">Query or update (the default graph is the union of all graphs)</label>
      <textarea id="query" name="query" spellcheck="false">{{QUERY}}</textarea>
      <div class="controls">
        <button type="submit" id="run">Run</button>
        <label>Format
          <select id="format">
            <option value="table">table</option>
            <option value="application/sparql-results+json">SPARQL JSON</option>
            <option value="text/csv">CSV</option>
            <option value="text/turtle">Turtle</option>
          </select>
        </label>
        <span id="status"></span>
      </div>
      <details>
        <summary>Write token (for updates)</summary>
        <input id="token" type="password" autocomplete="off" placeholder="bearer token">
      </details>
    </form>
    <div id="results"></div>
  </section>
  <aside>
    <h2>Example questions</h2>
    <ul id="examples"></ul>
  </aside>
</main>
<script id="example-data" type="application/json">{{EXAMPLES}}</script>
<script src="/assets/query.js"></script>
</body>
</html>
"#;

const QUERY_SCRIPT: &str = r#"(function () {
  const examples = JSON.parse(document.getElementById('example-data').textContent);
  const list = document.getElementById('examples');
  const editor = document.getElementById('query');
  const status = document.getElementById('status');
  const results = document.getElementById('results');
  for (const example of examples) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.textContent = example.title;
    link.title = example.name;
    link.addEventListener('click', () => { editor.value = example.text; });
    const note = document.createElement('small');
    note.textContent = example.description;
    item.append(link, note);
    list.append(item);
  }
  function isUpdate(text) {
    const body = text.replace(/#[^\n]*/g, '').replace(/(PREFIX|BASE)\s+[^\n]*/gi, '');
    return /^\s*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b/i.test(body);
  }
  // Only spyatlas's own entities and reports, and web addresses, become links: an IRI
  // such as javascript:... in a result stays text.
  function pageOf(iri) {
    const own = [['https://w3id.org/spyatlas/id/', '/id/'], ['https://w3id.org/spyatlas/report/', '/report/']];
    for (const [namespace, path] of own) {
      if (iri.startsWith(namespace)) { return path + iri.slice(namespace.length); }
    }
    return /^https?:\/\//i.test(iri) ? iri : null;
  }
  function cell(term) {
    const td = document.createElement('td');
    if (!term) { return td; }
    if (term.type === 'uri' && pageOf(term.value)) {
      const a = document.createElement('a');
      a.href = pageOf(term.value);
      a.textContent = term.value;
      td.append(a);
    } else {
      td.textContent = term.value + (term['xml:lang'] ? ' @' + term['xml:lang'] : '');
    }
    return td;
  }
  function showTable(data) {
    results.replaceChildren();
    if (data.boolean !== undefined) {
      results.textContent = String(data.boolean);
      return;
    }
    const table = document.createElement('table');
    const head = table.createTHead().insertRow();
    for (const name of data.head.vars) {
      const th = document.createElement('th');
      th.textContent = name;
      head.append(th);
    }
    const body = table.createTBody();
    for (const binding of data.results.bindings) {
      const row = body.insertRow();
      for (const name of data.head.vars) { row.append(cell(binding[name])); }
    }
    results.append(table);
    status.textContent = data.results.bindings.length + ' row(s)';
  }
  async function run(event) {
    if (event) { event.preventDefault(); }
    const text = editor.value;
    const format = document.getElementById('format').value;
    status.className = '';
    status.textContent = 'running…';
    const started = performance.now();
    const headers = {};
    let body;
    if (isUpdate(text)) {
      headers['Content-Type'] = 'application/sparql-update';
      const token = document.getElementById('token').value;
      if (token) { headers['Authorization'] = 'Bearer ' + token; }
      body = text;
    } else {
      headers['Content-Type'] = 'application/sparql-query';
      headers['Accept'] = format === 'table'
        ? 'application/sparql-results+json, text/turtle;q=0.9'
        : format + ', */*;q=0.1';
      body = text;
    }
    try {
      const response = await fetch('/sparql', { method: 'POST', headers, body });
      const elapsed = Math.round(performance.now() - started) + ' ms';
      const type = response.headers.get('Content-Type') || '';
      const payload = await response.text();
      if (!response.ok) {
        status.className = 'error';
        status.textContent = response.status + ' ' + response.statusText + ': ' + payload;
        results.replaceChildren();
        return;
      }
      if (response.status === 204) {
        results.replaceChildren();
        status.textContent = 'update done (' + elapsed + ')';
        return;
      }
      if (format === 'table' && type.startsWith('application/sparql-results+json')) {
        showTable(JSON.parse(payload));
        status.textContent += ' · ' + elapsed;
      } else {
        const pre = document.createElement('pre');
        pre.textContent = payload;
        results.replaceChildren(pre);
        status.textContent = elapsed;
      }
    } catch (error) {
      status.className = 'error';
      status.textContent = String(error);
    }
  }
  document.getElementById('form').addEventListener('submit', run);
  // A query given in the page's address runs at once; an update never does.
  if (document.getElementById('form').dataset.autorun === 'true' && !isUpdate(editor.value)) {
    run();
  }
})();
"#;
