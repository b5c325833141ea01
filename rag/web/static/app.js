() => {
  // What runs in the reader's browser: [n] opens its passage (in the sources panel, or inline
  // under the answer on a narrow screen), a styled preview on hover or keyboard focus, the
  // whole-article readers with previous/next cited sentence. Listeners are delegated from the
  // document: the chat and the panel are re-rendered on every answer.
  const NARROW = window.matchMedia('(max-width: 760px)');
  const byId = (id) => document.getElementById(id);
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

  // -- the sources panel ----------------------------------------------------------------------
  const showTurn = (turn) => {
    document.querySelectorAll('#sc-sources .sc-turn').forEach((t) => t.classList.toggle('sc-current', t === turn));
  };
  const closeReaders = () => {
    document.querySelectorAll('#sc-sources .sc-reader').forEach((r) => { r.hidden = true; });
    document.querySelectorAll('#sc-sources .sc-panel').forEach((p) => p.classList.remove('sc-reading'));
  };
  const activate = (element) => {
    document.querySelectorAll('#sc-sources .sc-active').forEach((x) => x.classList.remove('sc-active'));
    element.classList.add('sc-active');
  };
  const openInPanel = (id) => {
    const target = byId(id);
    if (!target) return;
    closeReaders();
    showTurn(target.closest('.sc-turn'));
    const folded = target.closest('details');
    if (folded) folded.open = true;
    activate(target);
    target.scrollIntoView({block: 'nearest'});
  };

  // -- whole-article readers ------------------------------------------------------------------
  const marksOf = (reader) => Array.from(reader.querySelectorAll('.sc-reader-text mark.sc-quote'));
  const focusMark = (reader, mark) => {
    const marks = marksOf(reader);
    marks.forEach((m) => m.classList.toggle('sc-focus', m === mark));
    const where = reader.querySelector('.sc-reader-pos');
    if (where) {
      where.textContent = mark ? `${marks.indexOf(mark) + 1} of ${plural(marks.length, 'cited sentence')}`
                               : plural(marks.length, 'cited sentence');
    }
    if (mark) mark.scrollIntoView({block: 'center'});
  };
  const openReader = (readerId, focus) => {
    const reader = byId(readerId);
    if (!reader) return;
    document.querySelectorAll('#sc-sources .sc-reader').forEach((r) => { r.hidden = r !== reader; });
    const panel = reader.closest('.sc-panel');
    if (panel) panel.classList.add('sc-reading');
    let target = null;
    if (focus && focus.startsWith('src-')) {
      target = reader.querySelector(`.sc-anchor[data-src="${focus}"]`);
    } else if (focus) {
      target = marksOf(reader).find((m) => m.dataset.cites.split(' ').includes(focus)) || null;
    }
    if (target && target.tagName === 'MARK') {
      focusMark(reader, target);
    } else {
      focusMark(reader, null);
      (target || reader).scrollIntoView({block: target ? 'center' : 'start'});
    }
  };
  const step = (reader, direction) => {
    const marks = marksOf(reader);
    if (!marks.length) return;
    const at = marks.findIndex((m) => m.classList.contains('sc-focus'));
    const next = at < 0 ? (direction > 0 ? 0 : marks.length - 1) : (at + direction + marks.length) % marks.length;
    focusMark(reader, marks[next]);
    marks[next].focus({preventScroll: true});
  };

  // -- on a narrow screen, the passage opens inline under the answer ----------------------------
  const withoutIds = (node) => {
    node.removeAttribute('id');
    node.querySelectorAll('[id]').forEach((x) => x.removeAttribute('id'));
    return node;
  };
  const openInline = (link, id) => {
    const source = byId(id);
    const answer = link.closest('.sc-answer');
    if (!source || !answer) return;
    const open = answer.querySelector('.sc-inline');
    if (open) {
      open.remove();
      if (open.dataset.for === id) return;  // a second click on the same number closes it
    }
    const card = source.closest('.sc-article');
    const box = document.createElement('div');
    box.className = 'sc-inline';
    box.dataset.for = id;
    const head = document.createElement('div');
    head.className = 'sc-inline-head';
    const title = document.createElement('span');
    title.className = 'sc-card-title';
    title.textContent = card ? card.querySelector('.sc-card-title').textContent : '';
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'sc-inline-close';
    close.setAttribute('aria-label', 'Close the passage');
    close.textContent = '×';
    head.append(title, close);
    box.append(head);
    if (card) box.append(withoutIds(card.querySelector('.sc-meta').cloneNode(true)));
    box.append(withoutIds(source.cloneNode(true)));
    // the whole article, below the passage (a button in its head would push the quote down)
    const read = source.querySelector('.sc-read');
    if (read) {
      const whole = withoutIds(read.cloneNode(true));
      whole.classList.add('sc-inline-read');
      whole.textContent = 'Read the whole article';
      box.append(whole);
    }
    answer.append(box);
    // Show the passage's start inside the chat's own scroll area; the page itself moves only
    // as far as needed to show that area. Again a moment later: the Chatbot scrolls itself to
    // the bottom when its content grows while it was at the bottom, as it is after an answer.
    const log = box.closest('[role="log"]');
    const reveal = () => {
      if (!box.isConnected) return;
      if (!log) {
        box.scrollIntoView({block: 'start'});
        return;
      }
      log.scrollTop += box.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
      // the quoted sentence itself, when the passage's start would leave it below the chat's edge
      const mark = box.querySelector('mark');
      const edge = log.getBoundingClientRect().bottom - 16;
      if (mark && mark.getBoundingClientRect().bottom > edge) {
        log.scrollTop += Math.min(mark.getBoundingClientRect().bottom - edge,
                                  mark.getBoundingClientRect().top - box.getBoundingClientRect().top - 8);
      }
      const top = log.getBoundingClientRect().top;
      if (top < 0 || top > window.innerHeight / 2) window.scrollBy(0, top - 8);
    };
    reveal();
    [50, 200, 500].forEach((ms) => setTimeout(reveal, ms));
  };

  // -- the preview on [n] ---------------------------------------------------------------------
  const pop = document.createElement('div');
  pop.id = 'sc-popover';
  pop.setAttribute('role', 'tooltip');
  pop.hidden = true;
  document.body.append(pop);
  const showPop = (link) => {
    const data = byId(link.getAttribute('href').slice(1));
    if (!data || !data.dataset.quote) return;
    const part = (cls, text) => {
      const div = document.createElement('div');
      div.className = cls;
      div.textContent = text;
      return div;
    };
    // a quote that opens with its own quotation mark is not wrapped in another (as render.quoted)
    const quote = /^[“"‘']/.test(data.dataset.quote) ? data.dataset.quote : `“${data.dataset.quote}”`;
    pop.replaceChildren(part('sc-pop-quote', quote), part('sc-pop-title', data.dataset.title));
    if (data.dataset.date) pop.append(part('sc-pop-date', data.dataset.date));
    pop.hidden = false;
    link.setAttribute('aria-describedby', 'sc-popover');
    const at = link.getBoundingClientRect();
    const width = pop.offsetWidth;
    const height = pop.offsetHeight;
    const left = Math.max(8, Math.min(at.left, window.innerWidth - width - 8));
    const below = at.bottom + 6;
    pop.style.left = `${left}px`;
    pop.style.top = `${below + height > window.innerHeight - 8 ? Math.max(8, at.top - height - 6) : below}px`;
  };
  const hidePop = () => { pop.hidden = true; };
  const citeOf = (event) => event.target.closest && event.target.closest('a.sc-cite');
  document.addEventListener('mouseover', (event) => { const link = citeOf(event); if (link) showPop(link); });
  document.addEventListener('mouseout', (event) => {
    const link = citeOf(event);
    if (link && !link.contains(event.relatedTarget)) hidePop();
  });
  document.addEventListener('focusin', (event) => { const link = citeOf(event); if (link) showPop(link); });
  document.addEventListener('focusout', (event) => { if (citeOf(event)) hidePop(); });
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') hidePop(); });
  window.addEventListener('scroll', hidePop, true);

  // -- clicks ---------------------------------------------------------------------------------
  document.addEventListener('click', (event) => {
    const target = event.target;
    if (!target.closest) return;
    const link = target.closest('a[href^="#cite-"], a[href^="#src-"]');
    if (link) {
      event.preventDefault();
      event.stopPropagation();
      hidePop();
      const id = link.getAttribute('href').slice(1);
      if (NARROW.matches && link.closest('#sc-chat')) openInline(link, id);
      else openInPanel(id);
      return;
    }
    const read = target.closest('.sc-read');
    if (read) {
      openReader(read.dataset.reader, read.dataset.focus);
      return;
    }
    const reader = target.closest('.sc-reader');
    if (reader && target.closest('.sc-reader-back')) closeReaders();
    else if (reader && target.closest('.sc-next')) step(reader, 1);
    else if (reader && target.closest('.sc-prev')) step(reader, -1);
    const close = target.closest('.sc-inline-close');
    if (close) close.closest('.sc-inline').remove();
    // Adding files starts a new report: the browser's earlier refusals are no longer news.
    if (target.closest('#sc-add-button')) document.querySelectorAll('.sc-up-refused').forEach((x) => x.remove());
  }, true);

  // On a narrow screen the sidebar would cover the chat: it starts closed, and closes again
  // once a conversation is picked from it.
  let sidebarChecked = false;
  const closeSidebar = () => {
    const sidebar = byId('sc-sidebar');
    const toggle = sidebar && sidebar.querySelector('.toggle-button');
    if (toggle && sidebar.classList.contains('open')) toggle.click();
  };
  document.addEventListener('click', (event) => {
    if (NARROW.matches && event.target.closest && event.target.closest('#sc-sidebar [data-chat], #sc-new-chat')) {
      setTimeout(closeSidebar, 0);
    }
  });

  // A file the browser refuses (wrong type, too large) leaves Gradio's "Error" badge on the file
  // box until something else replaces it: clear it, and keep the reason, which Gradio shows only
  // in a passing toast, beside the box.
  const seenBadges = new WeakSet();  // each badge once: what this does changes the DOM it watches
  const clearFileError = () => {
    const badge = document.querySelector('#sc-files [data-testid="status-tracker"] .error');
    const clear = document.querySelector('#sc-files .clear-status button');
    if (!badge || !clear || seenBadges.has(badge)) return;
    seenBadges.add(badge);
    const toasts = document.querySelectorAll('[data-testid="toast-text"]');
    const reason = toasts.length ? toasts[toasts.length - 1].textContent.trim() : 'The file was not accepted.';
    clear.click();
    const status = document.querySelector('#sc-upload-status');
    if (status) {
      const line = document.createElement('p');
      line.className = 'sc-up-rejected sc-up-refused';
      line.textContent = `✗ ${reason}`;
      status.querySelectorAll('.sc-up-refused').forEach((old) => old.remove());
      status.append(line);
    }
  };

  // A reader the server opened (an article link, ?a=...&s=...) is scrolled to its sentence.
  new MutationObserver(() => {
    clearFileError();
    const sidebar = byId('sc-sidebar');
    if (!sidebarChecked && sidebar && sidebar.classList.contains('open')) {
      sidebarChecked = true;  // only the first time: the reader may open it again
      if (NARROW.matches) closeSidebar();
    }
    document.querySelectorAll('#sc-sources .sc-reader[data-focus]:not([data-shown])').forEach((reader) => {
      reader.dataset.shown = '1';
      openReader(reader.id, reader.dataset.focus);
      const mark = marksOf(reader)[0];
      if (mark) mark.scrollIntoView({block: 'center'});
    });
  }).observe(document.body, {childList: true, subtree: true});
}
