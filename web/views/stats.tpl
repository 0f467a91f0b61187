% rebase("base.tpl", title=title)
% from urllib.parse import urlencode
% def delay(s):
%   return '—' if s is None else fmt_duration(s)
% end
<h1>Statistiques <span class="muted print-only">— Vigientreprise, groupement de gendarmerie de l'Orne</span></h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<form method="get" action="/statistiques" class="filters no-print">
  <label>Du <input type="date" name="du" value="{{data['from']}}"></label>
  <label>Au <input type="date" name="au" value="{{data['to']}}"></label>
  <button type="submit">Afficher</button>
  <a href="/statistiques.csv?{{urlencode({'du': data['from'], 'au': data['to']})}}" id="stats-csv">Télécharger le bilan (CSV)</a>
  <button type="button" class="print-button" data-print>Imprimer le bilan</button>
</form>
<p id="stats-period">Période du {{data['from'][8:10]}}/{{data['from'][5:7]}}/{{data['from'][:4]}} au {{data['to'][8:10]}}/{{data['to'][5:7]}}/{{data['to'][:4]}} (heure de Paris).</p>

% for key, heading in (("real", "Alertes"), ("exercises", "Exercices (comptés à part)")):
% b = data[key]
<section class="card stats-block" id="stats-{{key}}">
<h2>{{heading}}</h2>
<ul class="figures">
<li><strong>{{b['alerts']}}</strong> {{'alerte' if b['alerts'] <= 1 else 'alertes'}}{{(' (dont %d par le bouton d’alerte)' % b['from_button']) if b['from_button'] else ''}}</li>
<li><strong>{{b['messages']}}</strong> {{'message' if b['messages'] <= 1 else 'messages'}}, <strong>{{b['delivered']}}</strong> {{'délivré' if b['delivered'] <= 1 else 'délivrés'}}</li>
<li>Taux de remise : <strong data-figure="delivery_rate">{{percent(b['delivery_rate'])}}</strong></li>
<li>Délai jusqu'à la remise : médiane {{delay(b['time_to_delivered_median_s'])}}, 95 % en moins de {{delay(b['time_to_delivered_p95_s'])}}</li>
<li>Temps pour atteindre tout le monde (médiane par alerte) : {{delay(b['time_to_reach_everyone_median_s'])}}</li>
% if b['acknowledgements_asked']:
<li>Accusés de lecture : <strong>{{b['acknowledged']}}</strong> sur {{b['acknowledgements_asked']}}, délai médian {{delay(b['ack_median_s'])}}, 95 % en moins de {{delay(b['ack_p95_s'])}}</li>
% end
</ul>
% if b['per_month']:
<div class="table-wrap"><table class="stats-months">
<thead><tr><th>Mois</th><th>Alertes</th><th>Destinataires</th></tr></thead>
<tbody>
% for m in b['per_month']:
<tr><td>{{m['label']}}</td><td>{{m['alerts']}}</td><td>{{m['recipients']}}</td></tr>
% end
</tbody></table></div>
% end
% if b['failures_by_reason']:
<h3>Échecs par motif</h3>
<div class="table-wrap"><table class="stats-failures"><tbody>
% for f in b['failures_by_reason']:
<tr><td>{{f['reason']}}</td><td>{{f['count']}}</td></tr>
% end
</tbody></table></div>
% end
</section>
% end

<section class="card" id="stats-members">
<h2>Adhérents</h2>
<p><strong>{{data['members']['active']}}</strong> {{'adhérent actif' if data['members']['active'] <= 1 else 'adhérents actifs'}} · désinscriptions (STOP) : {{data['opt_outs']['in_period']}} dans la période, {{data['opt_outs']['total']}} au total</p>
<div class="stats-grid">
<div class="table-wrap"><table><caption>Par chambre consulaire</caption><tbody>
% for c in data['members']['by_chamber']:
<tr><td>{{c['label']}}</td><td>{{c['members']}}</td></tr>
% end
</tbody></table></div>
<div class="table-wrap"><table><caption>Par groupe de secteurs</caption><tbody>
% for s in data['members']['by_sector_group']:
<tr><td>{{s['sector']}}</td><td>{{s['members']}}</td></tr>
% end
</tbody></table></div>
<div class="table-wrap"><table><caption>Par arrondissement</caption><tbody>
% for a in data['members']['by_area']:
<tr><td>{{a['area']}}</td><td>{{a['members']}}</td></tr>
% end
</tbody></table></div>
</div>
</section>
