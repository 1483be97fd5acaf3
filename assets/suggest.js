// Suggestions by name for inputs with `data-suggest` (the id of their datalist), from
// /api/search; choosing a suggestion puts its slug in the input.
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-suggest]");
  Array.prototype.forEach.call(inputs, function (input) {
    var list = document.getElementById(input.getAttribute("data-suggest"));
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      var text = input.value.trim();
      if (timer) { clearTimeout(timer); }
      if (text.length < 2 || text === asked) { return; }
      timer = setTimeout(function () {
        asked = text;
        fetch("/api/search?limit=8&q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (answer) {
            while (list.firstChild) { list.removeChild(list.firstChild); }
            (answer.results || []).forEach(function (hit) {
              if (!hit.slug || (hit.url || "").indexOf("/id/") !== 0) { return; }
              var option = document.createElement("option");
              option.value = hit.slug;
              option.label = hit.label;
              option.textContent = hit.label;
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 150);
    });
  });
})();
