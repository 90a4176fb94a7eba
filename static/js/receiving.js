// The receiving form (templates/delivery_new.html): "Add a line" copies the last line, empty, numbered next.
// Without JavaScript the form has its ten blank lines and the button stays hidden.
document.addEventListener('DOMContentLoaded', () => {
  const table = document.querySelector('.delivery-form-lines');
  const button = document.querySelector('.delivery-form .add-line');
  if (!table || !button) return;
  const body = table.tBodies[0];
  const max = Number(table.dataset.maxLines || 200);
  button.hidden = false;
  button.addEventListener('click', () => {
    const rows = body.querySelectorAll('tr.delivery-line');
    if (rows.length >= max) return;
    const last = rows[rows.length - 1];
    const row = last.cloneNode(true);
    const n = rows.length;
    row.classList.remove('has-error');
    row.querySelector('.line-no').textContent = String(n + 1);
    row.querySelectorAll('select, input').forEach((field) => {
      field.name = field.name.replace(/_\d+$/, `_${n}`);
      const label = field.getAttribute('aria-label') || '';
      field.setAttribute('aria-label', label.replace(/\d+$/, String(n + 1)));
      field.removeAttribute('aria-invalid');
      field.removeAttribute('required');
      if (field.tagName === 'SELECT') field.selectedIndex = 0; else field.value = '';
    });
    body.appendChild(row);
    row.querySelector('select').focus();
    if (n + 1 >= max) button.hidden = true;
  });
});
