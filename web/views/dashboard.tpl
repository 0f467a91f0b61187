% rebase("base.tpl", title=title)
<h1>Tableau de bord</h1>
<div id="live-status" data-url="/etat.json">
<p id="daemon-warning" class="flash error big{{'' if not status['daemon']['ok'] else ' hidden'}}" role="alert">{{status['daemon']['message']}}</p>
% if status.get('storage'):
<p id="storage-warning" class="flash error big" role="alert">{{status['storage']}}</p>
% end

<p id="clock-warning" class="flash warn{{'' if status['clock_warning'] else ' hidden'}}" role="alert">{{status['clock_warning']}}</p>

<p id="send-warning" class="flash error big{{'' if status['daemon']['ok'] and status['cannot_send'] else ' hidden'}}" role="alert">{{status['cannot_send'] if status['daemon']['ok'] else ''}}</p>

<div class="columns">
<section class="card">
<h2>Modems</h2>
<div class="table-wrap">
<table class="modems">
<thead><tr><th>Modem</th><th>État</th><th>Signal</th><th>Opérateur</th><th>Dernier contact</th></tr></thead>
<tbody id="modem-rows">
% for m in status['modems']:
<tr class="modem-{{m['state']}}"><td>{{m['name']}}</td><td><span class="badge state-{{m['state']}}">{{m['state_label']}}</span>
% if m['last_error']:
<br><small class="muted">{{m['last_error']}}</small>
% end
</td><td>{{m['signal_label']}}</td><td>{{m['operator'] or '—'}}</td><td>{{m['last_contact_label']}}</td></tr>
% end
% if not status['modems']:
<tr><td colspan="5">Aucun modem n'a encore été vu par le service d'envoi.</td></tr>
% end
</tbody>
</table>
</div>
</section>

<section class="card">
<h2>File d'envoi</h2>
<p class="big-number"><span id="queue-depth">{{status['queue_depth']}}</span> <small>SMS en attente ou en cours</small></p>
<p class="muted">Délivrés : <span id="queue-delivered">{{status['queue']['delivered']}}</span> ·
 Échecs : <span id="queue-failed">{{status['queue']['failed']}}</span> ·
 Nouvel essai prévu : <span id="queue-retry">{{status['queue']['retry_wait']}}</span></p>
</section>
</div>

<section class="card" id="stuck-messages">
<h2>Messages bloqués</h2>
<div id="stuck-groups">
% if status['stuck']:
% for g in status['stuck']:
<div class="stuck stuck-{{g['kind']}}">
<p><strong>{{g['count_label']}}</strong> — {{g['reason']}}</p>
<ul>
% for m in g['examples']:
<li>{{m['phone_label']}}
% if m['alert_id']:
 (<a href="/alertes/{{m['alert_id']}}">alerte n° {{m['alert_id']}}</a>)
% end
 — depuis {{m['since_label']}}
% if g['kind'] == 'retry':
 — prochain essai le {{m['next_label']}}
% end
</li>
% end
% if g['count'] > len(g['examples']):
<li>… et {{plural(g['count'] - len(g['examples']), 'autre')}}</li>
% end
</ul>
</div>
% end
% else:
<p>Aucun message bloqué.</p>
% end
</div>
</section>

% if status['transports']:
<section class="card" id="quotas">
<h2>Quotas des moyens d'envoi</h2>
<div class="table-wrap">
<table class="quotas">
<thead><tr><th>Moyen d'envoi</th><th>Priorité</th><th>Par minute</th><th>Par heure</th><th>Aujourd'hui</th><th>Ce mois-ci</th><th>Destinataires ce mois-ci</th></tr></thead>
<tbody>
% for t in status['transports']:
<tr data-transport="{{t['name']}}"><td>{{t['kind_label']}} {{t['name']}}</td><td>{{t['priority']}}</td>
% for c in t['quota_cells']:
<td data-window="{{c['window']}}"{{!' class="quota-full"' if c['full'] else ''}}>{{c['label']}}{{' (plafond atteint)' if c['full'] else ''}}</td>
% end
</tr>
% end
</tbody>
</table>
</div>
</section>
% end

<section class="card">
<h2>Alertes en cours</h2>
<div id="active-alerts">
% if status['alerts']:
% for a in status['alerts']:
<div class="alert-progress">
  <a href="/alertes/{{a['id']}}">Alerte n° {{a['id']}}</a> — <span class="excerpt">{{a['text'][:80]}}</span>
  <progress max="{{a['total'] or 1}}" value="{{a['done']}}">{{a['done']}} / {{a['total']}}</progress>
  <small>{{plural(a['delivered'], 'délivré')}}, {{plural(a['sent'], 'envoyé')}}, {{a['waiting']}} en attente, {{plural(a['failed'], 'échec')}} sur {{a['total']}}</small>
</div>
% end
% else:
<p>Aucune alerte en cours d'envoi.</p>
% end
</div>
</section>
</div>

<section class="card" id="reports">
<h2>Derniers signalements reçus <span id="reports-unread" class="badge unread-badge{{'' if live['unread'] else ' hidden'}}">{{plural(live['unread'] or 0, 'à traiter', 'à traiter')}}</span></h2>
<ul class="incidents" id="report-list">
% for r in reports:
<li data-id="{{r['id']}}" class="report kind-{{r['kind']}}{{' treated' if r['treated'] else ''}}"><strong>{{fmt_short(r['received_at'])}}</strong> — <span class="phone">{{phone(r['phone'])}}</span>
% if r['member_id']:
 (<a href="/adherents/{{r['member_id']}}">{{r['member']}}</a>)
% else:
 <span class="badge kind-unknown">numéro inconnu</span>
% end
 : <q>{{r['text']}}</q> <span class="badge {{'state-delivered' if r['treated'] else 'state-queued'}}">{{'traité' if r['treated'] else 'à traiter'}}</span> <a href="/messages/{{r['id']}}">Ouvrir</a></li>
% end
</ul>
<p id="reports-empty" class="{{'hidden' if reports else ''}}">Aucun signalement reçu.</p>
% if incidents:
% include("carte.tpl", svg=carte_svg, legend=[("signalement", "signalements, à la commune de l'adhérent")])
% end
<p><a href="/messages">Tous les messages reçus</a></p>
</section>
