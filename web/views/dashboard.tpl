% rebase("base.tpl", title=title)
<h1>Tableau de bord</h1>
<div id="live-status" data-url="/etat.json">
<p id="daemon-warning" class="flash error big{{'' if not status['daemon']['ok'] else ' hidden'}}" role="alert">{{status['daemon']['message']}}</p>

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

<section class="card">
<h2>Derniers signalements reçus</h2>
% if incidents:
<ul class="incidents">
% for sms in incidents:
<li><strong>{{fmt_short(sms['received_at'])}}</strong> — {{phone(sms['phone'])}}
% if sms.get('member'):
 ({{sms['member']}})
% end
 : <q>{{sms['text']}}</q></li>
% end
</ul>
% include("carte.tpl", svg=carte_svg, legend=[("signalement", "signalements, à la commune de l'adhérent")])
<p><a href="/messages">Tous les messages reçus</a></p>
% else:
<p>Aucun signalement reçu.</p>
% end
</section>
