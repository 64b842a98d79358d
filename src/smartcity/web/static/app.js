// The portal's few behaviours, kept out of the markup: the Content-Security-Policy allows
// scripts from /static only, never inline handlers (docs/architecture.md, "Output encoding").

// A form marked data-reset-on-success is emptied once htmx has sent it successfully.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.hasAttribute("data-reset-on-success")
      && event.detail.successful) {
    form.reset();
  }
});

// A button marked data-print opens the browser's print dialog (which also saves as PDF).
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (button) {
    window.print();
  }
});
