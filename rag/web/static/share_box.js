// "Copy" puts the conversation's link on the clipboard (or selects it where that is not allowed).
element.addEventListener('click', async (event) => {
  const button = event.target.closest('.sc-copy');
  if (!button) return;
  const input = element.querySelector('.sc-share-url');
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    button.textContent = 'Copied';
  } catch (err) {
    button.textContent = document.execCommand('copy') ? 'Copied' : 'Select and copy';
  }
});
