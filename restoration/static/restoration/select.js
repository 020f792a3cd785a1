// Bulk selection on list pages: a "select every row shown" box in the table head, and a
// live count of the rows selected. Plain checkboxes do the work; without this script the
// rows can still be ticked one by one (and "All matching this filter" needs no script).
(function () {
  function setUp(form) {
    var all = form.querySelector("[data-select-all]");
    var count = form.querySelector("[data-selected-count]");
    function rows() { return form.querySelectorAll("input[name=ids]"); }
    function update() {
      var boxes = rows(), ticked = 0;
      boxes.forEach(function (box) { if (box.checked) ticked++; });
      if (all) {
        all.checked = boxes.length > 0 && ticked === boxes.length;
        all.indeterminate = ticked > 0 && ticked < boxes.length;
      }
      if (count) count.textContent = ticked ? ticked + " selected" : "";
    }
    if (all) {
      all.hidden = false;
      all.addEventListener("change", function () {
        rows().forEach(function (box) { box.checked = all.checked; });
        update();
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "ids") update();
    });
    // Rows added by "Load more" join the selection's count.
    document.body.addEventListener("htmx:afterSwap", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-bulk-select]").forEach(setUp);
  });
})();
