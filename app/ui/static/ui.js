// Filters apply as soon as a select changes; the form still works without JavaScript.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.form && field.form.dataset.autosubmit !== undefined) {
    field.form.requestSubmit();
  }
});
