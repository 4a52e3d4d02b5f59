// Behaviour that pages ask for with data- attributes, so that no page needs inline script
// (the Content-Security-Policy allows scripts from this site's files only).
//   <form data-confirm="确定…？">  asks before the form is sent;
//   <button data-print>             prints the page.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
document.addEventListener("click", function (event) {
  var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (target) {
    event.preventDefault();
    window.print();
  }
});
