% rebase("base.tpl", title=title)
<h1>Alertes</h1>
<p><a class="button primary" href="/alertes/nouvelle">Nouvelle alerte</a></p>
% if rows:
<table class="alerts">
<thead><tr><th>N°</th><th>Date</th><th>Texte</th><th>Destinataires</th><th>Avancement</th><th>État</th><th>Auteur</th></tr></thead>
<tbody>
% for a in rows:
% p = a['progress']
<tr>
<td><a href="/alertes/{{a['id']}}">{{a['id']}}</a></td>
<td>{{fmt_short(a['created_at'])}}</td>
<td class="excerpt"><a href="/alertes/{{a['id']}}">{{a['text'][:90]}}</a><br><small class="muted">{{a['targeting']}}</small></td>
<td>{{a['recipient_count']}}</td>
<td><progress class="state-{{p['state']}}" max="{{p['total'] or 1}}" value="{{p['done']}}"></progress><br><small>{{plural(p['delivered'], 'délivré')}}, {{plural(p['failed'], 'échec')}}{{(', ' + plural(p['cancelled'], 'annulé')) if p['cancelled'] else ''}}</small></td>
<td><span class="badge alert-{{a['state']}}">{{a['state_label']}}</span></td>
% if a['source'] == 'button':
<td><strong class="panic-source">bouton d'alerte</strong></td>
% else:
<td>{{a['author']}} <small class="muted">({{source_label(a['source'])}})</small></td>
% end
</tr>
% end
</tbody>
</table>
% include("pager.tpl", total=total, offset=offset, size=page_size, base="/alertes", params={})
% else:
<p>Aucune alerte envoyée pour l'instant.</p>
% end
