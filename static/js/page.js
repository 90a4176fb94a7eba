// Every page: small behaviours that used to be inline (the Content-Security-Policy allows no inline script).
(function () {
  // A wider screen always shows the menu (app.css; this for browsers that cannot style an open <details>).
  var menu = document.getElementById("nav-menu");
  if (menu && window.matchMedia && matchMedia("(min-width: 56rem)").matches) { menu.open = true; }
  // <select data-autosubmit>: choosing sends its form.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // <form data-busy="…">: a POST button that says it is working once pressed.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (!button) { return; }
      button.setAttribute("aria-busy", "true");
      button.classList.add("busy");
      button.textContent = form.getAttribute("data-busy");
      setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
