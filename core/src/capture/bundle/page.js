/* Cuedeck backup bundle: one asciinema player per terminal, the step list beside
   them. The players pause at each step's end marker; Space and a clicker's PageDown
   go on to the next step, a click on a step seeks to its start. */
(function () {
  'use strict';
  var hook = window.__cuedeckBundle;
  var data = JSON.parse(document.getElementById('cuedeck-data').textContent);
  var stage = document.getElementById('stage');
  var tabs = document.getElementById('tabs');
  var nowNum = document.getElementById('now-num');
  var nowTitle = document.getElementById('now-title');
  var items = Array.prototype.slice.call(document.querySelectorAll('#steps li.step'));
  var players = {};
  var state = { active: null, step: -1, playing: false, seeking: 0 };

  data.terminals.forEach(function (t) {
    var el = document.createElement('div');
    el.className = 'term';
    el.setAttribute('data-terminal', t.name);
    stage.appendChild(el);
    var player = AsciinemaPlayer.create({ data: t.cast }, el, {
      cols: t.cols,
      rows: t.rows,
      fit: 'width',
      preload: true,
      markers: t.endMarkers,
      pauseOnMarkers: true,
      terminalFontSize: 'small'
    });
    var entry = { name: t.name, player: player, el: el, playing: false };
    player.addEventListener('play', function () { entry.playing = true; });
    player.addEventListener('playing', function () { entry.playing = true; });
    player.addEventListener('pause', function () { entry.playing = false; });
    player.addEventListener('ended', function () { entry.playing = false; });
    players[t.name] = entry;
  });
  if (!state.active && data.terminals.length) state.active = data.terminals[0].name;

  function active() { return players[state.active]; }

  function step(i) { return data.steps[i]; }

  function show(name) {
    if (!players[name]) return;
    state.active = name;
    Object.keys(players).forEach(function (n) {
      players[n].el.classList.toggle('active', n === name);
    });
    Array.prototype.forEach.call(tabs.children, function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-terminal') === name));
    });
  }

  function renderTabs(s) {
    while (tabs.firstChild) tabs.removeChild(tabs.firstChild);
    var names = s ? s.terminals : [];
    tabs.hidden = names.length < 2 && data.terminals.length < 2;
    names.forEach(function (n) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = n;
      b.setAttribute('data-terminal', n);
      b.setAttribute('aria-pressed', String(n === state.active));
      b.addEventListener('click', function () { show(n); });
      tabs.appendChild(b);
    });
  }

  function setCurrent(i) {
    if (i === state.step) return;
    state.step = i;
    items.forEach(function (li, k) {
      li.classList.toggle('current', k === i);
      li.classList.toggle('played', k < i);
      if (k === i) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    });
    var li = items[i];
    if (li) {
      nowNum.textContent = li.querySelector('.num').textContent;
      nowTitle.textContent = li.querySelector('.title').textContent;
      li.scrollIntoView({ block: 'nearest' });
    }
    renderTabs(step(i));
  }

  /* Pauses the step's terminals at its start (the presenter plays it with Space). */
  function goTo(i) {
    var s = step(i);
    if (!s) return Promise.resolve();
    setCurrent(i);
    var names = s.terminals.length ? s.terminals : [state.active];
    show(names[0]);
    state.seeking += 1;
    return Promise.all(names.filter(function (n) { return players[n]; }).map(function (n) {
      var p = players[n].player;
      return Promise.resolve(p.pause()).then(function () {
        return p.seek(s.starts[n] || 0);
      });
    })).then(function () { state.seeking -= 1; }, function () { state.seeking -= 1; });
  }

  function toggle() {
    var a = active();
    if (!a) return;
    if (a.playing) a.player.pause(); else a.player.play();
  }

  function next() {
    var a = active();
    var s = step(state.step);
    if (!a) return;
    if (!a.playing) { a.player.play(); return; }
    if (s && s.ends[a.name] !== undefined) {
      Promise.resolve(a.player.pause()).then(function () { return a.player.seek(s.ends[a.name]); });
    }
  }

  function previous() {
    var a = active();
    var s = step(state.step);
    if (!a || !s) return;
    var start = s.starts[a.name];
    if (start !== undefined && a.player.getCurrentTime() > start + 0.5) goTo(state.step);
    else goTo(Math.max(0, state.step - 1));
  }

  /* The current step follows the active terminal's playback. */
  function track() {
    var a = active();
    if (!a || state.seeking) return;
    var t = a.player.getCurrentTime();
    if (typeof t !== 'number') return;
    var found = -1;
    data.steps.forEach(function (s, k) {
      var start = s.starts[a.name];
      if (start !== undefined && start <= t + 0.05) found = k;
    });
    if (found >= 0 && found !== state.step) setCurrent(found);
  }

  items.forEach(function (li, i) {
    li.addEventListener('click', function () { goTo(i); });
  });

  window.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var handled = true;
    switch (e.key) {
      case ' ': case 'k': toggle(); break;
      case 'PageDown': case 'n': next(); break;
      case 'PageUp': case 'p': previous(); break;
      case 'Home': goTo(0); break;
      case 'Enter':
        if (e.target && e.target.classList && e.target.classList.contains('step')) {
          goTo(items.indexOf(e.target));
        } else handled = false;
        break;
      default: handled = false;
    }
    if (handled) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);

  setInterval(track, 200);
  show(state.active);
  goTo(Math.min(data.initial || 0, data.steps.length - 1));

  hook.steps = data.steps.map(function (s) {
    var t = s.terminals[0];
    return { id: s.id, terminal: t, start: s.starts[t], end: s.ends[t] };
  });
  hook.currentTime = function () { var a = active(); return a ? a.player.getCurrentTime() : null; };
  hook.activeTerminal = function () { return state.active; };
  hook.currentStep = function () { return state.step; };
  hook.playing = function () { var a = active(); return !!(a && a.playing); };
  hook.play = function () { var a = active(); return a && a.player.play(); };
  hook.goTo = goTo;
  hook.ready = true;
})();
