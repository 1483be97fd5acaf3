/*
 * The SPARQL editor of the query page: YASGUI (/assets/yasgui/yasgui.min.js, loaded
 * before this file) set up to talk to this server only.
 *
 * The page holds:
 *   <div id="yasgui">                                     where the editor is drawn
 *   <script id="example-data" type="application/json">    [{"name","title","description","text"}]
 *   <script id="editor-settings" type="application/json"> {"query", "autorun", "prefixes"}
 *   <input id="token">                                    optional bearer token (read at each request)
 *   <ul id="examples">                                    filled with one button per example
 *
 * Nothing here makes a request to another host: queries go to /sparql on this origin,
 * the endpoint catalogue is empty, the class and property autocompleters (which ask
 * lov.linkeddata.es) are off, the prefix autocompleter offers the page's prefixes only,
 * and nothing is kept in localStorage. Plain ES5, no inline code (the page's
 * Content-Security-Policy forbids it).
 */
(function () {
  'use strict';

  var LOCAL_PAGES = [
    ['https://w3id.org/spyatlas/id/', '/id/'],
    ['https://w3id.org/spyatlas/report/', '/report/']
  ];
  var FALLBACK_QUERY = 'SELECT * WHERE {\n  ?s ?p ?o\n}\nLIMIT 10\n';

  function readJson(id, fallback) {
    var element = document.getElementById(id);
    if (!element) { return fallback; }
    try {
      var value = JSON.parse(element.textContent);
      return value === null || value === undefined ? fallback : value;
    } catch (error) {
      if (window.console) { window.console.error('sparql-editor: #' + id + ' is not valid JSON', error); }
      return fallback;
    }
  }

  function assign(target) {
    for (var i = 1; i < arguments.length; i++) {
      var source = arguments[i];
      for (var key in source) {
        if (Object.prototype.hasOwnProperty.call(source, key)) { target[key] = source[key]; }
      }
    }
    return target;
  }

  /** The local page of a spyatlas IRI (`/id/{slug}`, `/report/{slug}`), or null. */
  function localPage(iri) {
    if (typeof iri !== 'string') { return null; }
    for (var i = 0; i < LOCAL_PAGES.length; i++) {
      var namespace = LOCAL_PAGES[i][0];
      if (iri.indexOf(namespace) === 0) {
        var slug = iri.slice(namespace.length);
        // A slug is one path segment; anything else stays the plain IRI.
        if (slug && !/[\/?#\s]/.test(slug)) { return LOCAL_PAGES[i][1] + slug; }
      }
    }
    return null;
  }

  function pointAtLocalPage(anchor, iri) {
    var page = localPage(iri);
    if (!page) { return false; }
    anchor.setAttribute('href', page);
    anchor.setAttribute('title', iri);
    anchor.setAttribute('rel', 'noopener');
    return true;
  }

  var root = document.getElementById('yasgui');
  var Yasgui = window.Yasgui;
  if (!root) { return; }
  if (typeof Yasgui !== 'function') {
    root.textContent = 'The SPARQL editor could not be loaded (/assets/yasgui/yasgui.min.js).';
    return;
  }
  var Yasqe = Yasgui.Yasqe;
  var Yasr = Yasgui.Yasr;

  var examples = readJson('example-data', []);
  if (!(examples instanceof Array)) { examples = []; }
  var settings = readJson('editor-settings', {});
  var prefixes = settings.prefixes && typeof settings.prefixes === 'object' ? settings.prefixes : {};
  var initialQuery = typeof settings.query === 'string' && settings.query ? settings.query : FALLBACK_QUERY;

  // --- Autocompleters -------------------------------------------------------------
  // "property" and "class" ask lov.linkeddata.es: keep only variables and prefixes.
  // The list replaces the defaults' array (YASGUI merges arrays index by index, so
  // passing a shorter list in the config would not remove the others).
  var completers = ['variables', 'prefixes'];
  Yasqe.defaults.autocompleters = completers.slice();
  if (Yasgui.defaults.yasqe) { Yasgui.defaults.yasqe.autocompleters = completers.slice(); }
  // The prefix autocompleter offers the page's prefixes (never prefix.cc, nor the
  // few thousand prefixes bundled in YASQE), and stores nothing in localStorage.
  if (Yasqe.Autocompleters && Yasqe.Autocompleters.prefixes) {
    var prefixLines = [];
    for (var label in prefixes) {
      if (Object.prototype.hasOwnProperty.call(prefixes, label)) {
        prefixLines.push(label + ': <' + prefixes[label] + '>');
      }
    }
    prefixLines.sort();
    Yasqe.Autocompleters.prefixes = assign({}, Yasqe.Autocompleters.prefixes, {
      get: prefixLines,
      persistenceId: null
    });
  }
  Yasqe.defaults.prefixCcApi = null;

  // --- Result links ---------------------------------------------------------------
  // YASR's table draws every IRI through Table.prototype.getUriLinkFromBinding; IRIs of
  // spyatlas entities and reports become links to this server's pages. If a later
  // YASR lacks that hook, the rendered links are rewritten as they appear instead.
  var Table = Yasr && Yasr.plugins && Yasr.plugins.table;
  var hooked = false;
  if (Table && Table.prototype && typeof Table.prototype.getUriLinkFromBinding === 'function') {
    var drawIri = Table.prototype.getUriLinkFromBinding;
    Table.prototype.getUriLinkFromBinding = function (binding, knownPrefixes) {
      var html = drawIri.call(this, binding, knownPrefixes);
      if (!binding || !localPage(binding.value)) { return html; }
      var holder = document.createElement('span');
      holder.innerHTML = html; // already sanitized by YASR (DOMPurify); detached, so inert
      var anchor = holder.querySelector('a');
      if (!anchor || !pointAtLocalPage(anchor, binding.value)) { return html; }
      return holder.innerHTML;
    };
    hooked = true;
  }
  if (!hooked && window.MutationObserver) {
    new window.MutationObserver(function () {
      var anchors = root.querySelectorAll('.yasr a.iri[href^="https://w3id.org/spyatlas/"]');
      for (var i = 0; i < anchors.length; i++) {
        pointAtLocalPage(anchors[i], anchors[i].getAttribute('href'));
      }
    }).observe(root, { childList: true, subtree: true });
  }

  // The endpoint is fixed (see requestConfig), so its field is hidden, as is the
  // "?" button of the result viewer, which links to the YASGUI documentation site.
  // A result table wider than the page's column scrolls instead of spilling over.
  var style = document.createElement('style');
  style.textContent =
    '#yasgui .yasgui .controlbar .autocompleteWrapper,\n' +
    '#yasgui .yasgui .controlbar .clearEndpointBtn { display: none; }\n' +
    '#yasgui .yasr .yasr_external_ref_btn { display: none; }\n' +
    '#yasgui .yasr .yasr_results { overflow-x: auto; }\n' +
    '#yasgui .CodeMirror-focused { outline: 3px solid #ffbf47; outline-offset: 2px; }\n' +
    '#yasgui .CodeMirror textarea:focus { outline: 3px solid #ffbf47 !important; }\n' +
    '#yasgui .cm-string-2 { color: #8a3b00; }\n';
  document.head.appendChild(style);

  // A link made with YASGUI's "share" button carries its query in the address
  // (#query=...&endpoint=...&headers=...). Only the query is taken from it: YASGUI's own
  // reading of such links (populateFromUrl) is off, because it would also take the
  // endpoint, method and headers, and overwrite the fixed endpoint below for every tab.
  function queryFromAddress() {
    var hash = (window.location.hash || '').replace(/^#/, '');
    var pairs = hash ? hash.split('&') : [];
    for (var i = 0; i < pairs.length; i++) {
      var at = pairs[i].indexOf('=');
      if (at > 0 && pairs[i].slice(0, at) === 'query') {
        try {
          return decodeURIComponent(pairs[i].slice(at + 1).replace(/\+/g, ' '));
        } catch (badEncoding) {
          return null;
        }
      }
    }
    return null;
  }
  var sharedQuery = queryFromAddress();

  function sameOriginEndpoint() {
    return window.location.protocol + '//' + window.location.host + '/sparql';
  }

  var yasgui = new Yasgui(root, {
    // Nothing is kept between visits: no localStorage for tabs, queries or results.
    persistenceId: null,
    populateFromUrl: false,
    copyEndpointOnNewTab: false,
    tabName: 'Query',
    corsProxy: undefined,
    endpointCatalogueOptions: {
      getData: function () { return []; }
    },
    requestConfig: {
      // A function, so that it is taken at each request and wins over anything a tab
      // holds (YASGUI's tab settings, or its endpoint field, hidden above).
      endpoint: sameOriginEndpoint,
      method: 'POST'
    },
    yasqe: {
      value: sharedQuery !== null ? sharedQuery : initialQuery,
      prefixCcApi: null,
      createShortLink: undefined
    },
    yasr: {
      prefixes: prefixes
    }
  });

  // --- Write token ----------------------------------------------------------------
  // Added to the request itself when it is sent (not to the request config, whose
  // headers would end up in "share" links).
  function addToken(yasqe, request) {
    var input = document.getElementById('token');
    var token = input && input.value ? input.value.replace(/^\s+|\s+$/g, '') : '';
    if (token && request && request.headers && typeof request.headers.set === 'function') {
      request.headers.set('Authorization', 'Bearer ' + token);
    }
  }
  yasgui.on('queryBefore', function (instance, tab) {
    var yasqe = tab && tab.getYasqe && tab.getYasqe();
    if (yasqe && !yasqe.spyatlasToken) {
      yasqe.spyatlasToken = true;
      yasqe.on('query', addToken);
    }
  });

  // --- Examples -------------------------------------------------------------------
  // Each example opens in a tab of its own; clicking it again goes back to that tab
  // while it still holds the example's text, and opens a fresh one once it was edited.
  var exampleTabs = {};
  function openExample(example, key) {
    var known = exampleTabs[key] && yasgui.getTab(exampleTabs[key]);
    if (known) {
      var text = null;
      try { text = known.getQuery(); } catch (notDrawn) { text = null; }
      if (text === example.text) {
        yasgui.selectTabId(exampleTabs[key]);
        return;
      }
    }
    var tab = yasgui.addTab(true, {
      name: example.title || example.name || 'Example',
      yasqe: { value: example.text }
    });
    exampleTabs[key] = tab.getId();
  }

  var list = document.getElementById('examples');
  if (list) {
    for (var i = 0; i < examples.length; i++) {
      (function (example, key) {
        if (!example || typeof example.text !== 'string') { return; }
        var item = document.createElement('li');
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'example';
        button.textContent = example.title || example.name;
        if (example.name) { button.setAttribute('data-name', example.name); button.title = example.name; }
        button.addEventListener('click', function () { openExample(example, key); });
        item.appendChild(button);
        if (example.description) {
          var note = document.createElement('small');
          note.textContent = example.description;
          item.appendChild(note);
        }
        list.appendChild(item);
      })(examples[i], String(i));
    }
  }

  // --- Initial query --------------------------------------------------------------
  // The page's query runs at once when editor-settings says "autorun", a shared link's
  // query always; an update never runs by itself.
  function runIfReadOnly(tab) {
    var yasqe = tab && tab.getYasqe();
    if (yasqe && yasqe.getQueryMode() === 'query') {
      tab.query()['catch'](function () { /* the error is shown in the result area */ });
    }
  }
  var firstTab = yasgui.getTab();
  if (firstTab) {
    var wanted = sharedQuery !== null ? sharedQuery : initialQuery;
    if (firstTab.getQuery() !== wanted) { firstTab.setQuery(wanted); }
    if (sharedQuery !== null || settings.autorun === true) { runIfReadOnly(firstTab); }
  }
  // A shared link opened while the page is already open: its query in a new tab.
  window.addEventListener('hashchange', function () {
    var query = queryFromAddress();
    if (query !== null) { yasgui.addTab(true, { yasqe: { value: query } }); }
  });

  // --- Accessibility --------------------------------------------------------------
  // Each editor's text input gets a name; the tab list holds tabs only (YASGUI puts its
  // "+" button inside it, which a tablist may not own), so the button is moved beside it.
  // Both are redrawn as tabs come and go, so they are fixed whenever the editor changes.
  function fixAccessibility() {
    var inputs = root.querySelectorAll('.CodeMirror textarea:not([aria-label])');
    for (var i = 0; i < inputs.length; i++) {
      inputs[i].setAttribute('aria-label', 'SPARQL query');
    }
    var lists = root.querySelectorAll('[role="tablist"]');
    for (var j = 0; j < lists.length; j++) {
      var children = Array.prototype.slice.call(lists[j].children);
      for (var k = 0; k < children.length; k++) {
        var child = children[k];
        if (!child.querySelector('[role="tab"]')) {
          lists[j].parentNode.insertBefore(child, lists[j].nextSibling);
        }
      }
    }
  }
  fixAccessibility();
  if (window.MutationObserver) {
    new window.MutationObserver(fixAccessibility).observe(root, { childList: true, subtree: true });
  }

  window.spyatlasEditor = yasgui;
})();
