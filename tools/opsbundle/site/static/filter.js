// Filter a table's rows by service: the one script of the catalog, no
// framework, nothing fetched. A page that wants it carries
//   <form class="filter" data-table="ID" hidden> with a <select>,
// and rows marked data-services="nova keystone". Without JavaScript the form
// stays hidden and every row shows; each service also has its own page.
(function () {
  "use strict";

  function setUp(form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    var select = form.querySelector("select");
    var status = form.querySelector("output");
    if (!table || !select) {
      return;
    }
    function apply() {
      var wanted = select.value;
      var shown = 0;
      var rows = table.querySelectorAll("tr[data-services]");
      Array.prototype.forEach.call(rows, function (row) {
        var services = row.getAttribute("data-services").split(" ");
        var match = wanted === "" || services.indexOf(wanted) !== -1;
        row.hidden = !match;
        if (match && !row.classList.contains("group")) {
          shown += 1;
        }
      });
      if (status) {
        status.textContent = shown + (shown === 1 ? " row" : " rows") + " shown";
      }
    }
    select.addEventListener("change", apply);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      apply();
    });
    form.hidden = false;
    apply();
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.filter[data-table]"), setUp);
})();
