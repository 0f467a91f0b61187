% rebase("base.tpl", title=title)
<h1>Groupes de secteurs</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<section class="card">
% if rows:
<table>
<thead><tr><th>Groupe</th><th>Codes NAF</th><th>Adhérents actifs</th><th>Description</th></tr></thead>
<tbody>
% for g in rows:
<tr><td><a href="/secteurs/{{g.id}}">{{g.name}}</a></td>
<td><small>{{"; ".join(label(c) for c in g.codes.split())}}</small></td>
% n = counts.get(g.name)
<td class="sector-count">{{n["members"] if n else "—"}}
% if n:
<small class="muted">(NAF rév. 2 : {{n["rev2"]}}, NAF 2025 : {{n["naf_2025"]}}{{", %d par lien multiple" % n["multiple"] if n["multiple"] else ""}})</small>
% end
</td><td>{{g.description}}</td></tr>
% end
</tbody>
</table>
% else:
<p>Aucun groupe. Un groupe nomme un ensemble de codes NAF (« bijouteries » = 47.77Z) pour cibler les alertes.</p>
% end
</section>
<section class="card narrow">
<h2>Nouveau groupe</h2>
<form method="post" action="/secteurs">
% include("sector_form.tpl")
<button type="submit" class="primary">Créer le groupe</button>
</form>
</section>
