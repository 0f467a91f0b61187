% rebase("base.tpl", title=title)
<h1>Confirmer l'alerte</h1>
% if get("error"):
<p class="flash error" role="alert">{{error}}</p>
% end
% if get("quota_warning"):
<p class="flash warn" id="quota-warning" role="alert">{{quota_warning}}</p>
% end
% if get("warning"):
<p class="flash error big" role="alert" id="send-warning"><strong>Attention : rien ne peut partir maintenant.</strong> {{warning}}</p>
% end
<section class="card confirm">
% if draft.exercise:
<p class="badge exercise" id="exercise-badge">EXERCICE</p>
% end
<p class="confirm-line"><strong id="confirm-count">{{preview.count}} téléphone{{'s' if preview.count > 1 else ''}} recevr{{'ont' if preview.count > 1 else 'a'}} ce message de {{draft.parts}} SMS</strong></p>
<blockquote class="sms" id="sample-text">{{draft.sample_text}}</blockquote>
% if draft.sample_text != draft.text:
<p class="muted">Texte du premier destinataire ; modèle : « {{draft.text}} ». Le nombre de SMS compte le texte le plus long.</p>
% end
<ul>
<li id="start-line">Départ : {{start_label}}</li>
<li>Destinataires : {{description}}</li>
<li>{{preview.sms_total}} SMS au total ({{'GSM 7 bits' if preview.encoding == 'gsm7' else 'Unicode'}}, {{preview.chars}} caractères)</li>
<li>Durée d'envoi estimée : {{estimate}}</li>
</ul>
% include("carte.tpl", svg=carte["svg"], rows=carte["rows"], legend=[("cible", "communes de la zone visée"), ("destinataires", "communes où des adhérents recevront l'alerte"), ("rayon", "rayon"), ("centre", "commune centre")])
% c = preview.naf_correspondence or {}
% if c.get("total"):
<section class="naf-correspondence" id="naf-correspondence">
<h2>Correspondance NAF rév. 2 ↔ NAF 2025</h2>
<p>{{c["single"]}} adhérent{{'s' if c["single"] > 1 else ''}} atteint{{'s' if c["single"] > 1 else ''}} par un lien unique (inclus) ;
{{c["multiple"]}} par un lien « Multiple » ({{'inclus' if c["multiple_included"] else ('laissés de côté, sauf ceux choisis par leur SIRET' if c["multiple"] > 1 else 'laissé de côté, sauf s\'il est choisi par son SIRET')}}).</p>
% if c["multiple_members"]:
<table class="naf-multiple">
<thead><tr><th>Adhérent</th><th>SIRET</th><th>Code</th><th>Correspond à</th><th>Reçoit l'alerte</th></tr></thead>
<tbody>
% for m in c["multiple_members"]:
<tr><td>{{m["name"]}}</td><td>{{m["siret"] or ''}}</td><td>{{m["code"]}}</td><td>{{", ".join(m["counterparts"])}}</td><td>{{'oui' if m["included"] else 'non'}}</td></tr>
% end
</tbody>
</table>
<form method="post" action="/alertes/nouvelle" class="buttons">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input type="hidden" name="text" value="{{text}}">
  <input type="hidden" name="targeting" value="{{targeting_json}}">
  <input type="hidden" name="preset_name" value="{{preset_name}}">
  <input type="hidden" name="expires_hours" value="{{expires_hours}}">
  <input type="hidden" name="send_at" value="{{options['send_at']}}">
  <input type="hidden" name="non_urgent" value="{{'1' if options['non_urgent'] else ''}}">
  <input type="hidden" name="ack" value="{{'1' if options['ack'] else ''}}">
  <input type="hidden" name="exercise" value="{{'1' if options['exercise'] else ''}}">
% if c["multiple_included"]:
  <button type="submit" name="action" value="leave_multiple">{{'Les laisser de côté' if c["multiple"] > 1 else "Le laisser de côté"}}</button>
% else:
  <button type="submit" name="action" value="include_multiple">{{'Les inclure tous' if c["multiple"] > 1 else "L'inclure"}}</button>
% end
  <button type="submit" name="action" value="edit">Choisir un par un (Modifier)</button>
</form>
% end
</section>
% end
% if recipients:
<details><summary>Premiers destinataires</summary>
<ul class="recipients-preview">
% for r in recipients:
<li>{{r.member_name}} — {{r.commune}} — {{phone(r.phone)}}</li>
% end
% if preview.count > len(recipients):
<li>… et {{plural(preview.count - len(recipients), 'autre')}}</li>
% end
</ul></details>
% end
<form method="post" action="/alertes/envoyer" class="buttons">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input type="hidden" name="text" value="{{text}}">
  <input type="hidden" name="targeting" value="{{targeting_json}}">
  <input type="hidden" name="preset_name" value="{{preset_name}}">
  <input type="hidden" name="expires_hours" value="{{expires_hours}}">
  <input type="hidden" name="send_at" value="{{options['send_at']}}">
  <input type="hidden" name="non_urgent" value="{{'1' if options['non_urgent'] else ''}}">
  <input type="hidden" name="ack" value="{{'1' if options['ack'] else ''}}">
  <input type="hidden" name="exercise" value="{{'1' if options['exercise'] else ''}}">
  <input type="hidden" name="confirmed_count" value="{{preview.count}}">
  <input type="hidden" name="idempotency_key" value="{{idempotency_key}}">
% if get("warning"):
  <label class="second-confirmation"><input type="checkbox" name="send_anyway" value="1" required id="send-anyway">
  Mettre en file malgré tout : je sais qu'aucun SMS ne partira avant le retour d'un modem ou du service d'envoi.</label>
  <button type="submit" class="primary danger" id="send-button">{{'Programmer l’alerte malgré tout' if draft.start_at else 'Mettre l’alerte en file malgré tout'}}</button>
% else:
  <button type="submit" class="primary danger" id="send-button">{{'Programmer l’alerte' if draft.start_at else 'Envoyer l’alerte maintenant'}}</button>
% end
</form>
<form method="post" action="/alertes/nouvelle" class="buttons">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input type="hidden" name="text" value="{{text}}">
  <input type="hidden" name="targeting" value="{{targeting_json}}">
  <input type="hidden" name="preset_name" value="{{preset_name}}">
  <input type="hidden" name="expires_hours" value="{{expires_hours}}">
  <input type="hidden" name="send_at" value="{{options['send_at']}}">
  <input type="hidden" name="non_urgent" value="{{'1' if options['non_urgent'] else ''}}">
  <input type="hidden" name="ack" value="{{'1' if options['ack'] else ''}}">
  <input type="hidden" name="exercise" value="{{'1' if options['exercise'] else ''}}">
  <button type="submit" name="action" value="edit">Modifier</button>
</form>
</section>
