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
      getJSON(url, onData, lost).then(function () { if (!stopped) timer = setTimeout(tick, everyMs); });
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
    }, 2000);
  }

  /* --- one alert: counts and per-recipient states ---------------------------------------------- */
  function initAlert(box) {
    poll(box.getAttribute("data-url"), function (d) {
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
      tbody.textContent = "";
      d.recipients.forEach(function (r) {
        var tr = el("tr"), td = el("td");
        tr.setAttribute("data-id", r.id);
        tr.appendChild(el("td", "phone", r.phone_label));
        tr.appendChild(el("td", null, r.member));
        td.appendChild(el("span", "badge state-" + r.state, r.state_label));
        if (r.possible_duplicate) td.appendChild(document.createTextNode(" (doublon possible)"));
        tr.appendChild(td);
        tr.appendChild(el("td", null, r.attempts));
        tr.appendChild(el("td", null, r.sent_label));
        tr.appendChild(el("td", null, r.delivered_label));
        tr.appendChild(el("td", null, r.error));
        tbody.appendChild(tr);
      });
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var composer = $("#composer");
    if (composer) initComposer(composer);
    initTargeting(document);
    var dash = $("#live-status");
    if (dash) initDashboard(dash);
    var alert = $("#alert-live");
    if (alert) initAlert(alert);
    each(document.querySelectorAll(".carte-zone[data-select]"), initZoneMap);
    each(document.querySelectorAll("[data-js-note]"), function (p) { p.classList.remove("hidden"); });
  });
})();
