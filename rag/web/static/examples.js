// A click on an example question puts it in the question box.
element.addEventListener('click', (event) => {
  const example = event.target.closest('[data-question]');
  if (!example) return;
  trigger('pick', {question: example.dataset.question});
  const box = document.querySelector('#sc-question textarea');
  if (box) setTimeout(() => box.focus(), 50);
});
