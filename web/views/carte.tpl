% # The map of the Orne (web/carte.py). ``svg`` is the renderer's own markup: every name in it is
% # escaped there. Optional: legend [(class, label)], data_src (live URL), note, js_note (shown by
% # app.js only: what needs JavaScript), rows [(commune, n)].
<figure class="carte-figure" data-carte="{{get('data_src', '')}}">
{{!svg}}
<figcaption>
% if get("legend"):
<ul class="legende">
% for cls, text in legend:
<li><span class="pastille {{cls}}"></span> {{text}}</li>
% end
</ul>
% end
% if get("note"):
<p class="muted">{{note}}</p>
% end
% if get("js_note"):
<p class="muted hidden" data-js-note>{{js_note}}</p>
% end
<small class="muted">Contours des communes : IGN — GEOFLA® 2016, Licence Ouverte ; codes et noms : Insee, COG 2026 ; points des communes : © La Poste, ODbL.</small>
</figcaption>
</figure>
% if get("rows"):
<details class="carte-rows"><summary>Destinataires par commune ({{len(rows)}})</summary>
<table><thead><tr><th>Commune</th><th>Destinataires</th></tr></thead><tbody>
% for name, n in rows:
<tr><td>{{name}}</td><td>{{n}}</td></tr>
% end
</tbody></table></details>
% end
