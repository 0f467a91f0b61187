% rebase("base.tpl", title=title)
<h1>Zones</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<section class="card">
% if rows:
<table>
<thead><tr><th>Zone</th><th>Description</th><th>Communes</th></tr></thead>
<tbody>
% for z, names in rows:
<tr><td><a href="/zones/{{z.id}}">{{z.name}}</a></td><td>{{z.description}}</td>
<td>{{len(names)}} : <small>{{", ".join(names[:12])}}{{" …" if len(names) > 12 else ""}}</small></td></tr>
% end
</tbody>
</table>
% else:
<p>Aucune zone. Une zone regroupe des communes (« compagnie d'Argentan », « secteur de Flers ») pour cibler les alertes.</p>
% end
</section>
<section class="card narrow">
<h2>Nouvelle zone</h2>
<form method="post" action="/zones">
% include("zone_form.tpl")
<button type="submit" class="primary">Créer la zone</button>
</form>
</section>
