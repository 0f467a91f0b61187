% rebase("base.tpl", title=title)
% s = summary
% p = progress
<h1>Alerte n° {{s['id']}} <span id="alert-state" class="badge alert-{{s['state']}}">{{s['state_label']}}</span>
% if s.get('exercise'):
<span class="badge exercise" id="exercise-badge">EXERCICE</span>
% end
% if s['source'] == 'button':
<span class="badge panic-source" id="button-badge">BOUTON D'ALERTE</span>
% end
</h1>
<div id="alert-live" data-url="/alertes/{{s['id']}}/etat.json?etat={{state_filter}}&amp;debut={{offset}}" data-depuis="{{depuis}}" data-etat="{{state_filter}}" data-page-size="{{page_size}}" data-ack="{{'1' if s.get('ack') else '0'}}">
<section class="card">
<blockquote class="sms">{{s['text']}}</blockquote>
<p class="muted">Envoyée le {{fmt_time(s['created_at'])}} par {{author_label(s['author'], s['source'])}} · {{s['targeting']}} ·
{{s['parts']}} SMS par destinataire ({{'GSM 7 bits' if s['encoding'] == 'gsm7' else 'Unicode'}})
% if s['preset']:
· modèle « {{s['preset']}} »
% end
% if s.get('expires_at'):
· valable jusqu'au {{fmt_time(s['expires_at'])}}
% end
</p>
% if s['state'] == 'scheduled':
<p class="flash warn" id="scheduled-line">Départ programmé le {{fmt_paris(s['start_at'])}}{{'' if s.get('urgent', True) else ' (non urgente : après les heures calmes)'}}. Rien n'est parti ; l'alerte peut encore être modifiée ou annulée.</p>
<form method="post" action="/alertes/{{s['id']}}/modifier" class="card" id="reschedule-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="new-text">Texte</label>
<textarea id="new-text" name="text" rows="3">{{s['text']}}</textarea>
<label for="new-send-at">Départ (heure de Paris)</label>
<input id="new-send-at" name="send_at" type="datetime-local" value="{{paris_input(s['start_at'])}}">
<div class="buttons"><button type="submit">Enregistrer les modifications</button></div>
</form>
% end
% if s.get('ack'):
<p id="ack-line"><strong>Accusés de lecture : {{s['acknowledged']}} OK</strong> · {{s['not_acknowledged']}} sans réponse{{(' · délai médian ' + fmt_duration(s['ack_median_seconds'])) if s.get('ack_median_seconds') is not None else ''}}{{(' · 95 % en moins de ' + fmt_duration(s['ack_p95_seconds'])) if s.get('ack_p95_seconds') is not None else ''}}</p>
% end
<progress id="alert-progress" class="state-{{s['state']}}" max="{{p['total'] or 1}}" value="{{p['done']}}"></progress>
% if s['state'] == 'cancelled':
<p class="flash warn" id="cancelled-line">Alerte annulée : {{plural(p['cancelled'], 'message n’est pas parti', 'messages ne sont pas partis')}}.</p>
% end
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
<button type="submit" class="danger" {{'' if p['waiting'] or s['state'] == 'scheduled' else 'disabled'}} id="cancel-button">{{'Annuler l’alerte programmée' if s['state'] == 'scheduled' else 'Annuler le reste'}}</button>
</form>
</div>
</section>

<section class="card">
<h2>Diffusion par commune</h2>
% include("carte.tpl", svg=carte_svg, legend=[("livre", "tout délivré"), ("en-cours", "envoi en cours"), ("echec", "échec")], note="Couleur d'une commune selon ses messages : un envoi en cours l'emporte sur un échec.")
</section>

<section class="card">
<h2>Destinataires{{' — ' + labels.get(state_filter, state_filter) if state_filter else ''}}</h2>
<div class="table-wrap">
<table class="recipients">
<thead><tr><th>Téléphone</th><th>Adhérent</th><th>État</th><th>Essais</th><th>Envoyé</th><th>Délivré</th>{{!'<th>Lu (OK)</th>' if s.get('ack') else ''}}<th>Motif</th></tr></thead>
<tbody id="recipient-rows">
% for r in recipients:
<tr data-id="{{r['id']}}" data-state="{{r['state']}}">
<td class="phone">{{phone(r['phone'])}}</td><td>{{r['member']}}</td>
<td><span class="badge state-{{r['state']}}">{{r['state_label']}}</span>{{' (doublon possible)' if r['possible_duplicate'] else ''}}</td>
<td>{{r['attempts']}}</td><td>{{r['sent_label']}}</td><td>{{r['delivered_label']}}</td>
% if s.get('ack'):
<td class="ack">{{r['ack_label']}}</td>
% end
<td>{{r['error']}}</td>
</tr>
% end
</tbody>
</table>
</div>
% include("pager.tpl", total=shown_total, offset=offset, size=page_size, base="/alertes/%d" % s['id'], params={'etat': state_filter} if state_filter else {})
</section>
</div>
