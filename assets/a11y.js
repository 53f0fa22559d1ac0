/* Accessibility fixes no component prop can reach (issue 22), applied as the page changes:
   - a region that scrolls (a wide table's Radix scroll area, a long document box marked
     data-scroll-region) can be reached with Tab, so a keyboard can scroll it;
   - the hidden file input of a drop zone (react-dropzone renders it, with no label prop) is
     named after the zone's text;
   - on phones a table is shown as stacked cards: each cell gets its column header as data-label. */
(function () {
  if (window.__l2cA11y) return;
  window.__l2cA11y = true;
  var pending = 0;
  function scrolls(e) {
    return e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
  }
  function fix() {
    pending = 0;
    document.querySelectorAll('[data-radix-scroll-area-viewport], [data-scroll-region]').forEach(function (e) {
      if (scrolls(e)) {
        if (!e.hasAttribute('tabindex')) e.setAttribute('tabindex', '0');
        if (!e.hasAttribute('aria-label')) {
          var owner = e.closest('[aria-label]');
          var name = e.getAttribute('data-scroll-region') || (owner && owner.getAttribute('aria-label')) || 'Scrollable content';
          e.setAttribute('role', 'region');
          e.setAttribute('aria-label', name);
        }
      } else if (e.getAttribute('tabindex') === '0' && e.getAttribute('role') === 'region') {
        e.removeAttribute('tabindex'); e.removeAttribute('role'); e.removeAttribute('aria-label');
      }
    });
    // Phones show a table as stacked cards (responsive.css): each cell is labelled with its column header.
    document.querySelectorAll('.l2c-main .rt-TableRoot:not(.l2c-keep-table) table').forEach(function (t) {
      var heads = [].map.call(t.querySelectorAll('thead tr:first-child th'), function (h) {
        return (h.textContent || '').trim();
      });
      if (!heads.length) return;
      t.querySelectorAll('tbody tr').forEach(function (r) {
        var i = 0;
        [].forEach.call(r.children, function (c) {
          var h = heads[i] || '';
          if (h && c.getAttribute('data-label') !== h) c.setAttribute('data-label', h);
          i += c.colSpan || 1;
        });
      });
    });
    document.querySelectorAll('input[type="file"]:not([aria-label])').forEach(function (e) {
      var zone = e.parentElement;
      var text = zone ? (zone.textContent || '').trim() : '';
      e.setAttribute('aria-label', text || 'Choose a file');
    });
  }
  function later() { if (!pending) pending = setTimeout(fix, 80); }
  function start() {
    new MutationObserver(later).observe(document.body, {childList: true, subtree: true});
    window.addEventListener('resize', later);
    later();
  }
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();
