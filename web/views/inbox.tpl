% rebase("base.tpl", title=title)
<h1>Messages reçus</h1>
<nav class="tabs">
<a href="/messages" class="{{'active' if not kind and not follow else ''}}">Tous</a>
<a href="/messages?suivi=a-traiter" id="tab-todo" class="{{'active' if follow == 'a-traiter' else ''}}">À traiter{{' (%d)' % live['unread'] if live['unread'] else ''}}</a>
% for key, label in (("incident", "Signalements"), ("unknown", "Numéros inconnus"), ("stop", "Désinscriptions (STOP)"), ("start", "Réinscriptions (START)")):
<a href="/messages?type={{key}}" class="{{'active' if kind == key and not follow else ''}}">{{label}}</a>
% end
</nav>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
% if rows:
<div class="table-wrap">
<table class="inbox">
<thead><tr><th>Reçu le</th><th>De</th><th>Adhérent</th><th>Type</th><th>Message</th><th>Suivi</th></tr></thead>
<tbody>
% for s in rows:
% report = s['kind'] in ('incident', 'unknown')
<tr data-id="{{s['id']}}" class="kind-{{s['kind'] or 'pending'}}{{' treated' if s['treated'] else ''}}"><td>{{fmt_time(s['received_at'])}}</td><td class="phone">{{phone(s['phone'])}}</td>
<td>
% if s['member_id']:
<a href="/adherents/{{s['member_id']}}">{{s['member']}}</a>
% else:
<span class="muted">—</span>
% end
</td><td><span class="badge kind-{{s['kind'] or 'pending'}}">{{s['kind_label']}}</span></td>
<td class="sms-text">{{s['text']}}</td>
<td class="follow-up">
% if report:
% if s['treated']:
<span class="badge state-delivered">traité</span> <small class="muted">par {{s['treated_by']}}</small>
% else:
<span class="badge state-queued">à traiter</span>
% end
% if s['replies']:
<small class="muted">· {{plural(s['replies'], 'réponse envoyée', 'réponses envoyées')}}</small>
% end
<br><a href="/messages/{{s['id']}}">Répondre</a>
<form method="post" action="/messages/{{s['id']}}/traite" class="inline">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="traite" value="{{'0' if s['treated'] else '1'}}">
<input type="hidden" name="retour" value="{{back}}">
<button type="submit" class="link mark-treated">{{'Rouvrir' if s['treated'] else 'Marquer traité'}}</button>
</form>
% end
</td></tr>
% end
</tbody>
</table>
</div>
% include("pager.tpl", total=total, offset=offset, size=page_size, base="/messages", params=params)
% else:
<p>Aucun message.</p>
% end
