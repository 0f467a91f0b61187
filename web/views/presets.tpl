% rebase("base.tpl", title=title)
<h1>Modèles d'alerte</h1>
<p><a class="button primary" href="/modeles/nouveau">Nouveau modèle</a></p>
% if not any(p.name == panic_preset for p, _ in rows):
<p class="flash warn">Le bouton d'alerte envoie le modèle « {{panic_preset}} », qui n'existe pas encore : créez-le.</p>
% end
% if rows:
<table>
<thead><tr><th>Modèle</th><th>Texte</th><th>Destinataires</th><th>Priorité</th><th></th></tr></thead>
<tbody>
% for p, description in rows:
<tr><td><a href="/modeles/{{p.id}}">{{p.name}}</a>{{' (bouton d’alerte)' if p.name == panic_preset else ''}}</td>
<td class="excerpt">{{p.text}}</td><td><small>{{description}}</small></td><td>{{p.priority}}</td>
<td><a href="/alertes/nouvelle?modele={{p.name}}" class="button small">Utiliser</a></td></tr>
% end
</tbody>
</table>
% else:
<p>Aucun modèle.</p>
% end
