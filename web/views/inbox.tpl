% rebase("base.tpl", title=title)
<h1>Messages reçus</h1>
<nav class="tabs">
<a href="/messages" class="{{'active' if not kind else ''}}">Tous</a>
% for key, label in (("incident", "Signalements"), ("stop", "Désinscriptions (STOP)"), ("start", "Réinscriptions (START)"), ("unknown", "Numéros inconnus")):
<a href="/messages?type={{key}}" class="{{'active' if kind == key else ''}}">{{label}}</a>
% end
</nav>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
% if rows:
<table class="inbox">
<thead><tr><th>Reçu le</th><th>De</th><th>Adhérent</th><th>Type</th><th>Message</th></tr></thead>
<tbody>
% for s in rows:
<tr class="kind-{{s['kind'] or 'pending'}}"><td>{{fmt_time(s['received_at'])}}</td><td class="phone">{{phone(s['phone'])}}</td>
<td>{{s['member']}}</td><td><span class="badge kind-{{s['kind'] or 'pending'}}">{{s['kind_label']}}</span></td>
<td class="sms-text">{{s['text']}}</td></tr>
% end
</tbody>
</table>
% include("pager.tpl", total=total, offset=offset, size=page_size, base="/messages", params={'type': kind} if kind else {})
% else:
<p>Aucun message.</p>
% end
