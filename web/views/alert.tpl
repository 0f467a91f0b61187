% rebase("base.tpl", title=title)
% s = summary
% p = progress
<h1>Alerte n° {{s['id']}} <span id="alert-state" class="badge alert-{{s['state']}}">{{s['state_label']}}</span></h1>
<div id="alert-live" data-url="/alertes/{{s['id']}}/etat.json?etat={{state_filter}}&amp;debut={{offset}}">
<section class="card">
<blockquote class="sms">{{s['text']}}</blockquote>
<p class="muted">Envoyée le {{fmt_time(s['created_at'])}} par {{s['author']}} ({{source_label(s['source'])}}) · {{s['targeting']}} ·
{{s['parts']}} SMS par destinataire ({{'GSM 7 bits' if s['encoding'] == 'gsm7' else 'Unicode'}})
% if s['preset']:
· modèle « {{s['preset']}} »
% end
% if s.get('expires_at'):
· valable jusqu'au {{fmt_time(s['expires_at'])}}
% end
</p>
<progress id="alert-progress" max="{{p['total'] or 1}}" value="{{p['done']}}"></progress>
<ul class="counts" id="alert-counts">
% for key, label in labels.items():
% if s['counts'].get(key, 0) or key in ('queued', 'sent', 'delivered', 'failed'):
<li class="state-{{key}}"><a href="/alertes/{{s['id']}}?etat={{key}}">{{label}}</a> : <strong data-count="{{key}}">{{s['counts'].get(key, 0)}}</strong></li>
% end
% end
<li><a href="/alertes/{{s['id']}}">tous</a> : <strong>{{p['total']}}</strong></li>
</ul>
<div class="buttons">
<form method="post" action="/alertes/{{s['id']}}/renvoyer" class="inline">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit" {{'' if s['counts'].get('failed') else 'disabled'}} id="resend-button">Renvoyer aux échecs</button>
</form>
<form method="post" action="/alertes/{{s['id']}}/annuler" class="inline">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit" class="danger" {{'' if p['waiting'] else 'disabled'}} id="cancel-button">Annuler le reste</button>
</form>
</div>
</section>

<section class="card">
<h2>Destinataires{{' — ' + labels.get(state_filter, state_filter) if state_filter else ''}}</h2>
<div class="table-wrap">
<table class="recipients">
<thead><tr><th>Téléphone</th><th>Adhérent</th><th>État</th><th>Essais</th><th>Envoyé</th><th>Délivré</th><th>Motif</th></tr></thead>
<tbody id="recipient-rows">
% for r in recipients:
<tr data-id="{{r['id']}}">
<td class="phone">{{phone(r['phone'])}}</td><td>{{r['member']}}</td>
<td><span class="badge state-{{r['state']}}">{{r['state_label']}}</span>{{' (doublon possible)' if r['possible_duplicate'] else ''}}</td>
<td>{{r['attempts']}}</td><td>{{r['sent_label']}}</td><td>{{r['delivered_label']}}</td><td>{{r['error']}}</td>
</tr>
% end
</tbody>
</table>
</div>
% include("pager.tpl", total=shown_total, offset=offset, size=page_size, base="/alertes/%d" % s['id'], params={'etat': state_filter} if state_filter else {})
</section>
</div>
