% rebase("base.tpl", title=title)
<h1>Confirmer l'alerte</h1>
% if get("error"):
<p class="flash error" role="alert">{{error}}</p>
% end
% if get("quota_warning"):
<p class="flash warn" id="quota-warning" role="alert">{{quota_warning}}</p>
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
% if recipients:
<details><summary>Premiers destinataires</summary>
<ul class="recipients-preview">
% for r in recipients:
<li>{{r.member_name}} — {{r.commune}} — {{phone(r.phone)}}</li>
% end
% if preview.count > len(recipients):
<li>… et {{preview.count - len(recipients)}} autre(s)</li>
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
  <button type="submit" class="primary danger" id="send-button">{{'Programmer l’alerte' if draft.start_at else 'Envoyer l’alerte maintenant'}}</button>
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
