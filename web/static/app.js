/* Vigientreprise console: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function plural(n, one, many) { return n + " " + (Math.abs(n) <= 1 ? one : (many || one + "s")); }

  function getJSON(url, onData, onAuthLost) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401) { if (onAuthLost) onAuthLost(); return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (data) { if (data) onData(data); })
      .catch(function () { /* network hiccup: the next poll retries */ });
  }

  function poll(url, onData, everyMs) {
    var stopped = false, timer = null;
    function lost() {
      stopped = true;
      var p = el("p", "flash error", "Session expirée : rechargez la page pour vous reconnecter.");
      var main = $("main");
      main.insertBefore(p, main.firstChild);
    }
    function tick() {
      if (stopped) return;
      if (document.hidden) { timer = setTimeout(tick, everyMs); return; }
      getJSON(typeof url === "function" ? url() : url, onData, lost)
        .then(function () { if (!stopped) timer = setTimeout(tick, everyMs); });
    }
    timer = setTimeout(tick, everyMs);
  }

  /* --- printable report: a button, since the page's CSP forbids inline handlers ------------- */
  document.addEventListener("click", function (ev) {
    var target = ev.target;
    if (target && target.hasAttribute && target.hasAttribute("data-print")) window.print();
  });

  /* --- targeting: « tous les adhérents » disables the other choices; sector suggestions ---- */
  function initTargeting(root) {
    var all = $("#all-members", root), others = $("#other-choices", root), note = $("#all-note", root);
    if (all && others) {
      var sync = function () {
        others.querySelectorAll("input, select, textarea, button").forEach(function (el) { el.disabled = all.checked; });
        others.classList.toggle("disabled", all.checked);
        if (note) note.hidden = !all.checked;
      };
      all.addEventListener("change", sync);
      sync();
    }
    var field = $("#naf_codes", root), list = $("#sector-suggestions", root), timer = null;
    if (field && list && field.getAttribute("data-suggest")) {
      field.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var words = field.value.split(/[\s,;]+/), last = words.pop(), head = words.join(" ");
          if (!last) { list.textContent = ""; return; }
          getJSON(field.getAttribute("data-suggest") + "?q=" + encodeURIComponent(last), function (d) {
            list.textContent = "";
            d.suggestions.forEach(function (s) {
              var option = document.createElement("option");
              option.value = (head ? head + " " : "") + s.value;
              option.label = s.label;
              option.textContent = s.label;
              list.appendChild(option);
            });
          });
        }, 200);
      });
    }
  }

  /* --- the map of the Orne (server-drawn SVG, web/carte.py) ------------------------------------- */
  var MAP_STATES = ["livre", "en-cours", "echec"];

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function swapMap(figure, url, stillWanted) {
    fetch(url, { credentials: "same-origin" })
      .then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        return type.indexOf("image/svg+xml") === 0 ? r.text() : null;
      })
      .then(function (text) {
        if (!text || !stillWanted()) return;
        var svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
        if (!svg || svg.nodeName !== "svg") return;
        var fresh = document.importNode(svg, true), old = $("svg.carte", figure);
        if (old) figure.replaceChild(fresh, old); else figure.insertBefore(fresh, figure.firstChild);
      })
      .catch(function () { /* keep the map shown */ });
  }

  /* zone editor: a click on a commune toggles it in the list; the list stays the accessible way */
  function initZoneMap(box) {
    var select = document.getElementById(box.getAttribute("data-select")), map = $("svg.carte", box),
        announce = $("[data-announce]", box);
    if (!select || !map) return;
    function sync() {
      var chosen = {};
      each(select.options, function (o) { if (o.selected) chosen[o.value] = true; });
      each(map.querySelectorAll("path[data-insee]"), function (p) {
        var on = !!chosen[p.getAttribute("data-insee")];
        p.classList.toggle("selection", on);
        if (!on) p.removeAttribute("fill");
      });
      return Object.keys(chosen).length;
    }
    map.addEventListener("click", function (ev) {
      var path = ev.target.closest ? ev.target.closest("path[data-insee]") : null;
      if (!path) return;
      var option = null;
      each(select.options, function (o) { if (o.value === path.getAttribute("data-insee")) option = o; });
      if (!option) return;
      option.selected = !option.selected;
      var n = sync();
      announce.textContent = option.textContent + (option.selected ? " ajoutée à la zone" : " retirée de la zone") +
        " : " + plural(n, "commune") + ".";
    });
    select.addEventListener("change", sync);
    sync();
  }

  /* --- composer: live counter, transliteration, recipient count ------------------------------- */
  function initComposer(form) {
    var text = $("#text", form), counter = $("#counter"), translit = $("#translit"), nongsm = $("#nongsm"),
        estimate = $("#estimate"), button = $("#translit-button"), unsendable = $("#unsendable"),
        unsendableChars = $("#unsendable-chars"), replaced = $("#replaced"), replacedChars = $("#replaced-chars");
    var last = null, timer = null, seq = 0;

    function params() {
      var data = new FormData(form), out = new URLSearchParams();
      data.forEach(function (value, key) {
        if (key !== "csrf" && key !== "action" && key !== "preset_name" && typeof value === "string") out.append(key, value);
      });
      return out.toString();
    }
    function show(d) {
      last = d;
      var enc = d.encoding === "gsm7" ? "GSM 7 bits" : "Unicode";
      counter.textContent = plural(d.chars, "caractère") + " · " + d.parts + " SMS (" + enc + ") · " +
        plural(d.remaining, "caractère restant", "caractères restants") + " dans ce SMS";
      counter.classList.toggle("over", d.parts > d.max_parts);
      if (d.parts > d.max_parts) counter.textContent += " — trop long : " + d.max_parts + " SMS au plus";
      translit.classList.toggle("hidden", !d.non_gsm.length);
      nongsm.textContent = d.non_gsm.join(" ");
      if (unsendable) {
        unsendable.classList.toggle("hidden", !d.unsendable.length);
        unsendableChars.textContent = d.unsendable.join(" ");
      }
      if (replaced) {
        replaced.classList.toggle("hidden", !d.replaced.length);
        replacedChars.textContent = d.replaced.join(" ; ");
      }
      estimate.classList.toggle("error", !!d.error);
      if (d.hint) {
        estimate.textContent = d.hint;
      } else if (d.error) {
        estimate.textContent = d.error;
      } else if (d.count !== null) {
        estimate.textContent = plural(d.count, "téléphone") + " · " + plural(d.parts, "SMS", "SMS") +
          " chacun · " + plural(d.sms_total, "SMS", "SMS") + " au total · durée d'envoi estimée : " + d.estimate;
        var naf = d.naf_correspondence;
        if (naf && naf.multiple) {     /* NAF rév. 2 <-> NAF 2025: multiple links are the operator's call */
          estimate.textContent += " · " + plural(naf.multiple, "adhérent") + " par un lien « Multiple » de la " +
            "correspondance NAF : " + (naf.multiple_included ? "inclus" : (naf.multiple > 1 ? "laissés" : "laissé") +
            " de côté (liste à l'aperçu)");
        }
      }
      var start = $("#start-estimate");
      if (start) start.textContent = d.start || "";
    }
    var mapFigure = $("figure[data-carte]:not([data-carte=''])"), mapUrl = null;
    function mapQuery() {
      var query = new URLSearchParams(params());
      query.delete("text");
      query.delete("expires_hours");
      return mapFigure.getAttribute("data-carte") + "?" + query.toString();
    }
    function refreshMap() {
      var url = mapQuery();
      if (url === mapUrl) return;            // typing the text leaves the map alone
      mapUrl = url;
      swapMap(mapFigure, url, function () { return mapUrl === url; });
    }
    if (mapFigure) mapUrl = mapQuery();      // the server drew the map of the fields as they are
    function refresh() {
      var mine = ++seq;
      getJSON(form.getAttribute("data-preview") + "?" + params(), function (d) { if (mine === seq) show(d); });
      if (mapFigure) refreshMap();
    }
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 250); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    if (button) {
      button.addEventListener("click", function (ev) {
        if (last && last.transliterated !== null) {
          ev.preventDefault();
          text.value = last.transliterated;
          refresh();
        }
      });
    }
    refresh();
  }

  /* --- dashboard: modems, heartbeat, queue, alerts in progress ------------------------------------- */
  function renderAlertProgress(a) {
    var div = el("div", "alert-progress");
    var link = el("a", null, "Alerte n° " + a.id);
    link.href = "/alertes/" + a.id;
    div.appendChild(link);
    div.appendChild(document.createTextNode(" — "));
    div.appendChild(el("span", "excerpt", a.text.slice(0, 80)));
    var bar = el("progress");
    bar.max = a.total || 1; bar.value = a.done;
    div.appendChild(bar);
    div.appendChild(el("small", null, plural(a.delivered, "délivré") + ", " + plural(a.sent, "envoyé") + ", " +
      a.waiting + " en attente, " + plural(a.failed, "échec") + " sur " + a.total));
    return div;
  }

  function renderStuck(g) {
    var div = el("div", "stuck stuck-" + g.kind), p = el("p"), ul = el("ul");
    p.appendChild(el("strong", null, g.count_label));
    p.appendChild(document.createTextNode(" — " + g.reason));
    div.appendChild(p);
    g.examples.forEach(function (m) {
      var li = el("li", null, m.phone_label);
      if (m.alert_id) {
        var a = el("a", null, "alerte n° " + m.alert_id);
        a.href = "/alertes/" + m.alert_id;
        li.appendChild(document.createTextNode(" ("));
        li.appendChild(a);
        li.appendChild(document.createTextNode(")"));
      }
      li.appendChild(document.createTextNode(" — depuis " + m.since_label +
        (g.kind === "retry" ? " — prochain essai le " + m.next_label : "")));
      ul.appendChild(li);
    });
    if (g.count > g.examples.length) ul.appendChild(el("li", null, "… et " + plural(g.count - g.examples.length, "autre")));
    div.appendChild(ul);
    return div;
  }

  function initDashboard(box) {
    poll(box.getAttribute("data-url"), function (d) {
      var warn = $("#daemon-warning");
      warn.textContent = d.daemon.message;
      warn.classList.toggle("hidden", d.daemon.ok);
      var clockWarn = $("#clock-warning");
      if (clockWarn) {
        clockWarn.textContent = d.clock_warning || "";
        clockWarn.classList.toggle("hidden", !d.clock_warning);
      }
      var sendWarn = $("#send-warning");
      if (sendWarn) {
        sendWarn.textContent = d.daemon.ok ? d.cannot_send : "";
        sendWarn.classList.toggle("hidden", !d.daemon.ok || d.can_send);
      }
      var stuck = $("#stuck-groups");
      if (stuck && d.stuck) {
        stuck.textContent = "";
        if (!d.stuck.length) stuck.appendChild(el("p", null, "Aucun message bloqué."));
        d.stuck.forEach(function (g) { stuck.appendChild(renderStuck(g)); });
      }
      $("#queue-depth").textContent = d.queue_depth;
      $("#queue-delivered").textContent = d.queue.delivered;
      $("#queue-failed").textContent = d.queue.failed;
      $("#queue-retry").textContent = d.queue.retry_wait;
      var rows = $("#modem-rows");
      if (rows && d.modems.length) {
        rows.textContent = "";
        d.modems.forEach(function (m) {
          var tr = el("tr", "modem-" + m.state), td = el("td");
          tr.appendChild(el("td", null, m.name));
          td.appendChild(el("span", "badge state-" + m.state, m.state_label));
          if (m.last_error) { td.appendChild(el("br")); td.appendChild(el("small", "muted", m.last_error)); }
          tr.appendChild(td);
          tr.appendChild(el("td", null, m.signal_label));
          tr.appendChild(el("td", null, m.operator || "—"));
          tr.appendChild(el("td", null, m.last_contact_label));
          rows.appendChild(tr);
        });
      }
      var list = $("#active-alerts");
      list.textContent = "";
      if (!d.alerts.length) list.appendChild(el("p", null, "Aucune alerte en cours d'envoi."));
      d.alerts.forEach(function (a) { list.appendChild(renderAlertProgress(a)); });
      if (d.reports) renderReports(d.reports, d.unread);
      showUnread(d.unread);
    }, 2000);
  }

  /* the latest reports, members' and unknown senders', newest first; one that came since the page
     was opened is highlighted */
  var seenReports = null;
  function renderReports(reports, unread) {
    var ul = $("#report-list");
    if (!ul) return;
    if (seenReports === null) {
      seenReports = {};
      each(ul.querySelectorAll("li[data-id]"), function (li) { seenReports[li.getAttribute("data-id")] = true; });
    }
    ul.textContent = "";
    reports.forEach(function (r) {
      var li = el("li", "report kind-" + r.kind + (r.treated ? " treated" : ""));
      li.setAttribute("data-id", r.id);
      if (!seenReports[r.id]) { li.classList.add("new"); }
      li.appendChild(el("strong", null, r.received_label));
      li.appendChild(document.createTextNode(" — "));
      li.appendChild(el("span", "phone", r.phone_label));
      if (r.member_id) {
        var a = el("a", null, r.member);
        a.href = "/adherents/" + r.member_id;
        li.appendChild(document.createTextNode(" ("));
        li.appendChild(a);
        li.appendChild(document.createTextNode(")"));
      } else {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "badge kind-unknown", "numéro inconnu"));
      }
      li.appendChild(document.createTextNode(" : "));
      li.appendChild(el("q", null, r.text));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "badge " + (r.treated ? "state-delivered" : "state-queued"), r.treated ? "traité" : "à traiter"));
      li.appendChild(document.createTextNode(" "));
      var open = el("a", null, "Ouvrir");
      open.href = "/messages/" + r.id;
      li.appendChild(open);
      ul.appendChild(li);
    });
    var empty = $("#reports-empty");
    if (empty) empty.classList.toggle("hidden", reports.length > 0);
    var badge = $("#reports-unread");
    if (badge && typeof unread === "number") {
      badge.textContent = unread + " à traiter";
      badge.classList.toggle("hidden", !unread);
    }
  }

  /* --- every page: the menu's unread counter, the panic-button banner --------------------------- */
  function showUnread(n) {
    var span = $("#inbox-unread");
    if (!span || typeof n !== "number") return;
    span.textContent = " (" + n + ")";
    span.setAttribute("data-unread", n);
    span.classList.toggle("hidden", !n);
  }

  var clockSkew = 0;      // server time minus this browser's, so the elapsed time is the box's
  function elapsedLabel(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + " s";
    var m = Math.floor(seconds / 60), s = seconds % 60;
    if (m < 60) return m + " min " + (s < 10 ? "0" : "") + s + " s";
    var h = Math.floor(m / 60); m = m % 60;
    return h + " h " + (m < 10 ? "0" : "") + m + " min";
  }
  function tickBanners() {
    var now = Date.now() / 1000 + clockSkew;
    each(document.querySelectorAll(".panic-banner.running"), function (b) {
      var span = $(".panic-elapsed", b);
      if (span) span.textContent = "il y a " + elapsedLabel(now - parseFloat(b.getAttribute("data-started")));
    });
  }
  function renderPanic(a, now) {
    var box = el("section", "panic-banner " + (a.running ? "running" : "ended"));
    box.setAttribute("role", "alert");
    box.setAttribute("data-alert", a.id);
    box.setAttribute("data-started", a.started_at);
    var title = el("p", "panic-title"), link = el("a", null, "alerte n° " + a.id);
    link.href = "/alertes/" + a.id;
    title.appendChild(el("strong", null, a.running ? "ALERTE DU BOUTON EN COURS" : "Alerte du bouton terminée"));
    title.appendChild(document.createTextNode(" — "));
    title.appendChild(link);
    title.appendChild(document.createTextNode(" déclenchée par le "));
    title.appendChild(el("span", "panic-author", a.author));
    if (a.running) {
      title.appendChild(document.createTextNode(" le " + a.started_label + " ("));
      title.appendChild(el("span", "panic-elapsed", "il y a " + elapsedLabel(now - a.started_at)));
      title.appendChild(document.createTextNode(")"));
    } else {
      title.appendChild(document.createTextNode(" le " + a.started_label + " · terminée le " + a.completed_label));
    }
    box.appendChild(title);
    var bar = el("progress", "panic-progress");
    bar.max = a.total || 1; bar.value = a.done;
    box.appendChild(bar);
    box.appendChild(el("p", "panic-counts", a.progress_label));
    return box;
  }
  function initLive(body) {
    var url = body.getAttribute("data-live");
    var first = $(".panic-banner[data-now]");
    if (first) clockSkew = parseFloat(first.getAttribute("data-now")) - Date.now() / 1000;
    setInterval(tickBanners, 1000);
    poll(url, function (d) {
      clockSkew = d.now - Date.now() / 1000;
      showUnread(d.unread);
      var box = $("#panic-banners");
      if (!box) return;
      box.textContent = "";
      d.panic.forEach(function (a) { box.appendChild(renderPanic(a, d.now)); });
    }, 3000);
  }

  /* --- one alert: counts and per-recipient states, refreshed incrementally ------------------------ */
  function renderRecipient(r, ack) {
    var tr = el("tr"), td = el("td");
    tr.setAttribute("data-id", r.id);
    tr.setAttribute("data-state", r.state);
    tr.appendChild(el("td", "phone", r.phone_label));
    tr.appendChild(el("td", null, r.member));
    td.appendChild(el("span", "badge state-" + r.state, r.state_label));
    if (r.possible_duplicate) td.appendChild(document.createTextNode(" (doublon possible)"));
    tr.appendChild(td);
    tr.appendChild(el("td", null, r.attempts));
    tr.appendChild(el("td", null, r.sent_label));
    tr.appendChild(el("td", null, r.delivered_label));
    if (ack) tr.appendChild(el("td", "ack", r.ack_label));
    tr.appendChild(el("td", null, r.error));
    return tr;
  }

  function initAlert(box) {
    var base = box.getAttribute("data-url"), cursor = box.getAttribute("data-depuis") || "",
        filter = box.getAttribute("data-etat") || "", size = parseInt(box.getAttribute("data-page-size"), 10) || 200,
        ack = box.getAttribute("data-ack") === "1";
    function url() { return base + (cursor ? "&depuis=" + encodeURIComponent(cursor) : ""); }
    poll(url, function (d) {
      var s = d.summary, p = d.progress;
      var badge = $("#alert-state");
      badge.textContent = s.state_label || s.state;
      badge.className = "badge alert-" + s.state;
      var bar = $("#alert-progress");
      bar.max = p.total || 1; bar.value = p.done;
      Array.prototype.forEach.call(document.querySelectorAll("[data-count]"), function (node) {
        node.textContent = s.counts[node.getAttribute("data-count")] || 0;
      });
      $("#resend-button").disabled = !s.counts.failed;
      $("#cancel-button").disabled = !p.waiting;
      var map = $("#carte-alerte");
      if (map && d.carte) {
        each(map.querySelectorAll("path[data-insee]"), function (p) {
          var c = d.carte[p.getAttribute("data-insee")];
          if (!c) return;
          MAP_STATES.forEach(function (s) { p.classList.toggle(s, s === c.state); });
          p.removeAttribute("fill");
          var title = p.querySelector("title");
          if (title) title.textContent = c.title;
        });
      }
      var tbody = $("#recipient-rows");
      if (!d.incremental) {               /* the whole page of recipients */
        tbody.textContent = "";
        d.recipients.forEach(function (r) { tbody.appendChild(renderRecipient(r, ack)); });
        cursor = d.depuis;
        return;
      }
      if (!d.complete) { cursor = ""; return; }     /* too much changed: the next poll takes the whole page */
      d.changes.forEach(function (r) {
        var old = tbody.querySelector('tr[data-id="' + r.id + '"]'), tr = renderRecipient(r, ack);
        if (old) {
          if (old.getAttribute("data-state") !== r.state) tr.classList.add("changed");
          tbody.replaceChild(tr, old);
          return;
        }
        if (filter && r.state !== filter) return;
        if (tbody.children.length >= size) return;
        var after = null;
        each(tbody.children, function (row) {
          if (!after && parseInt(row.getAttribute("data-id"), 10) > r.id) after = row;
        });
        tr.classList.add("changed");
        tbody.insertBefore(tr, after);
      });
      cursor = d.depuis;
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var composer = $("#composer");
    if (composer) initComposer(composer);
    initTargeting(document);
    var dash = $("#live-status");
    if (dash) initDashboard(dash);
    if (document.body.getAttribute("data-live")) initLive(document.body);
    var alert = $("#alert-live");
    if (alert) initAlert(alert);
    each(document.querySelectorAll(".carte-zone[data-select]"), initZoneMap);
    each(document.querySelectorAll("[data-js-note]"), function (p) { p.classList.remove("hidden"); });
  });
})();
