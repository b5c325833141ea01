// A click on a saved conversation in the sidebar asks the server to open it.
element.addEventListener('click', (event) => {
  const item = event.target.closest('[data-chat]');
  if (item) trigger('open', {chat: item.dataset.chat});
});
