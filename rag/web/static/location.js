// The address bar follows the open conversation (?c=<id>) or article link (?a=...&s=...), so a
// reload opens it again and the address can be shared. The value is the query string to show.
watch('value', () => {
  const query = (props.value || '').trim();
  if (location.search !== query) {
    history.replaceState(history.state, '', location.pathname + query);
  }
});
