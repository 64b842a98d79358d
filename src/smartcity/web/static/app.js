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
